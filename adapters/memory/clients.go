package memory

import (
	"context"
	"time"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

type clients struct{ *tx }

func (r clients) Put(_ context.Context, c domain.Client) error {
	if err := r.write(); err != nil {
		return err
	}
	if err := required("id", c.ID); err != nil {
		return err
	}
	r.db.clients.put(c.ID, c)
	return nil
}

func (r clients) Get(_ context.Context, id string) (domain.Client, error) {
	if err := r.read(); err != nil {
		return domain.Client{}, err
	}
	c, ok := r.db.clients.get(id)
	if !ok {
		return domain.Client{}, domain.Errorf(domain.CodeNotFound, "clientId", "no client %q", id)
	}
	return c, nil
}

func (r clients) PutToken(_ context.Context, t domain.Token) error {
	if err := r.write(); err != nil {
		return err
	}
	if err := required("hash", t.Hash); err != nil {
		return err
	}
	if _, dup := r.db.tokens.get(t.Hash); dup {
		return domain.Errorf(domain.CodeConflict, "token", "a token with this hash exists")
	}
	r.db.tokens.put(t.Hash, t)
	return nil
}

func (r clients) Token(_ context.Context, hash string) (domain.Token, error) {
	if err := r.read(); err != nil {
		return domain.Token{}, err
	}
	t, ok := r.db.tokens.get(hash)
	if !ok {
		return domain.Token{}, domain.Errorf(domain.CodeNotFound, "token", "no such token")
	}
	return t, nil
}

type idemKey struct{ client, key string }

type idempotency struct{ *tx }

func (r idempotency) Get(_ context.Context, clientID, key string) (ports.IdempotencyRecord, error) {
	if err := r.read(); err != nil {
		return ports.IdempotencyRecord{}, err
	}
	rec, ok := r.db.idem.get(idemKey{clientID, key})
	if !ok {
		return ports.IdempotencyRecord{}, domain.Errorf(domain.CodeNotFound, "Idempotency-Key", "no record of key %q", key)
	}
	return rec, nil
}

func (r idempotency) Put(_ context.Context, rec ports.IdempotencyRecord) error {
	if err := r.write(); err != nil {
		return err
	}
	if err := required("key", rec.Key); err != nil {
		return err
	}
	k := idemKey{rec.ClientID, rec.Key}
	if _, dup := r.db.idem.get(k); dup {
		return domain.Errorf(domain.CodeConflict, "Idempotency-Key", "key %q is already used", rec.Key)
	}
	r.db.idem.put(k, rec)
	return nil
}

func (r idempotency) Complete(_ context.Context, clientID, key string, status int, body []byte) error {
	if err := r.write(); err != nil {
		return err
	}
	k := idemKey{clientID, key}
	rec, ok := r.db.idem.get(k)
	if !ok {
		return domain.Errorf(domain.CodeNotFound, "Idempotency-Key", "no record of key %q", key)
	}
	rec.Status, rec.Body = status, body
	r.db.idem.put(k, rec)
	return nil
}

// Purge scans every record; it runs rarely, off the request path.
func (r idempotency) Purge(_ context.Context, before time.Time) (int, error) {
	if err := r.write(); err != nil {
		return 0, err
	}
	n := 0
	for _, rec := range r.db.idem.all() {
		if rec.CreatedAt.Before(before) {
			r.db.idem.del(idemKey{rec.ClientID, rec.Key})
			n++
		}
	}
	return n, nil
}
