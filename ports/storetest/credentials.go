package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

func clientsRoundTrip(t *testing.T, s ports.Store) {
	ctx := t.Context()
	c := domain.Client{ID: "tap-client", Name: "TAP integration", SecretHash: domain.HashSecret("s3cret")}
	tok := domain.Token{Hash: domain.HashSecret("token-1"), ClientID: c.ID, ExpiresAt: stamp().Add(time.Hour)}
	update(t, s, func(tx ports.Tx) error {
		if err := tx.Clients().Put(ctx, c); err != nil {
			return err
		}
		return tx.Clients().PutToken(ctx, tok)
	})
	got := read(t, s, func(tx ports.Tx) (domain.Client, error) { return tx.Clients().Get(ctx, "tap-client") })
	same(t, "client", c, got)
	if !got.CheckSecret("s3cret") || got.CheckSecret("S3cret") {
		t.Error("the stored client does not check its secret exactly")
	}
	gotTok := read(t, s, func(tx ports.Tx) (domain.Token, error) { return tx.Clients().Token(ctx, tok.Hash) })
	same(t, "token", tok, gotTok)

	wantCode(t, "Get of an unknown client", viewErr(t, s, func(tx ports.Tx) error {
		_, err := tx.Clients().Get(ctx, "nobody")
		return err
	}), domain.CodeNotFound)
	wantCode(t, "Token of an unknown hash", viewErr(t, s, func(tx ports.Tx) error {
		_, err := tx.Clients().Token(ctx, domain.HashSecret("other"))
		return err
	}), domain.CodeNotFound)
	wantCode(t, "a second token with the same hash", s.Update(ctx, func(tx ports.Tx) error {
		return tx.Clients().PutToken(ctx, tok)
	}), domain.CodeConflict)

	c.Name, c.SecretHash = "renamed", domain.HashSecret("rotated")
	update(t, s, func(tx ports.Tx) error { return tx.Clients().Put(ctx, c) })
	got = read(t, s, func(tx ports.Tx) (domain.Client, error) { return tx.Clients().Get(ctx, "tap-client") })
	same(t, "replaced client", c, got)
}

func idempotencyRecords(t *testing.T, s ports.Store) {
	ctx := t.Context()
	now := stamp()
	rec := ports.IdempotencyRecord{ClientID: "client-a", Key: "k-1", RequestHash: "h-1", Status: 200,
		Body: []byte(`{"statusCode":"200","status":"SUCCESS","uniqueId":"13331"}`), CreatedAt: now.Add(-23 * time.Hour)}
	old := ports.IdempotencyRecord{ClientID: "client-a", Key: "k-old", RequestHash: "h-2", Status: 400,
		Body: []byte(`{}`), CreatedAt: now.Add(-25 * time.Hour)}
	other := rec
	other.ClientID = "client-b" // the same key of another client is another record
	update(t, s, func(tx ports.Tx) error {
		for _, r := range []ports.IdempotencyRecord{rec, old, other} {
			if err := tx.Idempotency().Put(ctx, r); err != nil {
				return err
			}
		}
		return nil
	})
	got := read(t, s, func(tx ports.Tx) (ports.IdempotencyRecord, error) {
		return tx.Idempotency().Get(ctx, "client-a", "k-1")
	})
	same(t, "record", rec, got)

	again := rec
	again.RequestHash = "h-different"
	wantCode(t, "a second record under one key", s.Update(ctx, func(tx ports.Tx) error {
		return tx.Idempotency().Put(ctx, again)
	}), domain.CodeConflict)
	wantCode(t, "Get of an unknown key", viewErr(t, s, func(tx ports.Tx) error {
		_, err := tx.Idempotency().Get(ctx, "client-a", "nope")
		return err
	}), domain.CodeNotFound)

	reserved := ports.IdempotencyRecord{ClientID: "client-a", Key: "k-new", RequestHash: "h-3", CreatedAt: now}
	update(t, s, func(tx ports.Tx) error { return tx.Idempotency().Put(ctx, reserved) })
	update(t, s, func(tx ports.Tx) error {
		return tx.Idempotency().Complete(ctx, "client-a", "k-new", 201, []byte(`{"uniqueId":13332}`))
	})
	done := read(t, s, func(tx ports.Tx) (ports.IdempotencyRecord, error) {
		return tx.Idempotency().Get(ctx, "client-a", "k-new")
	})
	reserved.Status, reserved.Body = 201, []byte(`{"uniqueId":13332}`)
	same(t, "completed record", reserved, done)
	wantCode(t, "Complete of an unknown key", s.Update(ctx, func(tx ports.Tx) error {
		return tx.Idempotency().Complete(ctx, "client-b", "k-new", 200, nil)
	}), domain.CodeNotFound)

	var purged int
	update(t, s, func(tx ports.Tx) (err error) {
		purged, err = tx.Idempotency().Purge(ctx, now.Add(-24*time.Hour))
		return err
	})
	if purged != 1 {
		t.Errorf("Purge of records older than 24 hours removed %d, want 1", purged)
	}
	for _, k := range []struct{ client, key string }{{"client-a", "k-1"}, {"client-b", "k-1"}} {
		if err := viewErr(t, s, func(tx ports.Tx) error { _, err := tx.Idempotency().Get(ctx, k.client, k.key); return err }); err != nil {
			t.Errorf("a record of %s kept for 23 hours is gone: %v", k.client, err)
		}
	}
	wantCode(t, "Get of a purged record", viewErr(t, s, func(tx ports.Tx) error {
		_, err := tx.Idempotency().Get(ctx, "client-a", "k-old")
		return err
	}), domain.CodeNotFound)
}

func ordersPending(t *testing.T, s ports.Store) {
	ctx := t.Context()
	a := order(t, "client-a", "PO-1", domain.OrderInProgress, "SER-A", "SER-B")
	b := order(t, "client-a", "PO-2", domain.OrderSuccess, "SER-C")
	c := order(t, "client-b", "PO-3", domain.OrderInProgress, "SER-D")
	update(t, s, func(tx ports.Tx) error {
		for _, o := range []*domain.Order{a, b, c} {
			if err := tx.Orders().Create(ctx, o); err != nil {
				return err
			}
		}
		return nil
	})
	pending := read(t, s, func(tx ports.Tx) ([]int64, error) { return tx.Orders().Pending(ctx) })
	same(t, "pending orders", []int64{a.UniqueID, c.UniqueID}, pending)
	update(t, s, func(tx ports.Tx) error { return tx.Orders().SetStatus(ctx, a.UniqueID, domain.OrderSuccess, "") })
	pending = read(t, s, func(tx ports.Tx) ([]int64, error) { return tx.Orders().Pending(ctx) })
	same(t, "pending orders after one finished", []int64{c.UniqueID}, pending)
}

// raceRenewals has racers each renew the same active subscription the way
// the engine does: read the timeline, find the end of the chain, and add a
// subscription starting the day after. Whatever each racer gets, success or
// a conflict, the timeline must stay contiguous and never overlap.
func raceRenewals(t *testing.T, s ports.Store) {
	ctx := t.Context()
	today := day(t, "2025-04-24")
	update(t, s, func(tx ports.Tx) error {
		return tx.Subscriptions().Put(ctx, subscription(t, "sub-0", "TESTApi01", centerPoint, "2024-06-01", "2025-06-01"))
	})
	var wg sync.WaitGroup
	for i := range racers {
		wg.Go(func() {
			err := s.Update(ctx, func(tx ports.Tx) error {
				tl, err := tx.Subscriptions().BySerial(ctx, spelling(i))
				if err != nil {
					return err
				}
				last := tl.ChainEnd(centerPoint, today)
				if last == nil {
					return fmt.Errorf("no active subscription to renew")
				}
				next := *last
				next.ID = fmt.Sprintf("sub-%d", i+1)
				next.Start, next.End = last.End.AddDays(1), last.End.AddYears(1).AddDays(1)
				return tx.Subscriptions().Put(ctx, next)
			})
			if err != nil && domain.ErrorCode(err) != domain.CodeConflict {
				t.Errorf("racer %d: %v (code %q), want success or %q", i, err, domain.ErrorCode(err), domain.CodeConflict)
			}
		})
	}
	wg.Wait()
	tl := read(t, s, func(tx ports.Tx) (domain.Timeline, error) { return tx.Subscriptions().BySerial(ctx, "TESTAPI01") })
	if a, b := tl.Overlapping(); a != nil {
		t.Fatalf("renewals overlap: %s %s and %s %s", a.ID, a.Period(), b.ID, b.Period())
	}
	for i := 1; i < len(tl); i++ {
		if want := tl[i-1].End.AddDays(1); tl[i].Start != want {
			t.Errorf("renewal %d starts %s, want %s, the day after the previous one ends", i, tl[i].Start, want)
		}
	}
	if len(tl) < 2 {
		t.Errorf("no renewal got through: the timeline has %d subscriptions", len(tl))
	}
}
