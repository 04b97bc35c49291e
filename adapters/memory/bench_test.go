package memory_test

import (
	"fmt"
	"testing"

	"github.com/entitle-rules/entitle/adapters/memory"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// BenchmarkLookup reads one serial's device, subscriptions, in-progress flag
// and orders from stores of growing size: the time per lookup should not grow
// with the store (DESIGN.md, Budgets).
func BenchmarkLookup(b *testing.B) {
	for _, n := range []int{1_000, 100_000} {
		b.Run(fmt.Sprintf("serials=%d", n), func(b *testing.B) {
			ctx := b.Context()
			s := memory.New()
			serial := func(i int) string { return fmt.Sprintf("SN%07d", i) }
			err := s.Update(ctx, func(tx ports.Tx) error {
				for i := range n {
					o := &domain.Order{ClientID: "client-a", PONumber: serial(i), Status: domain.OrderSuccess,
						Lines: []domain.OrderLine{{LineNumber: 1, SerialNumber: serial(i)}}}
					if err := tx.Devices().Put(ctx, domain.Device{Serial: serial(i)}); err != nil {
						return err
					}
					if err := tx.Orders().Create(ctx, o); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			want := serial(n / 2)
			q := domain.OrderQuery{ClientID: "client-a", SerialKey: domain.SerialKey(want)}
			for b.Loop() {
				err := s.View(ctx, func(tx ports.Tx) error {
					if _, err := tx.Devices().BySerial(ctx, want); err != nil {
						return err
					}
					if _, err := tx.Subscriptions().BySerial(ctx, want); err != nil {
						return err
					}
					if _, err := tx.Orders().InProgress(ctx, want); err != nil {
						return err
					}
					os, err := tx.Orders().Find(ctx, q)
					if err == nil && len(os) != 1 {
						err = fmt.Errorf("found %d orders, want 1", len(os))
					}
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
