package managedbilling_test

import (
	"testing"

	"github.com/entitle-rules/entitle/adapters/httpapi"
)

// BenchmarkAddCancelHTTP adds seed 002's three accounts to the primary and
// has each cancel, over loopback HTTP through the whole stack (the bearer
// and the session checked and slid, strict decoding, the rules, the store):
// four requests a cycle. links/s counts the links made and ended. Every
// cycle leaves its cancelled links behind, so compare runs of the same
// count:
//
//	go test ./adapters/httpapi/managedbilling -run '^$' -bench AddCancelHTTP -benchmem -benchtime 300x
func BenchmarkAddCancelHTTP(b *testing.B) {
	for _, name := range []string{"memory", "sqlite"} {
		b.Run("store="+name, func(b *testing.B) {
			h := newHarnessWith(b, drivers.Open(b, name), httpapi.Limits{PerClient: 1e9, PerClientBurst: 1e9})
			bearer := h.bearer(clientID, clientSecret)
			ps := h.login(bearer, primary)
			managed := []string{managed1, managed2, managed3}
			sessions := make([]string, len(managed))
			for i, m := range managed {
				sessions[i] = h.login(bearer, m)
			}
			h.bare = true
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				r := h.post(bearer, ps, "/managedaccounts/actions/add", seedAdd)
				txid, _ := r.Obj()["TxId"].(string)
				for i, m := range managed {
					if r := h.post(bearer, sessions[i], "/managedaccounts/actions/cancel", link(m, primary, txid)); r.Obj()["status"] != "Success" {
						b.Fatalf("cancel: %s", r.Raw)
					}
				}
			}
			b.ReportMetric(float64(6*b.N)/b.Elapsed().Seconds(), "links/s")
		})
	}
}
