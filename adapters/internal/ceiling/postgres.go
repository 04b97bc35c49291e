package ceiling

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/entitle-rules/entitle/adapters/internal/sqlrow"
	"github.com/entitle-rules/entitle/domain"
)

// Postgres writes Rows into an entitle PostgreSQL schema.
type Postgres struct {
	pool *pgxpool.Pool
}

// The statements of a PostgreSQL ceiling order, one per row, in this
// order. The order's numbers come from the sequences, as the store's do.
const (
	pgInsertOrder = `INSERT INTO orders (client_id, customer_id, ship_to_customer_id, bill_to_customer, ship_to_customer,
	po_number, customer_order_ref, currency, promo_code, activation_country, bill_to_site_use_id, ship_to_site_use_id, bill_to_email,
	bill_to_phone, ship_to_email, ship_to_phone, status, hold_reason, created_at, total, ruleset_hash, lines)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20::text::numeric, $21, $22)
	RETURNING unique_id`
	pgInsertSerial = `INSERT INTO order_serials (order_id, serial_key, in_progress) VALUES ($1, $2, false)`
	pgInsertDevice = `INSERT INTO devices (serial_key, serial, service_type, manufacturer, model, sso_emails) VALUES ($1, $2, $3, $4, $5, $6)`
	pgInsertSub    = `INSERT INTO subscriptions (serial_key, id, serial, part_number, product_line, start_date, end_date, kind, ended,
	auto_renew, order_id, line, activated, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`
	pgInsertActivation = `INSERT INTO activations (serial_key, id, subscription_id, order_id, serial, part_number, method, request_type,
	activation_date, requested_at, passcode, email, state, attempts, next_attempt_at, last_error, delivered_at)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`
	pgInsertAudit = `INSERT INTO audit_events (id, at, actor, command, subject, allowed, codes, ruleset_hash)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`
	pgInsertDecision = `INSERT INTO decisions (id, at, context, command, partner, account, actor, ruleset_hash, allowed, codes, rules,
	outcome, request, state) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`
)

// OpenPostgres opens a pool of the store's default size on dsn whose
// connections use schema, which must hold the store's tables.
func OpenPostgres(ctx context.Context, dsn, schema string) (*Postgres, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = pgx.Identifier{schema}.Sanitize()
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return &Postgres{pool: pool}, nil
}

// Close closes the pool.
func (w *Postgres) Close() error {
	w.pool.Close()
	return nil
}

// Write stores r in one transaction, each row one plain INSERT sent and
// answered before the next, and returns the unique id the order was given;
// the rows that name the order name that one, not r's.
func (w *Postgres) Write(ctx context.Context, r *Rows) (int64, error) {
	o, d, s, a := &r.Order, &r.Device, &r.Subscription, &r.Activation
	lines, err := sqlrow.EncodeLines(o.Lines)
	if err != nil {
		return 0, err
	}
	key := domain.SerialKey(o.Lines[0].SerialNumber)
	var id int64
	err = pgx.BeginFunc(ctx, w.pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, pgInsertOrder, o.ClientID, o.CustomerID, o.ShipToCustomerID, o.BillToCustomer, o.ShipToCustomer,
			o.PONumber, o.CustomerOrderRef, string(o.Currency), o.PromoCode, o.ActivationCountry, o.BillToSiteUseID,
			o.ShipToSiteUseID, o.BillToContact.Email, o.BillToContact.Phone, o.ShipToContact.Email, o.ShipToContact.Phone,
			string(o.Status), o.HoldReason, o.CreatedAt, sqlrow.DecimalText(o.Total), o.RulesetHash, lines).Scan(&id); err != nil {
			return fmt.Errorf("order: %w", err)
		}
		statements := []struct {
			sql  string
			args []any
		}{
			{pgInsertSerial, []any{id, key}},
			{pgInsertDevice, []any{key, d.Serial, string(d.ServiceType), d.Manufacturer, d.Model, texts(d.SSOEmails)}},
			{pgInsertSub, []any{key, s.ID, s.Serial, s.PartNumber, string(s.ProductLine), date(s.Start), date(s.End),
				string(s.Kind), string(s.Ended), s.AutoRenew, id, s.Line, s.Activated, s.CreatedAt}},
			{pgInsertActivation, []any{key, a.ID, a.SubscriptionID, id, a.Serial, a.PartNumber, string(a.Method), a.RequestType,
				date(a.Date), a.RequestedAt, a.Passcode, a.Email, string(a.Delivery.State), a.Delivery.Attempts,
				timestamp(a.Delivery.NextAttempt), a.Delivery.LastError, timestamp(a.Delivery.DeliveredAt)}},
		}
		for _, e := range r.Events {
			statements = append(statements, struct {
				sql  string
				args []any
			}{pgInsertAudit, []any{e.ID, e.At, e.Actor, e.Command, Subject(id), e.Allowed, texts(e.Codes), e.RulesetHash}})
		}
		for i := range r.Decisions {
			statements = append(statements, struct {
				sql  string
				args []any
			}{pgInsertDecision, decisionArgs(&r.Decisions[i], r.Decisions[i].At)})
		}
		for _, st := range statements {
			if _, err := tx.Exec(ctx, st.sql, st.args...); err != nil {
				return fmt.Errorf("%.40s: %w", st.sql, err)
			}
		}
		return nil
	})
	return id, err
}

// Tables counts the rows of every table of the pool's schema.
func (w *Postgres) Tables(ctx context.Context) (map[string]int, error) {
	rows, err := w.pool.Query(ctx, `SELECT tablename FROM pg_tables WHERE schemaname = current_schema()`)
	if err != nil {
		return nil, err
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, table := range tables {
		var n int
		if err := w.pool.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{table}.Sanitize()).Scan(&n); err != nil {
			return nil, err
		}
		out[table] = n
	}
	return out, nil
}

// texts is s as a text[] column holds it: never NULL.
func texts(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// date is d as a date column holds it: NULL for the zero Date.
func date(d domain.Date) pgtype.Date {
	if d.IsZero() {
		return pgtype.Date{}
	}
	return pgtype.Date{Time: d.Time(time.UTC), Valid: true}
}

// timestamp is t as a timestamptz column holds it: NULL for the zero time.
func timestamp(t time.Time) pgtype.Timestamptz {
	if t.IsZero() {
		return pgtype.Timestamptz{}
	}
	return pgtype.Timestamptz{Time: t, Valid: true}
}
