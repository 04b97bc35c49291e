package accounts_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/entitle-rules/entitle/adapters/memory"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules"
	"github.com/entitle-rules/entitle/rules/accounts"
	"github.com/entitle-rules/entitle/rulesets"
)

// Four days before seed 003's blocked_at (1748120400).
var t0 = time.Date(2025, 5, 20, 12, 0, 0, 0, time.UTC)

// The app ids of seed 003.
const (
	forguard = "b901da51-ce00-4af2-b978-8d0fca8ae1ea"
	ruhavik  = "5a5ca87f-7cbe-4540-ab5d-77bf4bf69884"
	sku      = "TS-LOC-COARSE-CellID-Aggr"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// counter makes ids tx-1, tx-2, ...
type counter struct{ n atomic.Int64 }

func (c *counter) NewID() string { return fmt.Sprintf("tx-%d", c.n.Add(1)) }

var shipped = sync.OnceValues(func() (*rules.Set, error) { return accounts.Language().Load(rulesets.FS) })

func shippedRules(tb testing.TB) *rules.Set {
	tb.Helper()
	set, err := shipped()
	if err != nil {
		tb.Fatal(err)
	}
	return set
}

// world is a service on a memory store holding seed 002's ThingSpace
// accounts (partner billing-client) and seed 003's GPS-Trace accounts
// (partner gps-partner), with another partner of each kind.
type world struct {
	svc   *accounts.Service
	store ports.Store
	clock *clock
	ids   *counter
	acct  map[string]domain.Account // by alias
}

func newWorld(tb testing.TB) *world {
	tb.Helper()
	return newWorldOn(tb, memory.New())
}

func newWorldOn(tb testing.TB, store ports.Store) *world {
	tb.Helper()
	w := &world{store: store, clock: &clock{t: t0}, ids: &counter{}, acct: map[string]domain.Account{}}
	svc, err := accounts.New(accounts.Options{Store: store, Rules: shippedRules(tb), Clock: w.clock, IDs: w.ids})
	if err != nil {
		tb.Fatal(err)
	}
	w.svc = svc
	loc := []string{"Location"}
	created := t0.Add(-30 * 24 * time.Hour)
	all := []domain.Account{
		// Seed 002.
		{PartnerID: "billing-client", Alias: "1234567890-00001", Title: "Primary", Services: loc, SKUs: []string{sku}, Activated: true},
		{PartnerID: "billing-client", Alias: "1223334444-00001", Title: "Managed 1", Services: loc, Activated: true},
		{PartnerID: "billing-client", Alias: "2334445555-00001", Title: "Managed 2", Services: loc, Activated: true},
		{PartnerID: "billing-client", Alias: "3445556666-00001", Title: "Managed 3", Services: loc, Activated: true},
		{PartnerID: "billing-client", Alias: "5556667777-00001", Title: "Primary 2", Services: loc, SKUs: []string{sku}, Activated: true},
		{PartnerID: "billing-client", Alias: "4445556666-00001", Title: "Not registered", Activated: true},
		{PartnerID: "other-billing", Alias: "7778889999-00001", Title: "Another tenant's", Services: loc, Activated: true},
		// Seed 003.
		{ID: 11111, PartnerID: "gps-partner", Alias: "forguard-11111", Title: "Forguard 11111", Type: domain.AccountManaged,
			Activated: true, ActivatedAt: created, AddedAt: created, RegApps: []string{forguard},
			Plans:  map[string]string{forguard: "old-plan"},
			Limits: map[string]domain.Limits{forguard: {Units: 10, Geofences: 15, Users: 1, Triggers: 10}}},
		{ID: 111111, PartnerID: "gps-partner", Alias: "ruhavik-111111", Title: "Ruhavik 111111", Type: domain.AccountSelfRegistered,
			Activated: true, Attached: true, AttachedAt: created, RegApps: []string{ruhavik, forguard}, LinkApp: ruhavik,
			Premium: []domain.AppSubscription{
				{AppID: ruhavik, Active: true, Type: "td-stripe", SubscriptionID: "td-basic.yearly", Expiry: t0.AddDate(1, 0, 0), OrderID: "o-1", AutoRenew: true},
				{AppID: forguard, Active: true, Type: "custom", SubscriptionID: "fg.custom"},
			}},
		{ID: 22222, PartnerID: "gps-partner", Alias: "forguard-22222", Title: "Not activated", Type: domain.AccountManaged, RegApps: []string{forguard}},
		{ID: 33333, PartnerID: "other-gps", Alias: "forguard-33333", Title: "Another partner's", Type: domain.AccountManaged, Activated: true, RegApps: []string{forguard}},
	}
	ctx := context.Background()
	err = store.Update(ctx, func(tx ports.Tx) error {
		for i := range all {
			all[i].CreatedAt = created
			if err := tx.Accounts().Create(ctx, &all[i]); err != nil {
				return err
			}
		}
		for _, p := range []domain.ClientPlan{
			{ID: "52ffXXXXXXXXXXXXdc89", PartnerID: "gps-partner", AppID: forguard, Name: "Forguard basic", Quotas: domain.PlanQuotas{Units: 30, Geofences: 50, UnitStorage: 204800}, Modules: []string{"geofence"}},
			{ID: "ruhavik-plan", PartnerID: "gps-partner", AppID: ruhavik, Name: "Ruhavik"},
			{ID: "other-plan", PartnerID: "other-gps", AppID: forguard, Name: "Another partner's"},
		} {
			if err := tx.Plans().Put(ctx, p); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	for _, a := range all {
		w.acct[a.Alias] = a
	}
	return w
}

// session is the managed-billing session of the account named alias.
func (w *world) session(alias string) domain.Principal {
	a := w.acct[alias]
	return domain.Principal{Partner: a.PartnerID, Account: strconv.FormatInt(a.ID, 10), Credential: domain.Session}
}

// partner is a GPS-Trace partner's X-AccessToken principal.
func partner(id string) domain.Principal {
	return domain.Principal{Partner: id, Credential: domain.AccessToken}
}

func wantCode(tb testing.TB, err error, code domain.Code, field string) {
	tb.Helper()
	var de *domain.Error
	if !errors.As(err, &de) {
		tb.Fatalf("error = %v, want a *domain.Error of code %s", err, code)
	}
	if de.Code != code {
		tb.Fatalf("error = %v (code %s), want code %s", err, de.Code, code)
	}
	if field != "" {
		got := de.Field
		if got == "" && len(de.Violations) > 0 {
			got = de.Violations[0].Field
		}
		if got != field {
			tb.Fatalf("error = %v: field %q, want %q", err, got, field)
		}
	}
}

// links returns every link of managed for Location, any primary.
func (w *world) live(tb testing.TB, managed string) (domain.ManagedLink, bool) {
	tb.Helper()
	var l domain.ManagedLink
	found := false
	err := w.store.View(context.Background(), func(tx ports.Tx) error {
		var err error
		l, err = tx.ManagedLinks().Live(context.Background(), managed, "Location")
		if domain.ErrorCode(err) == domain.CodeNotFound {
			return nil
		}
		found = err == nil
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return l, found
}
