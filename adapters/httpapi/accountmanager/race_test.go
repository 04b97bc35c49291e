package accountmanager_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules/seats"
)

// addUsers adds n users to acme-fleet through the Go API (the HTTP API
// would spend the token's request rate on setup), the i-th with external
// id fmt.Sprintf(format, i).
func addUsers(tb testing.TB, h *harness, format string, n int) []string {
	tb.Helper()
	ctx := context.Background()
	var acct domain.Account
	if err := h.store.View(ctx, func(tx ports.Tx) (err error) {
		acct, err = tx.Accounts().ByAlias(ctx, "acme-fleet")
		return err
	}); err != nil {
		tb.Fatal(err)
	}
	p := domain.Principal{Partner: acct.PartnerID, Account: strconv.FormatInt(acct.ID, 10), Credential: domain.APIKey}
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf(format, i)
		if _, err := h.svc.AddUser(ctx, p, seats.UserInput{ExternalID: ids[i]}); err != nil {
			tb.Fatal(err)
		}
	}
	return ids
}

// TestRaceForTheLastSeats: 64 requests at once, each for another user,
// for the 3 MileOn seats acme-fleet owns, get exactly 3 Successes; the same
// user asked for 64 times at once holds one seat. On every store, through
// the whole HTTP stack.
func TestRaceForTheLastSeats(t *testing.T) {
	for name := range drivers.Stores() {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, drivers.Open(t, name), nil)
			acme := h.authenticate(apiKey, "acme-fleet")
			ids := addUsers(t, h, "u%02d", 64)
			statuses := make([]int, len(ids))
			var wg sync.WaitGroup
			for i, id := range ids {
				wg.Go(func() {
					r := h.post(acme, "/api/v1/license/MileOn", `{"externalId": "`+id+`"}`)
					statuses[i] = r.Status
					if r.Status == 409 && r.Obj()["error"].(map[string]any)["message"] != "no free seat of MileOn" {
						t.Errorf("%s: %s", id, r.Raw)
					}
				})
			}
			wg.Wait()
			count := map[int]int{}
			for _, s := range statuses {
				count[s]++
			}
			if count[200] != 3 || count[409] != 61 {
				t.Errorf("64 users for 3 seats: %v (status: count), want 3 200s and 61 409s", count)
			}
			check(t, h.get(acme, "/api/v1/license/MileOn"), 200, `{"productId": "MileOn", "owned": 3, "assigned": 3, "free": 0}`)

			for range 64 {
				wg.Go(func() {
					if r := h.post(acme, "/api/v1/license/CoPilot/bulk", `{"externalIds": ["u63", "U63"]}`); r.Status != 200 || r.Obj()["succeeded"] != float64(2) {
						t.Errorf("the same user again: %d %s", r.Status, r.Raw)
					}
				})
			}
			wg.Wait()
			check(t, h.get(acme, "/api/v1/license/CoPilot"), 200, `{"productId": "CoPilot", "owned": 5, "assigned": 1, "free": 4}`)
		})
	}
}
