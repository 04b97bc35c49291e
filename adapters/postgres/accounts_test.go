package postgres_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"pgregory.net/rapid"

	"github.com/entitle-rules/entitle/adapters/postgres"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// The apps of seed 003.
const (
	forguard = "b901da51-ce00-4af2-b978-8d0fca8ae1ea"
	ruhavik  = "5a5ca87f-7cbe-4540-ab5d-77bf4bf69884"
)

// seed003Account is seed 003's account 11111 with every field set, and
// 111111's premium subscription.
func seed003Account() domain.Account {
	return domain.Account{
		PartnerID: "gps-partner", Alias: "forguard-11111", Title: "Forguard 11111", CreatedAt: seatNow,
		Activated: true, ActivatedAt: seatNow.Add(time.Hour),
		Blocks:      []domain.BlockRecord{{Blocked: true, At: time.Unix(1748120400, 0).UTC()}},
		Plans:       map[string]string{forguard: "52ffXXXXXXXXXXXXdc89"},
		Limits:      map[string]domain.Limits{ruhavik: {Units: 10, Geofences: 15, Users: 1, Triggers: 10, UnitExtraFields: 2, UnitNotifySettings: 3}},
		Description: "a fleet", LinkApp: forguard, RegApps: []string{forguard}, ServiceApps: []string{forguard},
		UpdatedAt: seatNow.Add(2 * time.Hour), Attached: true, AttachedAt: seatNow.Add(3 * time.Hour),
		AddedAt: seatNow.Add(-time.Hour), Type: domain.AccountManaged,
		Premium: []domain.AppSubscription{{AppID: ruhavik, Active: true, Type: "td-stripe", SubscriptionID: "td-basic.yearly",
			Expiry: time.Date(2026, 4, 24, 0, 0, 0, 0, time.UTC), OrderID: "ord-1", AutoRenew: true}},
		Services: []string{"Location"}, SKUs: []string{"TS-LOC-COARSE-CellID-Aggr"},
	}
}

// TestAccountsRoundTrip: every field of seed 003's account object and seed
// 002's services and SKUs comes back as written, through Get, ByAlias,
// ByPartner and after Put; unset instants and empty lists come back unset.
func TestAccountsRoundTrip(t *testing.T) {
	dsn := testDSN(t)
	ctx := t.Context()
	s := openStore(t, dsn, postgres.Options{Schema: freshSchema(t, dsn)})
	full := seed003Account()
	bare := domain.Account{PartnerID: "gps-partner", Alias: "1223334444-00001", CreatedAt: seatNow}
	err := s.Update(ctx, func(tx ports.Tx) error {
		if err := tx.Accounts().Create(ctx, &full); err != nil {
			return err
		}
		return tx.Accounts().Create(ctx, &bare)
	})
	if err != nil {
		t.Fatal(err)
	}
	read := func(id int64) domain.Account {
		t.Helper()
		var a domain.Account
		if err := s.View(ctx, func(tx ports.Tx) (err error) { a, err = tx.Accounts().Get(ctx, id); return }); err != nil {
			t.Fatal(err)
		}
		return a
	}
	for _, want := range []domain.Account{full, bare} {
		if got := read(want.ID); !reflect.DeepEqual(got, want) {
			t.Errorf("Get(%d) =\n%+v\nwant\n%+v", want.ID, got, want)
		}
	}
	err = s.View(ctx, func(tx ports.Tx) error {
		got, err := tx.Accounts().ByAlias(ctx, "FORGUARD-11111")
		if err != nil || !reflect.DeepEqual(got, full) {
			t.Errorf("ByAlias = %+v, %v", got, err)
		}
		list, err := tx.Accounts().ByPartner(ctx, "gps-partner", 0, 0)
		if err != nil || len(list) != 2 || !reflect.DeepEqual(list[0], full) || !reflect.DeepEqual(list[1], bare) {
			t.Errorf("ByPartner = %+v, %v", list, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Put clears what it is given cleared, and sets what it is given.
	changed := full
	changed.Blocks = append(append([]domain.BlockRecord(nil), full.Blocks...), domain.BlockRecord{At: seatNow.Add(time.Minute)})
	changed.Attached, changed.AttachedAt, changed.Premium, changed.SKUs = false, time.Time{}, nil, nil
	changed.Plans = map[string]string{forguard: "other-plan"}
	bareSet := bare
	bareSet.Activated, bareSet.ActivatedAt, bareSet.Type, bareSet.RegApps = true, seatNow, domain.AccountPartner, []string{ruhavik, forguard}
	err = s.Update(ctx, func(tx ports.Tx) error {
		if err := tx.Accounts().Put(ctx, changed); err != nil {
			return err
		}
		return tx.Accounts().Put(ctx, bareSet)
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []domain.Account{changed, bareSet} {
		if got := read(want.ID); !reflect.DeepEqual(got, want) {
			t.Errorf("after Put, Get(%d) =\n%+v\nwant\n%+v", want.ID, got, want)
		}
	}
}

// TestAccountCountMatchesTheQuery: Count agrees with
// domain.AccountQuery.Matches for every filter shape, over accounts of two
// partners with random apps, attachment and activation (a rapid property
// over one stored population).
func TestAccountCountMatchesTheQuery(t *testing.T) {
	dsn := testDSN(t)
	ctx := t.Context()
	s := openStore(t, dsn, postgres.Options{Schema: freshSchema(t, dsn)})
	apps := []string{forguard, ruhavik, "962e19f0-6b4a-4f81-a3fe-4b657689b6f9"}
	partners := []string{"gps-partner", "other-partner"}
	var stored []domain.Account
	rapid.Check(t, func(rt *rapid.T) {
		if len(stored) < 120 {
			var batch []domain.Account
			for i := range rapid.IntRange(1, 8).Draw(rt, "accounts") {
				a := domain.Account{
					PartnerID: rapid.SampledFrom(partners).Draw(rt, fmt.Sprintf("partner%d", i)),
					CreatedAt: seatNow,
					Activated: rapid.Bool().Draw(rt, fmt.Sprintf("activated%d", i)),
					Attached:  rapid.Bool().Draw(rt, fmt.Sprintf("attached%d", i)),
					RegApps:   rapid.SliceOfDistinct(rapid.SampledFrom(apps), rapid.ID[string]).Draw(rt, fmt.Sprintf("apps%d", i)),
				}
				if len(a.RegApps) == 0 {
					a.RegApps = nil
				}
				batch = append(batch, a)
			}
			err := s.Update(ctx, func(tx ports.Tx) error {
				for i := range batch {
					if err := tx.Accounts().Create(ctx, &batch[i]); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				rt.Fatal(err)
			}
			stored = append(stored, batch...)
		}
		q := domain.AccountQuery{PartnerID: rapid.SampledFrom(append(partners, "nobody")).Draw(rt, "partner")}
		if rapid.Bool().Draw(rt, "byAttached") {
			v := rapid.Bool().Draw(rt, "attached")
			q.Attached = &v
		}
		if rapid.Bool().Draw(rt, "byActivated") {
			v := rapid.Bool().Draw(rt, "activated")
			q.Activated = &v
		}
		if rapid.Bool().Draw(rt, "byApp") {
			q.AppID = rapid.SampledFrom(append(apps, "unknown-app")).Draw(rt, "app")
		}
		want := 0
		for i := range stored {
			if q.Matches(&stored[i]) {
				want++
			}
		}
		var got int
		if err := s.View(ctx, func(tx ports.Tx) (err error) { got, err = tx.Accounts().Count(ctx, q); return }); err != nil {
			rt.Fatal(err)
		}
		if got != want {
			rt.Fatalf("Count(%+v) = %d, want %d", q, got, want)
		}
	})
}

// TestAccountLookupsUseIndexes: among 20,000 accounts of 200 partners and
// 20,000 managed links, Count (with every filter) and the managed-link
// lookups are index scans, by the planner's EXPLAIN.
func TestAccountLookupsUseIndexes(t *testing.T) {
	dsn := testDSN(t)
	ctx := t.Context()
	schema := freshSchema(t, dsn)
	openStore(t, dsn, postgres.Options{Schema: schema})
	conn := rawConn(t, dsn, schema)
	for _, q := range []string{
		`INSERT INTO accounts (partner_id, alias, alias_key, title, created_at, activated, blocks, plans, limits, reg_apps, attached)
		SELECT 'partner-' || (i % 200), 'acct-' || i, 'ACCT-' || i, '', now(), i % 2 = 0, '[]', '{}', '{}',
			jsonb_build_array(CASE WHEN i % 3 = 0 THEN '` + forguard + `' ELSE '` + ruhavik + `' END), i % 5 = 0
		FROM generate_series(1, 20000) i`,
		`INSERT INTO managed_links (primary_name, managed_name, service, sku, tx_id, state, created_at, updated_at)
		SELECT 'p-' || (i % 100), 'm-' || i, 'Location', 'sku', 'tx-' || (i % 1000),
			CASE WHEN i % 4 = 0 THEN 'CANCELED' ELSE 'ACTIVATED' END, now(), now()
		FROM generate_series(1, 20000) i`,
		`ANALYZE accounts`, `ANALYZE managed_links`,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	yes := true
	lookups := postgres.AccountLookups(domain.AccountQuery{PartnerID: "partner-7", Attached: &yes, Activated: &yes, AppID: forguard},
		"m-77", "p-7", "tx-7")
	lookups["Accounts.Count (partner only)"] = postgres.AccountLookups(domain.AccountQuery{PartnerID: "partner-7"}, "", "", "")["Accounts.Count"]
	for name, l := range lookups {
		planWithoutSeqScan(t, conn, name, l.SQL, l.Args)
	}
}

// TestPlansStayWithTheirPartner: a partner reads only its own plans, by app
// or all; another partner putting a plan of the same id makes a plan of its
// own and leaves the first as it was; a refused Put leaves the transaction
// usable.
func TestPlansStayWithTheirPartner(t *testing.T) {
	dsn := testDSN(t)
	ctx := t.Context()
	s := openStore(t, dsn, postgres.Options{Schema: freshSchema(t, dsn)})
	mine := domain.ClientPlan{ID: "52ffXXXXXXXXXXXXdc89", PartnerID: "gps-partner", AppID: forguard, Name: "Fleet",
		Quotas: domain.PlanQuotas{Units: 30, Geofences: 50, UnitStorage: 204800}, Modules: []string{"service_mode", "tools"}}
	ruh := domain.ClientPlan{ID: "ruh-1", PartnerID: "gps-partner", AppID: ruhavik, Name: "R"}
	theirs := domain.ClientPlan{ID: "their-1", PartnerID: "other-partner", AppID: forguard, Name: "Other"}
	same := mine
	same.PartnerID, same.Name, same.Modules = "other-partner", "same id", nil
	err := s.Update(ctx, func(tx ports.Tx) error {
		for _, p := range []domain.ClientPlan{mine, ruh, theirs, same} {
			if err := tx.Plans().Put(ctx, p); err != nil {
				return err
			}
		}
		if de := asDomain(tx.Plans().Put(ctx, domain.ClientPlan{PartnerID: "gps-partner"})); de == nil || de.Code != domain.CodeInvalid || de.Field != "tariff_plan_id" {
			t.Errorf("Put without an id = %v, want invalid tariff_plan_id", de)
		}
		mine.Name = "Fleet 2" // the owner may change its plan, in the same transaction
		return tx.Plans().Put(ctx, mine)
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.View(ctx, func(tx ports.Tx) error {
		if got, err := tx.Plans().Get(ctx, "gps-partner", mine.ID); err != nil || !reflect.DeepEqual(got, mine) {
			t.Errorf("Get = %+v, %v; want %+v", got, err, mine)
		}
		if got, err := tx.Plans().Get(ctx, "other-partner", mine.ID); err != nil || !reflect.DeepEqual(got, same) {
			t.Errorf("Get of the other partner's plan of the same id = %+v, %v; want %+v", got, err, same)
		}
		if _, err := tx.Plans().Get(ctx, "gps-partner", theirs.ID); domain.ErrorCode(err) != domain.CodeNotFound {
			t.Errorf("Get of another partner's plan = %v, want not found", err)
		}
		all, err := tx.Plans().ByPartner(ctx, "gps-partner", "")
		if err != nil || len(all) != 2 || all[0].ID != mine.ID || all[1].ID != ruh.ID {
			t.Errorf("ByPartner(all) = %+v, %v", all, err)
		}
		fg, err := tx.Plans().ByPartner(ctx, "gps-partner", forguard)
		if err != nil || len(fg) != 1 || fg[0].ID != mine.ID {
			t.Errorf("ByPartner(forguard) = %+v, %v", fg, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// link is a managed link of seed 002's primary for managed.
func link(primary, managed, tx string) domain.ManagedLink {
	return domain.ManagedLink{Primary: primary, Managed: managed, Service: "Location", SKU: "TS-LOC-COARSE-CellID-Aggr",
		TxID: tx, CreatedAt: seatNow, UpdatedAt: seatNow}
}

// TestRefusedAccountWritesKeepTheTransaction: a bulk add goes on past a
// refused item. In one Update, every refusal of the accounts repositories
// is answered with its code and field, and the writes around them commit.
func TestRefusedAccountWritesKeepTheTransaction(t *testing.T) {
	dsn := testDSN(t)
	ctx := t.Context()
	s := openStore(t, dsn, postgres.Options{Schema: freshSchema(t, dsn)})
	const primary, other = "1234567890-00001", "9999999999-00001"
	managed := []string{"1223334444-00001", "2334445555-00001", "3445556666-00001"}
	var held domain.ManagedLink
	err := s.Update(ctx, func(tx ports.Tx) error {
		held = link(other, managed[1], "tx-other")
		return tx.ManagedLinks().Create(ctx, &held)
	})
	if err != nil {
		t.Fatal(err)
	}
	var canceled domain.ManagedLink
	err = s.Update(ctx, func(tx ports.Tx) error {
		for _, m := range managed {
			l := link(primary, m, "tx-1")
			err := tx.ManagedLinks().Create(ctx, &l)
			if m == managed[1] {
				if de := asDomain(err); de == nil || de.Code != domain.CodeConflict || de.Field != "managedAccList" ||
					!strings.Contains(de.Message, other) || !strings.Contains(de.Message, "tx-other") {
					t.Errorf("adding %s, held by another primary: %v, want conflict on managedAccList naming %s and tx-other", m, err, other)
				}
				continue
			}
			if err != nil {
				return err
			}
			if l.ID == 0 || l.State != domain.LinkAdded {
				t.Errorf("Create gave %+v, want an id and state ADDED", l)
			}
		}
		// Cancel one, add it again as a new link, and try to revive the
		// cancelled one: refused, the transaction goes on.
		list, err := tx.ManagedLinks().ByTxID(ctx, "tx-1")
		if err != nil || len(list) != 2 {
			return fmt.Errorf("ByTxID = %+v, %v", list, err)
		}
		canceled = list[0]
		if err := tx.ManagedLinks().SetState(ctx, canceled.ID, domain.LinkCanceled, seatNow.Add(time.Minute)); err != nil {
			return err
		}
		again := link(primary, canceled.Managed, "tx-2")
		if err := tx.ManagedLinks().Create(ctx, &again); err != nil {
			return err
		}
		if de := asDomain(tx.ManagedLinks().SetState(ctx, canceled.ID, domain.LinkActivated, seatNow)); de == nil || de.Code != domain.CodeConflict || de.Field != "managedAccList" {
			t.Errorf("reviving a cancelled link whose account is held again: %v, want conflict", de)
		}
		if de := asDomain(tx.ManagedLinks().SetState(ctx, 1<<40, domain.LinkCanceled, seatNow)); de == nil || de.Code != domain.CodeNotFound {
			t.Errorf("SetState of no link: %v, want not found", de)
		}
		if de := asDomain(tx.ManagedLinks().SetState(ctx, canceled.ID, "GONE", seatNow)); de == nil || de.Code != domain.CodeInvalid || de.Field != "state" {
			t.Errorf("SetState to an unknown state: %v, want invalid state", de)
		}
		if de := asDomain(tx.Clients().TouchToken(ctx, domain.HashSecret("no-such-token"), seatNow)); de == nil || de.Code != domain.CodeNotFound {
			t.Errorf("TouchToken of no token: %v, want not found", de)
		}
		dup := domain.Account{PartnerID: "p", Alias: managed[0], CreatedAt: seatNow}
		if err := tx.Accounts().Create(ctx, &dup); err != nil {
			return err
		}
		clash := domain.Account{PartnerID: "p", Alias: managed[0], CreatedAt: seatNow}
		if de := asDomain(tx.Accounts().Create(ctx, &clash)); de == nil || de.Code != domain.CodeConflict || de.Field != "alias" {
			t.Errorf("a second account named %s: %v, want conflict on alias", managed[0], de)
		}
		if de := asDomain(tx.Accounts().Put(ctx, domain.Account{ID: 1 << 40, CreatedAt: seatNow})); de == nil || de.Code != domain.CodeNotFound {
			t.Errorf("Put of no account: %v, want not found", de)
		}
		l := link(primary, managed[2], "tx-3") // already ours, still live
		if de := asDomain(tx.ManagedLinks().Create(ctx, &l)); de == nil || de.Code != domain.CodeConflict {
			t.Errorf("adding %s twice: %v, want conflict", managed[2], de)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("the Update with refusals did not commit: %v", err)
	}
	err = s.View(ctx, func(tx ports.Tx) error {
		all, err := tx.ManagedLinks().ByPrimary(ctx, primary, "Location")
		if err != nil || len(all) != 3 {
			t.Errorf("ByPrimary(all) = %+v, %v; want 3 links", all, err)
		}
		added, err := tx.ManagedLinks().ByPrimary(ctx, primary, "Location", domain.LinkAdded)
		if err != nil || len(added) != 2 {
			t.Errorf("ByPrimary(ADDED) = %+v, %v; want 2", added, err)
		}
		gone, err := tx.ManagedLinks().ByPrimary(ctx, primary, "Location", domain.LinkCanceled)
		if err != nil || len(gone) != 1 || gone[0].ID != canceled.ID || !gone[0].UpdatedAt.Equal(seatNow.Add(time.Minute)) {
			t.Errorf("ByPrimary(CANCELED) = %+v, %v; want link %d", gone, err, canceled.ID)
		}
		live, err := tx.ManagedLinks().Live(ctx, managed[1], "Location")
		if err != nil || live.ID != held.ID || live.Primary != other {
			t.Errorf("Live(%s) = %+v, %v; want the other primary's link", managed[1], live, err)
		}
		if _, err := tx.ManagedLinks().Live(ctx, managed[1], "fota"); domain.ErrorCode(err) != domain.CodeNotFound {
			t.Errorf("Live for another service = %v, want not found", err)
		}
		if _, err := tx.ManagedLinks().ByPrimary(ctx, primary, "Location", "GONE"); domain.ErrorCode(err) != domain.CodeInvalid {
			t.Errorf("ByPrimary of an unknown state = %v, want invalid", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestLiveLinkConstraintWithoutLocks: 64 writers across two Stores that
// take no lock and check nothing, half for each of two primaries, add one
// managed account: exactly one link is live, every other writer is refused
// with CodeConflict on managedAccList. Then 64 writers revive cancelled
// links of one account at once: one wins. And an INSERT that bypasses the
// store meets the partial unique index itself.
func TestLiveLinkConstraintWithoutLocks(t *testing.T) {
	dsn := testDSN(t)
	ctx := t.Context()
	schema := freshSchema(t, dsn)
	stores := [2]*postgres.Store{
		openStore(t, dsn, postgres.Options{Schema: schema}),
		openStore(t, dsn, postgres.Options{Schema: schema}),
	}
	const racers = 64
	race := func(t *testing.T, write func(i int, tx ports.Tx) error) (won int, errs []error) {
		errs = make([]error, racers)
		var start, wg sync.WaitGroup
		start.Add(1)
		for i := range racers {
			wg.Go(func() {
				start.Wait()
				errs[i] = stores[i%2].Update(ctx, func(tx ports.Tx) error { return write(i, tx) })
			})
		}
		start.Done()
		wg.Wait()
		for i, err := range errs {
			if err == nil {
				won++
			} else if de := asDomain(err); de == nil || de.Code != domain.CodeConflict {
				t.Errorf("racer %d: %v, want success or conflict", i, err)
			}
		}
		return won, errs
	}
	primaries := [2]string{"1234567890-00001", "1234567890-00002"}
	t.Run("64 adds from two primaries", func(t *testing.T) {
		won, errs := race(t, func(i int, tx ports.Tx) error {
			l := link(primaries[i%2], "1223334444-00001", fmt.Sprintf("tx-%d", i))
			return tx.ManagedLinks().Create(ctx, &l)
		})
		if won != 1 {
			t.Errorf("%d adds wrote a live link, want exactly 1", won)
		}
		for i, err := range errs {
			if de := asDomain(err); err != nil && de.Field != "managedAccList" {
				t.Errorf("racer %d refused on %q, want managedAccList", i, de.Field)
			}
		}
	})
	t.Run("64 revivals of cancelled links", func(t *testing.T) {
		ids := make([]int64, racers)
		err := stores[0].Update(ctx, func(tx ports.Tx) error {
			for i := range ids {
				l := link(primaries[i%2], "2334445555-00001", fmt.Sprintf("tx-r%d", i))
				if err := tx.ManagedLinks().Create(ctx, &l); err != nil {
					return err
				}
				if err := tx.ManagedLinks().SetState(ctx, l.ID, domain.LinkCanceled, seatNow); err != nil {
					return err
				}
				ids[i] = l.ID
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if won, _ := race(t, func(i int, tx ports.Tx) error {
			return tx.ManagedLinks().SetState(ctx, ids[i], domain.LinkActivated, seatNow)
		}); won != 1 {
			t.Errorf("%d revivals made their link live, want exactly 1", won)
		}
	})
	t.Run("an INSERT past the store", func(t *testing.T) {
		conn := rawConn(t, dsn, schema)
		_, err := conn.Exec(ctx, `INSERT INTO managed_links (primary_name, managed_name, service, sku, tx_id, state, created_at, updated_at)
			VALUES ('1234567890-00003', '1223334444-00001', 'Location', 'sku', 'raw', 'ACTIVATED', now(), now())`)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "23505" || pe.ConstraintName != "managed_links_one_live" {
			t.Fatalf("a second live link of one account and service: %v, want a unique violation of managed_links_one_live", err)
		}
		var n int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM managed_links WHERE managed_name = '1223334444-00001'
			AND state IN ('ADDED', 'ACTIVATED')`).Scan(&n); err != nil || n != 1 {
			t.Errorf("live links of the account: %d, %v; want 1", n, err)
		}
	})
}

// TestAccountConstraintsAreExplained: every constraint of migration 0008
// errors.go explains exists under that name, and a violation that reaches
// the store is translated with its code and field.
func TestAccountConstraintsAreExplained(t *testing.T) {
	checkConstraintsExplained(t, postgres.AccountConstraintNames(), map[string]constraintWant{
		"managed_links_one_live":                {"23505", "managedAccList", domain.CodeConflict},
		"managed_links_state_known":             {"23514", "state", domain.CodeInvalid},
		"client_plans_pkey":                     {"23505", "tariff_plan_id", domain.CodeConflict},
		"client_plans_id_not_empty":             {"23514", "tariff_plan_id", domain.CodeInvalid},
		"accounts_lists_are_arrays":             {"23514", "account", domain.CodeInvalid},
		"seat_users_failed_logins_not_negative": {"23514", "failedLogins", domain.CodeInvalid},
	})
}

// TestLoginsAndSessions: a user's failed logins and lock, and a session
// token's login and sliding expiry, come back as written.
func TestLoginsAndSessions(t *testing.T) {
	dsn := testDSN(t)
	ctx := t.Context()
	s := openStore(t, dsn, postgres.Options{Schema: freshSchema(t, dsn)})
	acct := domain.Account{PartnerID: "p", Alias: "1234567890-00001", CreatedAt: seatNow}
	u := domain.User{ExternalID: "primary@example.com", Username: "primary@example.com", PasswordHash: "h",
		CreatedAt: seatNow, UpdatedAt: seatNow}
	tok := domain.Token{Hash: domain.HashSecret("session"), ClientID: "billing-client", Kind: domain.Session,
		ExpiresAt: seatNow.Add(20 * time.Minute)}
	err := s.Update(ctx, func(tx ports.Tx) error {
		if err := tx.Accounts().Create(ctx, &acct); err != nil {
			return err
		}
		u.AccountID = acct.ID
		if err := tx.Users().Create(ctx, &u); err != nil {
			return err
		}
		tok.AccountID, tok.UserID = acct.ID, u.ID
		return tx.Clients().PutToken(ctx, tok)
	})
	if err != nil {
		t.Fatal(err)
	}
	locked := u
	locked.FailedLogins, locked.LockedAt = 5, seatNow.Add(time.Minute)
	slid := seatNow.Add(40 * time.Minute)
	err = s.Update(ctx, func(tx ports.Tx) error {
		if err := tx.Users().Put(ctx, locked); err != nil {
			return err
		}
		return tx.Clients().TouchToken(ctx, tok.Hash, slid)
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.View(ctx, func(tx ports.Tx) error {
		if got, err := tx.Users().ByUsername(ctx, "PRIMARY@example.com"); err != nil || !reflect.DeepEqual(got, locked) {
			t.Errorf("ByUsername = %+v, %v; want %+v", got, err, locked)
		}
		want := tok
		want.ExpiresAt = slid
		if got, err := tx.Clients().Token(ctx, tok.Hash); err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("Token = %+v, %v; want %+v", got, err, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestMigration8KeepsSeats: a database left at version 7 (seats) keeps its
// accounts, users and tokens through 0008, which reads them back with the
// new columns unset.
func TestMigration8KeepsSeats(t *testing.T) {
	dsn := testDSN(t)
	ctx := t.Context()
	schema := freshSchema(t, dsn)
	if err := postgres.MigrateTo(ctx, dsn, schema, 7); err != nil {
		t.Fatal(err)
	}
	conn := rawConn(t, dsn, schema)
	for _, q := range []string{
		`INSERT INTO accounts (id, partner_id, alias, alias_key, title, created_at, activated, blocks, plans, limits)
		VALUES (7, 'p', 'acme', 'ACME', 'Acme', '2025-04-24T17:00:00Z', true, '[]', '{"app": "plan"}', '{}')`,
		`INSERT INTO seat_users (account_id, external_id, external_key, email, first_name, last_name, phone_number, username,
			username_key, password_hash, roles, created_at, updated_at)
		VALUES (7, 'd1', 'D1', '', '', '', '', '', '', '', '{}', '2025-04-24T17:00:00Z', '2025-04-24T17:00:00Z')`,
		`INSERT INTO tokens (hash, client_id, kind, account_id, expires_at) VALUES ('h', 'c', 2, 7, '2025-04-24T18:00:00Z')`,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	s := openStore(t, dsn, postgres.Options{Schema: schema})
	err := s.View(ctx, func(tx ports.Tx) error {
		a, err := tx.Accounts().Get(ctx, 7)
		want := domain.Account{ID: 7, PartnerID: "p", Alias: "acme", Title: "Acme", CreatedAt: seatNow, Activated: true,
			Plans: map[string]string{"app": "plan"}}
		if err != nil || !reflect.DeepEqual(a, want) {
			t.Errorf("account 7 = %+v, %v; want %+v", a, err, want)
		}
		u, err := tx.Users().ByExternalID(ctx, 7, "d1")
		if err != nil || u.FailedLogins != 0 || !u.LockedAt.IsZero() {
			t.Errorf("user d1 = %+v, %v; want no failed logins, not locked", u, err)
		}
		tok, err := tx.Clients().Token(ctx, "h")
		if err != nil || tok.UserID != 0 || tok.AccountID != 7 {
			t.Errorf("token = %+v, %v; want account 7 and no user", tok, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
