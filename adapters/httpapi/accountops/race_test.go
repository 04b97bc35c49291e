package accountops_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/entitle-rules/entitle/adapters/httpapi"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// TestBlockRaces: 64 requests at once on one account, blocks, unblocks
// and schedules at 64 instants, each answered 200 with an account that is
// consistent with its own request; afterwards at most one block is still
// to come, and reads now and later agree with the stored records. On every store; on PostgreSQL half the requests go to a second
// server with its own Store on the same schema.
func TestBlockRaces(t *testing.T) {
	for name, open := range drivers.Stores() {
		t.Run(name, func(t *testing.T) {
			lim := httpapi.Limits{PerClient: 1e6, PerClientBurst: 1e6}
			store, another := open(t)
			h := newHarnessWith(t, store, lim)
			servers := []*harness{h}
			if another != nil {
				h2 := &harness{tb: t, spec: h.spec, token: h.token}
				h2.store = another()
				h2.now.Store(h.now.Load())
				t.Cleanup(func() { h2.store.Close() })
				h2.serve(lim)
				servers = append(servers, h2)
			}
			var wg sync.WaitGroup
			for i := range 64 {
				srv := servers[i%len(servers)]
				wg.Go(func() {
					var r reply
					at := start.Unix() + int64(60+i)
					switch i % 3 {
					case 0:
						r = srv.send(http.MethodPatch, h.token, "/partner/accounts/11111/set-blocked", `{"blocked": true}`)
					case 1:
						r = srv.send(http.MethodPatch, h.token, "/partner/accounts/11111/set-blocked", `{"blocked": false}`)
					default:
						r = srv.send(http.MethodPatch, h.token, "/partner/accounts/11111/set-blocked-at", fmt.Sprintf(`{"blocked_at": %d}`, at))
					}
					// A block reads blocked, an unblock not; a schedule reads
					// its blocked_at, or blocked when a block came first.
					d, _ := r.Obj()["data"].(map[string]any)
					ok := r.Status == 200
					switch i % 3 {
					case 0:
						ok = ok && d["blocked"] == true && d["blocked_at"] == nil
					case 1:
						ok = ok && d["blocked"] == false && d["blocked_at"] == nil
					default:
						ok = ok && (d["blocked"] == false && d["blocked_at"] == float64(at) || d["blocked"] == true && d["blocked_at"] == nil)
					}
					if !ok {
						t.Errorf("request %d: %d %s", i, r.Status, r.Raw)
					}
				})
			}
			wg.Wait()
			// The records: at most one block still to come, and the state now is
			// the state some request left.
			var a domain.Account
			if err := h.store.View(context.Background(), func(tx ports.Tx) (err error) {
				a, err = tx.Accounts().Get(context.Background(), 11111)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			future := 0
			for _, r := range a.Blocks {
				if r.At.After(start) {
					future++
				}
			}
			if future > 1 {
				t.Errorf("%d scheduled blocks after 64 racing requests, want at most 1: %+v", future, a.Blocks)
			}
			r := h.get(h.token, "/partner/accounts/11111")
			d := r.Obj()["data"].(map[string]any)
			if d["blocked"] != a.BlockedAt(start) {
				t.Errorf("the read %s disagrees with the records %+v", r.Raw, a.Blocks)
			}
			h.setNow(start.Add(2 * time.Hour))
			r = h.get(h.token, "/partner/accounts/11111")
			if d := r.Obj()["data"].(map[string]any); d["blocked"] != a.BlockedAt(start.Add(2*time.Hour)) || d["blocked_at"] != nil {
				t.Errorf("two hours later %s, records %+v", r.Raw, a.Blocks)
			}
		})
	}
}
