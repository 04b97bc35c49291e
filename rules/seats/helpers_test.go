package seats_test

import (
	"context"
	"errors"
	"io/fs"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/entitle-rules/entitle/adapters/memory"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules"
	"github.com/entitle-rules/entitle/rules/seats"
	"github.com/entitle-rules/entitle/rulesets"
)

// The day of seed 004's example assignment, at noon UTC.
var day0 = time.Date(2018, 6, 11, 12, 0, 0, 0, time.UTC)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// shippedRules loads the shipped rule files in the seats language, with
// the params replaced as given (name -> YAML value).
func shippedRules(tb testing.TB, params ...string) *rules.Set {
	tb.Helper()
	files := fstest.MapFS{}
	names, err := fs.Glob(rulesets.FS, "*.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	for _, n := range names {
		b, err := fs.ReadFile(rulesets.FS, n)
		if err != nil {
			tb.Fatal(err)
		}
		s := string(b)
		for i := 0; i+1 < len(params); i += 2 {
			at := strings.Index(s, "\n  "+params[i]+": ")
			if n != "50-seats.yaml" {
				continue
			}
			if at < 0 {
				tb.Fatalf("no param %s in %s", params[i], n)
			}
			end := at + 1 + strings.IndexByte(s[at+1:], '\n')
			s = s[:at] + "\n  " + params[i] + ": " + params[i+1] + s[end:]
		}
		files[n] = &fstest.MapFile{Data: []byte(s)}
	}
	set, err := seats.Language().Load(files)
	if err != nil {
		tb.Fatal(err)
	}
	return set
}

// world is a service on a memory store with a partner and its company
// (alias acme-fleet) owning seats of CoPilot.
type world struct {
	svc     *seats.Service
	store   ports.Store
	clock   *clock
	partner domain.Principal
	acct    domain.Account
	admin   domain.Principal // the company's account token
}

func newWorld(tb testing.TB, copilotSeats int, params ...string) *world {
	tb.Helper()
	w := &world{store: memory.New(), clock: &clock{t: day0}}
	tb.Cleanup(func() { w.store.Close() })
	svc, err := seats.New(seats.Options{Store: w.store, Rules: shippedRules(tb, params...), Clock: w.clock})
	if err != nil {
		tb.Fatal(err)
	}
	w.svc = svc
	w.partner = domain.Principal{Partner: "fleet-partner", Credential: domain.APIKey}
	w.acct = must(w.svc.CreateCompany(ctx, w.partner, seats.CompanyRequest{Name: "Acme Fleet"}))(tb)
	w.admin = accountToken(w.acct)
	if copilotSeats > 0 {
		must(w.svc.SetSeats(ctx, w.partner, seats.SeatsRequest{Alias: w.acct.Alias, ProductID: "CoPilot", Seats: copilotSeats}))(tb)
	}
	return w
}

var ctx = context.Background()

// accountToken is the principal of an apiKey + alias token for acct.
func accountToken(acct domain.Account) domain.Principal {
	return domain.Principal{Partner: acct.PartnerID, Account: itoa(acct.ID), Credential: domain.APIKey}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// must returns a function that fails tb when err is set, else gives v.
func must[T any](v T, err error) func(testing.TB) T {
	return func(tb testing.TB) T {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
		return v
	}
}

// addUsers adds users with the given externalIds.
func (w *world) addUsers(tb testing.TB, p domain.Principal, ids ...string) []domain.User {
	tb.Helper()
	var out []domain.User
	for _, id := range ids {
		out = append(out, must(w.svc.AddUser(ctx, p, seats.UserInput{ExternalID: id}))(tb))
	}
	return out
}

// wantErr fails tb unless err is a *domain.Error of code whose field (or,
// for a list of problems, one of whose violations' field) is field and whose
// text holds msg.
func wantErr(tb testing.TB, err error, code domain.Code, field, msg string) {
	tb.Helper()
	var de *domain.Error
	if !errors.As(err, &de) {
		tb.Fatalf("got %v, want a *domain.Error of code %s", err, code)
	}
	named := de.Field == field
	for _, v := range de.Violations {
		named = named || (de.Field == "" && v.Field == field)
	}
	if de.Code != code || !named || !strings.Contains(de.Error(), msg) {
		tb.Errorf("got %s (field %q): %v\nwant %s (field %q) saying %q", de.Code, de.Field, err, code, field, msg)
	}
}

// outcome is an ItemResult in brief: "id ok" or "id CODE".
func outcome(rs []seats.ItemResult) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		if r.OK {
			out[i] = r.ExternalID + " ok"
		} else {
			out[i] = r.ExternalID + " " + r.Code
		}
	}
	return out
}

func date(tb testing.TB, s string) domain.Date {
	tb.Helper()
	d, err := domain.ParseDate(s)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

func memoryStore(tb testing.TB) ports.Store {
	s := memory.New()
	tb.Cleanup(func() { s.Close() })
	return s
}
