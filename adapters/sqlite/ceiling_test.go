package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/entitle-rules/entitle/adapters/internal/sqlrow"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// BenchmarkCreateOrderCeiling is BenchmarkCreateOrder's ceiling: the rows
// an accepted one-line order leaves in the file (the order, SUCCESS, with
// its line; its serial, never in progress; the device; the subscription;
// the activation, PENDING in the outbox; the one audit event; the two
// counters it draws from), written with plain SQL
// through database/sql, one transaction per order, no reads, on one
// connection with the store's pragmas (WAL, synchronous=FULL). It has the
// same sub-benchmarks, so `go test -run '^$' -bench CreateOrder` measures
// both in one run; read the engine's orders/s against this one's.
func BenchmarkCreateOrderCeiling(b *testing.B) {
	for _, callers := range []int{1, 16} {
		b.Run(fmt.Sprintf("callers=%d", callers), func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "e.db")
			rows := acceptedOrderRows(b, path)
			w := openCeiling(b, path)
			var next atomic.Int64
			b.ResetTimer()
			var wg sync.WaitGroup
			for range callers {
				wg.Go(func() {
					for {
						i := next.Add(1)
						if i > int64(b.N) {
							return
						}
						if err := w.write(rows.forOrder(i)); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "orders/s")
		})
	}
}

// The ceiling writes what the engine writes: after the same number of
// accepted orders, every table holds as many rows in both files. When the
// engine's write set changes (an outbox row, one audit event fewer), this
// fails until the ceiling's statements follow it.
func TestCeilingWritesWhatTheEngineWrites(t *testing.T) {
	const orders = 3
	enginePath := filepath.Join(t.TempDir(), "engine.db")
	s := openTest(t, enginePath)
	eng := newEngine(t, s)
	for i := range orders + 1 { // the ceiling's template is one order more
		if _, err := eng.CreateOrder(t.Context(), domain.PartnerPrincipal(crashClient, domain.ClientCredentials), orderFor(crashSerial(i))); err != nil {
			t.Fatal(err)
		}
	}
	want := tableRows(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	ceilingPath := filepath.Join(t.TempDir(), "ceiling.db")
	rows := acceptedOrderRows(t, ceilingPath)
	w := openCeiling(t, ceilingPath)
	for i := range orders {
		if err := w.write(rows.forOrder(int64(i + 1))); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.db.Close(); err != nil {
		t.Fatal(err)
	}
	got := tableRows(t, openTest(t, ceilingPath))
	for table, n := range want {
		if got[table] != n {
			t.Errorf("after %d orders and the template, table %s holds %d rows written by the ceiling, %d by the engine", orders, table, got[table], n)
		}
	}
	checkWholeOrders(t, openTest(t, ceilingPath), orders+1)
}

// tableRows counts the rows of every table of the schema.
func tableRows(tb testing.TB, s *Store) map[string]int {
	tb.Helper()
	out := map[string]int{}
	onConn(tb, s, s.readers, func(c *sql.Conn) {
		var tables []string
		rs, err := c.QueryContext(tb.Context(), "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
		if err != nil {
			tb.Fatal(err)
		}
		for rs.Next() {
			var name string
			if err := rs.Scan(&name); err != nil {
				tb.Fatal(err)
			}
			tables = append(tables, name)
		}
		if err := rs.Err(); err != nil {
			tb.Fatal(err)
		}
		_ = rs.Close()
		for _, name := range tables {
			var n int
			if err := c.QueryRowContext(tb.Context(), "SELECT count(*) FROM "+name).Scan(&n); err != nil {
				tb.Fatal(err)
			}
			out[name] = n
		}
	})
	return out
}

// checkWholeOrders checks, as the crash test does, that the file holds n
// orders, SUCCESS and whole.
func checkWholeOrders(tb testing.TB, s *Store, n int) {
	tb.Helper()
	err := s.View(tb.Context(), func(tx ports.Tx) error {
		found, err := tx.Orders().Find(tb.Context(), domain.OrderQuery{ClientID: crashClient})
		if err != nil {
			return err
		}
		if len(found) != n {
			tb.Errorf("the file holds %d orders, want %d", len(found), n)
		}
		for _, o := range found {
			if o.Status != domain.OrderSuccess {
				tb.Errorf("order %d is %s, want %s", o.UniqueID, o.Status, domain.OrderSuccess)
			}
			if err := checkWhole(tb.Context(), tx, &o); err != nil {
				tb.Error(err)
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// orderRows is what one accepted one-line order stores, read back from the
// file after the engine created it: the ceiling writes copies of these
// rows with new ids and serials, so they are as long as the engine's.
type orderRows struct {
	order  domain.Order
	device domain.Device
	sub    domain.Subscription
	act    domain.Activation
	events []domain.AuditEvent
}

// acceptedOrderRows creates the file at path with the engine's schema and
// dataset, lets the engine accept one order (serial 0), and returns what it
// stored. The store is closed when it returns.
func acceptedOrderRows(tb testing.TB, path string) *orderRows {
	tb.Helper()
	s, err := Open(path, Options{})
	if err != nil {
		tb.Fatal(err)
	}
	defer s.Close()
	eng := newEngine(tb, s)
	ctx := tb.Context()
	rc, err := eng.CreateOrder(ctx, domain.PartnerPrincipal(crashClient, domain.ClientCredentials), orderFor(crashSerial(0)))
	if err != nil {
		tb.Fatal(err)
	}
	var r orderRows
	err = s.View(ctx, func(tx ports.Tx) error {
		var err error
		if r.order, err = tx.Orders().Get(ctx, rc.UniqueID); err != nil {
			return err
		}
		serial := crashSerial(0)
		if r.device, err = tx.Devices().BySerial(ctx, serial); err != nil {
			return err
		}
		subs, err := tx.Subscriptions().ByOrder(ctx, rc.UniqueID)
		if err != nil {
			return err
		}
		acts, err := tx.Activations().BySerial(ctx, serial)
		if err != nil {
			return err
		}
		if len(subs) != 1 || len(acts) != 1 {
			return fmt.Errorf("the order has %d subscriptions and %d activations, want 1 and 1", len(subs), len(acts))
		}
		r.sub, r.act = subs[0], acts[0]
		r.events, err = tx.Audit().List(ctx, orderSubject(rc.UniqueID))
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	if r.order.Status != domain.OrderSuccess || len(r.order.Lines) != 1 || len(r.events) != 1 || r.act.Delivery.State != domain.DeliveryPending {
		tb.Fatalf("the template order is %s with %d lines and %d audit events, want %s, 1 and 1, and its activation pending",
			r.order.Status, len(r.order.Lines), len(r.events), domain.OrderSuccess)
	}
	return &r
}

// orderSubject is the audit subject of an order, as rules/orders writes it.
func orderSubject(uniqueID int64) string { return "order:" + strconv.FormatInt(uniqueID, 10) }

// forOrder returns the rows of the i-th ceiling order (i > 0): the
// template's, with the template's ids and serial made the i-th.
func (r *orderRows) forOrder(i int64) *orderRows {
	n := strconv.FormatInt(i, 10)
	serial := crashSerial(int(i))
	out := &orderRows{order: r.order, device: r.device, sub: r.sub, act: r.act, events: slices.Clone(r.events)}
	o := &out.order
	o.UniqueID, o.OrderNumber = r.order.UniqueID+i, r.order.OrderNumber+i
	o.PONumber = "PO-" + serial
	o.Lines = slices.Clone(r.order.Lines)
	o.Lines[0].SerialNumber, o.Lines[0].SubscriptionID = serial, "ceiling-sub-"+n
	out.device.Serial = serial
	out.sub.ID, out.sub.Serial, out.sub.OrderID = o.Lines[0].SubscriptionID, serial, o.UniqueID
	out.act.ID, out.act.SubscriptionID, out.act.OrderID, out.act.Serial = "ceiling-act-"+n, out.sub.ID, o.UniqueID, serial
	for j := range out.events {
		out.events[j].ID, out.events[j].Subject = "ceiling-ev-"+n+"-"+strconv.Itoa(j), orderSubject(o.UniqueID)
	}
	return out
}

// The ceiling's statements: plain INSERTs of new rows, and one UPDATE for
// both counters the order draws from.
const (
	cBumpSequences = `UPDATE sequences SET next = next + 1 WHERE name IN ('order_unique_id', 'order_number')`
	cInsertDevice  = `INSERT INTO devices (serial_key, serial, service_type, manufacturer, model, sso_emails)
	VALUES (?, ?, ?, ?, ?, ?)`
	cInsertSub        = `INSERT INTO subscriptions (serial_key, ` + subscriptionColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	cInsertActivation = `INSERT INTO activations (serial_key, ` + activationColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
)

// ceiling writes orderRows with database/sql over one connection.
type ceiling struct {
	db    *sql.DB
	stmts map[string]*sql.Stmt
}

// openCeiling opens the file at path as the store's writer does (its DSN,
// one connection) and prepares the ceiling's statements. The database is
// closed when tb ends.
func openCeiling(tb testing.TB, path string) *ceiling {
	tb.Helper()
	db, err := sql.Open("sqlite", dsn(path, Options{}.withDefaults(), false))
	if err != nil {
		tb.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	tb.Cleanup(func() { _ = db.Close() })
	w := &ceiling{db: db, stmts: map[string]*sql.Stmt{}}
	for _, q := range []string{cBumpSequences, qInsertOrder, qInsertOrderSerial, cInsertDevice, cInsertSub, cInsertActivation, qAppendAudit} {
		st, err := db.Prepare(q)
		if err != nil {
			tb.Fatalf("prepare %s: %v", q, err)
		}
		w.stmts[q] = st
	}
	return w
}

// write stores r in one transaction. Its context has no deadline: the
// ceiling pays for no cancellation it never uses.
func (w *ceiling) write(r *orderRows) (err error) {
	ctx := context.Background()
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	exec := func(q string, args ...any) {
		if err == nil {
			_, err = tx.StmtContext(ctx, w.stmts[q]).ExecContext(ctx, args...)
		}
	}
	o, l := &r.order, &r.order.Lines[0]
	lines, lerr := sqlrow.EncodeLines(o.Lines)
	emails, eerr := sqlrow.EncodeJSON(r.device.SSOEmails)
	if err = cmp.Or(lerr, eerr); err != nil {
		return err
	}
	key := domain.SerialKey(l.SerialNumber)
	exec(cBumpSequences)
	exec(qInsertOrder, o.UniqueID, o.OrderNumber, o.ClientID, o.CustomerID, o.ShipToCustomerID, o.BillToCustomer,
		o.ShipToCustomer, o.PONumber, o.CustomerOrderRef, string(o.Currency), o.PromoCode, o.ActivationCountry,
		o.BillToSiteUseID, o.ShipToSiteUseID, o.BillToContact.Email, o.BillToContact.Phone,
		o.ShipToContact.Email, o.ShipToContact.Phone, string(o.Status), o.HoldReason, instant(o.CreatedAt),
		sqlrow.DecimalText(o.Total), o.RulesetHash, string(lines))
	exec(qInsertOrderSerial, o.UniqueID, key, false)
	d := &r.device
	exec(cInsertDevice, key, d.Serial, string(d.ServiceType), d.Manufacturer, d.Model, string(emails))
	s := &r.sub
	exec(cInsertSub, key, s.ID, s.Serial, s.PartNumber, string(s.ProductLine), sqlrow.DateText(s.Start),
		sqlrow.DateText(s.End), string(s.Kind), string(s.Ended), s.AutoRenew, s.OrderID, s.Line, s.Activated, instant(s.CreatedAt))
	a := &r.act
	exec(cInsertActivation, key, a.ID, a.SubscriptionID, a.OrderID, a.Serial, a.PartNumber, string(a.Method), a.RequestType,
		sqlrow.DateText(a.Date), instant(a.RequestedAt), a.Passcode, a.Email, string(a.Delivery.State), a.Delivery.Attempts,
		nullInstant(a.Delivery.NextAttempt), a.Delivery.LastError, nullInstant(a.Delivery.DeliveredAt))
	for _, e := range r.events {
		codes, cerr := sqlrow.EncodeJSON(e.Codes)
		if err == nil {
			err = cerr
		}
		exec(qAppendAudit, e.ID, instant(e.At), e.Actor, e.Command, e.Subject, e.Allowed, string(codes), e.RulesetHash)
	}
	if err != nil {
		return err
	}
	return tx.Commit()
}
