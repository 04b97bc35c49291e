package managedbilling_test

import (
	"context"
	"sync"
	"testing"

	"github.com/entitle-rules/entitle/adapters/httpapi"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// TestRaces: 64 add requests at once from two primaries for one account
// leave it managed by exactly one of them; then 64 provisions at once,
// half naming each primary with its TxId, activate that one link and no
// other. Through the whole HTTP stack on every store; on PostgreSQL the
// requests alternate between two servers, each with its own Store, on one
// schema.
func TestRaces(t *testing.T) {
	for name, open := range drivers.Stores() {
		t.Run(name, func(t *testing.T) {
			store, another := open(t)
			// Rates high enough that the race meets the store, not the kit.
			lim := httpapi.Limits{PerClient: 1e6, PerClientBurst: 1e6}
			h := newHarnessWith(t, store, lim)
			servers := []*harness{h}
			if another != nil {
				h2 := &harness{tb: t, store: another(), spec: h.spec}
				t.Cleanup(func() { h2.store.Close() })
				h2.now.Store(h.now.Load())
				servers = append(servers, h2.serve(lim))
			}
			bearer := h.bearer(clientID, clientSecret)
			sessions := map[string]string{primary: h.login(bearer, primary), primary2: h.login(bearer, primary2)}
			body := map[string]string{}
			for p := range sessions {
				body[p] = `{"accountName": "` + p + `", "serviceName": "Location", "type": "TS-LOC-COARSE-CellID-Aggr", "managedAccList": ["` + managed1 + `"]}`
			}
			type outcome struct{ primary, status, reason, txid string }
			outcomes := make([]outcome, 64)
			var wg sync.WaitGroup
			for i := range outcomes {
				p := []string{primary, primary2}[i%2]
				srv := servers[i%len(servers)]
				wg.Go(func() {
					r := srv.post(bearer, sessions[p], "/managedaccounts/actions/add", body[p])
					if r.Status != 200 {
						t.Errorf("add from %s: %d %s", p, r.Status, r.Raw)
						return
					}
					it := r.Obj()["statusList"].([]any)[0].(map[string]any)
					outcomes[i] = outcome{p, it["status"].(string), it["reason"].(string), r.Obj()["TxId"].(string)}
				})
			}
			wg.Wait()
			winners := map[string]bool{}
			var added []outcome
			for _, o := range outcomes {
				switch {
				case o.status == "Success":
					winners[o.primary] = true
					if o.reason == "Success" {
						added = append(added, o)
					}
				case o.reason != "Account is managed by another primary account":
					t.Errorf("a Fail with reason %q", o.reason)
				}
			}
			if len(winners) != 1 || len(added) != 1 {
				t.Fatalf("64 adds from two primaries: primaries answered Success %v, links made %d (want 1 and 1)", winners, len(added))
			}
			win := added[0]
			l := live(t, h.store)
			if l.Primary != win.primary || l.TxID != win.txid || l.State != domain.LinkAdded {
				t.Fatalf("the live link %+v, want %s's with TxId %s", l, win.primary, win.txid)
			}

			// 64 provisions, half naming the other primary with its own
			// last TxId: only the winner's activate, once.
			s1 := h.login(bearer, managed1)
			var mu sync.Mutex
			successes := 0
			for i := range 64 {
				p, txid := win.primary, win.txid
				if i%2 == 1 {
					p = map[string]string{primary: primary2, primary2: primary}[win.primary]
				}
				srv := servers[i%len(servers)]
				wg.Go(func() {
					r := srv.post(bearer, s1, "/managedaccounts/actions/provision", link(managed1, p, txid))
					if r.Status != 200 {
						t.Errorf("provision: %d %s", r.Status, r.Raw)
						return
					}
					ok := r.Obj()["status"] == "Success"
					if ok != (p == win.primary) {
						t.Errorf("provision naming %s: %s", p, r.Raw)
					}
					if ok {
						mu.Lock()
						successes++
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			if l := live(t, h.store); successes != 32 || l.TxID != win.txid || l.Primary != win.primary || l.State != domain.LinkActivated {
				t.Errorf("64 provisions: %d Successes, live link %+v; want 32 and the winner's link activated", successes, l)
			}
			var links []domain.ManagedLink
			if err := h.store.View(context.Background(), func(tx ports.Tx) (err error) {
				links, err = tx.ManagedLinks().ByTxID(context.Background(), win.txid)
				return err
			}); err != nil || len(links) != 1 {
				t.Errorf("the winner's add made %d links (%v), want 1", len(links), err)
			}
		})
	}
}

func live(t *testing.T, store ports.Store) domain.ManagedLink {
	t.Helper()
	var l domain.ManagedLink
	if err := store.View(context.Background(), func(tx ports.Tx) (err error) {
		l, err = tx.ManagedLinks().Live(context.Background(), managed1, "Location")
		return err
	}); err != nil {
		t.Fatalf("the live link of %s: %v", managed1, err)
	}
	return l
}
