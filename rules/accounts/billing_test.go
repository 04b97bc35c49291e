package accounts_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules/accounts"
)

// seed002Add is seed 002's add request, verbatim.
const seed002Add = `{
"accountName": "1234567890-00001",
"serviceName": "Location",
"type": "TS-LOC-COARSE-CellID-Aggr",
"managedAccList": [
"1223334444-00001",
"2334445555-00001",
"3445556666-00001"
]
}`

func seedAdd(t testing.TB) accounts.AddRequest {
	t.Helper()
	var body struct {
		AccountName    string   `json:"accountName"`
		ServiceName    string   `json:"serviceName"`
		Type           string   `json:"type"`
		ManagedAccList []string `json:"managedAccList"`
	}
	if err := json.Unmarshal([]byte(seed002Add), &body); err != nil {
		t.Fatal(err)
	}
	return accounts.AddRequest{AccountName: body.AccountName, ServiceName: body.ServiceName, Type: body.Type, ManagedAccList: body.ManagedAccList}
}

func TestAddManagedSeed002(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	got, err := w.svc.AddManaged(ctx, w.session("1234567890-00001"), seedAdd(t))
	if err != nil {
		t.Fatal(err)
	}
	want := accounts.AddResult{TxID: "tx-1", StatusList: []accounts.ItemStatus{
		{ID: "1223334444-00001", Status: "Success", Reason: "Success"},
		{ID: "2334445555-00001", Status: "Success", Reason: "Success"},
		{ID: "3445556666-00001", Status: "Success", Reason: "Success"},
	}}
	if got.TxID != want.TxID || len(got.StatusList) != 3 {
		t.Fatalf("AddManaged = %+v, want %+v", got, want)
	}
	for i := range want.StatusList {
		if got.StatusList[i] != want.StatusList[i] {
			t.Errorf("statusList[%d] = %+v, want %+v", i, got.StatusList[i], want.StatusList[i])
		}
		l, ok := w.live(t, want.StatusList[i].ID)
		if !ok || l.Primary != "1234567890-00001" || l.TxID != "tx-1" || l.State != domain.LinkAdded || l.SKU != sku || !l.CreatedAt.Equal(t0) {
			t.Errorf("link of %s = %+v, %v; want ADDED by the primary with TxId tx-1", want.StatusList[i].ID, l, ok)
		}
	}
	// One audit event, in the same transaction, naming every account.
	var events []domain.AuditEvent
	if err := w.store.View(ctx, func(tx ports.Tx) error {
		events, err = tx.Audit().List(ctx, "txid:tx-1")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || events[0].Command != "AddManaged" || len(events[0].Codes) != 3 || events[0].RulesetHash == "" {
		t.Errorf("audit = %+v, want one AddManaged event with 3 codes", events)
	}

	// Re-adding is harmless: Success, no second link, the reason names the TxId in force.
	again, err := w.svc.AddManaged(ctx, w.session("1234567890-00001"), seedAdd(t))
	if err != nil {
		t.Fatal(err)
	}
	if again.TxID == got.TxID {
		t.Errorf("a second request got the first one's TxId %s", again.TxID)
	}
	for _, st := range again.StatusList {
		if st.Status != "Success" || !strings.Contains(st.Reason, "tx-1") {
			t.Errorf("re-add %+v, want Success naming tx-1", st)
		}
		if l, _ := w.live(t, st.ID); l.TxID != "tx-1" {
			t.Errorf("re-add changed the link of %s to %+v", st.ID, l)
		}
	}
}

func TestAddManagedItemReasons(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	// Primary 2 manages 3445556666-00001 first.
	if _, err := w.svc.AddManaged(ctx, w.session("5556667777-00001"), accounts.AddRequest{
		AccountName: "5556667777-00001", ServiceName: "Location", Type: sku, ManagedAccList: []string{"3445556666-00001"}}); err != nil {
		t.Fatal(err)
	}
	r := seedAdd(t)
	r.ManagedAccList = []string{
		"1223334444-0001",    // malformed
		"9999999999-00001",   // well-formed, no such account
		"7778889999-00001",   // another tenant's
		"4445556666-00001",   // not registered for Location
		"1234567890-00001",   // the primary itself
		"3445556666-00001",   // managed by primary 2
		"1223334444-00001",   // fine
		"1223334444-00001",   // repeated in the request: harmless
		"<script>x</script>", // hostile
	}
	got, err := w.svc.AddManaged(ctx, w.session("1234567890-00001"), r)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ status, reason string }{
		{"Fail", "Invalid account name"},
		{"Fail", "Invalid account name"},
		{"Fail", "Invalid account name"},
		{"Fail", "Unregistered account"},
		{"Fail", "A primary account cannot manage itself"},
		{"Fail", "Account is managed by another primary account"},
		{"Success", "Success"},
		{"Success", "Success: already added by this primary account with TxId " + got.TxID},
		{"Fail", "Invalid account name"},
	}
	for i, w := range want {
		st := got.StatusList[i]
		if st.ID != r.ManagedAccList[i] || st.Status != w.status || st.Reason != w.reason {
			t.Errorf("statusList[%d] = %+v, want %s %q", i, st, w.status, w.reason)
		}
	}
	if l, _ := w.live(t, "3445556666-00001"); l.Primary != "5556667777-00001" {
		t.Errorf("the link of primary 2 was taken: %+v", l)
	}
	if _, ok := w.live(t, "7778889999-00001"); ok {
		t.Error("another tenant's account was linked")
	}
}

func TestAddManagedRefusals(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	primary := w.session("1234567890-00001")
	tests := []struct {
		name  string
		p     domain.Principal
		edit  func(*accounts.AddRequest)
		code  domain.Code
		field string
	}{
		{"a session of another account", w.session("1223334444-00001"), nil, domain.CodeForbidden, "accountName"},
		{"another tenant's session naming the primary", domain.Principal{Partner: "other-billing", Account: primary.Account, Credential: domain.Session}, nil, domain.CodeNotFound, "accountName"},
		{"an X-AccessToken", partner("billing-client"), nil, domain.CodeForbidden, ""},
		{"a session without an account", domain.Principal{Partner: "billing-client", Credential: domain.Session}, nil, domain.CodeForbidden, ""},
		{"nobody", domain.Principal{}, nil, domain.CodeUnauthenticated, ""},
		{"a service other than Location", primary, func(r *accounts.AddRequest) { r.ServiceName = "fota" }, domain.CodeInvalid, "serviceName"},
		{"a SKU the primary did not buy", primary, func(r *accounts.AddRequest) { r.Type = "TS-LOC-PRECISE" }, domain.CodeInvalid, "type"},
		{"no type", primary, func(r *accounts.AddRequest) { r.Type = "" }, domain.CodeInvalid, "type"},
		{"no account listed", primary, func(r *accounts.AddRequest) { r.ManagedAccList = nil }, domain.CodeInvalid, "managedAccList"},
		{"1,001 accounts", primary, func(r *accounts.AddRequest) { r.ManagedAccList = make([]string, 1001) }, domain.CodeInvalid, "managedAccList"},
		{"more than the input limit", primary, func(r *accounts.AddRequest) { r.ManagedAccList = make([]string, accounts.MaxManaged+1) }, domain.CodeInvalid, "managedAccList"},
		{"a NUL in accountName", primary, func(r *accounts.AddRequest) { r.AccountName = "1234567890-00001\x00" }, domain.CodeInvalid, "accountName"},
		{"an over-long type", primary, func(r *accounts.AddRequest) { r.Type = strings.Repeat("x", 256) }, domain.CodeInvalid, "type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := seedAdd(t)
			if tt.edit != nil {
				tt.edit(&r)
			}
			_, err := w.svc.AddManaged(ctx, tt.p, r)
			wantCode(t, err, tt.code, tt.field)
			for _, name := range seedAdd(t).ManagedAccList {
				if _, ok := w.live(t, name); ok {
					t.Fatalf("a refused add linked %s", name)
				}
			}
		})
	}
}

func TestProvisionAndCancel(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	add, err := w.svc.AddManaged(ctx, w.session("1234567890-00001"), seedAdd(t))
	if err != nil {
		t.Fatal(err)
	}
	m1 := w.session("1223334444-00001")
	req := accounts.LinkRequest{AccountName: "1223334444-00001", PAccountName: "1234567890-00001", ServiceName: "Location", Type: sku, TxID: add.TxID}

	fails := []struct {
		name   string
		edit   func(*accounts.LinkRequest)
		reason string
	}{
		{"another TxId", func(r *accounts.LinkRequest) { r.TxID = "tx-999" }, "Invalid TxId"},
		{"another type", func(r *accounts.LinkRequest) { r.Type = "TS-LOC-PRECISE" }, ""},
		{"a primary that did not add it", func(r *accounts.LinkRequest) { r.PAccountName = "5556667777-00001" }, "The account was not added for managed billing by this primary account"},
		{"an unknown primary", func(r *accounts.LinkRequest) { r.PAccountName = "9999999999-00001" }, "Invalid account name"},
		{"another tenant's primary", func(r *accounts.LinkRequest) { r.PAccountName = "7778889999-00001" }, "Invalid account name"},
	}
	for _, f := range fails {
		r := req
		f.edit(&r)
		got, err := w.svc.Provision(ctx, m1, r)
		if f.reason == "" {
			// A type the primary did not buy fails the request.
			wantCode(t, err, domain.CodeInvalid, "type")
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
		if got.Status != "Fail" || got.Reason != f.reason {
			t.Errorf("%s: %+v, want Fail %q", f.name, got, f.reason)
		}
	}
	if l, _ := w.live(t, "1223334444-00001"); l.State != domain.LinkAdded {
		t.Fatalf("a failed provision changed the link: %+v", l)
	}

	// Errors: no TxId; the primary's session; another managed account's session.
	r := req
	r.TxID = ""
	_, err = w.svc.Provision(ctx, m1, r)
	wantCode(t, err, domain.CodeInvalid, "txid")
	_, err = w.svc.Provision(ctx, w.session("1234567890-00001"), req)
	wantCode(t, err, domain.CodeForbidden, "accountName")
	_, err = w.svc.Cancel(ctx, w.session("2334445555-00001"), req)
	wantCode(t, err, domain.CodeForbidden, "accountName")

	got, err := w.svc.Provision(ctx, m1, req)
	if err != nil {
		t.Fatal(err)
	}
	want := accounts.LinkResult{TxID: add.TxID, AccountName: "1223334444-00001", PAccountName: "1234567890-00001", ServiceName: "Location", Status: "Success", Reason: "Success"}
	if got != want {
		t.Errorf("Provision = %+v, want %+v", got, want)
	}
	if l, _ := w.live(t, "1223334444-00001"); l.State != domain.LinkActivated {
		t.Errorf("after provision the link is %+v", l)
	}
	// Provisioning again is harmless.
	if got, err := w.svc.Provision(ctx, m1, req); err != nil || got.Status != "Success" {
		t.Errorf("provision again = %+v, %v", got, err)
	}

	list, err := w.svc.ManagedAccounts(ctx, w.session("1234567890-00001"), "1234567890-00001", "Location", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Provisioned) != 1 || list.Provisioned[0].Managed != "1223334444-00001" || len(list.Added) != 2 || list.AccountName != "1234567890-00001" {
		t.Errorf("list = %+v, want 1 provisioned and 2 added", list)
	}
	prov, err := w.svc.ManagedAccounts(ctx, w.session("1234567890-00001"), "1234567890-00001", "Location", "PROVISION")
	if err != nil || len(prov.Provisioned) != 1 || len(prov.Added) != 0 {
		t.Errorf("PROVISION list = %+v, %v", prov, err)
	}

	// Cancel: the link ends; it shows under ADD; primary 2 may add it now.
	got, err = w.svc.Cancel(ctx, m1, req)
	if err != nil || got.Status != "Success" {
		t.Fatalf("Cancel = %+v, %v", got, err)
	}
	if _, ok := w.live(t, "1223334444-00001"); ok {
		t.Error("a cancelled link is still live")
	}
	added, err := w.svc.ManagedAccounts(ctx, w.session("1234567890-00001"), "1234567890-00001", "Location", "ADD")
	if err != nil {
		t.Fatal(err)
	}
	var cancelled bool
	for _, l := range added.Added {
		cancelled = cancelled || (l.Managed == "1223334444-00001" && l.State == domain.LinkCanceled)
	}
	if !cancelled || len(added.Provisioned) != 0 || len(added.Added) != 3 {
		t.Errorf("ADD list = %+v, want the cancelled link among 3", added)
	}
	if got, err := w.svc.Cancel(ctx, m1, req); err != nil || got.Status != "Fail" {
		t.Errorf("cancelling a cancelled link = %+v, %v; want Fail", got, err)
	}
	res, err := w.svc.AddManaged(ctx, w.session("5556667777-00001"), accounts.AddRequest{
		AccountName: "5556667777-00001", ServiceName: "Location", Type: sku, ManagedAccList: []string{"1223334444-00001"}})
	if err != nil || res.StatusList[0].Status != "Success" {
		t.Errorf("adding a cancelled account to another primary = %+v, %v", res, err)
	}
}

func TestManagedAccountsRefusals(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	p := w.session("1234567890-00001")
	_, err := w.svc.ManagedAccounts(ctx, p, "1234567890-00001", "Location", "DONE")
	wantCode(t, err, domain.CodeInvalid, "status")
	_, err = w.svc.ManagedAccounts(ctx, p, "1234567890-00001", "fota", "")
	wantCode(t, err, domain.CodeInvalid, "serviceName")
	_, err = w.svc.ManagedAccounts(ctx, p, "5556667777-00001", "Location", "")
	wantCode(t, err, domain.CodeForbidden, "accountName")
	empty, err := w.svc.ManagedAccounts(ctx, p, "1234567890-00001", "Location", "")
	if err != nil || len(empty.Added)+len(empty.Provisioned) != 0 {
		t.Errorf("list before any add = %+v, %v", empty, err)
	}
}

func TestNewNeedsEveryOption(t *testing.T) {
	w := newWorld(t)
	for _, o := range []accounts.Options{
		{Rules: shippedRules(t), Clock: w.clock, IDs: w.ids},
		{Store: w.store, Clock: w.clock, IDs: w.ids},
		{Store: w.store, Rules: shippedRules(t), IDs: w.ids},
		{Store: w.store, Rules: shippedRules(t), Clock: w.clock},
	} {
		_, err := accounts.New(o)
		wantCode(t, err, domain.CodeInvalid, "")
	}
	if err := w.svc.SwapRules(nil); domain.ErrorCode(err) != domain.CodeInvalid {
		t.Errorf("SwapRules(nil) = %v", err)
	}
}
