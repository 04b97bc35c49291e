package sqlite

import (
	"cmp"
	"context"
	"fmt"
	"time"

	"github.com/entitle-rules/entitle/adapters/internal/sqlrow"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// The repositories of ports.PlatformTx: clients and their tokens, the audit
// log, and idempotency records.

type clients struct{ *tx }

func (t *tx) Clients() ports.Clients { return clients{t} }

const (
	qPutClient = `INSERT INTO clients (id, name, secret_hash, api_key_hash) VALUES (?, ?, ?, ?)
	ON CONFLICT (id) DO UPDATE SET name = excluded.name, secret_hash = excluded.secret_hash, api_key_hash = excluded.api_key_hash`
	qClient         = `SELECT id, name, secret_hash, api_key_hash FROM clients WHERE id = ?`
	qClientByAPIKey = `SELECT id, name, secret_hash, api_key_hash FROM clients WHERE api_key_hash = ? AND api_key_hash <> ''`
	qPutToken       = `INSERT INTO tokens (hash, client_id, kind, account_id, user_id, expires_at) VALUES (?, ?, ?, ?, ?, ?)`
	qToken          = `SELECT hash, client_id, kind, account_id, user_id, expires_at FROM tokens WHERE hash = ?`
	qTouchToken     = `UPDATE tokens SET expires_at = ? WHERE hash = ?`
	// Instants are fixed-width UTC text, so < is "earlier than".
	qPurgeTokens = `DELETE FROM tokens WHERE expires_at < ?`
	qTokensOf    = `SELECT hash, client_id, kind, account_id, user_id, expires_at FROM tokens
	WHERE client_id = ? AND kind = ? ORDER BY expires_at, hash`
)

func (r clients) Put(ctx context.Context, c domain.Client) error {
	if err := r.Write(sqlrow.Required("id", c.ID)); err != nil {
		return err
	}
	_, err := r.exec(ctx, qPutClient, c.ID, c.Name, c.SecretHash, c.APIKeyHash)
	if err != nil {
		return cmp.Or(seatConflict(err, "apiKey", nil), r.Fail(ctx, err, "store client %q", c.ID))
	}
	return nil
}

// ByAPIKey never names the hash in its message: it stands for a credential.
func (r clients) ByAPIKey(ctx context.Context, hash string) (domain.Client, error) {
	return sqlrow.One(ctx, r, "read a client", scanClient, func() error {
		return domain.Errorf(domain.CodeNotFound, "apiKey", "no client has this apiKey")
	}, qClientByAPIKey, hash)
}

func scanClient(r sqlrow.Scanner) (domain.Client, error) {
	var c domain.Client
	err := r.Scan(&c.ID, &c.Name, &c.SecretHash, &c.APIKeyHash)
	return c, err
}

func (r clients) Get(ctx context.Context, id string) (domain.Client, error) {
	return sqlrow.One(ctx, r, "read a client", scanClient, func() error {
		return domain.Errorf(domain.CodeNotFound, "clientId", "no client %q", id)
	}, qClient, id)
}

// PutToken relies on the primary key: a second token with one hash is the
// insert that fails (tokens_pkey in sqlrow's table of problems).
func (r clients) PutToken(ctx context.Context, t domain.Token) error {
	if err := r.Write(sqlrow.Required("hash", t.Hash)); err != nil {
		return err
	}
	_, err := r.exec(ctx, qPutToken, t.Hash, t.ClientID, int(t.Kind), t.AccountID, t.UserID, instant(t.ExpiresAt))
	return r.Fail(ctx, err, "store a token of client %q", t.ClientID)
}

func scanToken(r sqlrow.Scanner) (domain.Token, error) {
	var (
		t   domain.Token
		exp string
	)
	if err := r.Scan(&t.Hash, &t.ClientID, &t.Kind, &t.AccountID, &t.UserID, &exp); err != nil {
		return t, err
	}
	var err error
	if t.ExpiresAt, err = parseInstant(exp, "expires_at"); err != nil {
		return t, fmt.Errorf("a token of client %q: %w", t.ClientID, err)
	}
	return t, nil
}

// Token never names the hash in its message: it is a credential.
func (r clients) Token(ctx context.Context, hash string) (domain.Token, error) {
	return sqlrow.One(ctx, r, "read a token", scanToken, func() error {
		return domain.Errorf(domain.CodeNotFound, "token", "no such token")
	}, qToken, hash)
}

// TouchToken never names the hash in its message: it is a credential.
func (r clients) TouchToken(ctx context.Context, hash string, expiresAt time.Time) error {
	if err := r.Write(); err != nil {
		return err
	}
	n, err := r.exec(ctx, qTouchToken, instant(expiresAt), hash)
	if err != nil {
		return r.Fail(ctx, err, "extend a session")
	}
	if n == 0 {
		return domain.Errorf(domain.CodeNotFound, "token", "no such token")
	}
	return nil
}

// Tokens reads through the tokens_by_client index.
func (r clients) Tokens(ctx context.Context, clientID string, kind domain.CredentialKind) ([]domain.Token, error) {
	out, err := sqlrow.All(ctx, r, "read a client's tokens", scanToken, qTokensOf, clientID, int(kind))
	if out == nil && err == nil {
		out = []domain.Token{}
	}
	return out, err
}

// PurgeTokens uses the expires_at index: it costs what it deletes.
func (r clients) PurgeTokens(ctx context.Context, before time.Time) (int, error) {
	if err := r.Write(); err != nil {
		return 0, err
	}
	n, err := r.exec(ctx, qPurgeTokens, instant(before))
	return int(n), r.Fail(ctx, err, "purge expired tokens")
}

// audit keeps events in the order they were appended (the seq column);
// that order is "oldest first", whatever instants the events carry.
type audit struct{ *tx }

func (t *tx) Audit() ports.Audit { return audit{t} }

const (
	auditColumns = `id, at, actor, command, subject, allowed, codes, ruleset_hash, account_id`
	qAppendAudit = `INSERT INTO audit (` + auditColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
	qAuditAll    = `SELECT ` + auditColumns + ` FROM audit ORDER BY seq`
	qAuditAbout  = `SELECT ` + auditColumns + ` FROM audit WHERE subject = ? ORDER BY seq`
	qAuditOf     = `SELECT ` + auditColumns + ` FROM audit WHERE account_id = ? ORDER BY seq DESC LIMIT ? OFFSET ?`
	qCountAudit  = `SELECT count(*) FROM audit WHERE account_id = ?`
)

func (r audit) Append(ctx context.Context, e domain.AuditEvent) error {
	if err := r.Write(); err != nil {
		return err
	}
	codes, err := text(sqlrow.EncodeJSON(e.Codes))
	if err != nil {
		return err
	}
	_, err = r.exec(ctx, qAppendAudit, e.ID, instant(e.At), e.Actor, e.Command, e.Subject, e.Allowed, codes, e.RulesetHash, e.AccountID)
	return r.Fail(ctx, err, "append audit event %q", e.ID)
}

func scanEvent(r sqlrow.Scanner) (domain.AuditEvent, error) {
	var (
		e     domain.AuditEvent
		at    string
		codes []byte
	)
	if err := r.Scan(&e.ID, &at, &e.Actor, &e.Command, &e.Subject, &e.Allowed, &codes, &e.RulesetHash, &e.AccountID); err != nil {
		return e, err
	}
	var err error
	if e.At, err = parseInstant(at, "at"); err != nil {
		return e, fmt.Errorf("audit event %q: %w", e.ID, err)
	}
	if err := sqlrow.DecodeJSON(codes, &e.Codes); err != nil {
		return e, fmt.Errorf("audit event %q: codes: %w", e.ID, err)
	}
	return e, nil
}

func (r audit) List(ctx context.Context, subject string) ([]domain.AuditEvent, error) {
	if subject == "" {
		return sqlrow.All(ctx, r, "read the audit log", scanEvent, qAuditAll)
	}
	return sqlrow.All(ctx, r, "read the audit log", scanEvent, qAuditAbout, subject)
}

func (r audit) ByAccount(ctx context.Context, accountID int64, skip, limit int) ([]domain.AuditEvent, int, error) {
	total, err := sqlrow.One(ctx, r, "count an account's audit events", sqlrow.Value[int], func() error { return nil }, qCountAudit, accountID)
	if err != nil {
		return nil, 0, err
	}
	page, err := sqlrow.All(ctx, r, "read an account's audit events", scanEvent, qAuditOf, accountID, sqlLimit(limit), max(skip, 0))
	return page, total, err
}

type idempotency struct{ *tx }

func (t *tx) Idempotency() ports.Idempotency { return idempotency{t} }

const (
	qIdem         = `SELECT client_id, idem_key, request_hash, status, body, ref, created_at FROM idempotency WHERE client_id = ? AND idem_key = ?`
	qPutIdem      = `INSERT INTO idempotency (client_id, idem_key, request_hash, status, body, ref, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`
	qCompleteIdem = `UPDATE idempotency SET status = ?, body = ? WHERE client_id = ? AND idem_key = ?`
	// Bind and Release change only a reservation that is unanswered and
	// unbound (or, for Bind, already bound to the same ref); when they
	// change no row, a read tells a missing record from a kept one.
	qBindIdem    = `UPDATE idempotency SET ref = ? WHERE client_id = ? AND idem_key = ? AND status = 0 AND ref IN ('', ?)`
	qReleaseIdem = `DELETE FROM idempotency WHERE client_id = ? AND idem_key = ? AND status = 0 AND ref = ''`
	// Instants are fixed-width UTC text, so < is "earlier than".
	qPurgeIdem = `DELETE FROM idempotency WHERE created_at < ?`
)

func scanRecord(r sqlrow.Scanner) (ports.IdempotencyRecord, error) {
	var (
		rec ports.IdempotencyRecord
		at  string
	)
	if err := r.Scan(&rec.ClientID, &rec.Key, &rec.RequestHash, &rec.Status, &rec.Body, &rec.Ref, &at); err != nil {
		return rec, err
	}
	var err error
	if rec.CreatedAt, err = parseInstant(at, "created_at"); err != nil {
		return rec, fmt.Errorf("idempotency record %q: %w", rec.Key, err)
	}
	return rec, nil
}

func (r idempotency) Get(ctx context.Context, clientID, key string) (ports.IdempotencyRecord, error) {
	return sqlrow.One(ctx, r, "read an idempotency record", scanRecord, func() error { return noRecord(key) }, qIdem, clientID, key)
}

func noRecord(key string) error {
	return domain.Errorf(domain.CodeNotFound, "Idempotency-Key", "no record of key %q", key)
}

// Put relies on the primary key (client, key): a second record is the
// insert that fails, whatever its request hash.
func (r idempotency) Put(ctx context.Context, rec ports.IdempotencyRecord) error {
	if err := r.Write(sqlrow.Required("key", rec.Key)); err != nil {
		return err
	}
	_, err := r.exec(ctx, qPutIdem, rec.ClientID, rec.Key, rec.RequestHash, rec.Status, nonNil(rec.Body), rec.Ref, instant(rec.CreatedAt))
	if isUnique(err) {
		return conflict(err, "Idempotency-Key", "key %q is already used", rec.Key)
	}
	return r.Fail(ctx, err, "store the record of key %q", rec.Key)
}

// Complete answers a reservation; it changes nothing but status and body.
func (r idempotency) Complete(ctx context.Context, clientID, key string, status int, body []byte) error {
	if err := r.Write(); err != nil {
		return err
	}
	n, err := r.exec(ctx, qCompleteIdem, status, nonNil(body), clientID, key)
	if err != nil {
		return r.Fail(ctx, err, "complete the record of key %q", key)
	}
	if n == 0 {
		return noRecord(key)
	}
	return nil
}

func (r idempotency) Bind(ctx context.Context, clientID, key, ref string) error {
	if err := r.Write(sqlrow.Required("ref", ref)); err != nil {
		return err
	}
	n, err := r.exec(ctx, qBindIdem, ref, clientID, key, ref)
	if err != nil {
		return r.Fail(ctx, err, "bind the record of key %q", key)
	}
	if n == 0 {
		return r.kept(ctx, clientID, key, "is answered or bound to another write")
	}
	return nil
}

func (r idempotency) Release(ctx context.Context, clientID, key string) error {
	if err := r.Write(); err != nil {
		return err
	}
	n, err := r.exec(ctx, qReleaseIdem, clientID, key)
	if err != nil {
		return r.Fail(ctx, err, "release the record of key %q", key)
	}
	if n == 0 {
		return r.kept(ctx, clientID, key, "is answered or bound to a write; it stays")
	}
	return nil
}

// kept explains why Bind or Release changed no row: CodeNotFound when there
// is no record, else CodeConflict saying why.
func (r idempotency) kept(ctx context.Context, clientID, key, why string) error {
	if _, err := r.Get(ctx, clientID, key); err != nil {
		return err
	}
	return domain.Errorf(domain.CodeConflict, "Idempotency-Key", "key %q %s", key, why)
}

// Purge uses the created_at index: it costs what it deletes.
func (r idempotency) Purge(ctx context.Context, before time.Time) (int, error) {
	if err := r.Write(); err != nil {
		return 0, err
	}
	n, err := r.exec(ctx, qPurgeIdem, instant(before))
	return int(n), r.Fail(ctx, err, "purge idempotency records")
}

// nonNil is b for a BLOB NOT NULL column: nil and empty read back alike.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
