package orders_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/entitle-rules/entitle/adapters/memory"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules/orders"
)

// blockingStore holds the first Update started after arm inside the store,
// before it runs, until release is closed: an order being committed.
type blockingStore struct {
	ports.Store
	armed   atomic.Bool
	entered chan struct{}
	release chan struct{}
}

func (s *blockingStore) arm() {
	s.entered, s.release = make(chan struct{}), make(chan struct{})
	s.armed.Store(true)
}

func (s *blockingStore) Update(ctx context.Context, fn func(ports.Tx) error) error {
	if s.armed.CompareAndSwap(true, false) {
		close(s.entered)
		<-s.release
	}
	return s.Store.Update(ctx, fn)
}

// engineOver is seedEngine over store, with no Activator.
func engineOver(tb testing.TB, store ports.Store, act ports.Activator) *orders.Service {
	tb.Helper()
	set, err := tapRules()
	if err != nil {
		tb.Fatal(err)
	}
	var n atomic.Int64
	eng, err := orders.New(orders.Options{Store: store, Rules: set, Clock: &tapClock{now: tapNow}, Activator: act,
		IDs: ports.IDsFunc(func() string { return fmt.Sprintf("id-%d", n.Add(1)) })})
	if err != nil {
		tb.Fatal(err)
	}
	if err := seed(context.Background(), eng, tapDataset()); err != nil {
		tb.Fatal(err)
	}
	return eng
}

// TestCreateOrderRefusesSerialBeingCommitted: while an order is inside its
// transaction, a second order naming one of its serials (in any case) is
// refused at once with rule 12's answer; an order for another serial is
// not; once the first commits, the serial is decided normally again.
func TestCreateOrderRefusesSerialBeingCommitted(t *testing.T) {
	ctx := context.Background()
	mem := memory.New()
	t.Cleanup(func() { mem.Close() })
	store := &blockingStore{Store: mem}
	eng := engineOver(t, store, nil)

	store.arm()
	first := make(chan error, 1)
	go func() {
		_, err := eng.CreateOrder(ctx, as(tapClient), tapOrder(rtxLine(1, "1234567890", "132001-10")))
		first <- err
	}()
	<-store.entered

	_, err := eng.CreateOrder(ctx, as(tapClient), tapOrder(rtxLine(1, "1234567891", "132001-10"), rtxLine(2, "1234567890", "RP-1Y")))
	wantViolations(t, err,
		domain.Violation{RuleID: "store.in-progress", Code: "ORDER_IN_PROGRESS", Field: "lines[0].serialNumber", Message: seedMsgInProgress},
		domain.Violation{RuleID: "store.in-progress", Code: "ORDER_IN_PROGRESS", Field: "lines[1].serialNumber", Message: seedMsgInProgress})
	if got := wantError(t, err, domain.CodeInvalid); domain.ErrorCode(errors.Unwrap(got)) != domain.CodeConflict {
		t.Errorf("the refusal's cause = %v, want the CodeConflict of the serial held", errors.Unwrap(got))
	}
	// Another serial is not held.
	mustCreate(t, eng, tapClient, tapOrder(rtxLine(1, "1234567891", "132001-10")))

	close(store.release)
	if err := <-first; err != nil {
		t.Fatalf("the order being committed: %v", err)
	}
	rc := mustCreate(t, eng, tapClient, tapOrder(rtxLine(1, "1234567890", "128357-10")))
	if rc.Status != domain.OrderSuccess {
		t.Errorf("the order after the first committed is %s, want SUCCESS", rc.Status)
	}
	// A refused order releases what it held: the next one is decided by
	// the rules again, never refused as in progress.
	for range 2 {
		_, err := eng.CreateOrder(ctx, as(tapClient), tapOrder(rtxLine(1, "1234567890", "NO-SUCH-PART")))
		de := wantError(t, err, domain.CodeInvalid)
		for _, v := range de.Violations {
			if v.Code == "ORDER_IN_PROGRESS" {
				t.Errorf("an order after a refused one was refused as in progress: %+v", v)
			}
		}
	}
}

// TestCreateOrderWritesTheOutbox: one transaction writes the order SUCCESS,
// one audit event and its activation PENDING; nothing is delivered until
// the deliverer runs, and without an Activator the deliverer marks it
// DELIVERED.
func TestCreateOrderWritesTheOutbox(t *testing.T) {
	ctx := context.Background()
	mem := memory.New()
	t.Cleanup(func() { mem.Close() })
	eng := engineOver(t, mem, nil)
	rc := mustCreate(t, eng, tapClient, tapOrder(rtxLine(1, "1234567890", "132001-10")))
	if rc.Status != domain.OrderSuccess {
		t.Fatalf("status = %s, want SUCCESS", rc.Status)
	}
	st := activationStatus(t, eng, "1234567890")
	if d := st.Activation.Delivery; d != domain.PendingDelivery(tapNow) || st.Status != domain.ActivationInProgress {
		t.Errorf("the new activation: %s %+v, want IN_PROGRESS, pending from %v", st.Status, d, tapNow)
	}
	if n, err := eng.DeliverDue(ctx); err != nil || n != 1 {
		t.Fatalf("DeliverDue = %d, %v; want 1", n, err)
	}
	if d := activationStatus(t, eng, "1234567890").Activation.Delivery; d.State != domain.DeliveryDelivered || d.Attempts != 1 || !d.DeliveredAt.Equal(tapNow) {
		t.Errorf("delivery without an Activator = %+v, want DELIVERED at once", d)
	}
	if n, err := eng.DeliverDue(ctx); err != nil || n != 0 {
		t.Errorf("DeliverDue with nothing due = %d, %v; want 0", n, err)
	}
}

// TestDeliverDueBacksOff: a delivery the Activator keeps refusing is tried
// again after 1 s, 2 s, 4 s, ... at most 10 minutes apart, then given up
// after MaxDeliveryAttempts with the last error, and reported FAILED.
func TestDeliverDueBacksOff(t *testing.T) {
	ctx := context.Background()
	eng, act, clock := seedEngineClock(t, tapNow)
	mustCreate(t, eng, tapClient, tapOrder(rtxLine(1, "1234567890", "132001-10")))
	now := tapNow
	for attempt := 1; attempt <= orders.MaxDeliveryAttempts; attempt++ {
		act.failWith(fmt.Errorf("gateway down %d", attempt))
		clock.set(now.Add(-time.Nanosecond))
		if n, err := eng.DeliverDue(ctx); err != nil || n != 0 {
			t.Fatalf("attempt %d: DeliverDue before it is due = %d, %v; want 0", attempt, n, err)
		}
		clock.set(now)
		if n, err := eng.DeliverDue(ctx); err != nil || n != 1 {
			t.Fatalf("attempt %d: DeliverDue = %d, %v; want 1", attempt, n, err)
		}
		st := activationStatus(t, eng, "1234567890")
		d := st.Activation.Delivery
		if d.Attempts != attempt || d.LastError != fmt.Sprintf("gateway down %d", attempt) {
			t.Fatalf("after attempt %d: %+v", attempt, d)
		}
		if attempt == orders.MaxDeliveryAttempts {
			if d.State != domain.DeliveryFailed || st.Status != domain.ActivationFailed {
				t.Errorf("after the last attempt: %s %+v, want FAILED", st.Status, d)
			}
			break
		}
		wait := min(time.Second<<(attempt-1), 10*time.Minute)
		if d.State != domain.DeliveryPending || !d.NextAttempt.Equal(now.Add(wait)) || st.Status != domain.ActivationInProgress {
			t.Fatalf("after attempt %d: %s %+v, want IN_PROGRESS, pending until %v later", attempt, st.Status, d, wait)
		}
		now = d.NextAttempt
	}
	act.failWith(nil)
	clock.set(now.Add(time.Hour))
	if got := act.delivered(); len(got) != 0 {
		t.Errorf("a given-up delivery was delivered: %+v", got)
	}
}

func TestRetryAfter(t *testing.T) {
	for _, tt := range []struct {
		attempts int
		want     time.Duration
	}{{1, time.Second}, {2, 2 * time.Second}, {3, 4 * time.Second}, {10, 512 * time.Second}, {11, 10 * time.Minute}, {40, 10 * time.Minute}} {
		if got := orders.RetryAfter(tt.attempts); got != tt.want {
			t.Errorf("RetryAfter(%d) = %v, want %v", tt.attempts, got, tt.want)
		}
	}
}

// TestRunDeliveriesWakesOnCommit: RunDeliveries delivers an order's
// activation as soon as the order commits, not at its next idle tick (an
// hour here), and returns when its context ends.
func TestRunDeliveriesWakesOnCommit(t *testing.T) {
	var mu sync.Mutex
	got := make(chan domain.Activation, 4)
	mem := memory.New()
	t.Cleanup(func() { mem.Close() })
	eng := engineOver(t, mem, ports.ActivatorFunc(func(_ context.Context, a domain.Activation) error {
		mu.Lock()
		defer mu.Unlock()
		got <- a
		return nil
	}))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		eng.RunDeliveries(ctx, time.Hour)
		close(done)
	}()
	for i, serial := range []string{"1234567890", "1234567891"} {
		mustCreate(t, eng, tapClient, tapOrder(rtxLine(1, serial, "132001-10")))
		select {
		case a := <-got:
			if a.Serial != serial {
				t.Errorf("order %d: delivered %s, want %s", i, a.Serial, serial)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("order %d: nothing delivered 10 s after the commit", i)
		}
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("RunDeliveries did not return after its context ended")
	}
}
