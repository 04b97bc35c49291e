package accountops_test

import (
	"net/http"
	"testing"

	"github.com/entitle-rules/entitle/adapters/httpapi"
)

// BenchmarkAccountOpsHTTP reads an account (GET /partner/accounts/{id}) and
// blocks it (PATCH set-blocked, a write of one block record) over loopback
// HTTP through the whole stack. Blocking a blocked account writes nothing,
// so the write cost does not grow with the run:
//
//	go test ./adapters/httpapi/accountops -run '^$' -bench AccountOpsHTTP -benchmem -benchtime 2000x
func BenchmarkAccountOpsHTTP(b *testing.B) {
	for _, name := range []string{"memory", "sqlite"} {
		for _, op := range []string{"read", "block"} {
			b.Run("store="+name+"/op="+op, func(b *testing.B) {
				h := newHarnessWith(b, drivers.Open(b, name), httpapi.Limits{PerClient: 1e9, PerClientBurst: 1e9})
				h.bare = true
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					var r reply
					if op == "read" {
						r = h.get(h.token, "/partner/accounts/11111")
					} else {
						r = h.send(http.MethodPatch, h.token, "/partner/accounts/11111/set-blocked", seedBlock)
					}
					if r.Status != 200 {
						b.Fatalf("%d %s", r.Status, r.Raw)
					}
				}
			})
		}
	}
}
