package access_test

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/entitle-rules/entitle/adapters/memory"
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
