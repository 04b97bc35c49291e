package access_test

import (
	"context"
	"crypto/rand"
	"path/filepath"
	"testing"
	"time"

	"github.com/entitle-rules/entitle/adapters/memory"
	"github.com/entitle-rules/entitle/adapters/sqlite"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules/access"
)

// benchService is a Service with the default argon2id costs over a memory
// store holding the example's partner, company and admin.
func benchService(b *testing.B) (*access.Service, string) {
	b.Helper()
	ctx := context.Background()
	store := memory.New()
	b.Cleanup(func() { store.Close() })
	now := time.Date(2025, 4, 24, 17, 0, 0, 0, time.UTC)
	s, err := access.New(access.Options{Store: store, Clock: ports.ClockFunc(func() time.Time { return now }), Random: rand.Reader})
	if err != nil {
		b.Fatal(err)
	}
	h, err := s.HashPassword(adminPW)
	if err != nil {
		b.Fatal(err)
	}
	err = store.Update(ctx, func(tx ports.Tx) error {
		if err := tx.Clients().Put(ctx, domain.Client{ID: "fleet-partner", APIKeyHash: domain.HashSecret(fleetKey)}); err != nil {
			return err
		}
		a := domain.Account{PartnerID: "fleet-partner", Alias: "acme-fleet", Activated: true}
		if err := tx.Accounts().Create(ctx, &a); err != nil {
			return err
		}
		u := domain.User{AccountID: a.ID, ExternalID: "acme-admin", Username: "admin@acme.example", PasswordHash: h, Roles: []domain.Role{domain.AccountAdmin}}
		return tx.Users().Create(ctx, &u)
	})
	if err != nil {
		b.Fatal(err)
	}
	return s, "acme-fleet"
}

// BenchmarkBasicUser is one HTTP Basic login (seed 004 sends one with every
// request): one argon2id check at the default costs, and the decoy's for an
// unknown username.
func BenchmarkBasicUser(b *testing.B) {
	s, _ := benchService(b)
	ctx := context.Background()
	for _, bc := range []struct{ name, user string }{{"known", "admin@acme.example"}, {"unknown", "nobody@acme.example"}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, err := s.BasicUser(ctx, bc.user, adminPW)
				if (err == nil) != (bc.name == "known") {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkIssueAPIKeyToken is seed 000's authenticate: a SHA-256, two
// lookups and a token write.
func BenchmarkIssueAPIKeyToken(b *testing.B) {
	s, alias := benchService(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := s.IssueAPIKeyToken(ctx, fleetKey, alias); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSession is the check every managed-billing request makes (seed
// 002 sends the bearer and the VZ-M2M token): three reads, and one write
// that slides the session's expiry when uses are a second apart (session),
// none for most uses of a busy session (session-burst); access-token is
// seed 003's X-AccessToken check, one read.
func BenchmarkSession(b *testing.B) {
	b.Run("memory", func(b *testing.B) {
		store := memory.New()
		b.Cleanup(func() { store.Close() })
		benchSession(b, store)
	})
	b.Run("sqlite", func(b *testing.B) {
		store, err := sqlite.Open(filepath.Join(b.TempDir(), "entitle.db"), sqlite.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { store.Close() })
		benchSession(b, store)
	})
}

func benchSession(b *testing.B, store ports.Store) {
	ctx := context.Background()
	now := time.Date(2025, 4, 24, 17, 0, 0, 0, time.UTC)
	s, err := access.New(access.Options{Store: store, Clock: ports.ClockFunc(func() time.Time { return now }), Random: rand.Reader})
	if err != nil {
		b.Fatal(err)
	}
	pw, err := s.HashPassword(loginPW)
	if err != nil {
		b.Fatal(err)
	}
	err = store.Update(ctx, func(tx ports.Tx) error {
		if err := tx.Clients().Put(ctx, domain.Client{ID: billingClient, SecretHash: pw}); err != nil {
			return err
		}
		a := domain.Account{PartnerID: billingClient, Alias: "1234567890-00001", Activated: true, Services: []string{"Location"}}
		if err := tx.Accounts().Create(ctx, &a); err != nil {
			return err
		}
		u := domain.User{AccountID: a.ID, ExternalID: "primary", Username: "primary@example.com", PasswordHash: pw}
		return tx.Users().Create(ctx, &u)
	})
	if err != nil {
		b.Fatal(err)
	}
	bearerTok, _, err := s.IssueBillingBearer(ctx, billingClient, loginPW)
	if err != nil {
		b.Fatal(err)
	}
	bearer, err := s.Bearer(ctx, bearerTok)
	if err != nil {
		b.Fatal(err)
	}
	session, err := s.SessionLogin(ctx, bearer, "primary@example.com", loginPW)
	if err != nil {
		b.Fatal(err)
	}
	accessTok, err := s.IssueAccessToken(ctx, billingClient, now.AddDate(100, 0, 0))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("session", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			now = now.Add(access.SessionTouchStep) // each use moves the expiry: a write
			if _, err := s.Session(ctx, bearer, session); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("session-burst", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			now = now.Add(time.Microsecond) // uses a microsecond apart: slides a write a second
			if _, err := s.Session(ctx, bearer, session); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("access-token", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.AccessToken(ctx, accessTok); err != nil {
				b.Fatal(err)
			}
		}
	})
}
