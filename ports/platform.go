package ports

import (
	"context"
	"time"

	"github.com/entitle-rules/entitle/domain"
)

// PlatformTx is the part of a transaction every API shares, whatever its
// context: the API clients and their tokens, the audit log of state changes,
// and the stored answers that make write requests idempotent.
type PlatformTx interface {
	Clients() Clients
	Audit() Audit
	Idempotency() Idempotency
}

// Clients stores API clients and the bearer tokens issued to them, both by
// hash only.
type Clients interface {
	// Put inserts or replaces the client with c.ID; an empty ID is CodeInvalid.
	Put(ctx context.Context, c domain.Client) error
	// Get returns the client with id (CodeNotFound).
	Get(ctx context.Context, id string) (domain.Client, error)
	// ByAPIKey returns the client whose APIKeyHash is hash (CodeNotFound).
	// Two clients with one non-empty APIKeyHash is CodeConflict on Put.
	ByAPIKey(ctx context.Context, hash string) (domain.Client, error)
	// PutToken stores a token with its kind and account scope; a second
	// token with the same hash is CodeConflict.
	PutToken(ctx context.Context, t domain.Token) error
	// Token returns the token whose hash is hash (CodeNotFound).
	Token(ctx context.Context, hash string) (domain.Token, error)
	// TouchToken moves the expiry of the token whose hash is hash to
	// expiresAt (CodeNotFound): a session that expires after a time idle
	// (seed 002's VZ-M2M token, 20 minutes) lives on while it is used.
	TouchToken(ctx context.Context, hash string, expiresAt time.Time) error
	// PurgeTokens deletes the tokens that expired before before and
	// returns how many. A token expiring exactly at before is kept.
	PurgeTokens(ctx context.Context, before time.Time) (int, error)
	// Tokens returns the tokens of kind issued to the client with id
	// clientID (none: an empty list), the one expiring first first, ties
	// by hash: what a partner is shown of its X-AccessTokens.
	Tokens(ctx context.Context, clientID string, kind domain.CredentialKind) ([]domain.Token, error)
}

// IdempotencyRecord is the stored answer to a write request, so a retry with
// the same Idempotency-Key gets the first answer and never repeats the write.
//
// A record with Status 0 is a reservation: the first request is still being
// processed, or its process died. Ref tells the two apart once the lease of
// the API that made the reservation has run out (CreatedAt plus the lease;
// the HTTP kit's is httpapi.IdempotencyLease): the request's write binds Ref
// (Idempotency.Bind) in the transaction that commits it, so a reservation
// past its lease with a Ref committed that write and is answered from it,
// and one without a Ref committed nothing and may be released.
type IdempotencyRecord struct {
	ClientID    string
	Key         string
	RequestHash string // of the request's method, path and body
	Status      int    // 0 while reserved
	Body        []byte
	// Ref names what the request committed, such as "order:13331"; "" until
	// its write commits, and for writes that bind nothing.
	Ref       string
	CreatedAt time.Time
}

// Idempotency stores IdempotencyRecords by (client, key).
type Idempotency interface {
	// Get returns the record of clientID's key (CodeNotFound).
	Get(ctx context.Context, clientID, key string) (IdempotencyRecord, error)
	// Put stores a record, usually a reservation; a second record for the
	// same client and key is CodeConflict, whatever its request hash, so of
	// racing requests exactly one reserves the key.
	Put(ctx context.Context, r IdempotencyRecord) error
	// Complete records the answer (status, body) of the request that
	// reserved clientID's key (CodeNotFound when there is no record).
	Complete(ctx context.Context, clientID, key string, status int, body []byte) error
	// Bind sets the Ref of clientID's reservation of key: called by a write
	// in the transaction that commits it, so the reservation names what it
	// committed exactly when the write is committed. Binding the Ref a
	// record already has changes nothing (a store may run a transaction
	// more than once). CodeNotFound when there is no record; CodeConflict
	// when the record has an answer or another Ref; CodeInvalid for an
	// empty ref.
	Bind(ctx context.Context, clientID, key, ref string) error
	// Release deletes clientID's reservation of key, so the key is free for
	// a retry: for a request that ended without a final answer. It deletes
	// only a reservation with neither an answer (Status 0) nor a Ref; a
	// record with either is CodeConflict and stays. CodeNotFound when there
	// is no record.
	Release(ctx context.Context, clientID, key string) error
	// Purge deletes the records created before before and returns how many.
	// Callers keep records at least 24 hours.
	Purge(ctx context.Context, before time.Time) (int, error)
}

// Audit is the append-only log of state changes.
type Audit interface {
	Append(ctx context.Context, e domain.AuditEvent) error
	// List returns the events about subject ("" for all), oldest first.
	List(ctx context.Context, subject string) ([]domain.AuditEvent, error)
	// ByAccount returns one page of the events of account accountID, newest
	// first: skip events then at most limit of them, and how many the
	// account has in all. Another account's events never show.
	ByAccount(ctx context.Context, accountID int64, skip, limit int) ([]domain.AuditEvent, int, error)
}
