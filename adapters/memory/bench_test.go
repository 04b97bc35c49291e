package memory_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/entitle-rules/entitle/adapters/memory"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules/dataset"
	"github.com/entitle-rules/entitle/rules/orders"
	"github.com/entitle-rules/entitle/rulesets"
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

// BenchmarkCreateOrder commits one-line orders through the engine, each for
// a new serial so every one is accepted, from one caller and from 16 at once.
// Updates are serialized, so more callers only queue.
func BenchmarkCreateOrder(b *testing.B) {
	for _, callers := range []int{1, 16} {
		b.Run(fmt.Sprintf("callers=%d", callers), func(b *testing.B) {
			eng := benchEngine(b, memory.New())
			var next atomic.Int64
			b.ResetTimer()
			var wg sync.WaitGroup
			for range callers {
				wg.Go(func() {
					for {
						i := next.Add(1)
						if i > int64(b.N) {
							return
						}
						if _, err := eng.CreateOrder(b.Context(), domain.PartnerPrincipal("c1", domain.ClientCredentials), benchOrder(fmt.Sprintf("%010d", 5000000000+i))); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "orders/s")
		})
	}
}

// BenchmarkTimeline reads one serial's subscriptions from stores of 10 000
// and 1 000 000 subscriptions, four per serial: indexed, so the two cost the
// same. The 1M store is skipped with -short.
func BenchmarkTimeline(b *testing.B) {
	for _, n := range []int{10_000, 1_000_000} {
		b.Run(fmt.Sprintf("subs=%d", n), func(b *testing.B) {
			if n > 100_000 && testing.Short() {
				b.Skip("building a store of 1M subscriptions; skipped with -short")
			}
			ctx := b.Context()
			s := memory.New()
			err := s.Update(ctx, func(tx ports.Tx) error {
				for i := range n {
					y := 2020 + i%4
					start, _ := domain.NewDate(y, time.January, 1)
					end, _ := domain.NewDate(y, time.December, 31)
					if err := tx.Subscriptions().Put(ctx, domain.Subscription{ID: fmt.Sprintf("S%08d", i), Serial: fmt.Sprintf("SN%08d", i/4),
						PartNumber: "132001-10", ProductLine: "CENTERPOINT", Start: start, End: end, Kind: domain.Paid}); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			serial := fmt.Sprintf("SN%08d", n/8)
			for b.Loop() {
				err := s.View(ctx, func(tx ports.Tx) error {
					tl, err := tx.Subscriptions().BySerial(ctx, serial)
					if err == nil && len(tl) != 4 {
						err = fmt.Errorf("timeline of %s has %d subscriptions, want 4", serial, len(tl))
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

func benchEngine(b *testing.B, s ports.Store) *orders.Service {
	b.Helper()
	set, err := orders.Language().Load(rulesets.FS)
	if err != nil {
		b.Fatal(err)
	}
	var ids atomic.Int64
	eng, err := orders.New(orders.Options{Store: s, Rules: set,
		Clock: ports.ClockFunc(func() time.Time { return time.Date(2025, 4, 24, 17, 0, 0, 0, time.UTC) }),
		IDs:   ports.IDsFunc(func() string { return fmt.Sprintf("id-%d", ids.Add(1)) })})
	if err != nil {
		b.Fatal(err)
	}
	err = seedData(b.Context(), eng, &dataset.Dataset{
		Customers: []dataset.CustomerData{{ID: "r1", ClientID: "c1", Name: "Bench Reseller", Region: "AMERICA", Country: "US",
			Sites: []dataset.SiteData{{SiteUseID: 531807, Use: "BILL_TO", Address: "a"}, {SiteUseID: 1912956, Use: "SHIP_TO", Address: "b"}}}},
		PriceLists: []dataset.PriceListData{{ID: "usd", Currency: "USD", Countries: []string{"US"},
			Items: []dataset.PriceItemData{{PartNumber: "132001-10", ListPrice: "1500.00"}}}},
		Parts: []dataset.PartData{{PartNumber: "132001-10", Description: "CenterPoint RTX 1 Year", ServiceType: "RTX",
			ProductLine: "CENTERPOINT", Duration: "1 YEAR", Models: []string{"R12"}}},
		Models: []dataset.ModelData{{Manufacturer: "Trimble", Model: "R12", SerialPattern: "[0-9]{10}"}},
	})
	if err != nil {
		b.Fatal(err)
	}
	return eng
}

func benchOrder(serial string) domain.OrderRequest {
	start, _ := domain.ParseDate("2025-04-24")
	return domain.OrderRequest{CustomerPONumber: "PO-BENCH", CurrencyCode: "USD", BillToSiteUseID: 531807, ShipToSiteUseID: 1912956,
		BillToContactEmail: "test123@gmail.com", ShipToContactEmail: "test456@gmail.com",
		Lines: []domain.LineRequest{{LineNumber: 1, ServiceStartDate: start, PartNumber: "132001-10", SerialNumber: serial,
			ServiceType: "RTX", ManufacturerModel: "R12", AutoRenewal: "Y", ActivationType: "IMMEDIATE"}}}
}

// seedData loads ds into the service's store.
func seedData(ctx context.Context, svc *orders.Service, ds *dataset.Dataset) error {
	_, err := ds.Load(ctx, svc.Store())
	return err
}

// BenchmarkSeatLookupsOverHistory reads a product's pool (ByProduct) and a
// user's seats (ByUser) on an account whose one seat was assigned and
// released history times before, one day each, beside 3 seats still held:
// the time per lookup should follow the 3 live assignments, not the
// history (flat from history=200 to history=4000).
func BenchmarkSeatLookupsOverHistory(b *testing.B) {
	for _, history := range []int{200, 4_000} {
		b.Run(fmt.Sprintf("history=%d", history), func(b *testing.B) {
			ctx := b.Context()
			s := memory.New()
			first := domain.DateOf(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC))
			today := first.AddDays(history + 1)
			var (
				acct  = domain.Account{PartnerID: "partner-a", Alias: "acme-fleet", CreatedAt: time.Unix(0, 0)}
				users = make([]domain.User, 4)
				ls    []domain.License
			)
			err := s.Update(ctx, func(tx ports.Tx) (err error) {
				if err := tx.Accounts().Create(ctx, &acct); err != nil {
					return err
				}
				for i := range users {
					users[i] = domain.User{AccountID: acct.ID, ExternalID: fmt.Sprintf("driver-%d", i)}
					if err := tx.Users().Create(ctx, &users[i]); err != nil {
						return err
					}
				}
				lic := make([]domain.License, len(users))
				for i := range lic {
					lic[i] = domain.License{AccountID: acct.ID, ProductID: "CoPilot", Registered: first, Expires: today.AddDays(365)}
				}
				ls, err = tx.Licenses().Create(ctx, lic)
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
			seat := func(l domain.License, u domain.User, from, to domain.Date) domain.Assignment {
				return domain.Assignment{AccountID: acct.ID, LicenseID: l.ID, UserID: u.ID, ProductID: "CoPilot",
					ActivationDate: from, DeactivationDate: to}
			}
			// The history: user 0 holds seat 0 for one day, history times, each
			// an assign and a release in their own Update that reads the pool
			// first, as the seats use cases do.
			for i := range history {
				day := first.AddDays(i)
				a := seat(ls[0], users[0], day, ls[0].Expires)
				for _, write := range []func(ports.Tx) error{
					func(tx ports.Tx) error { return tx.Assignments().Create(ctx, &a) },
					func(tx ports.Tx) error {
						return tx.Assignments().SetDeactivation(ctx, acct.ID, a.ID, day, time.Unix(0, 0))
					},
				} {
					if err := s.Update(ctx, func(tx ports.Tx) error {
						if _, err := tx.Assignments().ByProduct(ctx, acct.ID, "CoPilot", day); err != nil {
							return err
						}
						return write(tx)
					}); err != nil {
						b.Fatal(err)
					}
				}
			}
			err = s.Update(ctx, func(tx ports.Tx) error {
				for i := 1; i < len(users); i++ {
					a := seat(ls[i], users[i], first, ls[i].Expires)
					if err := tx.Assignments().Create(ctx, &a); err != nil {
						return err
					}
				}
				// What an Assign use case reads first, in an Update.
				_, err := tx.Assignments().ByProduct(ctx, acct.ID, "CoPilot", today)
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				err := s.View(ctx, func(tx ports.Tx) error {
					pool, err := tx.Assignments().ByProduct(ctx, acct.ID, "CoPilot", today)
					if err == nil && len(pool) != len(users)-1 {
						err = fmt.Errorf("ByProduct found %d assignments, want %d", len(pool), len(users)-1)
					}
					if err != nil {
						return err
					}
					held, err := tx.Assignments().ByUser(ctx, acct.ID, users[0].ID, today)
					if err == nil && len(held) != 0 {
						err = fmt.Errorf("ByUser found %d assignments of a user who released every seat", len(held))
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
