package postgres

import (
	"context"
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
	qPutClient = `INSERT INTO clients (id, name, secret_hash, api_key_hash) VALUES ($1, $2, $3, $4)
	ON CONFLICT (id) DO UPDATE SET name = excluded.name, secret_hash = excluded.secret_hash,
		api_key_hash = excluded.api_key_hash`
	// qAPIKeyOwner finds another client holding an apiKey hash, so Put names
	// the conflict and leaves the transaction usable; the partial unique
	// index clients_api_key_hash catches the racing one.
	qAPIKeyOwner  = `SELECT id FROM clients WHERE api_key_hash = $1 AND id <> $2`
	clientColumns = `id, name, secret_hash, api_key_hash`
	qClient       = `SELECT ` + clientColumns + ` FROM clients WHERE id = $1`
	qClientByKey  = `SELECT ` + clientColumns + ` FROM clients WHERE api_key_hash = $1 AND api_key_hash <> ''`
	// ON CONFLICT DO NOTHING: a second token with one hash changes no row,
	// and the refusal leaves the transaction usable.
	qPutToken = `INSERT INTO tokens (hash, client_id, kind, account_id, user_id, expires_at) VALUES ($1, $2, $3, $4, $5, $6)
	ON CONFLICT (hash) DO NOTHING`
	qToken       = `SELECT hash, client_id, kind, account_id, user_id, expires_at FROM tokens WHERE hash = $1`
	qTouchToken  = `UPDATE tokens SET expires_at = $2 WHERE hash = $1`
	qPurgeTokens = `DELETE FROM tokens WHERE expires_at < $1`
	qTokensOf    = `SELECT hash, client_id, kind, account_id, user_id, expires_at FROM tokens
	WHERE client_id = $1 AND kind = $2 ORDER BY expires_at, hash`
)

func (r clients) Put(ctx context.Context, c domain.Client) error {
	if err := r.Write(sqlrow.Required("id", c.ID)); err != nil {
		return err
	}
	if c.APIKeyHash != "" {
		owners, err := sqlrow.All(ctx, r, "find who holds an apiKey", sqlrow.Value[string], qAPIKeyOwner, c.APIKeyHash, c.ID)
		if err != nil {
			return err
		}
		if len(owners) > 0 {
			return domain.Errorf(domain.CodeConflict, "apiKey", "client %q already has this apiKey", owners[0])
		}
	}
	_, err := r.exec(ctx, qPutClient, c.ID, c.Name, c.SecretHash, c.APIKeyHash)
	return r.Fail(ctx, err, "store client %q", c.ID)
}

func scanClient(r sqlrow.Scanner) (domain.Client, error) {
	var c domain.Client
	err := r.Scan(&c.ID, &c.Name, &c.SecretHash, &c.APIKeyHash)
	return c, err
}

// ByAPIKey never names the hash in its message: it stands for a credential.
// An empty hash is no client's.
func (r clients) ByAPIKey(ctx context.Context, hash string) (domain.Client, error) {
	return sqlrow.One(ctx, r, "read a client by apiKey", scanClient, func() error {
		return domain.Errorf(domain.CodeNotFound, "apiKey", "no client has this apiKey")
	}, qClientByKey, hash)
}

func (r clients) Get(ctx context.Context, id string) (domain.Client, error) {
	return sqlrow.One(ctx, r, "read a client", scanClient, func() error {
		return domain.Errorf(domain.CodeNotFound, "clientId", "no client %q", id)
	}, qClient, id)
}

// PutToken relies on the primary key: a second token with one hash is the
// insert that changes nothing (tokens_pkey in sqlrow's table of problems).
func (r clients) PutToken(ctx context.Context, t domain.Token) error {
	if err := r.Write(sqlrow.Required("hash", t.Hash)); err != nil {
		return err
	}
	n, err := r.exec(ctx, qPutToken, t.Hash, t.ClientID, int16(t.Kind), t.AccountID, t.UserID, t.ExpiresAt)
	if err == nil && n == 0 {
		return sqlrow.ConstraintError(sqlrow.Unique, "tokens_pkey", "store a token", nil)
	}
	return r.Fail(ctx, err, "store a token of client %q", t.ClientID)
}

func scanToken(r sqlrow.Scanner) (domain.Token, error) {
	var (
		t    domain.Token
		kind int16
	)
	err := r.Scan(&t.Hash, &t.ClientID, &kind, &t.AccountID, &t.UserID, &t.ExpiresAt)
	t.Kind = domain.CredentialKind(kind)
	t.ExpiresAt = utc(t.ExpiresAt)
	return t, err
}

// Token never names the hash in its message: it is a credential.
func (r clients) Token(ctx context.Context, hash string) (domain.Token, error) {
	return sqlrow.One(ctx, r, "read a token", scanToken, func() error {
		return domain.Errorf(domain.CodeNotFound, "token", "no such token")
	}, qToken, hash)
}

// TouchToken is one UPDATE through the primary key; like Token, it never
// names the hash.
func (r clients) TouchToken(ctx context.Context, hash string, expiresAt time.Time) error {
	if err := r.Write(sqlrow.Required("hash", hash)); err != nil {
		return err
	}
	n, err := r.exec(ctx, qTouchToken, hash, expiresAt)
	if err != nil {
		return r.Fail(ctx, err, "move a token's expiry")
	}
	if n == 0 {
		return domain.Errorf(domain.CodeNotFound, "token", "no such token")
	}
	return nil
}

// Tokens reads through the index on client_id.
func (r clients) Tokens(ctx context.Context, clientID string, kind domain.CredentialKind) ([]domain.Token, error) {
	out, err := sqlrow.All(ctx, r, "read a client's tokens", scanToken, qTokensOf, clientID, int(kind))
	if out == nil && err == nil {
		out = []domain.Token{}
	}
	return out, err
}

// PurgeTokens deletes through the index on expires_at: it costs what it
// deletes.
func (r clients) PurgeTokens(ctx context.Context, before time.Time) (int, error) {
	if err := r.Write(); err != nil {
		return 0, err
	}
	n, err := r.exec(ctx, qPurgeTokens, before)
	return int(n), r.Fail(ctx, err, "purge expired tokens")
}

// audit keeps events in the order they were appended (audit_events.seq);
// that order is "oldest first", whatever instants the events carry.
type audit struct{ *tx }

func (t *tx) Audit() ports.Audit { return audit{t} }

const (
	auditColumns = `id, at, actor, command, subject, allowed, codes, ruleset_hash, account_id`
	qAppendAudit = `INSERT INTO audit_events (` + auditColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`
	qAuditAll    = `SELECT ` + auditColumns + ` FROM audit_events ORDER BY seq`
	qAuditAbout  = `SELECT ` + auditColumns + ` FROM audit_events WHERE subject = $1 ORDER BY seq`
	qAuditOf     = `SELECT ` + auditColumns + ` FROM audit_events WHERE account_id = $1 ORDER BY seq DESC LIMIT $2 OFFSET $3`
	qCountAudit  = `SELECT count(*) FROM audit_events WHERE account_id = $1`
)

func (r audit) Append(ctx context.Context, e domain.AuditEvent) error {
	if err := r.Write(); err != nil {
		return err
	}
	_, err := r.exec(ctx, qAppendAudit, e.ID, e.At, e.Actor, e.Command, e.Subject, e.Allowed, texts(e.Codes), e.RulesetHash, e.AccountID)
	return r.Fail(ctx, err, "append audit event %q", e.ID)
}

func scanEvent(r sqlrow.Scanner) (domain.AuditEvent, error) {
	var e domain.AuditEvent
	err := r.Scan(&e.ID, &e.At, &e.Actor, &e.Command, &e.Subject, &e.Allowed, &e.Codes, &e.RulesetHash, &e.AccountID)
	e.At = utc(e.At)
	return e, err
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
	page, err := sqlrow.All(ctx, r, "read an account's audit events", scanEvent, qAuditOf, accountID, limitArg(limit), offsetArg(skip))
	return page, total, err
}

type idempotency struct{ *tx }

func (t *tx) Idempotency() ports.Idempotency { return idempotency{t} }

const (
	qIdem = `SELECT client_id, key, request_hash, status, body, ref, created_at FROM idempotency_records
	WHERE client_id = $1 AND key = $2`
	// ON CONFLICT DO NOTHING: a second record for the client and key changes
	// no row, and the refusal leaves the transaction usable (a caller may
	// then Get the first answer in it).
	qPutIdem = `INSERT INTO idempotency_records (client_id, key, request_hash, status, body, ref, created_at)
	VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (client_id, key) DO NOTHING`
	qCompleteIdem = `UPDATE idempotency_records SET status = $3, body = $4 WHERE client_id = $1 AND key = $2`
	// Bind and Release change only a reservation that is unanswered and
	// unbound (or, for Bind, already bound to the same ref); when they
	// change no row, a read tells a missing record from a kept one. Under
	// READ COMMITTED a Release waiting on a Bind's row lock re-checks ref
	// once the Bind commits, and then keeps the bound record.
	qBindIdem    = `UPDATE idempotency_records SET ref = $3 WHERE client_id = $1 AND key = $2 AND status = 0 AND ref IN ('', $3)`
	qReleaseIdem = `DELETE FROM idempotency_records WHERE client_id = $1 AND key = $2 AND status = 0 AND ref = ''`
	qPurgeIdem   = `DELETE FROM idempotency_records WHERE created_at < $1`
)

func scanRecord(r sqlrow.Scanner) (ports.IdempotencyRecord, error) {
	var rec ports.IdempotencyRecord
	err := r.Scan(&rec.ClientID, &rec.Key, &rec.RequestHash, &rec.Status, &rec.Body, &rec.Ref, &rec.CreatedAt)
	rec.CreatedAt = utc(rec.CreatedAt)
	return rec, err
}

func (r idempotency) Get(ctx context.Context, clientID, key string) (ports.IdempotencyRecord, error) {
	return sqlrow.One(ctx, r, "read an idempotency record", scanRecord, func() error { return noRecord(key) }, qIdem, clientID, key)
}

func noRecord(key string) error {
	return domain.Errorf(domain.CodeNotFound, "Idempotency-Key", "no record of key %q", key)
}

// Put refuses a second record for the client and key through the primary
// key, whatever its request hash.
func (r idempotency) Put(ctx context.Context, rec ports.IdempotencyRecord) error {
	if err := r.Write(sqlrow.Required("key", rec.Key)); err != nil {
		return err
	}
	n, err := r.exec(ctx, qPutIdem, rec.ClientID, rec.Key, rec.RequestHash, rec.Status, nonNil(rec.Body), rec.Ref, rec.CreatedAt)
	if err == nil && n == 0 {
		return domain.Errorf(domain.CodeConflict, "Idempotency-Key", "key %q is already used", rec.Key)
	}
	return r.Fail(ctx, err, "store the record of key %q", rec.Key)
}

// Complete answers a reservation; it changes nothing but status and body.
func (r idempotency) Complete(ctx context.Context, clientID, key string, status int, body []byte) error {
	if err := r.Write(); err != nil {
		return err
	}
	n, err := r.exec(ctx, qCompleteIdem, clientID, key, status, nonNil(body))
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
	n, err := r.exec(ctx, qBindIdem, clientID, key, ref)
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

// Purge deletes through the index on created_at: it costs what it deletes.
func (r idempotency) Purge(ctx context.Context, before time.Time) (int, error) {
	if err := r.Write(); err != nil {
		return 0, err
	}
	n, err := r.exec(ctx, qPurgeIdem, before)
	return int(n), r.Fail(ctx, err, "purge idempotency records")
}

// nonNil is b for a bytea NOT NULL column: nil and empty read back alike.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
