package ceiling

import (
	"cmp"
	"context"
	"database/sql"
	"time"

	_ "modernc.org/sqlite" // the driver adapters/sqlite uses

	"github.com/entitle-rules/entitle/adapters/internal/sqlrow"
	"github.com/entitle-rules/entitle/domain"
)

// SQLite writes Rows into an entitle SQLite file.
type SQLite struct {
	db    *sql.DB
	stmts [len(sqliteStatements)]*sql.Stmt
}

// The statements of an SQLite ceiling order: plain INSERTs of new rows, and
// one UPDATE for both counters the order draws from, in this order.
var sqliteStatements = [...]string{
	`UPDATE sequences SET next = next + 1 WHERE name IN ('order_unique_id', 'order_number')`,
	`INSERT INTO orders (unique_id, order_number, client_id, customer_id, ship_to_customer_id, bill_to_customer, ship_to_customer,
	po_number, customer_order_ref, currency, promo_code, activation_country, bill_to_site_use_id, ship_to_site_use_id, bill_to_email,
	bill_to_phone, ship_to_email, ship_to_phone, status, hold_reason, created_at, total, ruleset_hash, lines)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
	`INSERT INTO order_serials (order_id, serial_key, in_progress) VALUES (?, ?, 0)`,
	`INSERT INTO devices (serial_key, serial, service_type, manufacturer, model, sso_emails) VALUES (?, ?, ?, ?, ?, ?)`,
	`INSERT INTO subscriptions (serial_key, id, serial, part_number, product_line, start_date, end_date, kind, ended, auto_renew,
	order_id, line, activated, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
	`INSERT INTO activations (serial_key, id, subscription_id, order_id, serial, part_number, method, request_type, activation_date,
	requested_at, passcode, email, state, attempts, next_attempt_at, last_error, delivered_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
	`INSERT INTO audit (id, at, actor, command, subject, allowed, codes, ruleset_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
	`INSERT INTO decisions (id, at, context, command, partner, account, actor, ruleset_hash, allowed, codes, rules, outcome, request, state)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
}

// OpenSQLite opens the entitle SQLite file at path as the store's writer
// does (WAL, synchronous=FULL, foreign keys, one connection) and prepares
// the ceiling's statements. The file must hold the store's schema.
func OpenSQLite(path string) (*SQLite, error) {
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)"+
		"&_pragma=synchronous(FULL)&_pragma=temp_store(MEMORY)")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	w := &SQLite{db: db}
	for i, q := range sqliteStatements {
		if w.stmts[i], err = db.Prepare(q); err != nil {
			_ = db.Close()
			return nil, err
		}
	}
	return w, nil
}

// Close closes the file.
func (w *SQLite) Close() error { return w.db.Close() }

// Write stores r in one transaction with r's numbers, and returns its
// unique id.
func (w *SQLite) Write(ctx context.Context, r *Rows) (id int64, err error) {
	o, l, d, s, a := &r.Order, &r.Order.Lines[0], &r.Device, &r.Subscription, &r.Activation
	lines, lerr := sqlrow.EncodeLines(o.Lines)
	emails, eerr := sqlrow.EncodeJSON(d.SSOEmails)
	if err = cmp.Or(lerr, eerr); err != nil {
		return 0, err
	}
	key := domain.SerialKey(l.SerialNumber)
	args := [][]any{
		{o.UniqueID, o.OrderNumber, o.ClientID, o.CustomerID, o.ShipToCustomerID, o.BillToCustomer, o.ShipToCustomer, o.PONumber,
			o.CustomerOrderRef, string(o.Currency), o.PromoCode, o.ActivationCountry, o.BillToSiteUseID, o.ShipToSiteUseID,
			o.BillToContact.Email, o.BillToContact.Phone, o.ShipToContact.Email, o.ShipToContact.Phone, string(o.Status),
			o.HoldReason, instant(o.CreatedAt), sqlrow.DecimalText(o.Total), o.RulesetHash, string(lines)},
		{o.UniqueID, key},
		{key, d.Serial, string(d.ServiceType), d.Manufacturer, d.Model, string(emails)},
		{key, s.ID, s.Serial, s.PartNumber, string(s.ProductLine), sqlrow.DateText(s.Start), sqlrow.DateText(s.End),
			string(s.Kind), string(s.Ended), s.AutoRenew, s.OrderID, s.Line, s.Activated, instant(s.CreatedAt)},
		{key, a.ID, a.SubscriptionID, a.OrderID, a.Serial, a.PartNumber, string(a.Method), a.RequestType,
			sqlrow.DateText(a.Date), instant(a.RequestedAt), a.Passcode, a.Email, string(a.Delivery.State), a.Delivery.Attempts,
			nullInstant(a.Delivery.NextAttempt), a.Delivery.LastError, nullInstant(a.Delivery.DeliveredAt)},
	}
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if _, err = tx.StmtContext(ctx, w.stmts[0]).ExecContext(ctx); err != nil {
		return 0, err
	}
	for i, a := range args {
		if _, err = tx.StmtContext(ctx, w.stmts[i+1]).ExecContext(ctx, a...); err != nil {
			return 0, err
		}
	}
	for _, e := range r.Events {
		codes, err := sqlrow.EncodeJSON(e.Codes)
		if err != nil {
			return 0, err
		}
		if _, err = tx.StmtContext(ctx, w.stmts[len(args)+1]).ExecContext(ctx,
			e.ID, instant(e.At), e.Actor, e.Command, e.Subject, e.Allowed, string(codes), e.RulesetHash); err != nil {
			return 0, err
		}
	}
	for _, dr := range r.Decisions {
		if _, err = tx.StmtContext(ctx, w.stmts[len(args)+2]).ExecContext(ctx, decisionArgs(&dr, instant(dr.At))...); err != nil {
			return 0, err
		}
	}
	return o.UniqueID, tx.Commit()
}

// Tables counts the rows of every table of the file.
func (w *SQLite) Tables(ctx context.Context) (map[string]int, error) {
	rs, err := w.db.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)
	if err != nil {
		return nil, err
	}
	var names []string
	for rs.Next() {
		var name string
		if err := rs.Scan(&name); err != nil {
			_ = rs.Close()
			return nil, err
		}
		names = append(names, name)
	}
	if err := cmp.Or(rs.Err(), rs.Close()); err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, name := range names {
		var n int
		if err := w.db.QueryRowContext(ctx, "SELECT count(*) FROM "+name).Scan(&n); err != nil {
			return nil, err
		}
		out[name] = n
	}
	return out, nil
}

// instant is a time as adapters/sqlite stores it.
func instant(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z07:00") }

// nullInstant is instant, or NULL for the zero time.
func nullInstant(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return instant(t)
}
