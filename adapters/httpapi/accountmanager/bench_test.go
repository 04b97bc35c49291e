package accountmanager_test

import (
	"encoding/json"
	"fmt"
	"strconv"
	"testing"

	"github.com/entitle-rules/entitle/adapters/httpapi"
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
	for _, name := range []string{"memory", "sqlite"} {
		for _, n := range []int{1, 1000} {
			b.Run(fmt.Sprintf("store=%s/users=%d", name, n), func(b *testing.B) {
				h := newHarnessWith(b, drivers.Open(b, name), nil, httpapi.Limits{PerClient: 1e9, PerClientBurst: 1e9})
				fleet, acme := h.authenticate(apiKey, ""), h.authenticate(apiKey, "acme-fleet")
				// Seats for every user (acme-fleet owns 5): a call reads
				// the pool of the product, so its cost grows with the seats.
				if r := h.put(fleet, "/api/v1/companies/acme-fleet/license/CoPilot", `{"seats": `+strconv.Itoa(max(n, 5))+`}`); r.Status != 200 {
					b.Fatalf("%d %s", r.Status, r.Raw)
				}
				ids := addUsers(b, h, "bench-%04d", n)
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
