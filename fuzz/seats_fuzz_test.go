package fuzz_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/entitle-rules/entitle/adapters/memory"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/rules/seats"
)

// FuzzSeatUserInput: whatever text a client sends as a user's fields or as
// the externalIds of an assign call, the use case stores it exactly or
// refuses it with CodeInvalid naming the field (an item of a bulk call
// fails on its own, with a code); it never fails otherwise, never panics,
// and a user stored is found again by its externalId in any case.
func FuzzSeatUserInput(f *testing.F) {
	f.Add("driver-7", "d7@example.com", "Ada", "Lovelace", "+1 555 0100")
	f.Add("Truck 42", "", "", "", "")
	f.Add("", "x@y.z", "", "", "")
	f.Add("bad\x00id", "not an address", "\x7f", "é", string([]byte{0xff}))
	f.Add(strings.Repeat("x", 256), strings.Repeat("e", 250)+"@x.io", "", "", "")
	f.Add("ÄÖÜ-1", "ÄÖÜ@example.de", "Jürgen", "Groß", "0049")
	sets, err := seatRules()
	if err != nil || sets == nil {
		f.Fatal("the seats rules", err)
	}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, ext, email, first, last, phone string) {
		store := memory.New()
		defer store.Close()
		svc, err := seats.New(seats.Options{Store: store, Rules: sets["refuse"], Clock: &testClock{t: time.Date(2018, 6, 11, 12, 0, 0, 0, time.UTC)}})
		if err != nil {
			t.Fatal(err)
		}
		partner := domain.Principal{Partner: "p", Credential: domain.APIKey}
		acct, err := svc.CreateCompany(ctx, partner, seats.CompanyRequest{Name: "fuzz"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.SetSeats(ctx, partner, seats.SeatsRequest{Alias: acct.Alias, ProductID: "CoPilot", Seats: 1}); err != nil {
			t.Fatal(err)
		}
		admin := domain.Principal{Partner: "p", Account: "1", Credential: domain.APIKey}
		in := seats.UserInput{ExternalID: ext, Email: email, FirstName: first, LastName: last, PhoneNumber: phone}
		u, err := svc.AddUser(ctx, admin, in)
		if err != nil {
			var de *domain.Error
			if !errors.As(err, &de) || de.Code != domain.CodeInvalid || (de.Field == "" && len(de.Violations) == 0) {
				t.Fatalf("AddUser(%+q): %v, want stored or CodeInvalid naming the field", in, err)
			}
		} else {
			if u.ExternalID != ext || u.Email != email || u.FirstName != first || u.LastName != last || u.PhoneNumber != phone {
				t.Fatalf("stored %+v, sent %+q", u, in)
			}
			got, err := svc.User(ctx, admin, strings.ToUpper(ext))
			if err != nil && domain.ErrorCode(err) != domain.CodeNotFound {
				t.Fatalf("User(%q): %v", strings.ToUpper(ext), err)
			}
			if err == nil && got.ID != u.ID {
				t.Fatalf("User(%q) found %+v, want user %d", strings.ToUpper(ext), got, u.ID)
			}
			if _, err := svc.User(ctx, admin, ext); err != nil {
				t.Fatalf("User(%q): %v", ext, err)
			}
		}
		rs, err := svc.Assign(ctx, admin, "CoPilot", []string{ext, email})
		if err != nil {
			t.Fatalf("Assign: %v", err)
		}
		for _, r := range rs {
			if !r.OK && (r.Code == "" || r.Reason == "") {
				t.Fatalf("a failed item without code or reason: %+v", r)
			}
		}
		if u.ID != 0 && !rs[0].OK {
			t.Fatalf("assigning the stored user %q: %+v", ext, rs[0])
		}
	})
}

// FuzzSeatRuleFile: any bytes as a seats rule file either compile in the
// program's languages or are refused with positions, and the tests written
// in what compiles run with the seats tester or are refused the same way.
func FuzzSeatRuleFile(f *testing.F) {
	f.Add([]byte("ruleset: x\ncontext: seats\nrules:\n  - id: a\n    scope: assignment\n    when: pool.free < 2\n    deny: {code: LOW, message: m}\n"))
	f.Add([]byte("ruleset: x\ncontext: seats\nfixtures: {f: {now: 2018-06-11T00:00:00Z}}\ntests: [{name: t, fixture: f, seats: {requested: 1}, expect: {seats: {release: 0}}}]\n"))
	f.Add([]byte("ruleset: x\ncontext: seats\nfixtures: {f: {now: 2018-06-11T00:00:00Z}}\ntests: [{name: t, fixture: f, call: {items: x}}]\n"))
	f.Add([]byte("ruleset: x\ncontext: other\nrules: [{id: a, scope: user, when: true, deny: {code: X, message: m}}]\n"))
	f.Add([]byte("ruleset: x\nrules: [{id: a, scope: seats, when: true, set: {release: 1}}]\n"))
	fuzzRuleFile(f, seats.Language(), seats.Tester(seats.TesterOptions{}))
}
