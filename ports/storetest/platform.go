package storetest

import (
	"fmt"
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
		{"Clients/PurgeTokens", clientsPurgeTokens},
		{"Clients/Tokens", clientsTokens},
		{"Clients/APIKeys", clientsAPIKeys},
		{"Idempotency/Records", idempotencyRecords},
		{"Idempotency/BindAndRelease", idempotencyBindAndRelease},
		{"Audit/OldestFirst", auditOldestFirst},
		{"Audit/ByAccount", auditByAccount},
	}.run(t, open)
}

func clientsRoundTrip(t *testing.T, s ports.Store) {
	ctx := t.Context()
	c := domain.Client{ID: "tap-client", Name: "TAP integration", SecretHash: domain.HashSecret("s3cret"),
		APIKeyHash: domain.HashSecret("api-key")}
	tok := domain.Token{Hash: domain.HashSecret("token-1"), ClientID: c.ID, Kind: domain.ClientCredentials,
		ExpiresAt: stamp().Add(time.Hour)}
	update(t, s, func(tx ports.Tx) error {
		if err := tx.Clients().Put(ctx, c); err != nil {
			return err
		}
		return tx.Clients().PutToken(ctx, tok)
	})
	got := read(t, s, func(tx ports.Tx) (domain.Client, error) { return tx.Clients().Get(ctx, "tap-client") })
	same(t, "client", c, got)
	if got.SecretHash != c.SecretHash {
		t.Errorf("the stored secret hash is %q, want %q exactly", got.SecretHash, c.SecretHash)
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

	c.Name, c.SecretHash, c.APIKeyHash = "renamed", domain.HashSecret("rotated"), ""
	update(t, s, func(tx ports.Tx) error { return tx.Clients().Put(ctx, c) })
	got = read(t, s, func(tx ports.Tx) (domain.Client, error) { return tx.Clients().Get(ctx, "tap-client") })
	same(t, "replaced client", c, got)
}

// clientsPurgeTokens: PurgeTokens deletes the tokens that expired before the
// instant and keeps the rest, the one expiring at that instant too.
func clientsPurgeTokens(t *testing.T, s ports.Store) {
	ctx := t.Context()
	now := stamp()
	tok := func(name string, expires time.Time) domain.Token {
		return domain.Token{Hash: domain.HashSecret(name), ClientID: "tap-client", ExpiresAt: expires}
	}
	gone := []domain.Token{tok("an hour ago", now.Add(-time.Hour)), tok("a second ago", now.Add(-time.Second))}
	kept := []domain.Token{tok("now", now), tok("in an hour", now.Add(time.Hour))}
	putAll(t, s, func(tx ports.Tx, tk domain.Token) error { return tx.Clients().PutToken(ctx, tk) }, append(gone, kept...)...)
	var n int
	update(t, s, func(tx ports.Tx) (err error) {
		n, err = tx.Clients().PurgeTokens(ctx, now)
		return err
	})
	if n != len(gone) {
		t.Errorf("PurgeTokens removed %d tokens, want %d", n, len(gone))
	}
	for _, tk := range gone {
		wantCode(t, "Token of a purged token", viewErr(t, s, func(tx ports.Tx) error {
			return errOf(tx.Clients().Token(ctx, tk.Hash))
		}), domain.CodeNotFound)
	}
	for _, tk := range kept {
		got := read(t, s, func(tx ports.Tx) (domain.Token, error) { return tx.Clients().Token(ctx, tk.Hash) })
		same(t, "a token not yet expired", tk, got)
	}
	update(t, s, func(tx ports.Tx) (err error) {
		n, err = tx.Clients().PurgeTokens(ctx, now)
		return err
	})
	if n != 0 {
		t.Errorf("a second PurgeTokens removed %d tokens, want 0", n)
	}
}

func idempotencyRecords(t *testing.T, s ports.Store) {
	ctx := t.Context()
	now := stamp()
	rec := ports.IdempotencyRecord{ClientID: "client-a", Key: "k-1", RequestHash: "h-1", Status: 200,
		Body: []byte(`{"statusCode":"200","status":"SUCCESS","uniqueId":"13331"}`), Ref: "order:13331", CreatedAt: now.Add(-23 * time.Hour)}
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

// idempotencyBindAndRelease: Bind names what a reservation's request
// committed, in that request's transaction; Release frees a reservation that
// has neither an answer nor a Ref, and keeps every other record.
func idempotencyBindAndRelease(t *testing.T, s ports.Store) {
	ctx := t.Context()
	now := stamp()
	idem := func(tx ports.Tx) ports.Idempotency { return tx.Idempotency() }
	get := func(client, key string) ports.IdempotencyRecord {
		t.Helper()
		return read(t, s, func(tx ports.Tx) (ports.IdempotencyRecord, error) { return idem(tx).Get(ctx, client, key) })
	}
	reserved := ports.IdempotencyRecord{ClientID: "client-a", Key: "k-bind", RequestHash: "h-1", CreatedAt: now}
	answered := ports.IdempotencyRecord{ClientID: "client-a", Key: "k-answered", RequestHash: "h-2", Status: 400,
		Body: []byte(`{"statusCode":400}`), CreatedAt: now}
	free := ports.IdempotencyRecord{ClientID: "client-a", Key: "k-free", RequestHash: "h-3", CreatedAt: now}
	putAll(t, s, func(tx ports.Tx, r ports.IdempotencyRecord) error { return idem(tx).Put(ctx, r) }, reserved, answered, free)

	// A Bind in a transaction that rolls back binds nothing: the Ref is
	// there exactly when the write that set it committed.
	errRollback := domain.Errorf(domain.CodeInvalid, "", "the write was refused after all")
	if err := s.Update(ctx, func(tx ports.Tx) error {
		if err := idem(tx).Bind(ctx, "client-a", "k-bind", "order:13331"); err != nil {
			return err
		}
		return errRollback
	}); err != errRollback {
		t.Fatalf("an Update that binds and fails: %v, want its own error", err)
	}
	same(t, "the record after a rolled-back Bind", reserved, get("client-a", "k-bind"))

	update(t, s, func(tx ports.Tx) error { return idem(tx).Bind(ctx, "client-a", "k-bind", "order:13331") })
	bound := reserved
	bound.Ref = "order:13331"
	same(t, "the bound record", bound, get("client-a", "k-bind"))
	update(t, s, func(tx ports.Tx) error { return idem(tx).Bind(ctx, "client-a", "k-bind", "order:13331") })
	for _, c := range []struct {
		what        string
		client, key string
		ref         string
		code        domain.Code
	}{
		{"Bind of another ref", "client-a", "k-bind", "order:13332", domain.CodeConflict},
		{"Bind of an answered record", "client-a", "k-answered", "order:13332", domain.CodeConflict},
		{"Bind of an unknown key", "client-a", "nope", "order:13332", domain.CodeNotFound},
		{"Bind of another client's key", "client-b", "k-bind", "order:13332", domain.CodeNotFound},
		{"Bind of an empty ref", "client-a", "k-free", "", domain.CodeInvalid},
	} {
		wantCode(t, c.what, s.Update(ctx, func(tx ports.Tx) error { return idem(tx).Bind(ctx, c.client, c.key, c.ref) }), c.code)
	}
	same(t, "the bound record after refused Binds", bound, get("client-a", "k-bind"))
	same(t, "the answered record after a refused Bind", answered, get("client-a", "k-answered"))
	same(t, "the free record after a refused Bind", free, get("client-a", "k-free"))

	for _, c := range []struct {
		what        string
		client, key string
		code        domain.Code
	}{
		{"Release of a bound reservation", "client-a", "k-bind", domain.CodeConflict},
		{"Release of an answered record", "client-a", "k-answered", domain.CodeConflict},
		{"Release of an unknown key", "client-a", "nope", domain.CodeNotFound},
		{"Release of another client's key", "client-b", "k-free", domain.CodeNotFound},
	} {
		wantCode(t, c.what, s.Update(ctx, func(tx ports.Tx) error { return idem(tx).Release(ctx, c.client, c.key) }), c.code)
	}
	same(t, "the bound record after a refused Release", bound, get("client-a", "k-bind"))
	same(t, "the answered record after a refused Release", answered, get("client-a", "k-answered"))

	// Complete keeps the Ref: the answer and what it committed go together.
	update(t, s, func(tx ports.Tx) error {
		return idem(tx).Complete(ctx, "client-a", "k-bind", 200, []byte(`{"uniqueId":13331}`))
	})
	bound.Status, bound.Body = 200, []byte(`{"uniqueId":13331}`)
	same(t, "the completed bound record", bound, get("client-a", "k-bind"))

	// A Release that rolls back keeps the reservation; one that commits
	// frees the key for a new reservation.
	if err := s.Update(ctx, func(tx ports.Tx) error {
		if err := idem(tx).Release(ctx, "client-a", "k-free"); err != nil {
			return err
		}
		return errRollback
	}); err != errRollback {
		t.Fatalf("an Update that releases and fails: %v, want its own error", err)
	}
	same(t, "the record after a rolled-back Release", free, get("client-a", "k-free"))
	update(t, s, func(tx ports.Tx) error { return idem(tx).Release(ctx, "client-a", "k-free") })
	wantCode(t, "Get of a released key", viewErr(t, s, func(tx ports.Tx) error {
		return errOf(idem(tx).Get(ctx, "client-a", "k-free"))
	}), domain.CodeNotFound)
	again := free
	again.RequestHash, again.CreatedAt = "h-4", now.Add(time.Minute)
	update(t, s, func(tx ports.Tx) error {
		if err := idem(tx).Release(ctx, "client-a", "k-bind-none"); domain.ErrorCode(err) != domain.CodeNotFound {
			return fmt.Errorf("Release of an unknown key in a transaction: %v, want CodeNotFound", err)
		}
		return idem(tx).Put(ctx, again)
	})
	same(t, "a released key reserved again", again, get("client-a", "k-free"))
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

// clientsAPIKeys: an Account Manager partner is found by the hash of its
// apiKey, which no two clients share; tokens keep their kind and the account
// an apiKey + alias token is narrowed to.
func clientsAPIKeys(t *testing.T, s ports.Store) {
	ctx := t.Context()
	partner := domain.Client{ID: "fleet-partner", Name: "Fleet partner", APIKeyHash: domain.HashSecret("example-api-key")}
	tap := domain.Client{ID: "tap-client", Name: "TAP integration", SecretHash: domain.HashSecret("s3cret")}
	keyless := domain.Client{ID: "other-client", Name: "no apiKey either"}
	putAll(t, s, func(tx ports.Tx, c domain.Client) error { return tx.Clients().Put(ctx, c) }, partner, tap, keyless)
	byKey := func(hash string) (domain.Client, error) {
		var c domain.Client
		err := viewErr(t, s, func(tx ports.Tx) (err error) { c, err = tx.Clients().ByAPIKey(ctx, hash); return err })
		return c, err
	}
	got, err := byKey(domain.HashSecret("example-api-key"))
	if err != nil {
		t.Fatalf("ByAPIKey: %v", err)
	}
	same(t, "ByAPIKey", partner, got)
	wantCode(t, "ByAPIKey of an unknown key", errOf(byKey(domain.HashSecret("wrong-key"))), domain.CodeNotFound)
	wantCode(t, "ByAPIKey of no key", errOf(byKey("")), domain.CodeNotFound)

	thief := domain.Client{ID: "thief", Name: "same key", APIKeyHash: partner.APIKeyHash}
	wantCode(t, "Put of a second client with the same apiKey", s.Update(ctx, func(tx ports.Tx) error {
		return tx.Clients().Put(ctx, thief)
	}), domain.CodeConflict)
	wantCode(t, "Get of a client refused for its apiKey", viewErr(t, s, func(tx ports.Tx) error {
		return errOf(tx.Clients().Get(ctx, "thief"))
	}), domain.CodeNotFound)
	tap.APIKeyHash = partner.APIKeyHash
	wantCode(t, "Put giving a client another's apiKey", s.Update(ctx, func(tx ports.Tx) error {
		return tx.Clients().Put(ctx, tap)
	}), domain.CodeConflict)

	// A rotated key finds the partner, the old one nothing.
	partner.APIKeyHash = domain.HashSecret("rotated-key")
	update(t, s, func(tx ports.Tx) error { return tx.Clients().Put(ctx, partner) })
	wantCode(t, "ByAPIKey of a rotated key", errOf(byKey(domain.HashSecret("example-api-key"))), domain.CodeNotFound)
	got, err = byKey(domain.HashSecret("rotated-key"))
	if err != nil {
		t.Fatalf("ByAPIKey of the new key: %v", err)
	}
	same(t, "ByAPIKey of the new key", partner, got)

	toks := []domain.Token{
		{Hash: domain.HashSecret("partner-token"), ClientID: partner.ID, Kind: domain.APIKey, ExpiresAt: stamp().Add(time.Hour)},
		{Hash: domain.HashSecret("account-token"), ClientID: partner.ID, Kind: domain.APIKey, AccountID: 1248457,
			ExpiresAt: stamp().Add(2 * time.Hour)},
		{Hash: domain.HashSecret("tap-token"), ClientID: tap.ID, Kind: domain.ClientCredentials, ExpiresAt: stamp().Add(time.Hour)},
	}
	putAll(t, s, func(tx ports.Tx, tk domain.Token) error { return tx.Clients().PutToken(ctx, tk) }, toks...)
	for _, tk := range toks {
		got := read(t, s, func(tx ports.Tx) (domain.Token, error) { return tx.Clients().Token(ctx, tk.Hash) })
		same(t, fmt.Sprintf("a %s token of account %d", tk.Kind, tk.AccountID), tk, got)
	}
}

// clientsTokens: Tokens lists one client's tokens of one kind, the one
// expiring first first (ties by hash), and nobody else's; none is an empty
// list.
func clientsTokens(t *testing.T, s ports.Store) {
	ctx := t.Context()
	now := stamp()
	for _, id := range []string{"partner-a", "partner-b"} {
		update(t, s, func(tx ports.Tx) error { return tx.Clients().Put(ctx, domain.Client{ID: id, Name: id}) })
	}
	tok := func(name, client string, kind domain.CredentialKind, expires time.Time) domain.Token {
		return domain.Token{Hash: domain.HashSecret(name), ClientID: client, Kind: kind, ExpiresAt: expires}
	}
	late := tok("a late one", "partner-a", domain.AccessToken, now.Add(48*time.Hour))
	early := tok("an early one", "partner-a", domain.AccessToken, now.Add(time.Hour))
	expired := tok("an expired one", "partner-a", domain.AccessToken, now.Add(-time.Hour))
	tie1 := tok("tie 1", "partner-a", domain.AccessToken, now.Add(24*time.Hour))
	tie2 := tok("tie 2", "partner-a", domain.AccessToken, now.Add(24*time.Hour))
	others := []domain.Token{tok("a's bearer", "partner-a", domain.APIKey, now.Add(time.Hour)),
		tok("b's token", "partner-b", domain.AccessToken, now.Add(time.Hour))}
	putAll(t, s, func(tx ports.Tx, tk domain.Token) error { return tx.Clients().PutToken(ctx, tk) },
		append([]domain.Token{late, early, expired, tie1, tie2}, others...)...)
	want := []domain.Token{expired, early, tie1, tie2, late}
	if tie2.Hash < tie1.Hash {
		want[2], want[3] = tie2, tie1
	}
	got := read(t, s, func(tx ports.Tx) ([]domain.Token, error) {
		return tx.Clients().Tokens(ctx, "partner-a", domain.AccessToken)
	})
	same(t, "partner-a's access tokens", want, got)
	none := read(t, s, func(tx ports.Tx) ([]domain.Token, error) {
		return tx.Clients().Tokens(ctx, "nobody", domain.AccessToken)
	})
	if none == nil || len(none) != 0 {
		t.Errorf("Tokens of a client with none = %#v, want an empty list", none)
	}
}
