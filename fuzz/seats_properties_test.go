package fuzz_test

import (
	"context"
	"io/fs"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"pgregory.net/rapid"

	"github.com/entitle-rules/entitle/adapters/memory"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/fuzz"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules"
	"github.com/entitle-rules/entitle/rules/seats"
	"github.com/entitle-rules/entitle/rulesets"
)

// seatRules loads the shipped rule files in the seats language with
// shrink_policy set to policy, once per policy.
var seatRules = sync.OnceValues(func() (map[string]*rules.Set, error) {
	out := map[string]*rules.Set{}
	for _, policy := range []string{"refuse", "release_most_recent"} {
		files := fstest.MapFS{}
		names, err := fs.Glob(rulesets.FS, "*.yaml")
		if err != nil {
			return nil, err
		}
		if *rulesetDir != "" {
			return nil, nil // the seats properties run on the shipped seats file only
		}
		for _, n := range names {
			b, err := fs.ReadFile(rulesets.FS, n)
			if err != nil {
				return nil, err
			}
			files[n] = &fstest.MapFile{Data: []byte(strings.Replace(string(b), "shrink_policy: refuse", "shrink_policy: "+policy, 1))}
		}
		set, err := seats.Language().Load(files)
		if err != nil {
			return nil, err
		}
		out[policy] = set
	}
	return out, nil
})

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// TestSeatInvariants runs random sequences of assign, release, delete, set
// seats, add user and the days going by, on three companies of two
// partners on the memory store, through the use cases, and checks after
// every step: seats in use never exceed seats owned on any day, no license
// is held twice on a day, a user holds one seat of a product a day,
// externalIds are unique per account case-insensitively, and no principal of
// one account reads another's users or assignments.
func TestSeatInvariants(t *testing.T) {
	sets, err := seatRules()
	if err != nil {
		t.Fatal(err)
	}
	if sets == nil {
		t.Skip("-rulesets: the seats properties run on the shipped seats file")
	}
	ctx := context.Background()
	var assigned, released, refused int // across the runs: the properties saw seats change hands
	rapid.Check(t, func(t *rapid.T) {
		policy := rapid.SampledFrom([]string{"refuse", "release_most_recent"}).Draw(t, "shrink policy")
		store := memory.New()
		defer store.Close()
		clock := &testClock{t: time.Date(2018, 6, 11, 12, 0, 0, 0, time.UTC)}
		svc, err := seats.New(seats.Options{Store: store, Rules: sets[policy], Clock: clock})
		if err != nil {
			t.Fatal(err)
		}
		type company struct {
			partner, admin, v2 domain.Principal
			acct               domain.Account
		}
		var cos []company
		for i, partner := range []string{"p0", "p0", "p1"} {
			pp := domain.Principal{Partner: partner, Credential: domain.APIKey}
			a, err := svc.CreateCompany(ctx, pp, seats.CompanyRequest{Name: "company " + strconv.Itoa(i)})
			if err != nil {
				t.Fatal(err)
			}
			id := strconv.FormatInt(a.ID, 10)
			cos = append(cos, company{partner: pp, acct: a,
				admin: domain.Principal{Partner: partner, Account: id, Credential: domain.APIKey},
				v2:    domain.Principal{Partner: partner, Account: id, Roles: []domain.Role{domain.UserAdmin}, Credential: domain.BasicUser}})
		}
		ids := rapid.SliceOfNDistinct(fuzz.ExternalID(), 2, 6, domain.ExternalKey).Draw(t, "externalIds")
		// Spellings in another case name the same user.
		ids = append(ids, strings.ToUpper(ids[0]))
		for _, c := range cos {
			for _, p := range fuzz.SeatProducts {
				n := rapid.IntRange(0, 4).Draw(t, "seats of "+p)
				if _, err := svc.SetSeats(ctx, c.partner, seats.SeatsRequest{Alias: c.acct.Alias, ProductID: p, Seats: n}); err != nil {
					t.Fatal(err)
				}
			}
			for _, id := range ids[:len(ids)-1] {
				if rapid.Bool().Draw(t, "user "+id) {
					if _, err := svc.AddUser(ctx, c.admin, seats.UserInput{ExternalID: id}); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
		ops := fuzz.SeatOps(len(cos), ids, 30).Draw(t, "ops")
		for step, op := range ops {
			c := cos[op.Account]
			var err error
			switch op.Kind {
			case fuzz.OpAssign:
				var rs []seats.ItemResult
				rs, err = svc.Assign(ctx, c.admin, op.ProductID, op.ExternalIDs)
				for _, r := range rs {
					if r.OK && r.Reason == "" {
						assigned++
					}
					if !r.OK && r.Code != "NO_FREE_SEAT" && r.Code != "USER_NOT_FOUND" {
						t.Fatalf("step %d %s: item %+v", step, op, r)
					}
				}
			case fuzz.OpRelease:
				_, err = svc.Release(ctx, c.admin, op.ProductID, op.ExternalIDs)
			case fuzz.OpDelete:
				_, err = svc.DeleteUser(ctx, c.admin, op.ExternalIDs[0])
			case fuzz.OpAddUser:
				_, err = svc.AddUser(ctx, c.admin, seats.UserInput{ExternalID: op.ExternalIDs[0]})
			case fuzz.OpSetSeats:
				var ch seats.SeatsChange
				ch, err = svc.SetSeats(ctx, c.partner, seats.SeatsRequest{Alias: c.acct.Alias, ProductID: op.ProductID, Seats: op.Seats})
				released += len(ch.Released)
				if domain.ErrorCode(err) == domain.CodeConflict {
					refused++
				}
				if policy == "release_most_recent" && err != nil {
					t.Fatalf("step %d %s: %v (release_most_recent never refuses)", step, op, err)
				}
			case fuzz.OpNextDay:
				clock.mu.Lock()
				clock.t = clock.t.AddDate(0, 0, op.Days)
				clock.mu.Unlock()
			}
			switch domain.ErrorCode(err) {
			case "", domain.CodeNotFound, domain.CodeConflict:
			default:
				t.Fatalf("step %d %s: %v", step, op, err)
			}
			for _, c := range cos {
				checkCompany(ctx, t, svc, store, c.acct.ID, c.admin, c.v2, step, op)
			}
			// Another account's users are not found by a principal of this
			// one, unless this one has a user of that externalId too.
			for _, other := range cos {
				if other.acct.ID == c.acct.ID {
					continue
				}
				theirs, _, err := svc.Users(ctx, other.admin, 0, 0)
				if err != nil {
					t.Fatal(err)
				}
				for _, u := range theirs {
					got, err := svc.User(ctx, c.admin, u.ExternalID)
					if err == nil && got.AccountID != c.acct.ID {
						t.Fatalf("step %d: account %d read user %+v", step, c.acct.ID, got)
					}
				}
			}
		}
	})
	t.Logf("%d seats assigned, %d taken back by lowering, %d lowerings refused", assigned, released, refused)
	if assigned == 0 || released == 0 || refused == 0 {
		t.Errorf("the runs never assigned (%d), released by lowering (%d) or refused a lowering (%d): the generators miss the cases", assigned, released, refused)
	}
}

// checkCompany reads an account's seats through the store and through its
// principals, and checks the invariants.
func checkCompany(ctx context.Context, t *rapid.T, svc *seats.Service, store ports.Store, acct int64, admin, v2 domain.Principal, step int, op fuzz.SeatOp) {
	var (
		ls    []domain.License
		as    []domain.Assignment
		users []domain.User
	)
	err := store.View(ctx, func(tx ports.Tx) error {
		var err error
		if ls, err = tx.Licenses().ByAccount(ctx, acct, "", domain.Date{}); err != nil {
			return err
		}
		if as, err = tx.Assignments().Find(ctx, domain.AssignmentQuery{AccountID: acct}); err != nil {
			return err
		}
		users, err = tx.Users().List(ctx, acct, 0, 0)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := fuzz.CheckSeats(ls, as); err != nil {
		t.Fatalf("step %d %s: account %d: %v", step, op, acct, err)
	}
	if err := fuzz.CheckExternalIDs(users); err != nil {
		t.Fatalf("step %d %s: %v", step, op, err)
	}
	seen, _, err := svc.Users(ctx, admin, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	read, err := svc.Assignments(ctx, v2, domain.AssignmentQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if err := fuzz.CheckTenancy(acct, seen, read); err != nil {
		t.Fatalf("step %d %s: %v", step, op, err)
	}
	if len(read) != len(as) || len(seen) != len(users) {
		t.Fatalf("step %d: the principal read %d assignments and %d users, the store holds %d and %d", step, len(read), len(seen), len(as), len(users))
	}
}

// The generated histories keep the invariants, and the checkers find a
// broken one.
func TestSeatGenerators(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		today := fuzz.Date(mustDay(t, "2018-01-01"), mustDay(t, "2030-12-31")).Draw(t, "today")
		acct := fuzz.SeatAccount("p0", 1).Draw(t, "account")
		users := fuzz.SeatUsers(acct.ID, 1, 1, 8).Draw(t, "users")
		ls := fuzz.SeatLicenses(acct.ID, 1, today, 8).Draw(t, "licenses")
		as := fuzz.AssignmentHistory(ls, users, 1).Draw(t, "history")
		if err := fuzz.CheckExternalIDs(users); err != nil {
			t.Fatal(err)
		}
		if err := fuzz.CheckSeats(ls, as); err != nil {
			t.Fatal(err)
		}
		if err := fuzz.CheckTenancy(acct.ID, users, as); err != nil {
			t.Fatal(err)
		}
		for _, u := range users {
			if len(u.ExternalID) == 0 || domain.CheckTexts("externalId", u.ExternalID) != nil {
				t.Fatalf("externalId %q", u.ExternalID)
			}
		}
		if len(as) == 0 {
			return
		}
		// A second holder of a held license on its first day breaks it.
		a := as[rapid.IntRange(0, len(as)-1).Draw(t, "which")]
		if a.Cancelled() {
			return
		}
		b := a
		b.ID, b.UserID = 1000, a.UserID+100
		err := fuzz.CheckSeats(ls, append(as, b))
		if domain.ErrorCode(err) != domain.CodeInvalid || !strings.Contains(err.Error(), fuzz.ProblemSeatOverlap) {
			t.Fatalf("a license held twice: %v", err)
		}
		// An externalId repeated in another case breaks uniqueness.
		dup := users[0]
		dup.ID, dup.ExternalID = 1000, strings.ToUpper(dup.ExternalID)
		if err := fuzz.CheckExternalIDs(append(users, dup)); !strings.Contains(errString(err), fuzz.ProblemDuplicateExtID) {
			t.Fatalf("a duplicate externalId: %v", err)
		}
	})
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func mustDay(t *rapid.T, s string) domain.Date {
	d, err := domain.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
