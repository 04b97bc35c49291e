package access_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/entitle-rules/entitle/adapters/memory"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules/access"
)

func newService(t *testing.T, now *time.Time) (*access.Service, ports.Store) {
	t.Helper()
	store := memory.New()
	t.Cleanup(func() { store.Close() })
	s, err := access.New(access.Options{Store: store, Clock: ports.ClockFunc(func() time.Time { return *now }), Random: rand.Reader, TokenTTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutClient(context.Background(), "tap-client", "TAP", "example-secret"); err != nil {
		t.Fatal(err)
	}
	return s, store
}

// A client's id and secret buy a bearer token; the token names the client
// as a partner until it expires.
func TestTokenToPrincipal(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2025, 4, 24, 17, 0, 0, 0, time.UTC)
	s, store := newService(t, &now)
	tok, err := s.IssueToken(ctx, "tap-client", "example-secret")
	if err != nil {
		t.Fatal(err)
	}
	if len(tok.Value) < 43 || tok.ExpiresIn != time.Hour {
		t.Errorf("token %q lives %v, want 256 bits for an hour", tok.Value, tok.ExpiresIn)
	}
	p, err := s.Bearer(ctx, " "+tok.Value+" ")
	if err != nil {
		t.Fatal(err)
	}
	if want := (domain.Principal{Partner: "tap-client", Credential: domain.ClientCredentials}); p.Partner != want.Partner || p.Credential != want.Credential || p.Account != "" {
		t.Errorf("principal %+v, want %+v", p, want)
	}
	if !p.ReachesPartner("tap-client") || p.ReachesPartner("another-client") || !p.ReachesAccount("tap-client", "reseller-1") {
		t.Errorf("principal %+v reaches the wrong subtree", p)
	}
	// Only the hash of the token and of the secret is stored.
	err = store.View(ctx, func(tx ports.Tx) error {
		c, err := tx.Clients().Get(ctx, "tap-client")
		if err != nil {
			return err
		}
		if bytes.Contains([]byte(c.SecretHash), []byte("example-secret")) {
			t.Error("the secret is stored")
		}
		if _, err := tx.Clients().Token(ctx, tok.Value); domain.ErrorCode(err) != domain.CodeNotFound {
			t.Errorf("the token is stored as it is: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Hour)
	if _, err := s.Bearer(ctx, tok.Value); domain.ErrorCode(err) != domain.CodeUnauthenticated {
		t.Errorf("an expired token: %v, want CodeUnauthenticated", err)
	}
}

func TestBadCredentials(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2025, 4, 24, 17, 0, 0, 0, time.UTC)
	s, _ := newService(t, &now)
	for name, c := range map[string][2]string{
		"a wrong secret":    {"tap-client", "guess"},
		"an unknown client": {"nobody", "example-secret"},
		"no secret":         {"tap-client", ""},
		"no client":         {"", "example-secret"},
	} {
		if _, err := s.IssueToken(ctx, c[0], c[1]); domain.ErrorCode(err) != domain.CodeUnauthenticated {
			t.Errorf("%s: %v, want CodeUnauthenticated", name, err)
		}
	}
	for _, tok := range []string{"", "   ", "not-a-token"} {
		if _, err := s.Bearer(ctx, tok); domain.ErrorCode(err) != domain.CodeUnauthenticated {
			t.Errorf("Bearer(%q): %v, want CodeUnauthenticated", tok, err)
		}
	}
	if _, err := access.New(access.Options{}); domain.ErrorCode(err) != domain.CodeInvalid {
		t.Errorf("New without options: %v, want CodeInvalid", err)
	}
}

// Regression (issue 8): client secrets were stored as an unsalted SHA-256.
// They are stored with argon2id now, and a secret stored the old way still
// works once and is then stored again with argon2id.
func TestSecretsAreSaltedAndSlow(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2025, 4, 24, 17, 0, 0, 0, time.UTC)
	s, store := newService(t, &now)
	stored := func(id string) string {
		var c domain.Client
		if err := store.View(ctx, func(tx ports.Tx) error {
			var err error
			c, err = tx.Clients().Get(ctx, id)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return c.SecretHash
	}
	if h := stored("tap-client"); !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("stored secret %q, want argon2id with the default costs", h)
	}
	// An older file's client: the hex SHA-256 of its secret.
	err := store.Update(ctx, func(tx ports.Tx) error {
		return tx.Clients().Put(ctx, domain.Client{ID: "old-client", SecretHash: domain.HashSecret("old-secret-0123456")})
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.IssueToken(ctx, "old-client", "wrong-secret-0000"); domain.ErrorCode(err) != domain.CodeUnauthenticated {
		t.Errorf("a wrong secret against a legacy hash: %v", err)
	}
	if h := stored("old-client"); strings.HasPrefix(h, "$argon2id$") {
		t.Error("a wrong secret upgraded the stored hash")
	}
	if _, err := s.IssueToken(ctx, "old-client", "old-secret-0123456"); err != nil {
		t.Fatalf("a legacy secret: %v", err)
	}
	if h := stored("old-client"); !strings.HasPrefix(h, "$argon2id$") {
		t.Errorf("after a login the legacy hash is still %q", h)
	}
	if _, err := s.IssueToken(ctx, "old-client", "old-secret-0123456"); err != nil {
		t.Errorf("the upgraded secret: %v", err)
	}
}

// Expired tokens are purged; live ones stay.
func TestPurgeTokens(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2025, 4, 24, 17, 0, 0, 0, time.UTC)
	s, _ := newService(t, &now)
	old, err := s.IssueToken(ctx, "tap-client", "example-secret")
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(90 * time.Minute)
	fresh, err := s.IssueToken(ctx, "tap-client", "example-secret")
	if err != nil {
		t.Fatal(err)
	}
	if n, err := s.PurgeTokens(ctx); err != nil || n != 1 {
		t.Errorf("PurgeTokens = %d, %v; want the one expired token", n, err)
	}
	if _, err := s.Bearer(ctx, fresh.Value); err != nil {
		t.Errorf("the live token after a purge: %v", err)
	}
	if _, err := s.Bearer(ctx, old.Value); domain.ErrorCode(err) != domain.CodeUnauthenticated {
		t.Errorf("the purged token: %v", err)
	}
}
