package postgres

import (
	"context"
	"time"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

type clients struct{ *tx }

func (r clients) Put(ctx context.Context, c domain.Client) error {
	if err := r.write(); err != nil {
		return err
	}
	if err := required("id", c.ID); err != nil {
		return err
	}
	_, err := r.exec(ctx, "Clients.Put", `INSERT INTO clients (id, name, secret_hash) VALUES ($1, $2, $3)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, secret_hash = excluded.secret_hash`, c.ID, c.Name, c.SecretHash)
	return err
}

func (r clients) Get(ctx context.Context, id string) (domain.Client, error) {
	if err := r.read(); err != nil {
		return domain.Client{}, err
	}
	var c domain.Client
	found, err := r.one(ctx, "Clients.Get", `SELECT id, name, secret_hash FROM clients WHERE id = $1`, []any{id}, &c.ID, &c.Name, &c.SecretHash)
	if err == nil && !found {
		err = domain.Errorf(domain.CodeNotFound, "clientId", "no client %q", id)
	}
	return c, err
}

// PutToken refuses a second token with the same hash through the primary
// key, with ON CONFLICT DO NOTHING so the refusal leaves the transaction
// usable.
func (r clients) PutToken(ctx context.Context, t domain.Token) error {
	if err := r.write(); err != nil {
		return err
	}
	if err := required("hash", t.Hash); err != nil {
		return err
	}
	tag, err := r.exec(ctx, "Clients.PutToken", `INSERT INTO tokens (hash, client_id, expires_at) VALUES ($1, $2, $3)
		ON CONFLICT (hash) DO NOTHING`, t.Hash, t.ClientID, t.ExpiresAt)
	if err == nil && tag.RowsAffected() == 0 {
		err = domain.Errorf(domain.CodeConflict, "token", "a token with this hash exists")
	}
	return err
}

func (r clients) Token(ctx context.Context, hash string) (domain.Token, error) {
	if err := r.read(); err != nil {
		return domain.Token{}, err
	}
	var t domain.Token
	found, err := r.one(ctx, "Clients.Token", `SELECT hash, client_id, expires_at FROM tokens WHERE hash = $1`,
		[]any{hash}, &t.Hash, &t.ClientID, &t.ExpiresAt)
	if err == nil && !found {
		err = domain.Errorf(domain.CodeNotFound, "token", "no such token")
	}
	t.ExpiresAt = utc(t.ExpiresAt)
	return t, err
}

type idempotency struct{ *tx }

func (r idempotency) Get(ctx context.Context, clientID, key string) (ports.IdempotencyRecord, error) {
	if err := r.read(); err != nil {
		return ports.IdempotencyRecord{}, err
	}
	var rec ports.IdempotencyRecord
	found, err := r.one(ctx, "Idempotency.Get", `SELECT client_id, key, request_hash, status, body, created_at
		FROM idempotency_records WHERE client_id = $1 AND key = $2`, []any{clientID, key},
		&rec.ClientID, &rec.Key, &rec.RequestHash, &rec.Status, &rec.Body, &rec.CreatedAt)
	if err == nil && !found {
		err = domain.Errorf(domain.CodeNotFound, "Idempotency-Key", "no record of key %q", key)
	}
	rec.CreatedAt = utc(rec.CreatedAt)
	return rec, err
}

// Put refuses a second record for the client and key through the primary
// key, with ON CONFLICT DO NOTHING so the refusal leaves the transaction
// usable (a caller may then Get the first answer in it).
func (r idempotency) Put(ctx context.Context, rec ports.IdempotencyRecord) error {
	if err := r.write(); err != nil {
		return err
	}
	if err := required("key", rec.Key); err != nil {
		return err
	}
	body := rec.Body
	if body == nil {
		body = []byte{}
	}
	tag, err := r.exec(ctx, "Idempotency.Put", `INSERT INTO idempotency_records (client_id, key, request_hash, status, body, created_at)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (client_id, key) DO NOTHING`,
		rec.ClientID, rec.Key, rec.RequestHash, rec.Status, body, rec.CreatedAt)
	if err == nil && tag.RowsAffected() == 0 {
		err = domain.Errorf(domain.CodeConflict, "Idempotency-Key", "key %q is already used", rec.Key)
	}
	return err
}

func (r idempotency) Complete(ctx context.Context, clientID, key string, status int, body []byte) error {
	if err := r.write(); err != nil {
		return err
	}
	if body == nil {
		body = []byte{}
	}
	tag, err := r.exec(ctx, "Idempotency.Complete", `UPDATE idempotency_records SET status = $3, body = $4
		WHERE client_id = $1 AND key = $2`, clientID, key, status, body)
	if err == nil && tag.RowsAffected() == 0 {
		err = domain.Errorf(domain.CodeNotFound, "Idempotency-Key", "no record of key %q", key)
	}
	return err
}

// Purge deletes through the index on created_at.
func (r idempotency) Purge(ctx context.Context, before time.Time) (int, error) {
	if err := r.write(); err != nil {
		return 0, err
	}
	tag, err := r.exec(ctx, "Idempotency.Purge", `DELETE FROM idempotency_records WHERE created_at < $1`, before)
	return int(tag.RowsAffected()), err
}
