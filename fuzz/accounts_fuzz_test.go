package fuzz_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/entitle-rules/entitle/adapters/memory"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules/accounts"
)

// FuzzAddManagedInput: whatever text a client sends as an add request's
// fields and account names, AddManaged answers each listed account Success
// or Fail with a reason, or refuses the request with CodeInvalid or
// CodeForbidden naming a field; it never fails otherwise, never panics, and
// an account it says Success for is live with the primary.
func FuzzAddManagedInput(f *testing.F) {
	f.Add("1234567890-00001", "Location", billingSKU, "1223334444-00001,2334445555-00001,3445556666-00001")
	f.Add("1234567890-00001", "Location", billingSKU, "1223334444-0001,,9999999999-00001")
	f.Add("1234567890-00001", "fota", "x", "1223334444-00001")
	f.Add("0000000000-00000", "Location", billingSKU, "")
	f.Add("1234567890-00001\x00", "Loc\xffation", strings.Repeat("T", 300), "١٢٣٤٥٦٧٨٩٠-00001, 1223334444-00001")
	set, err := accountRules()
	if err != nil {
		f.Fatal(err)
	}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, accountName, service, typ, list string) {
		store := memory.New()
		defer store.Close()
		svc, err := accounts.New(accounts.Options{Store: store, Rules: set, Clock: &testClock{t: time.Date(2025, 5, 20, 12, 0, 0, 0, time.UTC)}, IDs: &seqIDs{}})
		if err != nil {
			t.Fatal(err)
		}
		primary := domain.Account{PartnerID: "tc", Alias: "1234567890-00001", Services: []string{"Location"}, SKUs: []string{billingSKU}}
		err = store.Update(ctx, func(tx ports.Tx) error {
			if err := tx.Accounts().Create(ctx, &primary); err != nil {
				return err
			}
			for _, n := range []string{"1223334444-00001", "2334445555-00001"} {
				a := domain.Account{PartnerID: "tc", Alias: n, Services: []string{"Location"}}
				if err := tx.Accounts().Create(ctx, &a); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		r := accounts.AddRequest{AccountName: accountName, ServiceName: service, Type: typ}
		if list != "" {
			r.ManagedAccList = strings.Split(list, ",")
		}
		res, err := svc.AddManaged(ctx, session(primary), r)
		if err != nil {
			var de *domain.Error
			if !errors.As(err, &de) || (de.Code != domain.CodeInvalid && de.Code != domain.CodeForbidden) {
				t.Fatalf("AddManaged(%+v) = %v, want CodeInvalid or CodeForbidden", r, err)
			}
			if de.Field == "" && (len(de.Violations) == 0 || de.Violations[0].Field == "") {
				t.Fatalf("AddManaged(%+v) = %v names no field", r, err)
			}
			return
		}
		if len(res.StatusList) != len(r.ManagedAccList) || res.TxID == "" {
			t.Fatalf("AddManaged(%+v) = %+v", r, res)
		}
		for i, st := range res.StatusList {
			if st.ID != r.ManagedAccList[i] || (st.Status != "Success" && st.Status != "Fail") || st.Reason == "" {
				t.Fatalf("statusList[%d] = %+v", i, st)
			}
			if st.Status == "Success" {
				l, err := liveLink(ctx, store, st.ID)
				if err != nil || l.Primary != primary.Alias {
					t.Fatalf("%s Success but live link %+v, %v", st.ID, l, err)
				}
			}
		}
	})
}

// FuzzAccountsRuleFile: any bytes as an accounts rule file either compile
// in the accounts language or are refused with positions, and the tests
// written in what compiles run with the accounts tester or are refused the
// same way.
func FuzzAccountsRuleFile(f *testing.F) {
	f.Add([]byte("ruleset: x\ncontext: accounts\nrules:\n  - id: a\n    scope: block\n    when: block.at < now\n    deny: {code: PAST, field: blocked_at, message: m}\n"))
	f.Add([]byte("ruleset: x\ncontext: accounts\nfixtures: {f: {now: 2025-05-20T12:00:00Z}}\ntests: [{name: t, fixture: f, block: {action: block}, expect: {allowed: true}}]\n"))
	f.Add([]byte("ruleset: x\ncontext: accounts\nfixtures: {f: {now: 2025-05-20T12:00:00Z}}\ntests: [{name: t, fixture: f, plan: {id: 3}, limits: {}}]\n"))
	f.Add([]byte("ruleset: x\ncontext: accounts\nrules: [{id: a, scope: managed, when: not includes(billing.skus, billing.type), deny: {code: X, message: m}}]\n"))
	f.Add([]byte("ruleset: x\ncontext: accounts\nfixtures: {f: {now: 1}}\n"))
	fuzzRuleFile(f, accounts.Language(), accounts.Tester(accounts.TesterOptions{}))
}
