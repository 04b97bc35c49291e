package orders_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/entitle-rules/entitle/adapters/memory"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules/orders"
)

// Regression: a caller that went away after its order was committed left the
// order ORDER_CREATION_INPROGRESS (finishing used the caller's context), its
// serial blocked, and the caller told the order failed.
func TestRegressionGoneCallerStillFinishesOrder(t *testing.T) {
	set, err := tapRules()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var n atomic.Int64
	eng, err := orders.New(orders.Options{Store: memory.New(), Rules: set, Clock: &tapClock{now: tapNow},
		IDs: ports.IDsFunc(func() string { return fmt.Sprintf("id-%d", n.Add(1)) }),
		Activator: ports.ActivatorFunc(func(context.Context, domain.Activation) error {
			cancel() // the client hangs up while activation is arranged
			return nil
		})})
	if err != nil {
		t.Fatal(err)
	}
	if err := seed(context.Background(), eng, tapDataset()); err != nil {
		t.Fatal(err)
	}
	rc, err := eng.CreateOrder(ctx, as(tapClient), tapOrder(rtxLine(1, "1234567890", "132001-10")))
	if err != nil || rc.Status != domain.OrderSuccess {
		t.Fatalf("CreateOrder = %+v, %v; want SUCCESS and no error", rc.Status, err)
	}
	if o := mustOrder(t, eng, tapClient, rc.UniqueID); o.Status != domain.OrderSuccess {
		t.Errorf("stored order is %s, want SUCCESS", o.Status)
	}
}

// Regression: an order of tens of thousands of lines was read line by line
// from the store, holding its writer, before the 20-line rule refused it.
func TestRegressionHugeOrderRefusedBeforeTheStore(t *testing.T) {
	eng, _ := seedEngine(t, tapNow)
	req := tapOrder()
	for i := range orders.MaxLines + 1 {
		req.Lines = append(req.Lines, rtxLine(i+1, fmt.Sprintf("%010d", i), "132001-10"))
	}
	_, err := eng.CreateOrder(context.Background(), as(tapClient), req)
	var de *domain.Error
	if !errors.As(err, &de) || de.Code != domain.CodeInvalid || de.Field != "lines" {
		t.Fatalf("err = %v, want invalid on lines", err)
	}
}

// Regression: loading a data file again rolled back live state: a redeemed
// coupon could be redeemed twice.
func TestRegressionReloadKeepsACouponRedeemed(t *testing.T) {
	eng, _ := seedEngine(t, tapNow)
	ctx := context.Background()
	line := rtxLine(1, "1234567890", "RDM-1Y")
	line.CouponNumber = "61236403205760"
	mustCreate(t, eng, tapClient, tapOrder(line))
	if err := seed(ctx, eng, tapDataset()); err != nil {
		t.Fatal(err)
	}
	line.SerialNumber = "1234567891"
	_, err := eng.CreateOrder(ctx, as(tapClient), tapOrder(line))
	var de *domain.Error
	if !errors.As(err, &de) || len(de.Violations) == 0 || de.Violations[0].Code != "INVALID_COUPON" {
		t.Fatalf("the coupon was accepted again after a reload: %v", err)
	}
}

// The periodic sweep leaves orders a request is finishing right now alone,
// and finishes those stuck for longer.
func TestResumeOlderThanLeavesFreshOrders(t *testing.T) {
	eng, _, clock := seedEngineClock(t, tapNow)
	ctx := context.Background()
	stuck := &domain.Order{ClientID: tapClient, PONumber: "PO-STUCK", Status: domain.OrderInProgress, CreatedAt: tapNow,
		Lines: []domain.OrderLine{{LineNumber: 1, SerialNumber: "5550000001", Quantity: 1}}}
	if err := eng.Store().Update(ctx, func(tx ports.Tx) error { return tx.Orders().Create(ctx, stuck) }); err != nil {
		t.Fatal(err)
	}
	if n, err := eng.ResumeOlderThan(ctx, 5*time.Minute); err != nil || n != 0 {
		t.Fatalf("ResumeOlderThan on a fresh order = %d, %v; want 0", n, err)
	}
	clock.set(tapNow.Add(6 * time.Minute))
	if n, err := eng.ResumeOlderThan(ctx, 5*time.Minute); err != nil || n != 1 {
		t.Fatalf("ResumeOlderThan after 6 minutes = %d, %v; want 1", n, err)
	}
	if o := mustOrder(t, eng, tapClient, stuck.UniqueID); o.Status != domain.OrderSuccess {
		t.Errorf("stuck order is %s, want SUCCESS", o.Status)
	}
}
