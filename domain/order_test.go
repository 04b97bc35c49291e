package domain_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/entitle-rules/entitle/domain"
)

func TestYN(t *testing.T) {
	if domain.YN(true) != "Y" || domain.YN(false) != "N" {
		t.Errorf("YN = %q, %q", domain.YN(true), domain.YN(false))
	}
	tests := []struct {
		in    string
		v, ok bool
	}{
		{"Y", true, true}, {"y", true, true}, {"N", false, true}, {"n", false, true},
		{"", false, false}, {"YES", false, false}, {"1", false, false}, {" Y", false, false},
	}
	for _, tt := range tests {
		v, ok := domain.ParseYN(tt.in)
		if v != tt.v || ok != tt.ok {
			t.Errorf("ParseYN(%q) = %v, %v, want %v, %v", tt.in, v, ok, tt.v, tt.ok)
		}
	}
}

func TestOrderQueryMatches(t *testing.T) {
	o := &domain.Order{
		UniqueID: 13331,
		ClientID: "client-a",
		PONumber: "PO-1",
		Lines: []domain.OrderLine{
			{LineNumber: 1, SerialNumber: "TESTApi01"},
			{LineNumber: 2, SerialNumber: "5555555555"},
		},
	}
	tests := []struct {
		name string
		q    domain.OrderQuery
		want bool
	}{
		{"own client, no filter", domain.OrderQuery{ClientID: "client-a"}, true},
		// Seed 001: "If the clientId of the customer for which order is placed
		// and the clientId in the request doesn't match, order info will not be retrieved".
		{"another client", domain.OrderQuery{ClientID: "client-b"}, false},
		{"another client, right uniqueId", domain.OrderQuery{ClientID: "client-b", UniqueID: 13331}, false},
		{"uniqueId", domain.OrderQuery{ClientID: "client-a", UniqueID: 13331}, true},
		{"wrong uniqueId", domain.OrderQuery{ClientID: "client-a", UniqueID: 1}, false},
		{"PO number", domain.OrderQuery{ClientID: "client-a", PONumber: "PO-1"}, true},
		{"wrong PO number", domain.OrderQuery{ClientID: "client-a", PONumber: "PO-2"}, false},
		{"serial in another case", domain.OrderQuery{ClientID: "client-a", SerialKey: domain.SerialKey("TestAPI01")}, true},
		{"second line's serial", domain.OrderQuery{ClientID: "client-a", SerialKey: domain.SerialKey("5555555555")}, true},
		{"unknown serial", domain.OrderQuery{ClientID: "client-a", SerialKey: domain.SerialKey("TESTApi02")}, false},
		{"all filters", domain.OrderQuery{ClientID: "client-a", UniqueID: 13331, PONumber: "PO-1", SerialKey: "TESTAPI01"}, true},
	}
	for _, tt := range tests {
		if got := tt.q.Matches(o); got != tt.want {
			t.Errorf("%s: Matches = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestLineRequestJSON(t *testing.T) {
	const in = `{"lineNumber":1,"serviceStartDate":"2025-04-24","partNumber":"88213-10","serialNumber":"TESTApi01",` +
		`"serviceType":"VRS","autoRenewal":"Y","activationType":"IMMEDIATE"}`
	var l domain.LineRequest
	if err := json.Unmarshal([]byte(in), &l); err != nil {
		t.Fatal(err)
	}
	if l.ServiceStartDate.String() != "2025-04-24" || !l.ActivationDate.IsZero() {
		t.Errorf("decoded dates: start %v, activation %v", l.ServiceStartDate, l.ActivationDate)
	}
	out, err := json.Marshal(l)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != in {
		t.Errorf("re-encoded line:\n got %s\nwant %s", out, in)
	}
}

func TestCustomer(t *testing.T) {
	c := domain.Customer{
		ID:   "c1",
		Name: "Acme Surveying Ltd",
		Kind: domain.Reseller,
		Sites: []domain.Site{
			{SiteUseID: 100, Use: domain.BillTo, AutoRenewFlag: true},
			{SiteUseID: 200, Use: domain.ShipTo},
		},
	}
	if s, ok := c.Site(100, domain.BillTo); !ok || s.SiteUseID != 100 || !s.AutoRenewFlag {
		t.Errorf("Site(100, BillTo) = %+v, %v", s, ok)
	}
	if _, ok := c.Site(100, domain.ShipTo); ok {
		t.Error("Site(100, ShipTo) found a bill-to site")
	}
	if _, ok := c.Site(300, domain.BillTo); ok {
		t.Error("Site(300) found a site that does not exist")
	}
	for _, tt := range []struct {
		q    string
		want bool
	}{{"acme ", true}, {"SURVEY", true}, {"Ltd", true}, {"Acme Mining", false}} {
		if got := c.NameMatches(tt.q); got != tt.want {
			t.Errorf("NameMatches(%q) = %v, want %v", tt.q, got, tt.want)
		}
	}
	if domain.Reseller.String() != "RESELLER" || domain.EndCustomer.String() != "END_CUSTOMER" {
		t.Errorf("CustomerKind strings: %s, %s", domain.Reseller, domain.EndCustomer)
	}
	if domain.BillTo.String() != "BILL_TO" || domain.ShipTo.String() != "SHIP_TO" {
		t.Errorf("SiteUse strings: %s, %s", domain.BillTo, domain.ShipTo)
	}
	if domain.MinNameQuery != 5 {
		t.Errorf("MinNameQuery = %d, want 5 (seed 001: \"Min length is 5 chars\")", domain.MinNameQuery)
	}
}

func TestParseOrderStatus(t *testing.T) {
	for _, st := range domain.OrderStatuses {
		if got, err := domain.ParseOrderStatus(string(st)); got != st || err != nil {
			t.Errorf("ParseOrderStatus(%q) = %q, %v; want %q, nil", st, got, err, st)
		}
	}
	const list = "ORDER_CREATION_INPROGRESS, ORDER_ON_HOLD, SUCCESS, ERROR"
	for _, in := range []string{"", "DONE", "success", " SUCCESS", "ORDER_CREATION_INPROGRESS "} {
		got, err := domain.ParseOrderStatus(in)
		var de *domain.Error
		if got != "" || !errors.As(err, &de) || de.Code != domain.CodeInvalid || de.Field != "status" ||
			de.Message != fmt.Sprintf("order status %q is not one of %s", in, list) {
			t.Errorf("ParseOrderStatus(%q) = %q, %v; want CodeInvalid on status listing %s", in, got, err, list)
		}
	}
}

func TestOrderInProgressError(t *testing.T) {
	if domain.OrderInProgressMessage != "Order creation is in progress for the serialNumber, please try after some time" {
		t.Errorf("OrderInProgressMessage = %q, not seed 001's words", domain.OrderInProgressMessage)
	}
	for _, tt := range []struct {
		field, serial string
		holder        int64
		want          string
	}{
		{"lines[2].serialNumber", "TESTApi01", 13331,
			"Order creation is in progress for the serialNumber TESTApi01 (order 13331), please try after some time"},
		{"lines[0].serialNumber", "TESTApi01", 0, "Order creation is in progress for the serialNumber TESTApi01, please try after some time"},
		{"serialNumber", "", 0, domain.OrderInProgressMessage},
		{"lines", "", 13331, domain.OrderInProgressMessage},
	} {
		e := domain.OrderInProgressError(tt.field, tt.serial, tt.holder)
		if e.Code != domain.CodeConflict || e.Field != tt.field || e.Message != tt.want {
			t.Errorf("OrderInProgressError(%q, %q, %d) = %q %q %q; want %q %q %q", tt.field, tt.serial, tt.holder,
				e.Code, e.Field, e.Message, domain.CodeConflict, tt.field, tt.want)
		}
	}
}

func TestOrderSerialKeys(t *testing.T) {
	o := &domain.Order{Lines: []domain.OrderLine{
		{LineNumber: 1, SerialNumber: "TESTApi01"}, {LineNumber: 2}, {LineNumber: 3, SerialNumber: "x2"},
		{LineNumber: 4, SerialNumber: " testapi01"}, {LineNumber: 5, SerialNumber: "X2"},
	}}
	if got, want := o.SerialKeys(), []string{"TESTAPI01", "X2"}; !slices.Equal(got, want) {
		t.Errorf("SerialKeys() = %q, want %q: distinct, folded, in line order, none for a line without a serial", got, want)
	}
	if got := (&domain.Order{}).SerialKeys(); got == nil || len(got) != 0 {
		t.Errorf("SerialKeys() of an order without lines = %#v, want an empty list", got)
	}
}

func TestOrderCheckSerialsFree(t *testing.T) {
	o := &domain.Order{Lines: []domain.OrderLine{
		{LineNumber: 1, SerialNumber: "X1"}, {LineNumber: 2, SerialNumber: "TESTApi01"}, {LineNumber: 3, SerialNumber: "x2"},
	}}
	held := map[string]int64{"TESTAPI01": 13331, "X2": 13332}
	var asked []string
	err := o.CheckSerialsFree(func(k string) (int64, bool) {
		asked = append(asked, k)
		id, ok := held[k]
		return id, ok
	})
	var de *domain.Error
	if !errors.As(err, &de) || de.Code != domain.CodeConflict || de.Field != "lines[1].serialNumber" ||
		de.Message != "Order creation is in progress for the serialNumber TESTApi01 (order 13331), please try after some time" {
		t.Errorf("CheckSerialsFree = %v, want the conflict of the second line, held by 13331", err)
	}
	if !slices.Equal(asked, []string{"X1", "TESTAPI01"}) {
		t.Errorf("CheckSerialsFree asked about %q, want the serial keys up to the first one held", asked)
	}
	if err := o.CheckSerialsFree(func(string) (int64, bool) { return 0, false }); err != nil {
		t.Errorf("CheckSerialsFree with every serial free = %v, want nil", err)
	}
}

func TestOrderCheckNew(t *testing.T) {
	for _, c := range []struct {
		name  string
		o     *domain.Order
		field string
		ok    bool
	}{
		{"no order", nil, "", false},
		{"an unknown status", &domain.Order{Status: "DONE"}, "status", false},
		{"no status", &domain.Order{}, "status", false},
		{"in progress", &domain.Order{Status: domain.OrderInProgress}, "", true},
		{"on hold", &domain.Order{Status: domain.OrderOnHold}, "", true},
	} {
		err := c.o.CheckNew()
		var de *domain.Error
		switch {
		case c.ok && err != nil:
			t.Errorf("%s: CheckNew = %v, want nil", c.name, err)
		case !c.ok && (!errors.As(err, &de) || de.Code != domain.CodeInvalid || de.Field != c.field):
			t.Errorf("%s: CheckNew = %v, want %q on %q", c.name, err, domain.CodeInvalid, c.field)
		}
	}
}
