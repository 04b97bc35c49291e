package storetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// RunAccounts runs the contract of ports.AccountsTx (seeds 002 and 003) and
// of what the accounts context adds to the platform: every field of an
// account round-trips (seed 003's account object, its block records, plans,
// limits, premium subscriptions, seed 002's services and SKUs); Count
// selects what domain.AccountQuery.Matches selects; client plans belong to
// one partner; managed-billing links keep one live link per managed account
// and service; sessions slide (Clients.TouchToken); logins count failures
// (User.FailedLogins, LockedAt) and sessions name their login
// (Token.UserID); block records interleaved in separate transactions read
// back as the pure function domain.Account.BlockedAt says, at random
// instants (a rapid property). See Run for open.
//
// What the contract fixes where ports/accounts.go leaves a choice:
//   - Plans are keyed by partner and id: another partner's plan with the
//     same id is a plan of its own, and Put never replaces it. Put with an
//     empty ID is CodeInvalid naming "tariff_plan_id".
//   - ManagedLinks.Create stores the link in state ADDED whatever l.State
//     says and sets l.ID and l.State; a refused Create leaves l as it was.
//   - ManagedLinks.SetState of an unknown id is CodeNotFound naming "txid";
//     a state that is not one of domain's three is CodeInvalid naming
//     "state"; making a link live while another live link of its managed
//     account and service exists is CodeConflict naming "managedAccList".
//     SetState sets UpdatedAt to at.
//   - ByTxID and ByPrimary of nothing are empty, not an error.
//   - Clients.TouchToken of an unknown hash is CodeNotFound naming "token".
//   - Block records come back in the order they were put: among records of
//     one instant the later one decides (domain.Account.BlockedAt).
func RunAccounts(t *testing.T, open func(t *testing.T) ports.Store) {
	area{
		{"Accounts/RoundTrip", accountsRoundTrip},
		{"Accounts/Count", accountsCount},
		{"Accounts/Plans", accountsPlans},
		{"Accounts/ManagedLinks", accountsManagedLinks},
		{"Accounts/ManagedLinkLookups", accountsManagedLinkLookups},
		{"Accounts/ManagedLinkRollback", accountsManagedLinkRollback},
		{"Accounts/TouchToken", accountsTouchToken},
		{"Accounts/Logins", accountsLogins},
		{"Accounts/Copies", accountsCopies},
		{"Accounts/BlocksAtRandomInstants", accountsBlocksProperty},
		{"Accounts/LongHistory", accountsLongHistory},
	}.run(t, open)
}

// The apps, plan, service and SKU of seeds 002 and 003.
const (
	forguard    = "b901da51-ce00-4af2-b978-8d0fca8ae1ea"
	ruhavik     = "5a5ca87f-7cbe-4540-ab5d-77bf4bf69884"
	seedPlan    = "52ffXXXXXXXXXXXXdc89"
	location    = "Location"
	locationSKU = "TS-LOC-COARSE-CellID-Aggr"
	seedPrimary = "1234567890-00001"
)

// seedManaged are the managed accounts of seed 002's add request.
var seedManaged = []string{"1223334444-00001", "2334445555-00001", "3445556666-00001"}

// gpsAccount is seed 003's account object with every field set, and seed
// 002's services and SKUs.
func gpsAccount(partner, alias string) domain.Account {
	at := stamp()
	return domain.Account{PartnerID: partner, Alias: alias, Title: "Forguard " + alias, CreatedAt: at, Activated: true,
		Blocks: []domain.BlockRecord{{Blocked: true, At: at.Add(time.Hour)}, {Blocked: false, At: at.Add(2 * time.Hour)},
			{Blocked: true, At: at.Add(2 * time.Hour)}},
		Plans: map[string]string{forguard: seedPlan},
		Limits: map[string]domain.Limits{forguard: {Units: 10, Geofences: 20, Users: 5, Triggers: 3, UnitExtraFields: 7,
			UnitNotifySettings: 2}, ruhavik: {Units: 1}},
		Description: "Fleet of " + alias, LinkApp: ruhavik, RegApps: []string{forguard, ruhavik}, ServiceApps: []string{forguard},
		UpdatedAt: at.Add(3 * time.Minute), ActivatedAt: at.Add(time.Minute), Attached: true, AttachedAt: at.Add(2 * time.Minute),
		AddedAt: at.Add(-time.Hour), Type: domain.AccountManaged,
		Premium: []domain.AppSubscription{{AppID: ruhavik, Active: true, Type: "td_stripe", SubscriptionID: "td-basic.yearly",
			Expiry: at.AddDate(1, 0, 0), OrderID: "sub_1PqXYZ", AutoRenew: true},
			{AppID: ruhavik, Type: "google", SubscriptionID: "td-basic.monthly", Expiry: at.AddDate(0, -1, 0), OrderID: "GPA.3312"}},
		Services: []string{location}, SKUs: []string{locationSKU, "TS-LOC-FINE-Aggr"}}
}

// bareAccount has nothing but a partner and an alias: its zero instants,
// type and empty lists must come back zero and empty.
func bareAccount(partner, alias string) domain.Account {
	return domain.Account{PartnerID: partner, Alias: alias, CreatedAt: stamp()}
}

func getAccount(tb testing.TB, s ports.Store, id int64) domain.Account {
	tb.Helper()
	return read(tb, s, func(tx ports.Tx) (domain.Account, error) { return tx.Accounts().Get(tb.Context(), id) })
}

func accountsRoundTrip(t *testing.T, s ports.Store) {
	ctx := t.Context()
	full := newAccount(t, s, gpsAccount("gps-partner", "11111"))
	same(t, "seed 003's account from Get", full, getAccount(t, s, full.ID))
	same(t, "seed 003's account from ByAlias", full,
		read(t, s, func(tx ports.Tx) (domain.Account, error) { return tx.Accounts().ByAlias(ctx, "11111") }))
	bare := newAccount(t, s, bareAccount("gps-partner", seedPrimary))
	got := getAccount(t, s, bare.ID)
	same(t, "an account with nothing set", bare, got)
	for name, at := range map[string]time.Time{"UpdatedAt": got.UpdatedAt, "ActivatedAt": got.ActivatedAt,
		"AttachedAt": got.AttachedAt, "AddedAt": got.AddedAt} {
		if !at.IsZero() {
			t.Errorf("an account with no %s reads back %s, want the zero instant", name, at)
		}
	}
	same(t, "a partner's accounts", []domain.Account{full, bare},
		read(t, s, func(tx ports.Tx) ([]domain.Account, error) { return tx.Accounts().ByPartner(ctx, "gps-partner", 0, 0) }))

	// Put replaces every field, both ways: the full account emptied, the
	// bare one filled.
	emptied := bareAccount("gps-partner", "11111")
	emptied.ID = full.ID
	filled := gpsAccount("gps-partner", seedPrimary)
	filled.ID, filled.Type, filled.Blocks = bare.ID, domain.AccountPartner, []domain.BlockRecord{{Blocked: true, At: stamp()}}
	update(t, s, func(tx ports.Tx) error {
		if err := tx.Accounts().Put(ctx, emptied); err != nil {
			return err
		}
		return tx.Accounts().Put(ctx, filled)
	})
	same(t, "an account Put emptied", emptied, getAccount(t, s, full.ID))
	same(t, "an account Put filled", filled, getAccount(t, s, bare.ID))
	wantCode(t, "Put of an account that does not exist", s.Update(ctx, func(tx ports.Tx) error {
		a := gpsAccount("gps-partner", "nobody")
		a.ID = bare.ID + 1000
		return tx.Accounts().Put(ctx, a)
	}), domain.CodeNotFound)
}

func accountsCount(t *testing.T, s ports.Store) {
	ctx := t.Context()
	var all []domain.Account
	for i := range 12 {
		a := bareAccount("gps-partner", fmt.Sprintf("acct-%02d", i))
		a.Activated, a.Attached = i%2 == 0, i%3 == 0
		switch i % 4 {
		case 0:
			a.RegApps = []string{forguard}
		case 1:
			a.RegApps = []string{ruhavik}
		case 2:
			a.RegApps = []string{forguard, ruhavik}
		}
		all = append(all, newAccount(t, s, a))
	}
	// Another partner's accounts match every filter but the partner.
	for i := range 3 {
		a := gpsAccount("other-partner", fmt.Sprintf("other-%d", i))
		newAccount(t, s, a)
	}
	yes, no := true, false
	for _, attached := range []*bool{nil, &yes, &no} {
		for _, activated := range []*bool{nil, &yes, &no} {
			for _, app := range []string{"", forguard, ruhavik, "no-such-app"} {
				for _, partner := range []string{"gps-partner", "other-partner", "nobody"} {
					q := domain.AccountQuery{PartnerID: partner, Attached: attached, Activated: activated, AppID: app}
					want := 0
					for _, a := range read(t, s, func(tx ports.Tx) ([]domain.Account, error) {
						return tx.Accounts().ByPartner(ctx, partner, 0, 0)
					}) {
						if q.Matches(&a) {
							want++
						}
					}
					got := read(t, s, func(tx ports.Tx) (int, error) { return tx.Accounts().Count(ctx, q) })
					if got != want {
						t.Errorf("Count(partner %q, attached %v, activated %v, app %q) = %d, want %d",
							partner, deref(attached), deref(activated), app, got, want)
					}
				}
			}
		}
	}
	if n := read(t, s, func(tx ports.Tx) (int, error) {
		return tx.Accounts().Count(ctx, domain.AccountQuery{PartnerID: "gps-partner"})
	}); n != len(all) {
		t.Errorf("Count of every account of the partner = %d, want %d", n, len(all))
	}
}

func deref(b *bool) string {
	if b == nil {
		return "any"
	}
	return fmt.Sprint(*b)
}

func clientPlan(partner, id, app string) domain.ClientPlan {
	return domain.ClientPlan{ID: id, PartnerID: partner, AppID: app, Name: "Plan " + id, Description: "Up to 10 units",
		Quotas: domain.PlanQuotas{Units: 10, Geofences: 25, UnitStorage: 90}, Modules: []string{"tracking", "reports"}}
}

func accountsPlans(t *testing.T, s ports.Store) {
	ctx := t.Context()
	seed := clientPlan("gps-partner", seedPlan, forguard)
	other := clientPlan("gps-partner", "7a00XXXXXXXXXXXX0001", ruhavik)
	rival := clientPlan("rival-partner", seedPlan, forguard)
	rival.Name, rival.Modules = "Rival's plan", nil
	putAll(t, s, func(tx ports.Tx, p domain.ClientPlan) error { return tx.Plans().Put(ctx, p) }, other, seed, rival)
	get := func(partner, id string) (domain.ClientPlan, error) {
		var p domain.ClientPlan
		err := s.View(ctx, func(tx ports.Tx) (err error) {
			p, err = tx.Plans().Get(ctx, partner, id)
			return err
		})
		return p, err
	}
	got, err := get("gps-partner", seedPlan)
	if err != nil {
		t.Fatalf("Get of seed 003's plan: %v", err)
	}
	same(t, "seed 003's plan", seed, got)
	got, err = get("rival-partner", seedPlan)
	if err != nil {
		t.Fatalf("Get of another partner's plan of the same id: %v", err)
	}
	same(t, "another partner's plan of the same id", rival, got)
	wantCode(t, "Get of another partner's plan", errOf(get("rival-partner", other.ID)), domain.CodeNotFound)
	wantCode(t, "Get of an unknown plan", errOf(get("gps-partner", "nope")), domain.CodeNotFound)

	byPartner := func(partner, app string) []domain.ClientPlan {
		return read(t, s, func(tx ports.Tx) ([]domain.ClientPlan, error) { return tx.Plans().ByPartner(ctx, partner, app) })
	}
	// Ordered by id: "52ff..." before "7a00...".
	same(t, "a partner's plans", []domain.ClientPlan{seed, other}, byPartner("gps-partner", ""))
	same(t, "a partner's Forguard plans", []domain.ClientPlan{seed}, byPartner("gps-partner", forguard))
	same(t, "a partner's plans of an app it has none of", []domain.ClientPlan(nil), byPartner("gps-partner", "no-such-app"))
	same(t, "the plans of a partner with none", []domain.ClientPlan(nil), byPartner("nobody", ""))

	// Put replaces the partner's own plan and leaves the rival's alone.
	seed.Name, seed.Quotas, seed.Modules = "Renamed", domain.PlanQuotas{Units: 1}, []string{"tracking"}
	putAll(t, s, func(tx ports.Tx, p domain.ClientPlan) error { return tx.Plans().Put(ctx, p) }, seed)
	got, _ = get("gps-partner", seedPlan)
	same(t, "a replaced plan", seed, got)
	got, _ = get("rival-partner", seedPlan)
	same(t, "the rival's plan after the partner replaced its own", rival, got)
	wantError(t, "Put of a plan with no id", s.Update(ctx, func(tx ports.Tx) error {
		return tx.Plans().Put(ctx, clientPlan("gps-partner", "", forguard))
	}), domain.CodeInvalid, "tariff_plan_id")
}

// link is a link of seed 002's add request: primary's, of managed, for the
// Location service.
func link(primary, managed, txID string) domain.ManagedLink {
	return domain.ManagedLink{Primary: primary, Managed: managed, Service: location, SKU: locationSKU, TxID: txID,
		CreatedAt: stamp(), UpdatedAt: stamp()}
}

// createLink stores l in its own Update and returns it with its ID, or the
// error; a refused l must come back as it was.
func createLink(tb testing.TB, s ports.Store, l domain.ManagedLink) (domain.ManagedLink, error) {
	tb.Helper()
	before := l
	err := s.Update(tb.Context(), func(tx ports.Tx) error { return tx.ManagedLinks().Create(tb.Context(), &l) })
	if err != nil {
		same(tb, "a link after a refused Create", before, l)
	}
	return l, err
}

func mustLink(tb testing.TB, s ports.Store, l domain.ManagedLink) domain.ManagedLink {
	tb.Helper()
	l, err := createLink(tb, s, l)
	if err != nil {
		tb.Fatalf("ManagedLinks.Create of %s under %s: %v", l.Managed, l.Primary, err)
	}
	if l.ID <= 0 || l.State != domain.LinkAdded {
		tb.Fatalf("ManagedLinks.Create gave ID %d and state %q, want a positive ID and %q", l.ID, l.State, domain.LinkAdded)
	}
	return l
}

func setState(tb testing.TB, s ports.Store, id int64, state domain.ManagedLinkState, at time.Time) error {
	tb.Helper()
	return s.Update(tb.Context(), func(tx ports.Tx) error { return tx.ManagedLinks().SetState(tb.Context(), id, state, at) })
}

func liveLink(tb testing.TB, s ports.Store, managed string) (domain.ManagedLink, error) {
	tb.Helper()
	var l domain.ManagedLink
	err := s.View(tb.Context(), func(tx ports.Tx) (err error) {
		l, err = tx.ManagedLinks().Live(tb.Context(), managed, location)
		return err
	})
	return l, err
}

func accountsManagedLinks(t *testing.T, s ports.Store) {
	const rival = "9876543210-00001"
	managed := seedManaged[0]
	a := link(seedPrimary, managed, "2c90bd28-ece4-42ef-9f02-7e3bd4fbff33")
	a.State = domain.LinkActivated // Create stores ADDED whatever it is given
	a = mustLink(t, s, a)
	got, err := liveLink(t, s, managed)
	if err != nil {
		t.Fatalf("Live after Create: %v", err)
	}
	same(t, "the live link", a, got)

	// A second live link of the account and service, from any primary.
	for _, primary := range []string{seedPrimary, rival} {
		_, err := createLink(t, s, link(primary, managed, "tx-second-"+primary))
		wantError(t, "a second live link from "+primary, err, domain.CodeConflict, "managedAccList")
	}
	// Another service of the account is a link of its own.
	other := link(rival, managed, "tx-other-service")
	other.Service = "Tracking"
	mustLink(t, s, other)

	later := stamp().Add(time.Hour)
	if err := setState(t, s, a.ID, domain.LinkActivated, later); err != nil {
		t.Fatalf("SetState ACTIVATED: %v", err)
	}
	_, err = createLink(t, s, link(rival, managed, "tx-while-activated"))
	wantError(t, "a link while another is ACTIVATED", err, domain.CodeConflict, "managedAccList")
	got, _ = liveLink(t, s, managed)
	a.State, a.UpdatedAt = domain.LinkActivated, later
	same(t, "the activated link", a, got)

	if err := setState(t, s, a.ID, domain.LinkCanceled, later.Add(time.Minute)); err != nil {
		t.Fatalf("SetState CANCELED: %v", err)
	}
	_, err = liveLink(t, s, managed)
	wantCode(t, "Live after the link was cancelled", err, domain.CodeNotFound)
	b := mustLink(t, s, link(rival, managed, "tx-after-cancel"))
	if b.ID <= a.ID {
		t.Errorf("a later link has ID %d, not past %d", b.ID, a.ID)
	}
	wantError(t, "making the cancelled link live again while another is live",
		setState(t, s, a.ID, domain.LinkActivated, later.Add(2*time.Minute)), domain.CodeConflict, "managedAccList")
	wantError(t, "making the cancelled link ADDED again while another is live",
		setState(t, s, a.ID, domain.LinkAdded, later.Add(2*time.Minute)), domain.CodeConflict, "managedAccList")
	got, _ = liveLink(t, s, managed)
	same(t, "the live link after refused SetStates", b, got)
	// The live link itself may move between the live states.
	if err := setState(t, s, b.ID, domain.LinkActivated, later.Add(3*time.Minute)); err != nil {
		t.Errorf("SetState ACTIVATED of the live link: %v", err)
	}
	if err := setState(t, s, b.ID, domain.LinkActivated, later.Add(4*time.Minute)); err != nil {
		t.Errorf("SetState ACTIVATED of an ACTIVATED link: %v", err)
	}
	wantError(t, "SetState of an unknown link", setState(t, s, b.ID+1000, domain.LinkCanceled, later), domain.CodeNotFound, "txid")
	wantError(t, "SetState to a state that does not exist", setState(t, s, b.ID, "PENDING", later), domain.CodeInvalid, "state")
	_, err = liveLink(t, s, "0000000000-00000")
	wantCode(t, "Live of an account with no link", err, domain.CodeNotFound)
}

func accountsManagedLinkLookups(t *testing.T, s ports.Store) {
	ctx := t.Context()
	const tx1, tx2 = "2c90bd28-ece4-42ef-9f02-7e3bd4fbff33", "tx-2"
	var first []domain.ManagedLink
	for _, m := range seedManaged {
		first = append(first, mustLink(t, s, link(seedPrimary, m, tx1)))
	}
	rival := mustLink(t, s, link("9876543210-00001", "4556667777-00001", tx2))
	if err := setState(t, s, first[1].ID, domain.LinkActivated, stamp().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := setState(t, s, first[2].ID, domain.LinkCanceled, stamp().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	first[1].State, first[1].UpdatedAt = domain.LinkActivated, stamp().Add(time.Hour)
	first[2].State, first[2].UpdatedAt = domain.LinkCanceled, stamp().Add(time.Hour)
	byTx := func(txID string) []domain.ManagedLink {
		return read(t, s, func(tx ports.Tx) ([]domain.ManagedLink, error) { return tx.ManagedLinks().ByTxID(ctx, txID) })
	}
	same(t, "the links of seed 002's add request", first, byTx(tx1))
	same(t, "the links of another request", []domain.ManagedLink{rival}, byTx(tx2))
	same(t, "the links of an unknown request", []domain.ManagedLink(nil), byTx("nope"))

	byPrimary := func(primary string, states ...domain.ManagedLinkState) []domain.ManagedLink {
		return read(t, s, func(tx ports.Tx) ([]domain.ManagedLink, error) {
			return tx.ManagedLinks().ByPrimary(ctx, primary, location, states...)
		})
	}
	same(t, "every link of the primary", first, byPrimary(seedPrimary))
	same(t, "the primary's ADD list (added or cancelled)", []domain.ManagedLink{first[0], first[2]},
		byPrimary(seedPrimary, domain.LinkAdded, domain.LinkCanceled))
	same(t, "the primary's PROVISION list", []domain.ManagedLink{first[1]}, byPrimary(seedPrimary, domain.LinkActivated))
	same(t, "another primary's links", []domain.ManagedLink{rival}, byPrimary("9876543210-00001"))
	same(t, "the links of a primary with none", []domain.ManagedLink(nil), byPrimary("0000000000-00000"))
	same(t, "the primary's links of another service", []domain.ManagedLink(nil),
		read(t, s, func(tx ports.Tx) ([]domain.ManagedLink, error) {
			return tx.ManagedLinks().ByPrimary(ctx, seedPrimary, "Tracking")
		}))
}

// accountsManagedLinkRollback: a link created in a rolled-back Update holds
// nothing: no live link, and the account can be added again.
func accountsManagedLinkRollback(t *testing.T, s ports.Store) {
	ctx := t.Context()
	err := s.Update(ctx, func(tx ports.Tx) error {
		l := link(seedPrimary, seedManaged[0], "tx-rolled-back")
		if err := tx.ManagedLinks().Create(ctx, &l); err != nil {
			return err
		}
		return errRollback
	})
	if err != errRollback {
		t.Fatalf("Update returned %v, want the rollback error", err)
	}
	_, err = liveLink(t, s, seedManaged[0])
	wantCode(t, "Live after a rolled-back Create", err, domain.CodeNotFound)
	mustLink(t, s, link("9876543210-00001", seedManaged[0], "tx-after"))
	if n := len(read(t, s, func(tx ports.Tx) ([]domain.ManagedLink, error) {
		return tx.ManagedLinks().ByTxID(ctx, "tx-rolled-back")
	})); n != 0 {
		t.Errorf("a rolled-back request left %d links", n)
	}
}

// errRollback is what a test's Update returns to roll back.
var errRollback = fmt.Errorf("roll back")

func accountsTouchToken(t *testing.T, s ports.Store) {
	ctx := t.Context()
	c := domain.Client{ID: "billing-client", Name: "ThingSpace billing", SecretHash: domain.HashSecret("secret")}
	a := newAccount(t, s, bareAccount("billing-client", seedPrimary))
	u := newUser(t, s, loginUser(a.ID, "primary", "primary@example.com"))
	tok := domain.Token{Hash: domain.HashSecret("session-1"), ClientID: c.ID, Kind: domain.Session, AccountID: a.ID,
		UserID: u.ID, ExpiresAt: stamp().Add(20 * time.Minute)}
	update(t, s, func(tx ports.Tx) error {
		if err := tx.Clients().Put(ctx, c); err != nil {
			return err
		}
		return tx.Clients().PutToken(ctx, tok)
	})
	getTok := func() domain.Token {
		return read(t, s, func(tx ports.Tx) (domain.Token, error) { return tx.Clients().Token(ctx, tok.Hash) })
	}
	same(t, "a session token with its login", tok, getTok())

	slid := stamp().Add(35 * time.Minute)
	update(t, s, func(tx ports.Tx) error { return tx.Clients().TouchToken(ctx, tok.Hash, slid) })
	tok.ExpiresAt = slid
	same(t, "a session after TouchToken", tok, getTok())
	wantError(t, "TouchToken of an unknown token", s.Update(ctx, func(tx ports.Tx) error {
		return tx.Clients().TouchToken(ctx, domain.HashSecret("other"), slid)
	}), domain.CodeNotFound, "token")
	if err := viewErr(t, s, func(tx ports.Tx) error { return tx.Clients().TouchToken(ctx, tok.Hash, slid.Add(time.Hour)) }); err == nil {
		t.Error("TouchToken in a View succeeded")
	}
	same(t, "a session after a TouchToken in a View", tok, getTok())
	// A rolled-back TouchToken moves nothing.
	_ = s.Update(ctx, func(tx ports.Tx) error {
		if err := tx.Clients().TouchToken(ctx, tok.Hash, slid.Add(time.Hour)); err != nil {
			return err
		}
		return errRollback
	})
	same(t, "a session after a rolled-back TouchToken", tok, getTok())
}

// accountsLogins: a login's failure count and lock round-trip through
// Create and Put.
func accountsLogins(t *testing.T, s ports.Store) {
	ctx := t.Context()
	a := newAccount(t, s, bareAccount("billing-client", seedPrimary))
	u := loginUser(a.ID, "primary", "primary@example.com")
	u.FailedLogins = 3
	u = newUser(t, s, u)
	get := func() domain.User {
		return read(t, s, func(tx ports.Tx) (domain.User, error) { return tx.Users().ByUsername(ctx, "primary@example.com") })
	}
	same(t, "a login with 3 failures", u, get())
	u.FailedLogins, u.LockedAt = 5, stamp().Add(time.Minute)
	update(t, s, func(tx ports.Tx) error { return tx.Users().Put(ctx, u) })
	same(t, "a locked login", u, get())
	u.FailedLogins, u.LockedAt = 0, time.Time{}
	update(t, s, func(tx ports.Tx) error { return tx.Users().Put(ctx, u) })
	got := get()
	same(t, "an unlocked login", u, got)
	if !got.LockedAt.IsZero() {
		t.Errorf("an unlocked login reads LockedAt %s, want the zero instant", got.LockedAt)
	}
}

// accountsCopies: neither what a caller put nor what it got shares memory
// with the store (an account's lists and maps, a plan's modules).
func accountsCopies(t *testing.T, s ports.Store) {
	ctx := t.Context()
	isolated(t, s, "an account from ByAlias", func() domain.Account { return gpsAccount("gps-partner", "11111") },
		func(tx ports.Tx, a domain.Account) error { return tx.Accounts().Create(ctx, &a) },
		func(tx ports.Tx) (domain.Account, error) {
			a, err := tx.Accounts().ByAlias(ctx, "11111")
			a.ID = 0
			return a, err
		},
		func(a *domain.Account) {
			a.Blocks[0].Blocked = false
			a.Plans[forguard] = "changed"
			a.RegApps[0], a.ServiceApps[0] = "changed", "changed"
			a.Premium[0].Active = false
			a.Services[0], a.SKUs[0] = "changed", "changed"
		})
	isolated(t, s, "a plan from Get", func() domain.ClientPlan { return clientPlan("gps-partner", seedPlan, forguard) },
		func(tx ports.Tx, p domain.ClientPlan) error { return tx.Plans().Put(ctx, p) },
		func(tx ports.Tx) (domain.ClientPlan, error) { return tx.Plans().Get(ctx, "gps-partner", seedPlan) },
		func(p *domain.ClientPlan) { p.Modules[0] = "changed" })
}

// accountsLongHistory: an account blocked and unblocked every minute for a
// week (10,080 records), with a long description and many apps, reads back
// whole and in order.
func accountsLongHistory(t *testing.T, s ports.Store) {
	a := gpsAccount("gps-partner", "11111")
	a.Blocks = nil
	for i := range 7 * 24 * 60 {
		a.Blocks = append(a.Blocks, domain.BlockRecord{Blocked: i%2 == 0, At: stamp().Add(time.Duration(i) * time.Minute)})
	}
	for i := range 500 {
		a.RegApps = append(a.RegApps, fmt.Sprintf("app-%04d", i))
	}
	a.Description = strings.Repeat("Долгое описание, ", 4000)
	a = newAccount(t, s, a)
	got := getAccount(t, s, a.ID)
	same(t, "an account with a week of block records", a, got)
	if !got.BlockedAt(stamp().Add(7*24*time.Hour - 2*time.Minute + time.Second)) {
		t.Error("the account is not blocked after its second-to-last record, a block")
	}
}

// blockOp is one generated block or unblock record, minutes after stamp.
type blockOp struct {
	Blocked bool
	Minute  int
}

// accountsBlocksProperty: block, unblock and scheduled block records, each
// put in a transaction of its own under LockAccount as a use case does,
// read back in order, and whether the account is blocked (and when it will
// be) at any instant is what an independent reading of the records says:
// the latest record at or before the instant decides, the later-put one
// among records of one instant.
func accountsBlocksProperty(t *testing.T, s ports.Store) {
	ctx := t.Context()
	var n atomic.Int64
	rapid.Check(t, func(rt *rapid.T) {
		a := bareAccount("gps-partner", fmt.Sprintf("prop-%d", n.Add(1)))
		a.Activated = true
		if err := s.Update(ctx, func(tx ports.Tx) error { return tx.Accounts().Create(ctx, &a) }); err != nil {
			rt.Fatalf("Create: %v", err)
		}
		ops := rapid.SliceOfN(rapid.Custom(func(rt *rapid.T) blockOp {
			return blockOp{Blocked: rapid.Bool().Draw(rt, "blocked"), Minute: rapid.IntRange(0, 60).Draw(rt, "minute")}
		}), 1, 8).Draw(rt, "ops")
		var want []domain.BlockRecord
		for _, op := range ops {
			r := domain.BlockRecord{Blocked: op.Blocked, At: stamp().Add(time.Duration(op.Minute) * time.Minute)}
			want = append(want, r)
			if err := s.Update(ctx, func(tx ports.Tx) error { return appendBlock(ctx, tx, a.ID, r) }); err != nil {
				rt.Fatalf("Put of block record %+v: %v", r, err)
			}
		}
		var got domain.Account
		if err := s.View(ctx, func(tx ports.Tx) (err error) { got, err = tx.Accounts().Get(ctx, a.ID); return err }); err != nil {
			rt.Fatalf("Get: %v", err)
		}
		if len(got.Blocks) != len(want) {
			rt.Fatalf("%d block records read back, want %d: %+v", len(got.Blocks), len(want), got.Blocks)
		}
		for i := range want {
			if got.Blocks[i].Blocked != want[i].Blocked || !got.Blocks[i].At.Equal(want[i].At) {
				rt.Fatalf("block record %d reads %+v, want %+v", i, got.Blocks[i], want[i])
			}
		}
		for _, sec := range rapid.SliceOfN(rapid.IntRange(-60, 62*60), 1, 16).Draw(rt, "instants") {
			at := stamp().Add(time.Duration(sec) * time.Second)
			if b, w := got.BlockedAt(at), blockedAt(want, at); b != w {
				rt.Fatalf("at %s the stored account reads blocked %v, the records say %v: %+v", at, b, w, want)
			}
			next, ok := got.ScheduledBlock(at)
			wnext, wok := scheduledAfter(want, at)
			if ok != wok || !next.Equal(wnext) {
				rt.Fatalf("at %s the next scheduled block reads %s (%v), the records say %s (%v)", at, next, ok, wnext, wok)
			}
		}
	})
}

// appendBlock is what a block use case does: lock the account, read it,
// append the record, put it back.
func appendBlock(ctx context.Context, tx ports.Tx, id int64, r domain.BlockRecord) error {
	if err := tx.LockAccount(ctx, id); err != nil {
		return err
	}
	a, err := tx.Accounts().Get(ctx, id)
	if err != nil {
		return err
	}
	a.Blocks = append(a.Blocks, r)
	return tx.Accounts().Put(ctx, a)
}

// blockedAt is the reference reading of block records: sorted by instant,
// stably, the last one at or before at decides.
func blockedAt(records []domain.BlockRecord, at time.Time) bool {
	rs := slices.Clone(records)
	slices.SortStableFunc(rs, func(a, b domain.BlockRecord) int { return a.At.Compare(b.At) })
	blocked := false
	for _, r := range rs {
		if r.At.After(at) {
			break
		}
		blocked = r.Blocked
	}
	return blocked
}

// scheduledAfter is the reference reading of the next block after at.
func scheduledAfter(records []domain.BlockRecord, at time.Time) (time.Time, bool) {
	var next []time.Time
	for _, r := range records {
		if r.Blocked && r.At.After(at) {
			next = append(next, r.At)
		}
	}
	if len(next) == 0 {
		return time.Time{}, false
	}
	return slices.MinFunc(next, time.Time.Compare), true
}
