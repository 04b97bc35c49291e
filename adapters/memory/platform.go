package memory

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/entitle-rules/entitle/adapters/internal/sqlrow"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// The repositories of ports.PlatformTx: clients and their tokens, the audit
// log, and idempotency records.

type clients struct{ *tx }

func (t *tx) Clients() ports.Clients { return clients{t} }

func (r clients) Put(_ context.Context, c domain.Client) error {
	if err := r.Write(sqlrow.Required("id", c.ID)); err != nil {
		return err
	}
	if c.APIKeyHash != "" {
		if other, ok := r.db.clientsByKey.get(c.APIKeyHash); ok && other != c.ID {
			return domain.Errorf(domain.CodeConflict, "apiKey", "another client has this apiKey")
		}
	}
	if old, ok := r.db.clients.get(c.ID); ok && old.APIKeyHash != "" && old.APIKeyHash != c.APIKeyHash {
		r.db.clientsByKey.del(old.APIKeyHash)
	}
	if c.APIKeyHash != "" {
		r.db.clientsByKey.put(c.APIKeyHash, c.ID)
	}
	r.db.clients.put(c.ID, c)
	return nil
}

// ByAPIKey never names the hash in its message: it stands for a credential.
func (r clients) ByAPIKey(ctx context.Context, hash string) (domain.Client, error) {
	if err := r.Read(); err != nil {
		return domain.Client{}, err
	}
	id, ok := r.db.clientsByKey.get(hash)
	if !ok || hash == "" {
		return domain.Client{}, domain.Errorf(domain.CodeNotFound, "apiKey", "no client has this apiKey")
	}
	return r.Get(ctx, id)
}

func (r clients) Get(_ context.Context, id string) (domain.Client, error) {
	if err := r.Read(); err != nil {
		return domain.Client{}, err
	}
	c, ok := r.db.clients.get(id)
	if !ok {
		return domain.Client{}, domain.Errorf(domain.CodeNotFound, "clientId", "no client %q", id)
	}
	return c, nil
}

func (r clients) PutToken(_ context.Context, t domain.Token) error {
	if err := r.Write(sqlrow.Required("hash", t.Hash)); err != nil {
		return err
	}
	if _, dup := r.db.tokens.get(t.Hash); dup {
		return domain.Errorf(domain.CodeConflict, "token", "a token with this hash exists")
	}
	r.db.tokens.put(t.Hash, t)
	return nil
}

func (r clients) Token(_ context.Context, hash string) (domain.Token, error) {
	if err := r.Read(); err != nil {
		return domain.Token{}, err
	}
	t, ok := r.db.tokens.get(hash)
	if !ok {
		return domain.Token{}, domain.Errorf(domain.CodeNotFound, "token", "no such token")
	}
	return t, nil
}

func (r clients) TouchToken(_ context.Context, hash string, expiresAt time.Time) error {
	if err := r.Write(); err != nil {
		return err
	}
	t, ok := r.db.tokens.get(hash)
	if !ok {
		return domain.Errorf(domain.CodeNotFound, "token", "no such token")
	}
	t.ExpiresAt = expiresAt
	r.db.tokens.put(hash, t)
	return nil
}

// Tokens scans every token; a partner's page reads it, off the decision
// path.
func (r clients) Tokens(_ context.Context, clientID string, kind domain.CredentialKind) ([]domain.Token, error) {
	if err := r.Read(); err != nil {
		return nil, err
	}
	out := []domain.Token{}
	for _, t := range r.db.tokens.all() {
		if t.ClientID == clientID && t.Kind == kind {
			out = append(out, t)
		}
	}
	slices.SortFunc(out, func(a, b domain.Token) int {
		return cmp.Or(a.ExpiresAt.Compare(b.ExpiresAt), strings.Compare(a.Hash, b.Hash))
	})
	return out, nil
}

// PurgeTokens scans every token; it runs rarely, off the request path.
func (r clients) PurgeTokens(_ context.Context, before time.Time) (int, error) {
	if err := r.Write(); err != nil {
		return 0, err
	}
	n := 0
	for _, t := range r.db.tokens.all() {
		if t.ExpiresAt.Before(before) {
			r.db.tokens.del(t.Hash)
			n++
		}
	}
	return n, nil
}

// audit keeps events in the order they were appended, numbered from 1; that
// order is "oldest first", whatever instants the events carry.
type audit struct{ *tx }

func (t *tx) Audit() ports.Audit { return audit{t} }

func (r audit) Append(_ context.Context, e domain.AuditEvent) error {
	if err := r.Write(); err != nil {
		return err
	}
	r.db.seq.audit++
	r.db.audit.put(r.db.seq.audit, e)
	push(&r.db.auditBySubject, e.Subject, r.db.seq.audit)
	if e.AccountID != 0 {
		push(&r.db.auditByAccount, e.AccountID, r.db.seq.audit)
	}
	return nil
}

func (r audit) ByAccount(_ context.Context, accountID int64, skip, limit int) ([]domain.AuditEvent, int, error) {
	if err := r.Read(); err != nil {
		return nil, 0, err
	}
	seqs, _ := r.db.auditByAccount.get(accountID)
	total := len(seqs)
	// Newest first: walk the appended order backwards.
	if limit <= 0 {
		limit = total
	}
	page := make([]int64, 0, max(min(limit, total-skip), 0))
	for i := total - 1 - max(skip, 0); i >= 0 && len(page) < limit; i-- {
		page = append(page, seqs[i])
	}
	return rows(&r.db.audit, page), total, nil
}

func (r audit) List(_ context.Context, subject string) ([]domain.AuditEvent, error) {
	if err := r.Read(); err != nil {
		return nil, err
	}
	if subject != "" {
		seqs, _ := r.db.auditBySubject.get(subject)
		return rows(&r.db.audit, seqs), nil
	}
	out := make([]domain.AuditEvent, 0, r.db.seq.audit)
	for n := int64(1); n <= r.db.seq.audit; n++ {
		if e, ok := r.db.audit.get(n); ok {
			out = append(out, e)
		}
	}
	return out, nil
}

type idemKey struct{ client, key string }

type idempotency struct{ *tx }

func (t *tx) Idempotency() ports.Idempotency { return idempotency{t} }

func (r idempotency) Get(_ context.Context, clientID, key string) (ports.IdempotencyRecord, error) {
	if err := r.Read(); err != nil {
		return ports.IdempotencyRecord{}, err
	}
	rec, ok := r.db.idem.get(idemKey{clientID, key})
	if !ok {
		return ports.IdempotencyRecord{}, domain.Errorf(domain.CodeNotFound, "Idempotency-Key", "no record of key %q", key)
	}
	return rec, nil
}

func (r idempotency) Put(_ context.Context, rec ports.IdempotencyRecord) error {
	if err := r.Write(sqlrow.Required("key", rec.Key)); err != nil {
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
	if err := r.Write(); err != nil {
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

func (r idempotency) Bind(_ context.Context, clientID, key, ref string) error {
	if err := r.Write(sqlrow.Required("ref", ref)); err != nil {
		return err
	}
	k := idemKey{clientID, key}
	rec, ok := r.db.idem.get(k)
	switch {
	case !ok:
		return domain.Errorf(domain.CodeNotFound, "Idempotency-Key", "no record of key %q", key)
	case rec.Ref == ref:
		return nil
	case rec.Status != 0 || rec.Ref != "":
		return domain.Errorf(domain.CodeConflict, "Idempotency-Key", "key %q is answered or bound already", key)
	}
	rec.Ref = ref
	r.db.idem.put(k, rec)
	return nil
}

func (r idempotency) Release(_ context.Context, clientID, key string) error {
	if err := r.Write(); err != nil {
		return err
	}
	k := idemKey{clientID, key}
	rec, ok := r.db.idem.get(k)
	switch {
	case !ok:
		return domain.Errorf(domain.CodeNotFound, "Idempotency-Key", "no record of key %q", key)
	case rec.Status != 0 || rec.Ref != "":
		return domain.Errorf(domain.CodeConflict, "Idempotency-Key", "key %q is answered or bound; it stays", key)
	}
	r.db.idem.del(k)
	return nil
}

// Purge scans every record; it runs rarely, off the request path.
func (r idempotency) Purge(_ context.Context, before time.Time) (int, error) {
	if err := r.Write(); err != nil {
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
