package sqlite

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules/dataset"
	ordersvc "github.com/entitle-rules/entitle/rules/orders"
	"github.com/entitle-rules/entitle/rulesets"
)

// crashDBEnv names the database file TestCrashChild writes to; unset, the
// child test does nothing. crashCallersEnv says how many goroutines order
// at once.
const (
	crashDBEnv      = "ENTITLE_SQLITE_CRASH_DB"
	crashCallersEnv = "ENTITLE_SQLITE_CRASH_CALLERS"
)

// crashClient is the client the crash test and the benchmarks order as.
const crashClient = "c1"

// newEngine builds an engine over s with the shipped rules, a clock fixed at
// 2025-04-24 10:00 PDT, counter ids, and a small dataset: a reseller of
// client c1 with bill-to site 531807 and ship-to site 1912956, and a price
// list with part 132001-10 (CenterPoint RTX, 1 YEAR) for model R12, whose
// serials are ten digits.
func newEngine(tb testing.TB, s ports.Store) *ordersvc.Service {
	tb.Helper()
	set, err := ordersvc.Language().Load(rulesets.FS)
	if err != nil {
		tb.Fatal(err)
	}
	var n atomic.Int64
	eng, err := ordersvc.New(ordersvc.Options{
		Store: s,
		Rules: set,
		Clock: ports.ClockFunc(func() time.Time { return time.Date(2025, 4, 24, 17, 0, 0, 0, time.UTC) }),
		IDs:   ports.IDsFunc(func() string { return "id-" + strconv.FormatInt(n.Add(1), 10) }),
	})
	if err != nil {
		tb.Fatal(err)
	}
	err = seedData(tb.Context(), eng, &dataset.Dataset{
		Customers: []dataset.CustomerData{{ID: "reseller-1", ClientID: crashClient, Name: "Trimble Reseller Americas",
			Region: "AMERICA", Country: "US", Sites: []dataset.SiteData{
				{SiteUseID: 531807, Use: "BILL_TO", Address: "Westminster CO"},
				{SiteUseID: 1912956, Use: "SHIP_TO", Address: "Sunnyvale CA"},
			}}},
		PriceLists: []dataset.PriceListData{{ID: "usd-na", Currency: "USD", Countries: []string{"US"},
			Items: []dataset.PriceItemData{{PartNumber: "132001-10", ListPrice: "1500.00"}}}},
		Parts: []dataset.PartData{{PartNumber: "132001-10", Description: "CenterPoint RTX 1 Year",
			ServiceType: "RTX", ProductLine: "CENTERPOINT", Duration: "1 YEAR"}},
		Models: []dataset.ModelData{{Manufacturer: "Trimble", Model: "R12", SerialPattern: "[0-9]{10}"}},
	})
	if err != nil {
		tb.Fatal(err)
	}
	return eng
}

// orderFor is a one-line order the dataset of newEngine accepts for any new
// ten-digit serial.
func orderFor(serial string) domain.OrderRequest {
	start, _ := domain.ParseDate("2025-04-24")
	return domain.OrderRequest{
		CustomerPONumber: "PO-" + serial, CurrencyCode: "USD", BillToSiteUseID: 531807, ShipToSiteUseID: 1912956,
		BillToContactEmail: "test123@gmail.com", ShipToContactEmail: "test456@gmail.com",
		Lines: []domain.LineRequest{{LineNumber: 1, ServiceStartDate: start, PartNumber: "132001-10",
			SerialNumber: serial, ServiceType: "RTX", ManufacturerModel: "R12", AutoRenewal: "Y", ActivationType: "IMMEDIATE"}},
	}
}

func crashSerial(i int) string { return fmt.Sprintf("%010d", i) }

// crashChildOrders bounds the child's loop should nobody kill it.
const crashChildOrders = 100_000

// TestCrashChild is the process TestCrashKeepsAcknowledgedOrders kills: its
// callers create orders, each one after another, and print each
// acknowledged uniqueId on its own line the moment CreateOrder returns.
// os.Stdout is unbuffered and a line is one write, so every line is out of
// the process whole before its caller starts the next order.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashDBEnv)
	if path == "" {
		return
	}
	callers, err := strconv.Atoi(os.Getenv(crashCallersEnv))
	if err != nil || callers < 1 {
		t.Fatalf("%s=%q, want a number of callers", crashCallersEnv, os.Getenv(crashCallersEnv))
	}
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	eng := newEngine(t, s)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= crashChildOrders {
					return
				}
				rc, err := eng.CreateOrder(context.Background(), domain.PartnerPrincipal(crashClient, domain.ClientCredentials), orderFor(crashSerial(int(i))))
				if err != nil {
					t.Errorf("order %d: %v", i, err)
					return
				}
				if _, err := fmt.Fprintf(os.Stdout, "%d\n", rc.UniqueID); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// An order CreateOrder acknowledged survives a SIGKILL of the process, with
// its lines, subscriptions and activations; an order is in the file whole or
// not at all. The test re-runs its own binary as TestCrashChild, reads the
// acknowledgements as they come, kills the child mid-stream, and reopens the
// file: with one caller, and with eight, whose Updates share commits (group
// commit), so the kill lands while batches are being written.
func TestCrashKeepsAcknowledgedOrders(t *testing.T) {
	for _, callers := range []int{1, 8} {
		t.Run(fmt.Sprintf("callers=%d", callers), func(t *testing.T) { crashAndCheck(t, callers) })
	}
}

func crashAndCheck(t *testing.T, callers int) {
	path := filepath.Join(t.TempDir(), "e.db")
	ctx, cancel := context.WithCancel(t.Context())
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashDBEnv+"="+path, crashCallersEnv+"="+strconv.Itoa(callers))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waited := false
	done := make(chan struct{})
	t.Cleanup(func() {
		// On any failure the child is killed (CommandContext) and reaped.
		close(done)
		cancel()
		if !waited {
			_ = cmd.Wait()
		}
	})

	type ack struct {
		id  int64
		err error
	}
	acks := make(chan ack)
	go func() {
		defer close(acks)
		r := bufio.NewReader(out)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return // EOF: the child is gone; a line without its newline was never acknowledged
			}
			id, err := strconv.ParseInt(strings.TrimSpace(line), 10, 64)
			if err != nil {
				err = fmt.Errorf("the child wrote %q, not a uniqueId", line)
			}
			select {
			case acks <- ack{id, err}:
			case <-done:
				return
			}
		}
	}()
	var acked []int64
	seenID := map[int64]bool{}
	take := func(a ack) {
		if a.err != nil {
			t.Fatal(a.err)
		}
		if seenID[a.id] {
			t.Fatalf("uniqueId %d acknowledged twice", a.id)
		}
		seenID[a.id] = true
		acked = append(acked, a.id)
	}
	// A bounded wait for the child to get going; correctness is decided
	// below, from the file, never by timing.
	const minAcks = 50
	patience := time.NewTimer(2 * time.Minute)
	defer patience.Stop()
	for len(acked) < minAcks {
		select {
		case a, ok := <-acks:
			if !ok {
				t.Fatalf("the child exited after %d acknowledgements:\n%s", len(acked), stderr.String())
			}
			take(a)
		case <-patience.C:
			t.Fatalf("the child acknowledged %d orders in 2 minutes, want %d:\n%s", len(acked), minAcks, stderr.String())
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	for a := range acks { // what the child wrote before it died is acknowledged too
		take(a)
	}
	waited = true
	if err := cmd.Wait(); err == nil || cmd.ProcessState.Success() {
		t.Fatalf("the child finished on its own (%v) instead of being killed:\n%s", err, stderr.String())
	}
	t.Logf("killed the child after %d acknowledged orders", len(acked))

	s := openTest(t, path)
	checkIntegrity(t, s)
	var found []domain.Order
	err = s.View(t.Context(), func(tx ports.Tx) error {
		var err error
		if found, err = tx.Orders().Find(t.Context(), domain.OrderQuery{ClientID: crashClient}); err != nil {
			return err
		}
		byID := map[int64]domain.Order{}
		pending := 0
		for _, o := range found {
			byID[o.UniqueID] = o
			if o.Status == domain.OrderInProgress {
				pending++
			}
			if err := checkWhole(t.Context(), tx, &o); err != nil {
				t.Error(err)
			}
		}
		for _, id := range acked {
			o, ok := byID[id]
			switch {
			case !ok:
				t.Errorf("acknowledged order %d is not in the file", id)
			case o.Status != domain.OrderSuccess:
				t.Errorf("acknowledged order %d is %s, want %s: CreateOrder returned after marking it", id, o.Status, domain.OrderSuccess)
			}
		}
		// Each caller orders one at a time, so at most the orders they were
		// working on when the child died can be in the file without an
		// acknowledgement.
		if extra := len(found) - len(acked); extra < 0 || extra > callers {
			t.Errorf("the file holds %d orders for %d acknowledged, want the same or up to %d more", len(found), len(acked), callers)
		}
		// No subscription outlives its order: serials past the last order too.
		for i := range len(found) + callers + 2 {
			tl, err := tx.Subscriptions().BySerial(t.Context(), crashSerial(i))
			if err != nil {
				return err
			}
			for _, sub := range tl {
				if _, ok := byID[sub.OrderID]; !ok {
					t.Errorf("subscription %s of serial %s belongs to order %d, which is not in the file", sub.ID, sub.Serial, sub.OrderID)
				}
			}
		}
		t.Logf("the file holds %d orders, %d of them still in progress", len(found), pending)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// checkWhole reports an order that is not whole: every line must have its
// subscription (by id, line and serial), its device, and its activation.
func checkWhole(ctx context.Context, tx ports.Tx, o *domain.Order) error {
	if len(o.Lines) == 0 {
		return fmt.Errorf("order %d has no lines", o.UniqueID)
	}
	subs, err := tx.Subscriptions().ByOrder(ctx, o.UniqueID)
	if err != nil {
		return err
	}
	if len(subs) != len(o.Lines) {
		return fmt.Errorf("order %d has %d lines and %d subscriptions", o.UniqueID, len(o.Lines), len(subs))
	}
	for i, l := range o.Lines {
		if subs[i].ID != l.SubscriptionID || subs[i].Line != l.LineNumber || subs[i].Serial != l.SerialNumber {
			return fmt.Errorf("order %d line %d (subscription %s, serial %s) has subscription %s of line %d, serial %s",
				o.UniqueID, l.LineNumber, l.SubscriptionID, l.SerialNumber, subs[i].ID, subs[i].Line, subs[i].Serial)
		}
		tl, err := tx.Subscriptions().BySerial(ctx, l.SerialNumber)
		if err != nil {
			return err
		}
		if !containsSub(tl, l.SubscriptionID) {
			return fmt.Errorf("order %d line %d: subscription %s is not in serial %s's timeline", o.UniqueID, l.LineNumber, l.SubscriptionID, l.SerialNumber)
		}
		if _, err := tx.Devices().BySerial(ctx, l.SerialNumber); err != nil {
			return fmt.Errorf("order %d line %d: %w", o.UniqueID, l.LineNumber, err)
		}
		as, err := tx.Activations().BySerial(ctx, l.SerialNumber)
		if err != nil {
			return err
		}
		if !containsActivation(as, l.SubscriptionID) {
			return fmt.Errorf("order %d line %d: no activation of subscription %s", o.UniqueID, l.LineNumber, l.SubscriptionID)
		}
	}
	return nil
}

func containsSub(tl domain.Timeline, id string) bool {
	for _, s := range tl {
		if s.ID == id {
			return true
		}
	}
	return false
}

func containsActivation(as []domain.Activation, subscriptionID string) bool {
	for _, a := range as {
		if a.SubscriptionID == subscriptionID {
			return true
		}
	}
	return false
}

// checkIntegrity runs SQLite's own check of the file's structure.
func checkIntegrity(tb testing.TB, s *Store) {
	tb.Helper()
	onConn(tb, s, s.readers, func(c *sql.Conn) {
		var res string
		if err := c.QueryRowContext(tb.Context(), "PRAGMA integrity_check").Scan(&res); err != nil {
			tb.Fatal(err)
		}
		if res != "ok" {
			tb.Fatalf("PRAGMA integrity_check: %s", res)
		}
	})
}

// seedData loads ds into the service's store.
func seedData(ctx context.Context, svc *ordersvc.Service, ds *dataset.Dataset) error {
	_, err := ds.Load(ctx, svc.Store())
	return err
}
