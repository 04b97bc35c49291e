package seats_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// Races through the use case on every store: memory, SQLite, and
// PostgreSQL with two Store instances (two servers) on one database, half
// the callers on each.
func TestRaces(t *testing.T) {
	run := func(n int, f func(i int)) {
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() { defer wg.Done(); f(i) }()
		}
		wg.Wait()
	}
	for _, st := range everyStore(t) {
		t.Run(st.name, func(t *testing.T) {
			t.Run("64 users ask for the last 3 seats", func(t *testing.T) {
				w, svcs := newWorldOn(t, st.open, 3)
				ids := make([]string, 64)
				for i := range ids {
					ids[i] = fmt.Sprintf("driver-%02d", i)
				}
				w.addUsers(t, w.admin, ids...)
				var mu sync.Mutex
				ok, full := 0, 0
				run(64, func(i int) {
					rs, err := svcs[i%len(svcs)].Assign(ctx, w.admin, "CoPilot", []string{ids[i]})
					mu.Lock()
					defer mu.Unlock()
					switch {
					case err != nil:
						t.Error(err)
					case rs[0].OK:
						ok++
					case rs[0].Code == "NO_FREE_SEAT":
						full++
					default:
						t.Errorf("%+v", rs[0])
					}
				})
				if ok != 3 || full != 61 {
					t.Errorf("%d assigned, %d without a seat; want 3 and 61", ok, full)
				}
				wantConsistent(t, w, 3)
			})
			t.Run("64 bulk calls of 5 users against 10 seats", func(t *testing.T) {
				w, svcs := newWorldOn(t, st.open, 10)
				ids := make([]string, 64*5)
				for i := range ids {
					ids[i] = fmt.Sprintf("u%03d", i)
				}
				w.addUsers(t, w.admin, ids...)
				var mu sync.Mutex
				ok := 0
				run(64, func(i int) {
					rs, err := svcs[i%len(svcs)].Assign(ctx, w.admin, "CoPilot", ids[i*5:i*5+5])
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					defer mu.Unlock()
					for _, r := range rs {
						if r.OK {
							ok++
						}
					}
				})
				if ok != 10 {
					t.Errorf("%d assigned, want 10", ok)
				}
				wantConsistent(t, w, 10)
			})
			t.Run("the same user assigned from 64 goroutines", func(t *testing.T) {
				w, svcs := newWorldOn(t, st.open, 5)
				w.addUsers(t, w.admin, "same")
				run(64, func(i int) {
					rs, err := svcs[i%len(svcs)].Assign(ctx, w.admin, "CoPilot", []string{"same"})
					if err != nil || !rs[0].OK {
						t.Errorf("%+v %v", rs, err)
					}
				})
				wantConsistent(t, w, 1)
			})
		})
	}
}

// wantConsistent checks the account's CoPilot assignments keep the
// invariants and that assigned seats number want.
func wantConsistent(t *testing.T, w *world, want int) {
	t.Helper()
	v2 := domain.Principal{Partner: w.acct.PartnerID, Account: itoa(w.acct.ID), Roles: []domain.Role{domain.AccountAdmin}, Credential: domain.BasicUser}
	as := must(w.svc.Assignments(ctx, v2, domain.AssignmentQuery{}))(t)
	if err := domain.CheckAssignments(as); err != nil {
		t.Error(err)
	}
	p := must(w.svc.Pool(ctx, w.admin, "CoPilot"))(t)
	if p.Assigned != want || p.Assigned > p.Owned {
		t.Errorf("pool %d owned, %d assigned; want %d assigned", p.Owned, p.Assigned, want)
	}
}

// BenchmarkAssign assigns seats through the use case: one user per call,
// and a bulk call of 1,000 users, each round into a new account with that
// many free seats and users (how lookups grow with history is the stores'
// benchmarks' question), on every store.
func BenchmarkAssign(b *testing.B) {
	for _, st := range everyStore(b) {
		for _, n := range []int{1, 1000} {
			b.Run(fmt.Sprintf("store=%s/users=%d", st.name, n), func(b *testing.B) {
				ids := make([]string, n)
				for i := range ids {
					ids[i] = fmt.Sprintf("driver-%04d", i)
				}
				stores := st.open(b) // one database for the whole benchmark
				open := func(testing.TB) []ports.Store { return stores }
				b.ReportAllocs()
				for b.Loop() {
					b.StopTimer()
					w, _ := newWorldOn(b, open, n)
					w.addUsers(b, w.admin, ids...)
					b.StartTimer()
					rs, err := w.svc.Assign(ctx, w.admin, "CoPilot", ids)
					if err != nil || !rs[n-1].OK {
						b.Fatal(rs[n-1], err)
					}
				}
			})
		}
	}
}
