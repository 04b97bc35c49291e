package dataset_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules/dataset"
)

const (
	forguard = "b901da51-ce00-4af2-b978-8d0fca8ae1ea"
	ruhavik  = "5a5ca87f-7cbe-4540-ab5d-77bf4bf69884"
)

// accountsFile is the accounts part of a data file: seed 002's primary and
// managed accounts of a ThingSpace client, with a managed link, and seed
// 003's Forguard and Ruhavik accounts of a GPS-Trace partner, with a
// client plan, an access token, a scheduled block and a premium
// subscription. No passwords: loading it hashes nothing.
var accountsFile = `
clients:
  - {id: billing-client, secretHash: ` + billingHash + `}
  - {id: gps-partner}
companies:
  - {alias: 1234567890-00001, partner: billing-client, services: [Location], skus: [TS-LOC-COARSE-CellID-Aggr],
     createdAt: 2025-01-01T00:00:00Z}
  - {alias: 1223334444-00001, partner: billing-client, services: [Location], createdAt: 2025-01-01T00:00:00Z}
  - id: 11111
    alias: forguard-11111
    title: Forguard example
    description: managed by gps-partner
    partner: gps-partner
    type: 10
    regApps: [` + forguard + `]
    serviceApps: [` + forguard + `]
    linkApp: ` + forguard + `
    activated: true
    activatedAt: 2025-01-10T09:00:00Z
    createdAt: 2025-01-05T09:00:00Z
    addedAt: 2025-01-05T09:00:00Z
    updatedAt: 2025-01-11T09:00:00Z
    plans: {` + forguard + `: 52ffXXXXXXXXXXXXdc89}
    limits: {` + forguard + `: {units: 10, geofences: 15, users: 1, triggers: 10, unitExtraFields: 3, unitNotifySettings: 4}}
    blocks: [{blocked: true, at: 2030-05-24T21:00:00Z}]
  - id: 111111
    alias: ruhavik-111111
    partner: gps-partner
    regApps: [` + ruhavik + `]
    activated: true
    attached: true
    attachedAt: 2025-02-02T08:00:00Z
    premium:
      - {appId: ` + ruhavik + `, active: true, type: td-stripe, subscriptionId: td-basic.yearly,
         expiry: 2026-02-01T00:00:00Z, orderId: order-1, autoRenew: true}
clientPlans:
  - {id: 52ffXXXXXXXXXXXXdc89, partner: gps-partner, app: ` + forguard + `, name: Forguard basic,
     quotas: {units: 10, geofences: 15, unitStorage: 204800}, modules: [geofence, timeline]}
accessTokens:
  - {partner: gps-partner, token: example-access-token-change-me, expires: 2099-01-01T00:00:00Z}
managedLinks:
  - {primary: 1234567890-00001, managed: 1223334444-00001, service: Location, sku: TS-LOC-COARSE-CellID-Aggr,
     txId: 2c90bd28-ece4-42ef-9f02-7e3bd4fbff33, state: ACTIVATED, createdAt: 2025-03-01T00:00:00Z}
`

// billingHash is the SHA-256 of "example-billing-secret-change-me": a
// stored form that costs no argon2id on load.
var billingHash = domain.HashSecret("example-billing-secret-change-me")

var accountsAliases = []string{"1234567890-00001", "1223334444-00001", "forguard-11111", "ruhavik-111111"}

// accountsState is everything the accounts part of a store holds, as one
// comparable text.
func accountsState(t *testing.T, store ports.Store) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	err := store.View(ctx, func(tx ports.Tx) error {
		for _, alias := range accountsAliases {
			a, err := tx.Accounts().ByAlias(ctx, alias)
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, "account %d %s %s %q %q %q %v %v %v %v %v %v %v %v %v %v %v %v %v %v %v %v\n", a.ID, a.Alias, a.PartnerID, a.Title,
				a.Description, a.LinkApp, a.Type, a.RegApps, a.ServiceApps, a.Activated, a.ActivatedAt.UTC(), a.Attached, a.AttachedAt.UTC(),
				a.AddedAt.UTC(), a.CreatedAt.UTC(), a.UpdatedAt.UTC(), a.Plans, a.Limits, a.Services, a.SKUs, len(a.Premium), len(a.Blocks))
			for _, p := range a.Premium {
				fmt.Fprintf(&b, "  premium %s %v %s %s %v %s %v\n", p.AppID, p.Active, p.Type, p.SubscriptionID, p.Expiry.UTC(), p.OrderID, p.AutoRenew)
			}
			for _, r := range a.Blocks {
				fmt.Fprintf(&b, "  block %v %v\n", r.Blocked, r.At.UTC())
			}
			links, err := tx.ManagedLinks().ByPrimary(ctx, alias, "Location")
			if err != nil {
				return err
			}
			for _, l := range links {
				fmt.Fprintf(&b, "  link %s %s %s %s %s %s %v %v\n", l.Primary, l.Managed, l.Service, l.SKU, l.TxID, l.State, l.CreatedAt.UTC(), l.UpdatedAt.UTC())
			}
		}
		plans, err := tx.Plans().ByPartner(ctx, "gps-partner", "")
		if err != nil {
			return err
		}
		for _, p := range plans {
			fmt.Fprintf(&b, "plan %+v\n", p)
		}
		tok, err := tx.Clients().Token(ctx, domain.HashSecret("example-access-token-change-me"))
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "token %s %s %v %v\n", tok.ClientID, tok.Kind, tok.AccountID, tok.ExpiresAt.UTC())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// The accounts part of a file builds into seed 003's and seed 002's fields,
// the access token kept as its SHA-256 only.
func TestBuildAccounts(t *testing.T) {
	w := mustBuild(t, accountsFile)
	fg := w.Companies[2]
	at := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	if fg.ID != 11111 || fg.Type != domain.AccountManaged || fg.Description != "managed by gps-partner" || !slices.Equal(fg.RegApps, []string{forguard}) ||
		fg.LinkApp != forguard || !fg.ActivatedAt.Equal(at("2025-01-10T09:00:00Z")) || fg.Plans[forguard] != "52ffXXXXXXXXXXXXdc89" ||
		fg.Limits[forguard] != (domain.Limits{Units: 10, Geofences: 15, Users: 1, Triggers: 10, UnitExtraFields: 3, UnitNotifySettings: 4}) ||
		len(fg.Blocks) != 1 || !fg.Blocks[0].Blocked || !fg.Blocks[0].At.Equal(at("2030-05-24T21:00:00Z")) {
		t.Errorf("the Forguard account: %+v", fg)
	}
	if next, ok := fg.ScheduledBlock(at("2025-06-01T00:00:00Z")); !ok || !next.Equal(at("2030-05-24T21:00:00Z")) {
		t.Errorf("its scheduled block: %v %v", next, ok)
	}
	rh := w.Companies[3]
	if rh.Type != domain.AccountSelfRegistered || !rh.Attached || len(rh.Premium) != 1 || rh.Premium[0].Type != "td-stripe" || !rh.Premium[0].AutoRenew {
		t.Errorf("the Ruhavik account: %+v", rh)
	}
	if p := w.Companies[0]; !slices.Equal(p.Services, []string{"Location"}) || !slices.Equal(p.SKUs, []string{"TS-LOC-COARSE-CellID-Aggr"}) {
		t.Errorf("the primary: %+v", p)
	}
	if len(w.AccessTokens) != 1 || w.AccessTokens[0].Hash != domain.HashSecret("example-access-token-change-me") {
		t.Errorf("access tokens %+v", w.AccessTokens)
	}
	if dump := fmt.Sprintf("%+v", *w); strings.Contains(dump, "example-access-token-change-me") {
		t.Error("the plain access token is in the built world")
	}
	if l := w.ManagedLinks[0]; l.State != domain.LinkActivated || !l.UpdatedAt.Equal(l.CreatedAt) {
		t.Errorf("link %+v", l)
	}
	if cp := w.ClientPlans[0]; cp.Quotas != (domain.PlanQuotas{Units: 10, Geofences: 15, UnitStorage: 204800}) || !slices.Equal(cp.Modules, []string{"geofence", "timeline"}) {
		t.Errorf("plan %+v", cp)
	}
}

// Every bad value of the accounts part is refused with the path of its
// field; a file's problems are all reported at once.
func TestBuildAccountsRefusals(t *testing.T) {
	const co = "companies: [{alias: a, partner: p, "
	const cl = "clients: [{id: p, apiKey: aaaaaaaaaaaaaaaaaaaa}]\n"
	for name, tc := range map[string]struct{ data, field, code string }{
		"an account type":                    {cl + co + "type: 15}]", "companies[0].type", "INVALID"},
		"a service app without access":       {cl + co + "regApps: [x], serviceApps: [y]}]", "companies[0].serviceApps[0]", "INVALID"},
		"a link app without access":          {cl + co + "linkApp: y}]", "companies[0].linkApp", "INVALID"},
		"an app listed twice":                {cl + co + "regApps: [x, x]}]", "companies[0].regApps[1]", "DUPLICATE"},
		"an empty SKU":                       {cl + co + "skus: ['']}]", "companies[0].skus[0]", "REQUIRED"},
		"a NUL in a service":                 {cl + co + "services: [\"Loc\\0ation\"]}]", "companies[0].services[0]", "INVALID_TEXT"},
		"activatedAt of an inactive account": {cl + co + "activated: false, activatedAt: 2025-01-01T00:00:00Z}]", "companies[0].activatedAt", "INVALID"},
		"attachedAt of an unattached one":    {cl + co + "attachedAt: 2025-01-01T00:00:00Z}]", "companies[0].attachedAt", "INVALID"},
		"a plan of an app without access":    {cl + co + "regApps: [x], plans: {y: plan-1}}]", "companies[0].plans.y", "INVALID"},
		"a plan without an id":               {cl + co + "regApps: [x], plans: {x: ''}}]", "companies[0].plans.x", "REQUIRED"},
		"a premium type":                     {cl + co + "premium: [{appId: x, type: bitcoin, subscriptionId: s}]}]", "companies[0].premium[0].type", "INVALID"},
		"a premium without a subscription":   {cl + co + "premium: [{appId: x, type: stripe}]}]", "companies[0].premium[0].subscriptionId", "REQUIRED"},
		"a block without an instant":         {cl + co + "blocks: [{blocked: true}]}]", "companies[0].blocks[0].at", "REQUIRED"},
		"a block of an inactive account":     {cl + co + "activated: false, blocks: [{blocked: true, at: 2030-01-01T00:00:00Z}]}]", "companies[0].blocks[0].blocked", "INVALID"},
		"a limit below zero":                 {cl + co + "limits: {x: {unitNotifySettings: -1}}}]", "companies[0].limits.x.unitNotifySettings", "OUT_OF_RANGE"},
		"a plan module":                      {cl + "clientPlans: [{id: c, partner: p, app: x, name: n, modules: [tools, teleport]}]", "clientPlans[0].modules[1]", "INVALID"},
		"a plan module twice":                {cl + "clientPlans: [{id: c, partner: p, app: x, name: n, modules: [tools, tools]}]", "clientPlans[0].modules[1]", "DUPLICATE"},
		"a plan without an app":              {cl + "clientPlans: [{id: c, partner: p, name: n}]", "clientPlans[0].app", "REQUIRED"},
		"a plan quota below zero":            {cl + "clientPlans: [{id: c, partner: p, app: x, name: n, quotas: {units: -1}}]", "clientPlans[0].quotas.units", "OUT_OF_RANGE"},
		"a plan id twice for a partner":      {cl + "clientPlans: [{id: c, partner: p, app: x, name: n}, {id: c, partner: p, app: y, name: m}]", "clientPlans[1].id", "DUPLICATE"},
		"a short token":                      {cl + "accessTokens: [{partner: p, token: short, expires: 2099-01-01T00:00:00Z}]", "accessTokens[0].token", "INVALID"},
		"no token":                           {cl + "accessTokens: [{partner: p, expires: 2099-01-01T00:00:00Z}]", "accessTokens[0].token", "REQUIRED"},
		"token and tokenHash":                {cl + "accessTokens: [{partner: p, token: aaaaaaaaaaaaaaaaaaaa, tokenHash: " + strings.Repeat("ab", 32) + ", expires: 2099-01-01T00:00:00Z}]", "accessTokens[0].token", "INVALID"},
		"a tokenHash that is no SHA-256":     {cl + "accessTokens: [{partner: p, tokenHash: abc, expires: 2099-01-01T00:00:00Z}]", "accessTokens[0].tokenHash", "INVALID"},
		"a token without an expiry":          {cl + "accessTokens: [{partner: p, token: aaaaaaaaaaaaaaaaaaaa}]", "accessTokens[0].expires", "REQUIRED"},
		"one token twice":                    {cl + "accessTokens: [{partner: p, token: aaaaaaaaaaaaaaaaaaaa, expires: 2099-01-01T00:00:00Z}, {partner: q, tokenHash: " + domain.HashSecret("aaaaaaaaaaaaaaaaaaaa") + ", expires: 2099-01-01T00:00:00Z}]", "accessTokens[1].token", "DUPLICATE"},
		"a malformed managed name":           {"managedLinks: [{primary: 1234567890-00001, managed: 123-1, service: Location, sku: s, txId: t}]", "managedLinks[0].managed", "INVALID"},
		"an account managing itself":         {"managedLinks: [{primary: 1234567890-00001, managed: 1234567890-00001, service: Location, sku: s, txId: t}]", "managedLinks[0].managed", "INVALID"},
		"a link state":                       {"managedLinks: [{primary: 1234567890-00001, managed: 1223334444-00001, service: Location, sku: s, txId: t, state: PAUSED}]", "managedLinks[0].state", "INVALID"},
		"a link without a txId":              {"managedLinks: [{primary: 1234567890-00001, managed: 1223334444-00001, service: Location, sku: s}]", "managedLinks[0].txId", "REQUIRED"},
		"two live links of one account":      {"managedLinks: [{primary: 1234567890-00001, managed: 1223334444-00001, service: Location, sku: s, txId: t}, {primary: 2334445555-00001, managed: 1223334444-00001, service: Location, sku: s, txId: u, state: ACTIVATED}]", "managedLinks[1]", "CONFLICT"},
		"a partner with no credential":       {"clients: [{id: q}]\naccessTokens: [{partner: p, token: aaaaaaaaaaaaaaaaaaaa, expires: 2099-01-01T00:00:00Z}]", "clients[0].secretHash", "INVALID"},
	} {
		t.Run(name, func(t *testing.T) { wantViolation(t, tc.data, tc.field, tc.code) })
	}
	// Two cancelled links of one account, and one live beside them, are
	// history, not a conflict.
	mustBuild(t, `managedLinks:
  - {primary: 1234567890-00001, managed: 1223334444-00001, service: Location, sku: s, txId: t, state: CANCELED}
  - {primary: 2334445555-00001, managed: 1223334444-00001, service: Location, sku: s, txId: u, state: canceled}
  - {primary: 2334445555-00001, managed: 1223334444-00001, service: Location, sku: s, txId: v}`)
}

// The data file is strict about the new sections too: an unknown field is
// refused with its line and column.
func TestParseAccountsStrict(t *testing.T) {
	for _, data := range []string{
		"companies:\n  - {alias: a, partner: p, blocked_at: 1748120400}\n",
		"clientPlans:\n  - {id: c, partner: p, app: x, name: n, quotas: {unit: 10}}\n",
		"accessTokens:\n  - {partner: p, token: aaaaaaaaaaaaaaaaaaaa, expiry: 2099-01-01T00:00:00Z}\n",
		"managedLinks:\n  - {primary: a, managed: b, TxId: t}\n",
	} {
		_, err := dataset.Parse([]byte(data))
		if domain.ErrorCode(err) != domain.CodeInvalid || !strings.Contains(err.Error(), "[2:") || !strings.Contains(err.Error(), "unknown field") {
			t.Errorf("Parse(%q): %v; want an unknown field at line 2", data, err)
		}
	}
}

// Loading the accounts part writes every field on every store; loading it
// again changes nothing; what the APIs changed since and the file does not
// state (a block, another app's plan) survives a reload, and what the file
// states is restored.
func TestLoadAccounts(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(*testing.T) ports.Store) {
		ctx := context.Background()
		store := open(t)
		if err := load(t, store, accountsFile); err != nil {
			t.Fatal(err)
		}
		first := accountsState(t, store)
		for _, want := range []string{
			"account 11111 forguard-11111 gps-partner \"Forguard example\" \"managed by gps-partner\" \"" + forguard + "\" 10",
			"map[" + forguard + ":52ffXXXXXXXXXXXXdc89] map[" + forguard + ":{10 15 1 10 3 4}]",
			"  block true 2030-05-24 21:00:00 +0000 UTC",
			"  premium " + ruhavik + " true td-stripe td-basic.yearly 2026-02-01 00:00:00 +0000 UTC order-1 true",
			"  link 1234567890-00001 1223334444-00001 Location TS-LOC-COARSE-CellID-Aggr 2c90bd28-ece4-42ef-9f02-7e3bd4fbff33 ACTIVATED",
			"token gps-partner access_token 0 2099-01-01 00:00:00 +0000 UTC",
			"[Location] [TS-LOC-COARSE-CellID-Aggr]",
		} {
			if !strings.Contains(first, want) {
				t.Errorf("the store lacks %q:\n%s", want, first)
			}
		}
		if err := load(t, store, accountsFile); err != nil {
			t.Fatalf("loading again: %v", err)
		}
		if again := accountsState(t, store); again != first {
			t.Fatalf("loading again changed the store:\n%s\nthen\n%s", first, again)
		}
		// Since: the partner blocks 11111 now and sets a plan of another
		// app, and changes the file's plan.
		blockAt := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		if err := store.Update(ctx, func(tx ports.Tx) error {
			a, err := tx.Accounts().ByAlias(ctx, "forguard-11111")
			if err != nil {
				return err
			}
			a.Blocks = append([]domain.BlockRecord{{Blocked: true, At: blockAt}}, a.Blocks...)
			a.Plans = map[string]string{forguard: "another-plan", ruhavik: "r-plan"}
			return tx.Accounts().Put(ctx, a)
		}); err != nil {
			t.Fatal(err)
		}
		if err := load(t, store, accountsFile); err != nil {
			t.Fatal(err)
		}
		var a domain.Account
		if err := store.View(ctx, func(tx ports.Tx) error {
			var err error
			a, err = tx.Accounts().Get(ctx, 11111)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if len(a.Blocks) != 2 || !a.Blocks[0].At.Equal(blockAt) || !a.BlockedAt(blockAt) {
			t.Errorf("a block made since the load: %+v", a.Blocks)
		}
		if a.Plans[forguard] != "52ffXXXXXXXXXXXXdc89" || a.Plans[ruhavik] != "r-plan" {
			t.Errorf("plans after a reload: %v; want the file's Forguard plan and the other app's kept", a.Plans)
		}
		// The link moved on (cancelled) and the file states it ACTIVATED:
		// loading restores it.
		if err := store.Update(ctx, func(tx ports.Tx) error {
			l, err := tx.ManagedLinks().Live(ctx, "1223334444-00001", "Location")
			if err != nil {
				return err
			}
			return tx.ManagedLinks().SetState(ctx, l.ID, domain.LinkCanceled, blockAt)
		}); err != nil {
			t.Fatal(err)
		}
		if err := load(t, store, accountsFile); err != nil {
			t.Fatal(err)
		}
		if st := accountsState(t, store); !strings.Contains(st, "ACTIVATED") {
			t.Errorf("the link after a reload:\n%s", st)
		}
	})
}

// A file whose accounts part names what is not there, or holds another
// partner's token, is refused naming the entry, and nothing of it is
// written.
func TestLoadAccountsRefusals(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(*testing.T) ports.Store) {
		for name, tc := range map[string]struct{ data, field string }{
			"a plan that is not the partner's": {strings.Replace(accountsFile, "plans: {"+forguard+": 52ffXXXXXXXXXXXXdc89}", "plans: {"+forguard+": nobody-s-plan}", 1),
				"companies[2].plans." + forguard},
			"a plan of another app": {strings.Replace(accountsFile, "app: "+forguard+", name: Forguard basic", "app: "+ruhavik+", name: Forguard basic", 1),
				"companies[2].plans." + forguard},
			"a link to an unknown account": {strings.Replace(accountsFile, "managed: 1223334444-00001", "managed: 9999999999-00001", 1),
				"managedLinks[0].managed"},
			"a plan of an unknown partner": {strings.Replace(accountsFile, "- {id: 52ffXXXXXXXXXXXXdc89, partner: gps-partner", "- {id: 52ffXXXXXXXXXXXXdc89, partner: nobody", 1),
				"clientPlans[0].partner"},
		} {
			t.Run(name, func(t *testing.T) {
				store := open(t)
				err := load(t, store, tc.data)
				de, ok := err.(*domain.Error)
				if !ok || de.Code != domain.CodeInvalid || de.Field != tc.field {
					t.Fatalf("Load: %v; want CodeInvalid naming %s", err, tc.field)
				}
				if n := companies(t, store, accountsAliases); n != 0 {
					t.Errorf("a refused file wrote %d accounts", n)
				}
			})
		}
		// Another partner's token: the file holds a token the store gave
		// to someone else.
		store := open(t)
		ctx := context.Background()
		if err := store.Update(ctx, func(tx ports.Tx) error {
			if err := tx.Clients().Put(ctx, domain.Client{ID: "someone", APIKeyHash: strings.Repeat("cd", 32)}); err != nil {
				return err
			}
			return tx.Clients().PutToken(ctx, domain.Token{Hash: domain.HashSecret("example-access-token-change-me"), ClientID: "someone",
				Kind: domain.AccessToken, ExpiresAt: time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)})
		}); err != nil {
			t.Fatal(err)
		}
		err := load(t, store, accountsFile)
		if de, ok := err.(*domain.Error); !ok || de.Code != domain.CodeConflict || de.Field != "accessTokens[0].token" {
			t.Fatalf("another partner's token: %v, want CodeConflict naming accessTokens[0].token", err)
		}
		if n := companies(t, store, accountsAliases); n != 0 {
			t.Errorf("a refused file wrote %d accounts", n)
		}
	})
}

// A token's expiry in the file is the token's: loading a later expiry moves
// it, and the token is never stored as it is.
func TestLoadAccessTokenExpiry(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(*testing.T) ports.Store) {
		store := open(t)
		if err := load(t, store, accountsFile); err != nil {
			t.Fatal(err)
		}
		if err := load(t, store, strings.Replace(accountsFile, "expires: 2099-01-01T00:00:00Z", "expires: 2100-06-01T00:00:00Z", 1)); err != nil {
			t.Fatal(err)
		}
		if st := accountsState(t, store); !strings.Contains(st, "token gps-partner access_token 0 2100-06-01 00:00:00 +0000 UTC") {
			t.Errorf("after a new expiry:\n%s", st)
		}
		ctx := context.Background()
		_ = store.View(ctx, func(tx ports.Tx) error {
			if _, err := tx.Clients().Token(ctx, "example-access-token-change-me"); !notFoundErr(err) {
				t.Errorf("the plain token is a stored hash: %v", err)
			}
			return nil
		})
	})
}

func notFoundErr(err error) bool { return domain.ErrorCode(err) == domain.CodeNotFound }

// FuzzLoadAccounts: a data file with an accounts part that builds either
// loads or is refused with CodeInvalid or CodeConflict, writing no account;
// one that loads loads again without changing the accounts, plans, tokens
// and links it states. Run it with -fuzzminimizetime 0: minimizing its
// many interesting inputs, each a whole data file, takes the default minute
// each and looks like a hang.
func FuzzLoadAccounts(f *testing.F) {
	f.Add([]byte(accountsFile))
	f.Add([]byte(strings.Replace(accountsFile, "state: ACTIVATED", "state: CANCELED", 1)))
	f.Add([]byte(strings.Replace(accountsFile, "plans: {"+forguard+": 52ffXXXXXXXXXXXXdc89}", "plans: {"+forguard+": other}", 1)))
	f.Add([]byte("clients: [{id: p, apiKey: aaaaaaaaaaaaaaaaaaaa}]\ncompanies: [{alias: 1234567890-00001, partner: p}, {alias: 1223334444-00001, partner: p}]\n" +
		"managedLinks: [{primary: 1234567890-00001, managed: 1223334444-00001, service: Location, sku: s, txId: t, state: CANCELED}," +
		" {primary: 1234567890-00001, managed: 1223334444-00001, service: Location, sku: s, txId: u}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ds, err := dataset.Parse(data)
		if err != nil {
			return
		}
		if _, err := ds.Build(); err != nil {
			return
		}
		for _, u := range ds.Users {
			if u.Password != "" {
				return // argon2id per user: too slow to fuzz
			}
		}
		for _, c := range ds.Clients {
			if c.Secret != "" {
				return
			}
		}
		if len(ds.Companies)+len(ds.ManagedLinks)+len(ds.Licenses)+len(ds.Users)+len(ds.Assignments) > 64 {
			return
		}
		loadTwice(t, ds, func(store ports.Store, _ []string) string { return accountsDump(t, store, ds) })
	})
}

// accountsDump is what a store holds of the accounts, plans, tokens and
// links a dataset states.
func accountsDump(t *testing.T, store ports.Store, ds *dataset.Dataset) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	err := store.View(ctx, func(tx ports.Tx) error {
		for _, c := range ds.Companies {
			a, err := tx.Accounts().ByAlias(ctx, c.Alias)
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, "account %+v\n", a)
		}
		for _, p := range ds.ClientPlans {
			cp, err := tx.Plans().Get(ctx, p.Partner, p.ID)
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, "plan %+v\n", cp)
		}
		for _, td := range ds.AccessTokens {
			h := strings.ToLower(td.TokenHash)
			if td.Token != "" {
				h = domain.HashSecret(td.Token)
			}
			tok, err := tx.Clients().Token(ctx, h)
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, "token %+v\n", tok)
		}
		for _, l := range ds.ManagedLinks {
			links, err := tx.ManagedLinks().ByTxID(ctx, l.TxID)
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, "links %+v\n", links)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// A login locked by wrong passwords stays locked when its file is loaded
// again, even with other fields changed: a file never unlocks a login.
func TestReloadKeepsALoginLocked(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(*testing.T) ports.Store) {
		ctx := context.Background()
		store := open(t)
		file := accountsFile + "users:\n  - {company: 1234567890-00001, externalId: primary, username: primary@example.com, passwordHash: " +
			domain.HashSecret("example-password-change-me") + "}\n"
		if err := load(t, store, file); err != nil {
			t.Fatal(err)
		}
		lockedAt := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
		user := func() domain.User {
			var u domain.User
			if err := store.View(ctx, func(tx ports.Tx) error {
				var err error
				u, err = tx.Users().ByUsername(ctx, "primary@example.com")
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return u
		}
		u := user()
		u.FailedLogins, u.LockedAt = 5, lockedAt
		if err := store.Update(ctx, func(tx ports.Tx) error { return tx.Users().Put(ctx, u) }); err != nil {
			t.Fatal(err)
		}
		if err := load(t, store, strings.Replace(file, "externalId: primary,", "externalId: primary, email: p@example.com,", 1)); err != nil {
			t.Fatal(err)
		}
		if got := user(); got.Email != "p@example.com" || got.FailedLogins != 5 || !got.LockedAt.Equal(lockedAt) {
			t.Errorf("after a reload: %+v; want the new e-mail, 5 failures, locked at %v", got, lockedAt)
		}
	})
}
