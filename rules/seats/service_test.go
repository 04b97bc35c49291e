package seats_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules/orders"
	"github.com/entitle-rules/entitle/rules/seats"
	"github.com/entitle-rules/entitle/rulesets"
)

// Seed 000's partner flow, on the Go API and every store: create a
// company, add users, assign one and in bulk, release, reassign, delete a
// user.
func TestPartnerFlow(t *testing.T) {
	for _, st := range everyStore(t) {
		t.Run(st.name, func(t *testing.T) {
			w, _ := newWorldOn(t, st.open, 0)
			partnerFlow(t, w)
		})
	}
}

func partnerFlow(t *testing.T, w *world) {
	if w.acct.Alias != "acme-fleet" || w.acct.PartnerID != "fleet-partner" || w.acct.Title != "Acme Fleet" {
		t.Fatalf("company %+v", w.acct)
	}
	// A second company of the same name gets its own alias.
	second := must(w.svc.CreateCompany(ctx, w.partner, seats.CompanyRequest{Name: "ACME   fleet!"}))(t)
	if second.Alias != "acme-fleet-2" {
		t.Errorf("second alias %q, want acme-fleet-2", second.Alias)
	}
	change := must(w.svc.SetSeats(ctx, w.partner, seats.SeatsRequest{Alias: "ACME-FLEET", ProductID: "CoPilot", Seats: 3}))(t)
	if diff := cmp.Diff([]seats.ProductSeats{{ProductID: "CoPilot", Owned: 3}}, change.Company.Products); diff != "" {
		t.Errorf("seats after raising (-want +got):\n%s", diff)
	}
	w.addUsers(t, w.admin, "driver-1", "driver-2", "driver-3", "driver-4")

	got := must(w.svc.Assign(ctx, w.admin, "CoPilot", []string{"driver-1"}))(t)
	if !slices.Equal(outcome(got), []string{"driver-1 ok"}) {
		t.Fatalf("assign driver-1: %+v", got)
	}
	// Again: harmless, the same seat.
	got = must(w.svc.Assign(ctx, w.admin, "CoPilot", []string{"DRIVER-1"}))(t)
	if !got[0].OK || !strings.Contains(got[0].Reason, "already holds a seat of CoPilot (license 1)") {
		t.Errorf("assigning again: %+v", got[0])
	}
	got = must(w.svc.Assign(ctx, w.admin, "CoPilot", []string{"driver-2", "driver-3", "driver-4"}))(t)
	if diff := cmp.Diff([]string{"driver-2 ok", "driver-3 ok", "driver-4 NO_FREE_SEAT"}, outcome(got)); diff != "" {
		t.Errorf("bulk (-want +got):\n%s", diff)
	}
	if got[2].Reason != "no free seat of CoPilot" {
		t.Errorf("reason %q", got[2].Reason)
	}
	pool := must(w.svc.Pool(ctx, w.admin, "CoPilot"))(t)
	if pool.Owned != 3 || pool.Assigned != 3 || len(pool.Free) != 0 {
		t.Errorf("pool %+v", pool)
	}

	// Release driver-1 the day it was assigned: seed 004's cancelled shape,
	// and its seat (license 1, the lowest) goes to driver-4.
	got = must(w.svc.Release(ctx, w.admin, "CoPilot", []string{"driver-1"}))(t)
	if !got[0].OK {
		t.Fatalf("release: %+v", got)
	}
	got = must(w.svc.Assign(ctx, w.admin, "CoPilot", []string{"driver-4"}))(t)
	if !got[0].OK {
		t.Fatalf("reassign: %+v", got)
	}
	v2 := domain.Principal{Partner: "fleet-partner", Account: itoa(w.acct.ID), User: "9", Roles: []domain.Role{domain.UserAdmin}, Credential: domain.BasicUser}
	as := must(w.svc.Assignments(ctx, v2, domain.AssignmentQuery{}))(t)
	type row struct {
		ID, License, User int64
		Act, Deact        string
	}
	var rows []row
	for _, a := range as {
		rows = append(rows, row{a.ID, a.LicenseID, a.UserID, a.ActivationDate.String(), a.DeactivationDate.String()})
	}
	want := []row{
		{1, 1, 1, "2018-06-11", "2018-06-10"}, // seed 004's example
		{2, 2, 2, "2018-06-11", "2019-06-11"},
		{3, 3, 3, "2018-06-11", "2019-06-11"},
		{4, 1, 4, "2018-06-11", "2019-06-11"},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("assignments (-want +got):\n%s", diff)
	}
	if err := w.store.View(ctx, func(tx ports.Tx) error {
		return domain.CheckAssignments(as)
	}); err != nil {
		t.Error(err)
	}

	// The next day driver-2 is deleted: its assignment ends yesterday.
	w.clock.add(24 * time.Hour)
	ended := must(w.svc.DeleteUser(ctx, w.admin, "driver-2"))(t)
	if len(ended) != 1 || ended[0].ID != 2 || ended[0].DeactivationDate.String() != "2018-06-11" {
		t.Errorf("ended %+v", ended)
	}
	if _, err := w.svc.User(ctx, w.admin, "driver-2"); domain.ErrorCode(err) != domain.CodeNotFound {
		t.Errorf("a deleted user: %v", err)
	}
	users, total := must2(w.svc.Users(ctx, w.admin, 0, 0))(t)
	if total != 3 || len(users) != 3 {
		t.Errorf("%d users of %d, want 3", len(users), total)
	}
	// Its externalId is free again, and the seat is free today.
	w.addUsers(t, w.admin, "Driver-2")
	got = must(w.svc.Assign(ctx, w.admin, "CoPilot", []string{"driver-2"}))(t)
	if !got[0].OK {
		t.Errorf("assign the new driver-2: %+v", got)
	}
	companies := must(w.svc.Companies(ctx, w.partner, 0, 0))(t)
	if len(companies) != 2 || companies[0].Account.Alias != "acme-fleet" || !slices.Equal(companies[0].Products, []seats.ProductSeats{{ProductID: "CoPilot", Owned: 3, Assigned: 3}}) || len(companies[1].Products) != 0 {
		t.Errorf("companies %+v", companies)
	}
	// Every state change has its audit event.
	err := w.store.View(ctx, func(tx ports.Tx) error {
		evs, err := tx.Audit().List(ctx, "")
		if err != nil {
			return err
		}
		var cmds []string
		for _, e := range evs {
			cmds = append(cmds, e.Command)
			if e.RulesetHash != w.svc.Rules().Hash() || e.Actor != "fleet-partner" {
				t.Errorf("event %+v", e)
			}
		}
		want := []string{"CreateCompany", "CreateCompany", "SetSeats", "AddUser", "AddUser", "AddUser", "AddUser",
			"Assign", "Assign", "Assign", "Release", "Assign", "DeleteUser", "AddUser", "Assign"}
		if diff := cmp.Diff(want, cmds); diff != "" {
			t.Errorf("audit (-want +got):\n%s", diff)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func must2[A, B any](a A, b B, err error) func(testing.TB) (A, B) {
	return func(tb testing.TB) (A, B) {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
		return a, b
	}
}

func TestAssignItems(t *testing.T) {
	w := newWorld(t, 2)
	w.addUsers(t, w.admin, "a", "b", "c")
	long := strings.Repeat("x", 256)
	got := must(w.svc.Assign(ctx, w.admin, "CoPilot", []string{"a", "A", "", "bad\x00id", long, "nobody", "b", "c"}))(t)
	want := []string{"a ok", "A ok", " REQUIRED", "bad\x00id INVALID_TEXT", long + " TOO_LONG", "nobody USER_NOT_FOUND", "b ok", "c NO_FREE_SEAT"}
	if diff := cmp.Diff(want, outcome(got)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if got[5].Reason != "no user with externalId nobody" || !strings.Contains(got[1].Reason, "already holds") {
		t.Errorf("reasons: %q, %q", got[5].Reason, got[1].Reason)
	}
	// A release of a user who holds no seat is harmless; an unknown one fails.
	got = must(w.svc.Release(ctx, w.admin, "CoPilot", []string{"c", "nobody", "a", "a"}))(t)
	if diff := cmp.Diff([]string{"c ok", "nobody USER_NOT_FOUND", "a ok", "a ok"}, outcome(got)); diff != "" {
		t.Errorf("release (-want +got):\n%s", diff)
	}
	if got[0].Reason != "c holds no seat of CoPilot" || got[3].Reason != "a holds no seat of CoPilot" {
		t.Errorf("reasons %q %q", got[0].Reason, got[3].Reason)
	}
}

func TestCallRefusals(t *testing.T) {
	w := newWorld(t, 2)
	w.addUsers(t, w.admin, "a")
	_, err := w.svc.Assign(ctx, w.admin, "Navigator", []string{"a"})
	wantErr(t, err, domain.CodeNotFound, "productId", "productId Navigator is not one of CoPilot, MileOn")
	_, err = w.svc.Pool(ctx, w.admin, "Navigator")
	wantErr(t, err, domain.CodeNotFound, "productId", "PRODUCT_NOT_FOUND")
	_, err = w.svc.Release(ctx, w.admin, "CoPilot", nil)
	wantErr(t, err, domain.CodeInvalid, "externalIds", "REQUIRED")
	_, err = w.svc.Assign(ctx, w.admin, "CoPilot", make([]string, 1001))
	wantErr(t, err, domain.CodeInvalid, "externalIds", "at most 1000 users per call; this one names 1001")
	_, err = w.svc.Assign(ctx, w.admin, strings.Repeat("P", 300), []string{"a"})
	wantErr(t, err, domain.CodeInvalid, "", "TOO_LONG")
	// Whatever the rule file allows, the input limit holds.
	w3 := newWorld(t, 2, "max_bulk", "1000000")
	_, err = w3.svc.Assign(ctx, w3.admin, "CoPilot", make([]string, seats.MaxItems+1))
	wantErr(t, err, domain.CodeInvalid, "externalIds", "at most 10000 externalIds per call; this one names 10001")
	// A bulk maximum from the rule file.
	w2 := newWorld(t, 2, "max_bulk", "2")
	_, err = w2.svc.Assign(ctx, w2.admin, "CoPilot", []string{"a", "b", "c"})
	wantErr(t, err, domain.CodeInvalid, "externalIds", "at most 2 users per call")
}

// Another tenant's ids answer as ids that do not exist.
func TestTenancy(t *testing.T) {
	w := newWorld(t, 2)
	w.addUsers(t, w.admin, "mine")
	must(w.svc.Assign(ctx, w.admin, "CoPilot", []string{"mine"}))(t)

	other := domain.Principal{Partner: "other-partner", Credential: domain.APIKey}
	theirs := must(w.svc.CreateCompany(ctx, other, seats.CompanyRequest{Name: "Other", Alias: "other-co"}))(t)
	must(w.svc.SetSeats(ctx, other, seats.SeatsRequest{Alias: "other-co", ProductID: "CoPilot", Seats: 1}))(t)
	theirAdmin := accountToken(theirs)
	theirUser := w.addUsers(t, theirAdmin, "theirs")[0]
	res := must(w.svc.Assign(ctx, theirAdmin, "CoPilot", []string{"theirs"}))(t)
	if !res[0].OK {
		t.Fatal(res)
	}

	// Their users are not found through my token.
	res = must(w.svc.Assign(ctx, w.admin, "CoPilot", []string{"theirs"}))(t)
	if res[0].Code != "USER_NOT_FOUND" {
		t.Errorf("assign their user: %+v", res)
	}
	_, err := w.svc.User(ctx, w.admin, "theirs")
	wantErr(t, err, domain.CodeNotFound, "externalId", "no user with externalId theirs")
	_, err = w.svc.DeleteUser(ctx, w.admin, "theirs")
	wantErr(t, err, domain.CodeNotFound, "externalId", "theirs")
	_, err = w.svc.UpdateUser(ctx, w.admin, "theirs", seats.UserInput{Email: "x@example.com"})
	wantErr(t, err, domain.CodeNotFound, "externalId", "theirs")
	// Their company is not found through my partner token.
	_, err = w.svc.Company(ctx, w.partner, "other-co")
	wantErr(t, err, domain.CodeNotFound, "alias", `no company with alias "other-co"`)
	_, err = w.svc.SetSeats(ctx, w.partner, seats.SeatsRequest{Alias: "other-co", ProductID: "CoPilot", Seats: 0})
	wantErr(t, err, domain.CodeNotFound, "alias", "other-co")
	if cs := must(w.svc.Companies(ctx, w.partner, 0, 0))(t); len(cs) != 1 || cs[0].Account.ID != w.acct.ID {
		t.Errorf("my companies: %+v", cs)
	}
	// A token claiming their account under my partner reaches nothing.
	forged := domain.Principal{Partner: "fleet-partner", Account: itoa(theirs.ID), Credential: domain.APIKey}
	_, err = w.svc.AddUser(ctx, forged, seats.UserInput{ExternalID: "x"})
	wantErr(t, err, domain.CodeNotFound, "account", "no account")
	_, _, err = w.svc.Users(ctx, forged, 0, 0)
	wantErr(t, err, domain.CodeNotFound, "account", "no account")
	for _, acct := range []string{"999", "-1", "abc"} {
		_, err = w.svc.Pool(ctx, domain.Principal{Partner: "fleet-partner", Account: acct, Credential: domain.APIKey}, "CoPilot")
		wantErr(t, err, domain.CodeNotFound, "account", "no account")
	}
	// v2: their assignment by id is not found; my list holds only mine.
	v2 := domain.Principal{Partner: "fleet-partner", Account: itoa(w.acct.ID), Roles: []domain.Role{domain.AccountAdmin}, Credential: domain.BasicUser}
	_, err = w.svc.Assignment(ctx, v2, 2)
	wantErr(t, err, domain.CodeNotFound, "id", "no license assignment 2")
	if a := must(w.svc.Assignment(ctx, v2, 1))(t); a.AccountID != w.acct.ID {
		t.Errorf("assignment 1: %+v", a)
	}
	as := must(w.svc.Assignments(ctx, v2, domain.AssignmentQuery{AccountID: theirs.ID}))(t)
	if len(as) != 1 || as[0].AccountID != w.acct.ID {
		t.Errorf("v2 list asking for their account: %+v", as)
	}
	if as := must(w.svc.Assignments(ctx, v2, domain.AssignmentQuery{UserID: theirUser.ID}))(t); len(as) != 0 {
		t.Errorf("v2 list by their user id: %+v", as)
	}
}

// Each call needs its kind of principal.
func TestPrincipals(t *testing.T) {
	w := newWorld(t, 1)
	w.addUsers(t, w.admin, "a")
	nobody := domain.Principal{}
	userAdmin := domain.Principal{Partner: "fleet-partner", Account: itoa(w.acct.ID), Roles: []domain.Role{domain.UserAdmin}, Credential: domain.BasicUser}
	accountAdmin := domain.Principal{Partner: "fleet-partner", Account: itoa(w.acct.ID), Roles: []domain.Role{domain.AccountAdmin}, Credential: domain.BasicUser}
	driver := domain.Principal{Partner: "fleet-partner", Account: itoa(w.acct.ID), Roles: []domain.Role{"DRIVER"}, Credential: domain.BasicUser}
	clientCreds := domain.Principal{Partner: "fleet-partner", Credential: domain.ClientCredentials}

	for _, tc := range []struct {
		name string
		call func(p domain.Principal) error
		ok   []domain.Principal
		deny map[domain.Code][]domain.Principal
	}{
		{"CreateCompany", func(p domain.Principal) error {
			_, err := w.svc.CreateCompany(ctx, p, seats.CompanyRequest{Name: "x"})
			return err
		}, []domain.Principal{w.partner}, map[domain.Code][]domain.Principal{
			domain.CodeUnauthenticated: {nobody},
			domain.CodeForbidden:       {w.admin, accountAdmin, clientCreds},
		}},
		{"SetSeats", func(p domain.Principal) error {
			_, err := w.svc.SetSeats(ctx, p, seats.SeatsRequest{Alias: "acme-fleet", ProductID: "CoPilot", Seats: 1})
			return err
		}, []domain.Principal{w.partner}, map[domain.Code][]domain.Principal{
			domain.CodeForbidden: {w.admin, accountAdmin, clientCreds},
		}},
		{"AddUser", func(p domain.Principal) error {
			_, err := w.svc.AddUser(ctx, p, seats.UserInput{ExternalID: "u-" + p.Account + string(p.Credential.String())})
			return err
		}, []domain.Principal{w.admin, accountAdmin}, map[domain.Code][]domain.Principal{
			domain.CodeUnauthenticated: {nobody},
			domain.CodeForbidden:       {w.partner, userAdmin, driver, clientCreds},
		}},
		{"Users", func(p domain.Principal) error {
			_, _, err := w.svc.Users(ctx, p, 0, 10)
			return err
		}, []domain.Principal{w.admin, accountAdmin, userAdmin}, map[domain.Code][]domain.Principal{
			domain.CodeForbidden: {w.partner, driver},
		}},
		{"Assign", func(p domain.Principal) error {
			_, err := w.svc.Assign(ctx, p, "CoPilot", []string{"a"})
			return err
		}, []domain.Principal{w.admin, accountAdmin}, map[domain.Code][]domain.Principal{
			domain.CodeForbidden: {w.partner, userAdmin, driver},
		}},
		{"Assignments (v2)", func(p domain.Principal) error {
			_, err := w.svc.Assignments(ctx, p, domain.AssignmentQuery{})
			return err
		}, []domain.Principal{userAdmin, accountAdmin}, map[domain.Code][]domain.Principal{
			domain.CodeUnauthenticated: {nobody},
			domain.CodeForbidden:       {driver, w.admin, w.partner},
		}},
		{"Assignment (v2)", func(p domain.Principal) error {
			_, err := w.svc.Assignment(ctx, p, 1)
			return err
		}, []domain.Principal{userAdmin, accountAdmin}, map[domain.Code][]domain.Principal{
			domain.CodeForbidden: {driver, w.admin},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, p := range tc.ok {
				if err := tc.call(p); err != nil {
					t.Errorf("%+v: %v", p, err)
				}
			}
			for code, ps := range tc.deny {
				for _, p := range ps {
					if got := domain.ErrorCode(tc.call(p)); got != code {
						t.Errorf("%+v: %s, want %s", p, got, code)
					}
				}
			}
		})
	}
	_, err := w.svc.Assignments(ctx, driver, domain.AssignmentQuery{})
	wantErr(t, err, domain.CodeForbidden, "", "Access Denied. GET requires User Role of USERADMIN or ACCOUNTADMIN")
}

func TestSetSeats(t *testing.T) {
	w := newWorld(t, 0)
	set := func(n int, exp string) (seats.SeatsChange, error) {
		r := seats.SeatsRequest{Alias: "acme-fleet", ProductID: "CoPilot", Seats: n}
		if exp != "" {
			r.Expires = date(t, exp)
		}
		return w.svc.SetSeats(ctx, w.partner, r)
	}
	licenses := func() []domain.License {
		var ls []domain.License
		if err := w.store.View(ctx, func(tx ports.Tx) error {
			var err error
			ls, err = tx.Licenses().ByAccount(ctx, w.acct.ID, "CoPilot", domain.Date{})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return ls
	}
	must(set(2, ""))(t)
	w.clock.add(24 * time.Hour)
	must(set(4, "2018-12-31"))(t)
	var terms []string
	for _, l := range licenses() {
		terms = append(terms, l.Registered.String()+".."+l.Expires.String())
	}
	want := []string{"2018-06-11..2019-06-11", "2018-06-11..2019-06-11", "2018-06-12..2018-12-31", "2018-06-12..2018-12-31"}
	if diff := cmp.Diff(want, terms); diff != "" {
		t.Errorf("terms (-want +got):\n%s", diff)
	}
	_, err := set(5, "2018-06-11")
	wantErr(t, err, domain.CodeInvalid, "expires", "expires 2018-06-11 is before today (2018-06-12, UTC)")
	_, err = set(-1, "")
	wantErr(t, err, domain.CodeInvalid, "", "OUT_OF_RANGE")
	_, err = set(seats.MaxSeats+1, "")
	wantErr(t, err, domain.CodeInvalid, "", "OUT_OF_RANGE")
	_, err = set(10001, "")
	wantErr(t, err, domain.CodeInvalid, "seats", "at most 10000 seats of a product; asked for 10001")
	_, err = w.svc.SetSeats(ctx, w.partner, seats.SeatsRequest{Alias: "acme-fleet", ProductID: "Navigator", Seats: 1})
	wantErr(t, err, domain.CodeNotFound, "productId", "Navigator")
	_, err = w.svc.SetSeats(ctx, w.partner, seats.SeatsRequest{Alias: "", ProductID: "CoPilot", Seats: 1})
	wantErr(t, err, domain.CodeInvalid, "alias", "alias is required")

	// Users take seats 1 and 2; lowering to 2 retires the free ones, the
	// latest registered first (4, then 3).
	w.addUsers(t, w.admin, "a", "b", "c")
	must(w.svc.Assign(ctx, w.admin, "CoPilot", []string{"a", "b"}))(t)
	change := must(set(3, ""))(t)
	if len(change.Released) != 0 || !slices.Equal(change.Company.Products, []seats.ProductSeats{{ProductID: "CoPilot", Owned: 3, Assigned: 2}}) {
		t.Errorf("lowering to 3: %+v", change)
	}
	ls := licenses()
	if ls[3].Expires.String() != "2018-06-11" || ls[2].Expires.String() != "2018-12-31" {
		t.Errorf("license 4 should be retired (expires yesterday), 3 kept: %+v", ls)
	}
	must(set(2, ""))(t)
	// Below the two in use: refused by the shipped policy, nothing changes.
	_, err = set(1, "")
	wantErr(t, err, domain.CodeConflict, "seats", "2 seats of CoPilot are in use; release 1 of them before lowering to 1")
	if p := must(w.svc.Pool(ctx, w.admin, "CoPilot"))(t); p.Owned != 2 || p.Assigned != 2 {
		t.Errorf("pool after a refused lowering: %+v", p)
	}
}

// With shrink_policy release_most_recent, lowering below the seats in use
// ends the most recently activated assignments and names their users.
func TestSetSeatsReleasesMostRecent(t *testing.T) {
	w := newWorld(t, 3, "shrink_policy", "release_most_recent")
	w.addUsers(t, w.admin, "first", "second", "third")
	for _, u := range []string{"first", "second", "third"} {
		must(w.svc.Assign(ctx, w.admin, "CoPilot", []string{u}))(t)
		w.clock.add(24 * time.Hour)
	}
	change := must(w.svc.SetSeats(ctx, w.partner, seats.SeatsRequest{Alias: "acme-fleet", ProductID: "CoPilot", Seats: 1}))(t)
	var who []string
	for _, r := range change.Released {
		who = append(who, r.ExternalID)
	}
	if !slices.Equal(who, []string{"third", "second"}) {
		t.Errorf("released %v, want third, second", who)
	}
	if !slices.Equal(change.Company.Products, []seats.ProductSeats{{ProductID: "CoPilot", Owned: 1, Assigned: 1}}) {
		t.Errorf("company %+v", change.Company)
	}
	v2 := domain.Principal{Partner: "fleet-partner", Account: itoa(w.acct.ID), Roles: []domain.Role{domain.AccountAdmin}, Credential: domain.BasicUser}
	as := must(w.svc.Assignments(ctx, v2, domain.AssignmentQuery{}))(t)
	var ends []string
	for _, a := range as {
		ends = append(ends, a.ActivationDate.String()+".."+a.DeactivationDate.String())
	}
	// Today is 2018-06-14: the second ends yesterday, the third (activated
	// 2018-06-13) too.
	want := []string{"2018-06-11..2019-06-11", "2018-06-12..2018-06-13", "2018-06-13..2018-06-13"}
	if diff := cmp.Diff(want, ends); diff != "" {
		t.Errorf("assignments (-want +got):\n%s", diff)
	}
	if err := domain.CheckAssignments(as); err != nil {
		t.Error(err)
	}
}

func TestUsers(t *testing.T) {
	w := newWorld(t, 0)
	u := must(w.svc.AddUser(ctx, w.admin, seats.UserInput{ExternalID: "Truck-42", Email: "t42@example.com", FirstName: "Ada", LastName: "L", PhoneNumber: "+1 555"}))(t)
	if u.ExternalID != "Truck-42" || u.Email != "t42@example.com" || u.AccountID != w.acct.ID {
		t.Errorf("user %+v", u)
	}
	_, err := w.svc.AddUser(ctx, w.admin, seats.UserInput{ExternalID: "TRUCK-42"})
	wantErr(t, err, domain.CodeConflict, "externalId", "")
	for _, tc := range []struct {
		in    seats.UserInput
		field string
		code  string
	}{
		{seats.UserInput{}, "externalId", "REQUIRED"},
		{seats.UserInput{ExternalID: strings.Repeat("é", 256)}, "externalId", "TOO_LONG"},
		{seats.UserInput{ExternalID: "a\nb"}, "externalId", "INVALID_TEXT"},
		{seats.UserInput{ExternalID: "x", Email: strings.Repeat("e", 250) + "@x.io"}, "email", "TOO_LONG"},
		{seats.UserInput{ExternalID: "x", Email: "not an address"}, "email", "INVALID_EMAIL"},
		{seats.UserInput{ExternalID: "x", FirstName: "\x7f"}, "firstName", "INVALID_TEXT"},
		{seats.UserInput{ExternalID: "x", PhoneNumber: string([]byte{0xff})}, "phoneNumber", "INVALID_TEXT"},
	} {
		_, err := w.svc.AddUser(ctx, w.admin, tc.in)
		wantErr(t, err, domain.CodeInvalid, tc.field, tc.code)
	}
	// PUT replaces the details and may rename.
	u = must(w.svc.UpdateUser(ctx, w.admin, "truck-42", seats.UserInput{ExternalID: "Truck-43", FirstName: "Grace"}))(t)
	if u.ExternalID != "Truck-43" || u.FirstName != "Grace" || u.Email != "" {
		t.Errorf("updated %+v", u)
	}
	u = must(w.svc.UpdateUser(ctx, w.admin, "truck-43", seats.UserInput{Email: "g@example.com"}))(t)
	if u.ExternalID != "Truck-43" || u.Email != "g@example.com" {
		t.Errorf("updated %+v", u)
	}
	_, err = w.svc.UpdateUser(ctx, w.admin, "truck-42", seats.UserInput{})
	wantErr(t, err, domain.CodeNotFound, "externalId", "no user with externalId truck-42")
	_, err = w.svc.UpdateUser(ctx, w.admin, "truck-43", seats.UserInput{Email: "nope"})
	wantErr(t, err, domain.CodeInvalid, "email", "INVALID_EMAIL")
	_, _, err = w.svc.Users(ctx, w.admin, -1, 0)
	wantErr(t, err, domain.CodeInvalid, "", "offset -1 is negative")
	_, _, err = w.svc.Users(ctx, w.admin, 0, 1001)
	wantErr(t, err, domain.CodeInvalid, "", "limit 1001 is out of range")
	w.addUsers(t, w.admin, "b", "c", "d")
	page, total := must2(w.svc.Users(ctx, w.admin, 1, 2))(t)
	if total != 4 || len(page) != 2 || page[0].ExternalID != "b" || page[1].ExternalID != "c" {
		t.Errorf("page %+v of %d", page, total)
	}
}

// Seed 003's users limit, where the account has one.
func TestUserLimit(t *testing.T) {
	w := newWorld(t, 0)
	err := w.store.Update(ctx, func(tx ports.Tx) error {
		a, err := tx.Accounts().Get(ctx, w.acct.ID)
		if err != nil {
			return err
		}
		a.Limits = map[string]domain.Limits{"copilot": {Users: 2}}
		return tx.Accounts().Put(ctx, a)
	})
	if err != nil {
		t.Fatal(err)
	}
	w.addUsers(t, w.admin, "a", "b")
	_, err = w.svc.AddUser(ctx, w.admin, seats.UserInput{ExternalID: "c"})
	wantErr(t, err, domain.CodeConflict, "externalId", "the account has 2 users, its limit; delete one first (USER_LIMIT_REACHED)")
	must(w.svc.DeleteUser(ctx, w.admin, "a"))(t)
	w.addUsers(t, w.admin, "c")
}

func TestAssignmentsQuery(t *testing.T) {
	w := newWorld(t, 3)
	w.addUsers(t, w.admin, "a", "b", "c")
	must(w.svc.Assign(ctx, w.admin, "CoPilot", []string{"a"}))(t) // 1: license 1, user 1, 2018-06-11
	w.clock.add(24 * time.Hour)
	must(w.svc.Assign(ctx, w.admin, "CoPilot", []string{"b"}))(t) // 2: license 2, user 2, 2018-06-12
	must(w.svc.Release(ctx, w.admin, "CoPilot", []string{"a"}))(t)
	must(w.svc.Assign(ctx, w.admin, "CoPilot", []string{"c"}))(t) // 3: license 1, user 3, 2018-06-12
	v2 := domain.Principal{Partner: "fleet-partner", Account: itoa(w.acct.ID), Roles: []domain.Role{domain.UserAdmin}, Credential: domain.BasicUser}
	for _, tc := range []struct {
		name string
		q    domain.AssignmentQuery
		want []int64
	}{
		{"all, by id", domain.AssignmentQuery{}, []int64{1, 2, 3}},
		{"license-id", domain.AssignmentQuery{LicenseID: 1}, []int64{1, 3}},
		{"user-id", domain.AssignmentQuery{UserID: 2}, []int64{2}},
		{"from-activation-date", domain.AssignmentQuery{FromActivationDate: date(t, "2018-06-12")}, []int64{2, 3}},
		{"to-activation-date (before)", domain.AssignmentQuery{ToActivationDate: date(t, "2018-06-12")}, []int64{1}},
		{"sort=-id", domain.AssignmentQuery{Descending: true}, []int64{3, 2, 1}},
		{"sort=-license-id", domain.AssignmentQuery{Sort: domain.SortByLicenseID, Descending: true}, []int64{2, 1, 3}},
		{"sort=user-id", domain.AssignmentQuery{Sort: domain.SortByUserID}, []int64{1, 2, 3}},
		{"sort=-activation-date", domain.AssignmentQuery{Sort: domain.SortByActivationDate, Descending: true}, []int64{2, 3, 1}},
		{"offset=1&limit=1", domain.AssignmentQuery{Offset: 1, Limit: 1}, []int64{2}},
		{"offset past the end", domain.AssignmentQuery{Offset: 10}, nil},
	} {
		as := must(w.svc.Assignments(ctx, v2, tc.q))(t)
		var ids []int64
		for _, a := range as {
			ids = append(ids, a.ID)
		}
		if !slices.Equal(ids, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, ids, tc.want)
		}
	}
	for _, q := range []domain.AssignmentQuery{{Offset: -1}, {Limit: -1}, {Sort: 9}, {UserID: -3}} {
		_, err := w.svc.Assignments(ctx, v2, q)
		wantErr(t, err, domain.CodeInvalid, "", "")
	}
	a := must(w.svc.Assignment(ctx, v2, 1))(t)
	if a.DeactivationDate.String() != "2018-06-11" || !a.LastChanged.Equal(day0.Add(24*time.Hour)) {
		t.Errorf("assignment 1 after its release the next day: %+v", a)
	}
	for _, id := range []int64{0, -1, 4} {
		_, err := w.svc.Assignment(ctx, v2, id)
		wantErr(t, err, domain.CodeNotFound, "id", "no license assignment")
	}
}

func TestNewAndSwapRules(t *testing.T) {
	ordersOnly, err := orders.Language().Load(rulesets.FS)
	if err != nil {
		t.Fatal(err)
	}
	if sk := ordersOnly.Skipped(); len(sk) != 2 || sk[0].File != "50-seats.yaml" || sk[1].File != "60-accounts.yaml" {
		t.Errorf("the store API's language left out %v, want 50-seats.yaml and 60-accounts.yaml", sk)
	}
	_, err = seats.New(seats.Options{Store: memoryStore(t), Rules: ordersOnly, Clock: &clock{t: day0}})
	wantErr(t, err, domain.CodeInvalid, "", "without the seats scopes")
	_, err = seats.New(seats.Options{Rules: shippedRules(t)})
	wantErr(t, err, domain.CodeInvalid, "", "needs a Store, Rules and a Clock")

	w := newWorld(t, 1)
	before := w.svc.Rules()
	wantErr(t, w.svc.SwapRules(ordersOnly), domain.CodeInvalid, "", "seats scopes")
	wantErr(t, w.svc.SwapRules(nil), domain.CodeInvalid, "", "no rule set")
	if w.svc.Rules() != before {
		t.Error("a refused swap changed the rules")
	}
	// A new policy takes effect at once: MileOn is no longer sold.
	next := shippedRules(t, "products", "[CoPilot]")
	if err := w.svc.SwapRules(next); err != nil {
		t.Fatal(err)
	}
	_, err = w.svc.Pool(ctx, w.admin, "MileOn")
	wantErr(t, err, domain.CodeNotFound, "productId", "productId MileOn is not one of CoPilot")
}

// A shrink policy the rule file does not know refuses every lowering below
// the seats in use (entitle fails closed).
func TestUnknownShrinkPolicy(t *testing.T) {
	w := newWorld(t, 2, "shrink_policy", "sometimes")
	w.addUsers(t, w.admin, "a")
	must(w.svc.Assign(ctx, w.admin, "CoPilot", []string{"a"}))(t)
	_, err := w.svc.SetSeats(ctx, w.partner, seats.SeatsRequest{Alias: "acme-fleet", ProductID: "CoPilot", Seats: 0})
	wantErr(t, err, domain.CodeInvalid, "seats", "shrink_policy sometimes is not refuse or release_most_recent")
}
