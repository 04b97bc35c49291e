package storetest

import (
	"testing"
	"time"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// RunPlatform runs the contract of ports.PlatformTx: clients and their
// tokens, idempotency records, and the audit log, with their not-found and
// conflict codes. See Run for open.
func RunPlatform(t *testing.T, open func(t *testing.T) ports.Store) {
	area{
		{"Clients/RoundTrip", clientsRoundTrip},
		{"Idempotency/Records", idempotencyRecords},
		{"Audit/OldestFirst", auditOldestFirst},
	}.run(t, open)
}

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

func auditOldestFirst(t *testing.T, s ports.Store) {
	ctx := t.Context()
	put := func(tx ports.Tx, e domain.AuditEvent) error { return tx.Audit().Append(ctx, e) }
	e1 := event("order:13331", "CreateOrder", stamp())
	e2 := event("order:13332", "CreateOrder", stamp().Add(time.Minute))
	e3 := event("order:13331", "SetStatus", stamp().Add(2*time.Minute))
	putAll(t, s, put, e1, e2)
	putAll(t, s, put, e3)
	list := func(subject string) []domain.AuditEvent {
		t.Helper()
		return read(t, s, func(tx ports.Tx) ([]domain.AuditEvent, error) { return tx.Audit().List(ctx, subject) })
	}
	same(t, `List("")`, []domain.AuditEvent{e1, e2, e3}, list(""))
	same(t, "List(order:13331)", []domain.AuditEvent{e1, e3}, list("order:13331"))
	same(t, "List(order:1)", []domain.AuditEvent{}, list("order:1"))
}
