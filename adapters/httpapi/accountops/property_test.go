package accountops_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/entitle-rules/entitle/adapters/httpapi"
	"github.com/entitle-rules/entitle/adapters/memory"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// TestBlockInterleavings: any sequence of set-blocked true or false and
// set-blocked-at, sent at moving instants, then read at a random later
// instant, reads as a small model says: a scheduled block takes effect at
// its instant with nothing run in between (and shows as blocked_at until
// then while the account is not blocked); blocking or unblocking cancels
// it; scheduling replaces it. Over HTTP, so the answer's blocked and
// blocked_at are what a partner sees.
func TestBlockInterleavings(t *testing.T) {
	h := newHarnessWith(t, memory.New(), httpapi.Limits{PerClient: 1e6, PerClientBurst: 1e6})
	rapid.Check(t, func(rt *rapid.T) {
		// Each run on a new account, from the instant the last one left.
		now := h.now.Load() / int64(time.Second)
		h.setNow(time.Unix(now, 0))
		acct := domain.Account{PartnerID: "gps-partner", Title: "Forguard", Type: domain.AccountManaged, Activated: true,
			ActivatedAt: created, CreatedAt: created, RegApps: []string{forguard}}
		ctx := context.Background()
		if err := h.store.Update(ctx, func(tx ports.Tx) error { return tx.Accounts().Create(ctx, &acct) }); err != nil {
			rt.Fatal(err)
		}
		path := "/partner/accounts/" + strconv.FormatInt(acct.ID, 10)
		blocked, sched := false, int64(0) // sched 0: none
		settle := func(at int64) {
			if sched != 0 && sched <= at {
				blocked, sched = true, 0
			}
		}
		steps := rapid.IntRange(1, 12).Draw(rt, "steps")
		for i := range steps {
			now += rapid.Int64Range(0, 3600).Draw(rt, fmt.Sprintf("wait%d", i))
			h.setNow(time.Unix(now, 0))
			settle(now)
			var r reply
			switch op := rapid.SampledFrom([]string{"block", "unblock", "schedule"}).Draw(rt, fmt.Sprintf("op%d", i)); op {
			case "block", "unblock":
				r = h.send(http.MethodPatch, h.token, path+"/set-blocked", fmt.Sprintf(`{"blocked": %t}`, op == "block"))
				blocked, sched = op == "block", 0
			default:
				at := now + rapid.Int64Range(0, 7200).Draw(rt, fmt.Sprintf("at%d", i))
				r = h.send(http.MethodPatch, h.token, path+"/set-blocked-at", fmt.Sprintf(`{"blocked_at": %d}`, at))
				sched = at
				settle(now)
			}
			if r.Status != 200 {
				rt.Fatalf("step %d: %d %s", i, r.Status, r.Raw)
			}
			expect(rt, r, blocked, sched)
		}
		read := now + rapid.Int64Range(0, 10000).Draw(rt, "read")
		h.setNow(time.Unix(read, 0))
		settle(read)
		expect(rt, h.get(h.token, path), blocked, sched)
	})
}

func expect(rt *rapid.T, r reply, blocked bool, sched int64) {
	d, _ := r.Obj()["data"].(map[string]any)
	var want any
	if sched != 0 && !blocked {
		want = float64(sched)
	}
	if d["blocked"] != blocked || d["blocked_at"] != want {
		rt.Fatalf("blocked %v blocked_at %v, want %v %v: %s", d["blocked"], d["blocked_at"], blocked, want, r.Raw)
	}
}
