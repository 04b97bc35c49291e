package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

type clients struct{ *tx }

const (
	qPutClient = `INSERT INTO clients (id, name, secret_hash) VALUES (?, ?, ?)
	ON CONFLICT (id) DO UPDATE SET name = excluded.name, secret_hash = excluded.secret_hash`
	qClient   = `SELECT id, name, secret_hash FROM clients WHERE id = ?`
	qPutToken = `INSERT INTO tokens (hash, client_id, expires_at) VALUES (?, ?, ?)`
	qToken    = `SELECT hash, client_id, expires_at FROM tokens WHERE hash = ?`
)

func (r clients) Put(ctx context.Context, c domain.Client) error {
	if err := r.write(); err != nil {
		return err
	}
	if err := required("id", c.ID); err != nil {
		return err
	}
	_, err := r.exec(ctx, qPutClient, c.ID, c.Name, c.SecretHash)
	return r.fail(ctx, err, "sqlite: store client %q", c.ID)
}

func (r clients) Get(ctx context.Context, id string) (domain.Client, error) {
	return one(ctx, r.tx, "read a client", func(s scanner) (domain.Client, error) {
		var c domain.Client
		err := s.Scan(&c.ID, &c.Name, &c.SecretHash)
		return c, err
	}, func() error { return domain.Errorf(domain.CodeNotFound, "clientId", "no client %q", id) }, qClient, id)
}

// PutToken relies on the primary key: a second token with one hash is the
// insert that fails.
func (r clients) PutToken(ctx context.Context, t domain.Token) error {
	if err := r.write(); err != nil {
		return err
	}
	if err := required("hash", t.Hash); err != nil {
		return err
	}
	_, err := r.exec(ctx, qPutToken, t.Hash, t.ClientID, instant(t.ExpiresAt))
	if isUnique(err) {
		return conflict(err, "token", "a token with this hash exists")
	}
	return r.fail(ctx, err, "sqlite: store a token of client %q", t.ClientID)
}

// Token never names the hash in its message: it is a credential.
func (r clients) Token(ctx context.Context, hash string) (domain.Token, error) {
	return one(ctx, r.tx, "read a token", func(s scanner) (domain.Token, error) {
		var t domain.Token
		var exp string
		if err := s.Scan(&t.Hash, &t.ClientID, &exp); err != nil {
			return t, err
		}
		var err error
		if t.ExpiresAt, err = parseInstant(exp); err != nil {
			return t, fmt.Errorf("a token of client %q: expires_at: %w", t.ClientID, err)
		}
		return t, nil
	}, func() error { return domain.Errorf(domain.CodeNotFound, "token", "no such token") }, qToken, hash)
}

type idempotency struct{ *tx }

const (
	qIdem         = `SELECT client_id, idem_key, request_hash, status, body, created_at FROM idempotency WHERE client_id = ? AND idem_key = ?`
	qPutIdem      = `INSERT INTO idempotency (client_id, idem_key, request_hash, status, body, created_at) VALUES (?, ?, ?, ?, ?, ?)`
	qCompleteIdem = `UPDATE idempotency SET status = ?, body = ? WHERE client_id = ? AND idem_key = ?`
	// Instants are fixed-width UTC text, so < is "earlier than".
	qPurgeIdem = `DELETE FROM idempotency WHERE created_at < ?`
)

func (r idempotency) Get(ctx context.Context, clientID, key string) (ports.IdempotencyRecord, error) {
	return one(ctx, r.tx, "read an idempotency record", func(s scanner) (ports.IdempotencyRecord, error) {
		var rec ports.IdempotencyRecord
		var at string
		if err := s.Scan(&rec.ClientID, &rec.Key, &rec.RequestHash, &rec.Status, &rec.Body, &at); err != nil {
			return rec, err
		}
		var err error
		if rec.CreatedAt, err = parseInstant(at); err != nil {
			return rec, fmt.Errorf("idempotency record %q: created_at: %w", rec.Key, err)
		}
		return rec, nil
	}, func() error {
		return domain.Errorf(domain.CodeNotFound, "Idempotency-Key", "no record of key %q", key)
	}, qIdem, clientID, key)
}

// Put relies on the primary key (client, key): a second record is the
// insert that fails, whatever its request hash.
func (r idempotency) Put(ctx context.Context, rec ports.IdempotencyRecord) error {
	if err := r.write(); err != nil {
		return err
	}
	if err := required("key", rec.Key); err != nil {
		return err
	}
	body := rec.Body
	if body == nil {
		body = []byte{} // the column is NOT NULL; nil and empty read back alike
	}
	_, err := r.exec(ctx, qPutIdem, rec.ClientID, rec.Key, rec.RequestHash, rec.Status, body, instant(rec.CreatedAt))
	if isUnique(err) {
		return conflict(err, "Idempotency-Key", "key %q is already used", rec.Key)
	}
	return r.fail(ctx, err, "sqlite: store the record of key %q", rec.Key)
}

// Complete answers a reservation; it changes nothing but status and body.
func (r idempotency) Complete(ctx context.Context, clientID, key string, status int, body []byte) error {
	if err := r.write(); err != nil {
		return err
	}
	if body == nil {
		body = []byte{}
	}
	res, err := r.exec(ctx, qCompleteIdem, status, body, clientID, key)
	if err != nil {
		return r.fail(ctx, err, "sqlite: complete the record of key %q", key)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return r.fail(ctx, err, "sqlite: complete the record of key %q", key)
	}
	if n == 0 {
		return domain.Errorf(domain.CodeNotFound, "Idempotency-Key", "no record of key %q", key)
	}
	return nil
}

// Purge uses the created_at index: it costs what it deletes.
func (r idempotency) Purge(ctx context.Context, before time.Time) (int, error) {
	if err := r.write(); err != nil {
		return 0, err
	}
	res, err := r.exec(ctx, qPurgeIdem, instant(before))
	if err != nil {
		return 0, r.fail(ctx, err, "sqlite: purge idempotency records")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, r.fail(ctx, err, "sqlite: purge idempotency records")
	}
	return int(n), nil
}
