package storetest

import (
	"fmt"
	"testing"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// BenchSeatLookups times one account's seat lookups on s the way the seats
// use cases run them: "pool" (the account's CoPilot licenses and the
// assignments that hold on from on; the pool must have 10 seats, all
// assigned), "byUser" (user's assignments on on, at least one) and
// "byExternalId" (the account's user DRIVER-26, who must be user). A
// store's BenchmarkSeatLookups fills s at the size it times, in its own
// fastest way, and calls it; the lookups and their checks are the same
// for every store.
func BenchSeatLookups(b *testing.B, s ports.Store, acct, user int64, on domain.Date) {
	ctx := b.Context()
	b.Run("pool", func(b *testing.B) {
		for b.Loop() {
			err := s.View(ctx, func(tx ports.Tx) error {
				ls, err := tx.Licenses().ByAccount(ctx, acct, "CoPilot", on)
				if err != nil {
					return err
				}
				as, err := tx.Assignments().ByProduct(ctx, acct, "CoPilot", on)
				if err != nil {
					return err
				}
				if p := domain.PoolOn("CoPilot", on, ls, as); p.Owned != 10 || p.Assigned != 10 {
					return fmt.Errorf("pool %+v, want 10 owned and assigned", p)
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("byUser", func(b *testing.B) {
		for b.Loop() {
			err := s.View(ctx, func(tx ports.Tx) error {
				as, err := tx.Assignments().ByUser(ctx, acct, user, on)
				if err == nil && len(as) == 0 {
					err = fmt.Errorf("user %d holds nothing on %s", user, on)
				}
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("byExternalId", func(b *testing.B) {
		for b.Loop() {
			err := s.View(ctx, func(tx ports.Tx) error {
				u, err := tx.Users().ByExternalID(ctx, acct, "DRIVER-26")
				if err == nil && u.ID != user {
					err = fmt.Errorf("DRIVER-26 of account %d is user %d, want %d", acct, u.ID, user)
				}
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}
