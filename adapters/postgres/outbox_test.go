package postgres_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/entitle-rules/entitle/adapters/postgres"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// TestClaimSerialsAcrossInstances: while an order is being committed by one
// instance, another instance sharing the schema refuses an order for the
// same serial at once with rule 12's answer (it does not wait for the
// first); once the first commits, the serial is decided normally.
func TestClaimSerialsAcrossInstances(t *testing.T) {
	dsn := testDSN(t)
	ctx := t.Context()
	schema := freshSchema(t, dsn)
	storeA := openStore(t, dsn, postgres.Options{Schema: schema})
	engB := newEngine(t, openStore(t, dsn, postgres.Options{Schema: schema}))
	if err := seedData(ctx, engB, raceDataset()); err != nil {
		t.Fatal(err)
	}
	claimed, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		done <- storeA.Update(ctx, func(tx ports.Tx) error {
			if err := tx.ClaimSerials(ctx, "1234567890"); err != nil {
				return err
			}
			close(claimed)
			<-release
			return nil
		})
	}()
	<-claimed
	start := time.Now()
	_, err := engB.CreateOrder(ctx, domain.PartnerPrincipal("c1", domain.ClientCredentials), raceOrder("PO-B", "1234567890", "132001-10"))
	if !refusedFor(err, "ORDER_IN_PROGRESS") {
		t.Errorf("an order on instance B while A claims the serial = %v, want ORDER_IN_PROGRESS", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the refusal took %v: it waited for A", took)
	}
	err = engB.Store().Update(ctx, func(tx ports.Tx) error { return tx.ClaimSerials(ctx, "12345678", "1234567890") })
	if de := new(domain.Error); !errors.As(err, &de) || de.Code != domain.CodeConflict || de.Message != "Order creation is in progress for the serialNumber 1234567890, please try after some time" {
		t.Errorf("ClaimSerials of a claimed serial = %v, want CodeConflict naming it", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := engB.CreateOrder(ctx, domain.PartnerPrincipal("c1", domain.ClientCredentials), raceOrder("PO-B2", "1234567890", "132001-10")); err != nil {
		t.Errorf("an order after A ended = %v, want accepted", err)
	}
}

// TestKilledClaimLeavesNoSerialBlocked: a session that claimed a serial and
// died (terminated by the server, as a killed process's connection is
// dropped) holds nothing: the next order for the serial is decided at once.
func TestKilledClaimLeavesNoSerialBlocked(t *testing.T) {
	dsn := testDSN(t)
	ctx := t.Context()
	schema := freshSchema(t, dsn)
	eng := newEngine(t, openStore(t, dsn, postgres.Options{Schema: schema}))
	if err := seedData(ctx, eng, raceDataset()); err != nil {
		t.Fatal(err)
	}
	victim, killer := rawConn(t, dsn, schema), rawConn(t, dsn, schema)
	var pid int32
	if err := victim.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
		t.Fatal(err)
	}
	if _, err := victim.Exec(ctx, "BEGIN"); err != nil {
		t.Fatal(err)
	}
	var got bool
	if err := victim.QueryRow(ctx, "SELECT pg_try_advisory_xact_lock($1)", postgres.OrderClaimKey(schema, "1234567890")).Scan(&got); err != nil || !got {
		t.Fatalf("the victim's claim = %v, %v", got, err)
	}
	p := domain.PartnerPrincipal("c1", domain.ClientCredentials)
	if _, err := eng.CreateOrder(ctx, p, raceOrder("PO-1", "1234567890", "132001-10")); !refusedFor(err, "ORDER_IN_PROGRESS") {
		t.Fatalf("an order while the victim holds the claim = %v, want ORDER_IN_PROGRESS", err)
	}
	if _, err := killer.Exec(ctx, "SELECT pg_terminate_backend($1)", pid); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := eng.CreateOrder(ctx, p, raceOrder("PO-2", "1234567890", "132001-10"))
		if err == nil {
			break
		}
		// The server ends the session asynchronously: a refusal may come
		// while it does, never after.
		if !refusedFor(err, "ORDER_IN_PROGRESS") || time.Now().After(deadline) {
			t.Fatalf("an order after the claimer died = %v, want accepted", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestClaimSkipsLockedRows: a second claimer, in a transaction running
// while the first has not committed, gets the rows the first did not take,
// at once, and never one the first took.
func TestClaimSkipsLockedRows(t *testing.T) {
	dsn := testDSN(t)
	ctx := t.Context()
	schema := freshSchema(t, dsn)
	a := openStore(t, dsn, postgres.Options{Schema: schema})
	b := openStore(t, dsn, postgres.Options{Schema: schema})
	err := a.Update(ctx, func(tx ports.Tx) error {
		for i, id := range []string{"A1", "A2", "A3", "A4"} {
			act := domain.Activation{ID: id, SubscriptionID: "S-" + id, OrderID: 1, Serial: "SER-1", PartNumber: "132001-10",
				Method: domain.OTA, RequestType: "ORDER", RequestedAt: raceNow,
				Delivery: domain.PendingDelivery(raceNow.Add(time.Duration(i-10) * time.Second))}
			if err := tx.Activations().Put(ctx, act); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ids := func(as []domain.Activation) []string {
		var out []string
		for _, x := range as {
			out = append(out, x.ID)
		}
		return out
	}
	claimed, release, done := make(chan []string, 1), make(chan struct{}), make(chan error, 1)
	go func() {
		done <- a.Update(ctx, func(tx ports.Tx) error {
			got, err := tx.Activations().Claim(ctx, raceNow, time.Minute, 2)
			claimed <- ids(got)
			<-release
			return err
		})
	}()
	first := <-claimed
	var second []string
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := b.Update(wctx, func(tx ports.Tx) error {
		got, err := tx.Activations().Claim(wctx, raceNow, time.Minute, 10)
		second = ids(got)
		return err
	}); err != nil {
		t.Fatalf("the second claim, while the first is open: %v", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(first, []string{"A1", "A2"}) || !slices.Equal(second, []string{"A3", "A4"}) {
		t.Errorf("claims = %v then %v, want [A1 A2] then [A3 A4]", first, second)
	}
}

// TestMigratedActivationsAreDelivered: activations written before the
// outbox (version 5) come out of migration 6 DELIVERED, at the instant they
// were requested, so the deliverer never hands them over again.
func TestMigratedActivationsAreDelivered(t *testing.T) {
	dsn := testDSN(t)
	ctx := t.Context()
	schema := freshSchema(t, dsn)
	if err := postgres.MigrateTo(ctx, dsn, schema, 5); err != nil {
		t.Fatal(err)
	}
	if _, err := rawConn(t, dsn, schema).Exec(ctx, `INSERT INTO activations (id, subscription_id, order_id, serial, serial_key,
		part_number, method, request_type, activation_date, requested_at, passcode, email)
		VALUES ('old', 'S1', 1, 'Ser-1', 'SER-1', '132001-10', 'OTA', 'ORDER', '2025-04-24', $1, 'PC', '')`, raceNow); err != nil {
		t.Fatal(err)
	}
	s := openStore(t, dsn, postgres.Options{Schema: schema})
	var acts []domain.Activation
	if err := s.View(ctx, func(tx ports.Tx) (err error) {
		acts, err = tx.Activations().BySerial(ctx, "ser-1")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	want := domain.Delivery{State: domain.DeliveryDelivered, Attempts: 1, DeliveredAt: raceNow}
	if len(acts) != 1 || acts[0].Delivery != want {
		t.Fatalf("migrated activations = %+v, want one with %+v", acts, want)
	}
	var claimed []domain.Activation
	if err := s.Update(ctx, func(tx ports.Tx) (err error) {
		claimed, err = tx.Activations().Claim(ctx, raceNow.Add(time.Hour), time.Minute, 10)
		return err
	}); err != nil || len(claimed) != 0 {
		t.Errorf("Claim after migrating = %+v, %v; want nothing", claimed, err)
	}
}
