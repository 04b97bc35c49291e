package accountmanager_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/entitle-rules/entitle/adapters/httpapi"
	"github.com/entitle-rules/entitle/adapters/memory"
	"github.com/entitle-rules/entitle/adapters/sqlite"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules/seats"
)

// BenchmarkLicenseHTTP gives seats to users and takes them back over
// loopback HTTP through the whole stack (token check, strict decoding, the
// rules, the store): one user per call (POST and DELETE
// /license/{productId}) or 1,000 (the /bulk routes). users/s counts the
// assignments made and ended. Every cycle leaves its assignments behind as
// history (a seat released the day it was given is seed 004's cancelled
// shape), so compare runs of the same count:
//
//	go test ./adapters/httpapi/accountmanager -run '^$' -bench 'LicenseHTTP/.*/users=1$' -benchmem -benchtime 1000x
//	go test ./adapters/httpapi/accountmanager -run '^$' -bench 'LicenseHTTP/.*/users=1000$' -benchmem -benchtime 20x
func BenchmarkLicenseHTTP(b *testing.B) {
	stores := map[string]func(b *testing.B) ports.Store{
		"memory": func(*testing.B) ports.Store { return memory.New() },
		"sqlite": func(b *testing.B) ports.Store {
			s, err := sqlite.Open(filepath.Join(b.TempDir(), "entitle.db"), sqlite.Options{})
			if err != nil {
				b.Fatal(err)
			}
			return s
		},
	}
	for _, name := range []string{"memory", "sqlite"} {
		for _, n := range []int{1, 1000} {
			b.Run(fmt.Sprintf("store=%s/users=%d", name, n), func(b *testing.B) {
				h := newHarnessWith(b, stores[name](b), nil, httpapi.Limits{PerClient: 1e9, PerClientBurst: 1e9})
				fleet, acme := h.authenticate(apiKey, ""), h.authenticate(apiKey, "acme-fleet")
				// Seats for every user (acme-fleet owns 5): a call reads
				// the pool of the product, so its cost grows with the seats.
				if r := h.put(fleet, "/api/v1/companies/acme-fleet/license/CoPilot", `{"seats": `+strconv.Itoa(max(n, 5))+`}`); r.status != 200 {
					b.Fatalf("%d %s", r.status, r.raw)
				}
				ids := benchUsers(b, h, n)
				one := `{"externalId": "` + ids[0] + `"}`
				list, _ := json.Marshal(map[string][]string{"externalIds": ids})
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					if n == 1 {
						h.post(acme, "/api/v1/license/CoPilot", one)
						h.del(acme, "/api/v1/license/CoPilot", one)
						continue
					}
					h.post(acme, "/api/v1/license/CoPilot/bulk", string(list))
					h.del(acme, "/api/v1/license/CoPilot/bulk", string(list))
				}
				b.ReportMetric(float64(2*n*b.N)/b.Elapsed().Seconds(), "users/s")
			})
		}
	}
}

func benchUsers(b *testing.B, h *harness, n int) []string {
	ctx := context.Background()
	var acct domain.Account
	if err := h.store.View(ctx, func(tx ports.Tx) (err error) {
		acct, err = tx.Accounts().ByAlias(ctx, "acme-fleet")
		return err
	}); err != nil {
		b.Fatal(err)
	}
	p := domain.Principal{Partner: acct.PartnerID, Account: strconv.FormatInt(acct.ID, 10), Credential: domain.APIKey}
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("bench-%04d", i)
		if _, err := h.svc.AddUser(ctx, p, seats.UserInput{ExternalID: ids[i]}); err != nil {
			b.Fatal(err)
		}
	}
	return ids
}
