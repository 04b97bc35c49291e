package postgres_test

import (
	"context"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/entitle-rules/entitle/adapters/postgres"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// What the PostgreSQL store does about concurrent Updates (lock.go): a
// serial is locked by the first read of it, or by LockSerials, until the
// transaction ends; a deadlock is retried; a retry budget that runs out is
// CodeUnavailable; a queued write that fails fails the commit.

// lockedStore opens a Store on a fresh schema whose connections say the
// schema as their application_name, so waitForLockWait can find them.
func lockedStore(t *testing.T, opts postgres.Options) (*postgres.Store, *pgx.Conn) {
	t.Helper()
	dsn := testDSN(t)
	opts.Schema = freshSchema(t, dsn)
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	s := openStore(t, dsn+sep+"application_name="+opts.Schema, opts)
	return s, rawConn(t, dsn, opts.Schema)
}

// waitForLockWait returns once a connection of schema's Store waits for a
// lock.
func waitForLockWait(t *testing.T, conn *pgx.Conn, schema string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		var n int
		if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM pg_stat_activity
			WHERE application_name = $1 AND wait_event_type = 'Lock'`, schema).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("no transaction of the store ever waited for a lock")
}

// schemaOf is the schema conn's search_path names.
func schemaOf(t *testing.T, conn *pgx.Conn) string {
	t.Helper()
	var s string
	if err := conn.QueryRow(t.Context(), `SELECT current_schema()`).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestUpdateWaitsForTheSerial: of two Updates that read a serial's trials
// and record a trial when there is none, the second waits for the first at
// its first read and then sees the first's grant: one grant, no error, no
// retry. Under READ COMMITTED without the lock both would see none.
func TestUpdateWaitsForTheSerial(t *testing.T) {
	ctx := t.Context()
	var retries atomic.Int32
	s, conn := lockedStore(t, postgres.Options{OnRetry: func(int, error) { retries.Add(1) }})
	grant := func(pl domain.ProductLine, seen *int, hold <-chan struct{}, read chan<- struct{}) error {
		return s.Update(ctx, func(tx ports.Tx) error {
			gs, err := tx.Trials().BySerial(ctx, "TESTApi01")
			if err != nil {
				return err
			}
			*seen = len(gs)
			if read != nil {
				close(read)
				<-hold
			}
			if len(gs) > 0 {
				return nil
			}
			return tx.Trials().Record(ctx, domain.TrialGrant{SerialKey: "TESTAPI01", ProductLine: pl, PartNumber: "T"})
		})
	}
	hold, read := make(chan struct{}), make(chan struct{})
	var firstSeen, secondSeen int
	var wg sync.WaitGroup
	var errs [2]error
	wg.Go(func() { errs[0] = grant("CENTERPOINT", &firstSeen, hold, read) })
	<-read
	wg.Go(func() { errs[1] = grant("RANGEPOINT", &secondSeen, nil, nil) })
	waitForLockWait(t, conn, schemaOf(t, conn))
	close(hold)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Update %d: %v", i, err)
		}
	}
	if firstSeen != 0 || secondSeen != 1 || retries.Load() != 0 {
		t.Errorf("the first saw %d grants, the second %d, after %d retries; want 0, 1 and 0", firstSeen, secondSeen, retries.Load())
	}
}

// TestUpdateRetriesDeadlocks: two Updates read serials A and B in opposite
// orders, each holding its first serial while the other reads it, which
// deadlocks; PostgreSQL refuses one, Update runs it again and both commit.
// With one attempt allowed, the refused one fails with CodeUnavailable, never
// CodeConflict: nothing in what it was asked was wrong.
func TestUpdateRetriesDeadlocks(t *testing.T) {
	for _, c := range []struct {
		name        string
		maxAttempts int
		wantDevices int
	}{
		{"retried until both succeed", 0, 2},
		{"bounded to one attempt", 1, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := t.Context()
			var retries, runs atomic.Int32
			s, _ := lockedStore(t, postgres.Options{MaxAttempts: c.maxAttempts,
				OnRetry: func(attempt int, err error) {
					var pe *pgconn.PgError
					if !errors.As(err, &pe) || pe.Code != "40P01" {
						t.Errorf("retry after attempt %d for %v, which is not a deadlock", attempt, err)
					}
					retries.Add(1)
				}})
			var (
				read    sync.WaitGroup // both first attempts have read their first serial
				wg      sync.WaitGroup
				results [2]error
			)
			read.Add(2)
			for i, order := range [][2]string{{"A-1", "B-1"}, {"B-1", "A-1"}} {
				wg.Go(func() {
					first := true
					results[i] = s.Update(ctx, func(tx ports.Tx) error {
						runs.Add(1)
						if _, err := tx.Subscriptions().BySerial(ctx, order[0]); err != nil {
							return err
						}
						if first {
							first = false
							read.Done()
							read.Wait()
						}
						if _, err := tx.Subscriptions().BySerial(ctx, order[1]); err != nil {
							return err
						}
						return tx.Devices().Put(ctx, domain.Device{Serial: fmt.Sprintf("D-%d", i)})
					})
				})
			}
			wg.Wait()
			failed := 0
			for i, err := range results {
				if err != nil {
					failed++
					if domain.ErrorCode(err) != domain.CodeUnavailable {
						t.Errorf("Update %d: %v (code %q), want success or %q", i, err, domain.ErrorCode(err), domain.CodeUnavailable)
					}
				}
			}
			devices := 0
			if err := s.View(ctx, func(tx ports.Tx) error {
				for i := range 2 {
					if _, err := tx.Devices().BySerial(ctx, fmt.Sprintf("D-%d", i)); err == nil {
						devices++
					}
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if devices != c.wantDevices || failed != 2-c.wantDevices {
				t.Errorf("%d devices stored and %d failed Updates, want %d and %d", devices, failed, c.wantDevices, 2-c.wantDevices)
			}
			wantRetries := int32(1)
			if c.maxAttempts == 1 {
				wantRetries = 0
			}
			if retries.Load() != wantRetries || runs.Load() != 2+wantRetries {
				t.Errorf("%d retries and %d runs of fn, want %d and %d", retries.Load(), runs.Load(), wantRetries, 2+wantRetries)
			}
		})
	}
}

// TestLockSerialsNeverDeadlocks: Updates that lock overlapping sets of
// serials, each listed in an order of its own, before they read them, all
// commit without one deadlock, and what they read is what the one before
// committed.
func TestLockSerialsNeverDeadlocks(t *testing.T) {
	ctx := t.Context()
	var retries atomic.Int32
	s, _ := lockedStore(t, postgres.Options{OnRetry: func(int, error) { retries.Add(1) }})
	serials := []string{"S-1", "S-2", "S-3", "S-4"}
	type locker interface {
		LockSerials(ctx context.Context, serials ...string) error
	}
	const updates = 24
	var wg sync.WaitGroup
	errs := make([]error, updates)
	for i := range updates {
		wg.Go(func() {
			mine := append([]string(nil), serials...)
			mrand.Shuffle(len(mine), func(a, b int) { mine[a], mine[b] = mine[b], mine[a] })
			mine = mine[:2+i%3]
			errs[i] = s.Update(ctx, func(tx ports.Tx) error {
				l, ok := tx.(locker)
				if !ok {
					return errors.New("the store's Tx has no LockSerials")
				}
				if err := l.LockSerials(ctx, mine...); err != nil {
					return err
				}
				for _, sn := range mine {
					tl, err := tx.Subscriptions().BySerial(ctx, sn)
					if err != nil {
						return err
					}
					start := day(t, "2025-01-01").AddDays(len(tl))
					if err := tx.Subscriptions().Put(ctx, domain.Subscription{ID: fmt.Sprintf("%s-%d", sn, len(tl)), Serial: sn,
						PartNumber: "P", ProductLine: "CENTERPOINT", Start: start, End: start, Kind: domain.Paid}); err != nil {
						return err
					}
				}
				return nil
			})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Update %d: %v", i, err)
		}
	}
	if n := retries.Load(); n != 0 {
		t.Errorf("%d retries, want none: locks taken in one order never deadlock", n)
	}
}

// TestQueuedWriteFailsTheCommit: a trial grant the store queued because the
// serial had none, racing a grant written by someone who took no lock,
// fails at the commit with the constraint's CodeConflict, and nothing of its
// transaction is committed.
func TestQueuedWriteFailsTheCommit(t *testing.T) {
	ctx := t.Context()
	s, conn := lockedStore(t, postgres.Options{})
	err := s.Update(ctx, func(tx ports.Tx) error {
		if gs, err := tx.Trials().BySerial(ctx, "Q-1"); err != nil || len(gs) != 0 {
			return fmt.Errorf("trials of Q-1: %v, %v", gs, err)
		}
		if _, err := conn.Exec(ctx, `INSERT INTO trial_grants (serial_key, product_line, given_key, order_id, part_number, granted_at)
			VALUES ('Q-1', 'CENTERPOINT', 'Q-1', 7, 'T', now())`); err != nil {
			return err
		}
		if err := tx.Devices().Put(ctx, domain.Device{Serial: "Q-1"}); err != nil {
			return err
		}
		return tx.Trials().Record(ctx, domain.TrialGrant{SerialKey: "Q-1", ProductLine: "CENTERPOINT", PartNumber: "T", OrderID: 8})
	})
	if domain.ErrorCode(err) != domain.CodeConflict {
		t.Fatalf("Update = %v (code %q), want %q", err, domain.ErrorCode(err), domain.CodeConflict)
	}
	err = s.View(ctx, func(tx ports.Tx) error {
		_, err := tx.Devices().BySerial(ctx, "Q-1")
		return err
	})
	if domain.ErrorCode(err) != domain.CodeNotFound {
		t.Errorf("the device of the failed Update: %v, want %q", err, domain.CodeNotFound)
	}
}

// TestGetLocksTheOrder: two Updates that finish one in-progress order (read
// it, and set its status and log it only while it is in progress) finish it
// once: the second waits for the first's lock on the order, then reads it
// finished.
func TestGetLocksTheOrder(t *testing.T) {
	ctx := t.Context()
	s, conn := lockedStore(t, postgres.Options{})
	o := &domain.Order{ClientID: "c1", Status: domain.OrderInProgress, Lines: []domain.OrderLine{{LineNumber: 1, SerialNumber: "F-1", Quantity: 1}}}
	if err := s.Update(ctx, func(tx ports.Tx) error { return tx.Orders().Create(ctx, o) }); err != nil {
		t.Fatal(err)
	}
	finish := func(hold <-chan struct{}, read chan<- struct{}) error {
		return s.Update(ctx, func(tx ports.Tx) error {
			got, err := tx.Orders().Get(ctx, o.UniqueID)
			if err != nil {
				return err
			}
			if read != nil {
				close(read)
				<-hold
			}
			if got.Status != domain.OrderInProgress {
				return nil
			}
			if err := tx.Orders().SetStatus(ctx, o.UniqueID, domain.OrderSuccess, ""); err != nil {
				return err
			}
			return tx.Audit().Append(ctx, domain.AuditEvent{ID: rand16(), Command: "CompleteOrder", Subject: "order:x"})
		})
	}
	hold, read := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	var errs [2]error
	wg.Go(func() { errs[0] = finish(hold, read) })
	<-read
	wg.Go(func() { errs[1] = finish(nil, nil) })
	waitForLockWait(t, conn, schemaOf(t, conn))
	close(hold)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Update %d: %v", i, err)
		}
	}
	var events []domain.AuditEvent
	if err := s.View(ctx, func(tx ports.Tx) (err error) { events, err = tx.Audit().List(ctx, "order:x"); return err }); err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 {
		t.Errorf("the order was finished %d times, want once", len(events))
	}
}

func rand16() string { return fmt.Sprintf("%016x", mrand.Uint64()) }
