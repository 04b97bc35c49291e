package orders_test

import (
	"context"
	"testing"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules/dataset"
	"github.com/entitle-rules/entitle/rules/orders"
)

// Regression (issue 8): client A ordered a VRS serial for a@, client B the
// same serial for b@, then A's resend of A's own order went to b@. Nothing
// one client does may change where another client's activations go, and
// the SSO e-mail fallback of rule 8 reads only what the same client sent.
func TestAnotherClientsOrderNeverRedirectsActivations(t *testing.T) {
	ctx := context.Background()
	eng, act := seedEngine(t, tapNow)
	// The other client's price list sells VRS too.
	if err := seed(ctx, eng, &dataset.Dataset{PriceLists: []dataset.PriceListData{{ID: "eur-de", Currency: "EUR", Countries: []string{"DE"},
		Items: []dataset.PriceItemData{{PartNumber: "132001-10", ListPrice: "1300.00"}, {PartNumber: "VRS-1Y", ListPrice: "900.00"}}}}}); err != nil {
		t.Fatal(err)
	}
	const serial = "SHAREDVRS1"
	vrs := func(email string) domain.LineRequest {
		l := vrsLine(1, serial)
		l.SSOUserEmailAddress = email
		return l
	}
	a := mustCreate(t, eng, tapClient, tapOrder(vrs("a@example.com")))
	bReq := otherOrder(serial)
	bReq.Lines = []domain.LineRequest{vrs("b@example.com")}
	b := mustCreate(t, eng, otherClient, bReq)
	if a.Status != domain.OrderSuccess || b.Status != domain.OrderSuccess {
		t.Fatalf("orders: A %s, B %s", a.Status, b.Status)
	}

	// A resends its own order's activation: it goes to a@, not to b@.
	got, err := eng.ResendActivation(ctx, as(tapClient), orders.ResendRequest{SerialNumber: serial, OrderNumber: a.OrderNumber})
	if err != nil {
		t.Fatal(err)
	}
	if got.Email != "a@example.com" {
		t.Errorf("A's resend goes to %q, want a@example.com", got.Email)
	}
	// B's resend goes to b@.
	got, err = eng.ResendActivation(ctx, as(otherClient), orders.ResendRequest{SerialNumber: serial, OrderNumber: b.OrderNumber})
	if err != nil {
		t.Fatal(err)
	}
	if got.Email != "b@example.com" {
		t.Errorf("B's resend goes to %q, want b@example.com", got.Email)
	}
	for _, d := range act.delivered() {
		if d.Email != "a@example.com" && d.Email != "b@example.com" {
			t.Errorf("an activation went to %q", d.Email)
		}
	}

	// A orders the serial again with an invalid e-mail: the fallback is A's
	// own latest address, never B's, though B's order is the newer one.
	again := mustCreate(t, eng, tapClient, tapOrder(vrs("not-an-email")))
	if o := mustOrder(t, eng, tapClient, again.UniqueID); o.Lines[0].SSOUserEmailAddress != "a@example.com" {
		t.Errorf("A's fallback e-mail is %q, want a@example.com", o.Lines[0].SSOUserEmailAddress)
	}
	// A third client would see neither: with no address of its own and none
	// in the store's record of the device, its invalid e-mail is refused.
	d, err := eng.CreateOrder(ctx, as(otherClient), func() domain.OrderRequest {
		r := otherOrder(serial)
		r.Lines = []domain.LineRequest{vrs("nope")}
		return r
	}())
	if err != nil {
		t.Fatal(err)
	}
	if o := mustOrder(t, eng, otherClient, d.UniqueID); o.Lines[0].SSOUserEmailAddress != "b@example.com" {
		t.Errorf("B's fallback e-mail is %q, want its own b@example.com", o.Lines[0].SSOUserEmailAddress)
	}

	// Neither client reads the other's order, activation dates or references.
	for _, q := range []orders.ActivationQuery{{OrderNumber: b.OrderNumber}, {SerialNumber: serial}} {
		infos, err := eng.ActivationStatus(ctx, as(tapClient), q)
		if q.OrderNumber != 0 {
			if domain.ErrorCode(err) != domain.CodeNotFound {
				t.Errorf("A reads B's order %d: %v, %v", b.OrderNumber, infos, err)
			}
			continue
		}
		for _, in := range infos {
			if in.Subscription.OrderID != a.UniqueID && in.Subscription.OrderID != again.UniqueID {
				t.Errorf("A's activation status shows order %d's subscription", in.Subscription.OrderID)
			}
			if in.Activation.Email == "b@example.com" {
				t.Error("A's activation status shows B's e-mail")
			}
		}
	}
}

// Trial-once is per device, across clients: the seed's rule is about the
// receiver, so a second client cannot start a second trial of the same
// product line on the same serial.
func TestTrialOncePerDeviceAcrossClients(t *testing.T) {
	ctx := context.Background()
	eng, _ := seedEngine(t, tapNow)
	if err := seed(ctx, eng, &dataset.Dataset{PriceLists: []dataset.PriceListData{{ID: "eur-de", Currency: "EUR", Countries: []string{"DE"},
		Items: []dataset.PriceItemData{{PartNumber: "132001-10", ListPrice: "1300.00"}, {PartNumber: "CP-TRIAL-30", ListPrice: "0.00"}}}}}); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, eng, tapClient, tapOrder(rtxLine(1, "7777777777", "CP-TRIAL-30")))
	req := otherOrder("7777777777")
	req.Lines[0].PartNumber = "CP-TRIAL-30"
	rc, err := eng.CreateOrder(ctx, as(otherClient), req)
	if _, fired := rc.Decision.Trace.Ran("line.trial-once"); domain.ErrorCode(err) != domain.CodeInvalid || !fired {
		t.Errorf("the other client's trial of the same serial: %v (line.trial-once fired: %v), want refused by line.trial-once", err, fired)
	}
}

// Under an Idempotency-Key, CreateOrder binds the order to the key's
// reservation in the order's own transaction: after a crash the key tells
// whether the order committed.
func TestCreateOrderBindsTheIdempotencyKey(t *testing.T) {
	ctx := context.Background()
	eng, _ := seedEngine(t, tapNow)
	err := eng.Store().Update(ctx, func(tx ports.Tx) error {
		return tx.Idempotency().Put(ctx, ports.IdempotencyRecord{ClientID: tapClient, Key: "k1", RequestHash: "h", CreatedAt: tapNow})
	})
	if err != nil {
		t.Fatal(err)
	}
	rc, err := eng.CreateOrder(ports.WithIdempotencyKey(ctx, tapClient, "k1"), as(tapClient), tapOrder(rtxLine(1, "1234567890", "132001-10")))
	if err != nil {
		t.Fatal(err)
	}
	err = eng.Store().View(ctx, func(tx ports.Tx) error {
		r, err := tx.Idempotency().Get(ctx, tapClient, "k1")
		if id, ok := orders.ParseOrderRef(r.Ref); err != nil || !ok || id != rc.UniqueID {
			t.Errorf("reservation %+v (%v), want bound to order %d", r, err, rc.UniqueID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// A refused order binds nothing.
	_ = eng.Store().Update(ctx, func(tx ports.Tx) error {
		return tx.Idempotency().Put(ctx, ports.IdempotencyRecord{ClientID: tapClient, Key: "k2", RequestHash: "h", CreatedAt: tapNow})
	})
	if _, err := eng.CreateOrder(ports.WithIdempotencyKey(ctx, tapClient, "k2"), as(tapClient), tapOrder()); domain.ErrorCode(err) != domain.CodeInvalid {
		t.Fatalf("an order with no lines: %v", err)
	}
	_ = eng.Store().View(ctx, func(tx ports.Tx) error {
		if r, err := tx.Idempotency().Get(ctx, tapClient, "k2"); err != nil || r.Ref != "" {
			t.Errorf("a refused order bound %+v (%v)", r, err)
		}
		return nil
	})
	if _, ok := orders.ParseOrderRef("order:x"); ok {
		t.Error("ParseOrderRef took order:x")
	}
}
