package accounts_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules/accounts"
)

// seed003BlockedAt is seed 003's set-blocked-at request's blocked_at.
const seed003BlockedAt = 1748120400

func TestSetBlockedSeed003(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	gps := partner("gps-partner")

	// PATCH /partner/accounts/11111/set-blocked {"blocked": true}
	a, err := w.svc.SetBlocked(ctx, gps, 11111, true)
	if err != nil {
		t.Fatal(err)
	}
	if !a.BlockedAt(t0) || a.ID != 11111 || a.Type != domain.AccountManaged || !a.UpdatedAt.Equal(t0) {
		t.Errorf("after set-blocked true: %+v", a)
	}
	if at, ok := a.ScheduledBlock(t0); ok {
		t.Errorf("blocked now, blocked_at = %v; want null as in the seed's answer", at)
	}
	// Blocking again changes nothing.
	again, err := w.svc.SetBlocked(ctx, gps, 11111, true)
	if err != nil || len(again.Blocks) != len(a.Blocks) {
		t.Errorf("blocking twice: %+v, %v", again.Blocks, err)
	}
	// Unblocking appends an unblock record.
	w.clock.set(t0.Add(time.Hour))
	u, err := w.svc.SetBlocked(ctx, gps, 11111, false)
	if err != nil {
		t.Fatal(err)
	}
	if u.BlockedAt(t0.Add(time.Hour)) || !u.BlockedAt(t0) || len(u.Blocks) != 2 {
		t.Errorf("after unblock: %+v (history kept, unblocked from now)", u.Blocks)
	}
	// Unblocking an account not blocked is harmless.
	if u2, err := w.svc.SetBlocked(ctx, gps, 11111, false); err != nil || len(u2.Blocks) != 2 {
		t.Errorf("unblock twice: %+v, %v", u2.Blocks, err)
	}
}

func TestSetBlockedAtSeed003(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	gps := partner("gps-partner")
	at := time.Unix(seed003BlockedAt, 0)

	// PATCH /partner/accounts/11111/set-blocked-at {"blocked_at": 1748120400}
	a, err := w.svc.SetBlockedAt(ctx, gps, 11111, at)
	if err != nil {
		t.Fatal(err)
	}
	if a.BlockedAt(t0) {
		t.Error("blocked before blocked_at")
	}
	if got, ok := a.ScheduledBlock(t0); !ok || got.Unix() != seed003BlockedAt {
		t.Errorf("blocked_at = %v, %v; want %d", got, ok, seed003BlockedAt)
	}
	// At the instant, a read shows it blocked: no write, no job.
	for _, tt := range []struct {
		now  time.Time
		want bool
	}{{at.Add(-time.Second), false}, {at, true}, {at.Add(time.Hour), true}} {
		w.clock.set(tt.now)
		got, err := w.svc.Account(ctx, gps, 11111)
		if err != nil {
			t.Fatal(err)
		}
		if got.BlockedAt(tt.now) != tt.want {
			t.Errorf("at %v blocked = %v, want %v", tt.now, !tt.want, tt.want)
		}
	}

	// A new blocked_at replaces the scheduled one.
	w.clock.set(t0)
	later := at.Add(24 * time.Hour)
	b, err := w.svc.SetBlockedAt(ctx, gps, 11111, later)
	if err != nil {
		t.Fatal(err)
	}
	if b.BlockedAt(at) || !b.BlockedAt(later) {
		t.Errorf("rescheduled: %+v", b.Blocks)
	}
	// Unblocking cancels it.
	c, err := w.svc.SetBlocked(ctx, gps, 11111, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.ScheduledBlock(t0); ok || c.BlockedAt(later) {
		t.Errorf("unblock kept a scheduled block: %+v", c.Blocks)
	}

	// Refusals: in the past; not activated; not a Forguard account; not the partner's; no instant.
	_, err = w.svc.SetBlockedAt(ctx, gps, 11111, t0.Add(-time.Second))
	wantCode(t, err, domain.CodeInvalid, "blocked_at")
	_, err = w.svc.SetBlockedAt(ctx, gps, 22222, at)
	wantCode(t, err, domain.CodeInvalid, "blocked_at")
	_, err = w.svc.SetBlocked(ctx, gps, 22222, true)
	wantCode(t, err, domain.CodeInvalid, "blocked")
	_, err = w.svc.SetBlocked(ctx, gps, 111111, true)
	wantCode(t, err, domain.CodeForbidden, "blocked")
	_, err = w.svc.SetBlockedAt(ctx, gps, 11111, time.Time{})
	wantCode(t, err, domain.CodeInvalid, "blocked_at")
}

func TestAccountOperationsTenancy(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	gps := partner("gps-partner")
	// Another partner's account 33333, an unknown one, hostile ids: all not found, nothing written.
	for _, id := range []int64{33333, 44444, 0, -1, 1 << 62} {
		_, err := w.svc.Account(ctx, gps, id)
		wantCode(t, err, domain.CodeNotFound, "id")
		_, err = w.svc.SetBlocked(ctx, gps, id, true)
		wantCode(t, err, domain.CodeNotFound, "id")
		_, err = w.svc.SetBlockedAt(ctx, gps, id, time.Unix(seed003BlockedAt, 0))
		wantCode(t, err, domain.CodeNotFound, "id")
		_, err = w.svc.SetClientPlan(ctx, gps, id, "52ffXXXXXXXXXXXXdc89", forguard)
		wantCode(t, err, domain.CodeNotFound, "id")
		_, err = w.svc.Subscriptions(ctx, gps, id)
		wantCode(t, err, domain.CodeNotFound, "id")
		_, err = w.svc.Limits(ctx, gps, id, forguard)
		wantCode(t, err, domain.CodeNotFound, "id")
	}
	other, err := w.svc.Account(ctx, partner("other-gps"), 33333)
	if err != nil || len(other.Blocks) != 0 {
		t.Errorf("another partner's account changed: %+v, %v", other, err)
	}
	// Principals that are not a partner's X-AccessToken.
	for _, p := range []domain.Principal{
		{Partner: "gps-partner", Credential: domain.APIKey},
		{Partner: "gps-partner", Account: "11111", Credential: domain.AccessToken},
		w.session("1234567890-00001"),
	} {
		_, err := w.svc.Account(ctx, p, 11111)
		wantCode(t, err, domain.CodeForbidden, "")
		_, err = w.svc.Count(ctx, p, domain.AccountQuery{})
		wantCode(t, err, domain.CodeForbidden, "")
	}
	_, err = w.svc.ClientPlans(ctx, domain.Principal{})
	wantCode(t, err, domain.CodeUnauthenticated, "")
}

func TestClientPlans(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	gps := partner("gps-partner")
	plans, err := w.svc.ClientPlans(ctx, gps)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, p := range plans {
		ids = append(ids, p.ID)
	}
	if !slices.Equal(ids, []string{"52ffXXXXXXXXXXXXdc89", "ruhavik-plan"}) {
		t.Errorf("ClientPlans = %v, want the partner's two", ids)
	}

	// Seed 003's example: PUT /partner/accounts/11111/client-plan.
	got, err := w.svc.SetClientPlan(ctx, gps, 11111, "52ffXXXXXXXXXXXXdc89", forguard)
	if err != nil {
		t.Fatal(err)
	}
	if want := (accounts.PlanChange{AccountID: 11111, TariffPlanID: "52ffXXXXXXXXXXXXdc89", AppID: forguard}); got != want {
		t.Errorf("SetClientPlan = %+v, want %+v", got, want)
	}
	a, _ := w.svc.Account(ctx, gps, 11111)
	if a.Plans[forguard] != "52ffXXXXXXXXXXXXdc89" {
		t.Errorf("tariff_plans = %v", a.Plans)
	}

	tests := []struct {
		name      string
		id        int64
		plan, app string
		code      domain.Code
		field     string
	}{
		{"another partner's plan", 11111, "other-plan", forguard, domain.CodeNotFound, "tariff_plan_id"},
		{"an unknown plan", 11111, "nope", forguard, domain.CodeNotFound, "tariff_plan_id"},
		{"a Ruhavik plan for Forguard", 11111, "ruhavik-plan", forguard, domain.CodeInvalid, "app_id"},
		{"a Ruhavik plan (client plans are Forguard's)", 111111, "ruhavik-plan", ruhavik, domain.CodeInvalid, "app_id"},
		{"no app", 11111, "52ffXXXXXXXXXXXXdc89", "", domain.CodeInvalid, "app_id"},
		{"no plan", 11111, "", forguard, domain.CodeInvalid, "tariff_plan_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := w.svc.SetClientPlan(ctx, gps, tt.id, tt.plan, tt.app)
			wantCode(t, err, tt.code, tt.field)
		})
	}
	a, _ = w.svc.Account(ctx, gps, 11111)
	if a.Plans[forguard] != "52ffXXXXXXXXXXXXdc89" {
		t.Errorf("a refused change changed tariff_plans: %v", a.Plans)
	}
}

func TestSubscriptions(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	gps := partner("gps-partner")
	subs, err := w.svc.Subscriptions(ctx, gps, 111111)
	if err != nil {
		t.Fatal(err)
	}
	if len(subs) != 1 || subs[0].AppID != ruhavik || subs[0].Type != "td-stripe" || subs[0].SubscriptionID != "td-basic.yearly" {
		t.Errorf("Subscriptions(111111) = %+v, want seed 003's td-stripe one of Ruhavik only", subs)
	}
	none, err := w.svc.Subscriptions(ctx, gps, 11111)
	if err != nil || none == nil || len(none) != 0 {
		t.Errorf("Subscriptions(11111) = %#v, %v; want an empty list", none, err)
	}
}

func TestCount(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	gps := partner("gps-partner")
	yes, no := true, false
	tests := []struct {
		q    domain.AccountQuery
		want int
	}{
		{domain.AccountQuery{}, 3},
		{domain.AccountQuery{Attached: &yes}, 1}, // seed 003's ?is_attached=true
		{domain.AccountQuery{Attached: &no}, 2},
		{domain.AccountQuery{Activated: &yes}, 2},
		{domain.AccountQuery{Activated: &no}, 1},
		{domain.AccountQuery{AppID: forguard}, 3},
		{domain.AccountQuery{AppID: ruhavik}, 1},
		{domain.AccountQuery{AppID: ruhavik, Attached: &no}, 0},
		{domain.AccountQuery{PartnerID: "other-gps"}, 3}, // the principal's partner, whatever q says
	}
	for _, tt := range tests {
		got, err := w.svc.Count(ctx, gps, tt.q)
		if err != nil || got != tt.want {
			t.Errorf("Count(%+v) = %d, %v; want %d", tt.q, got, err, tt.want)
		}
	}
	_, err := w.svc.Count(ctx, gps, domain.AccountQuery{AppID: "x\x00"})
	wantCode(t, err, domain.CodeInvalid, "app_id")
}

func TestLimits(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	gps := partner("gps-partner")
	l, err := w.svc.Limits(ctx, gps, 11111, forguard)
	if err != nil {
		t.Fatal(err)
	}
	if want := (domain.Limits{Units: 10, Geofences: 15, Users: 1, Triggers: 10}); l != want {
		t.Errorf("Limits = %+v, want %+v", l, want)
	}
	// An app the account has, without limits set: zeros.
	if l, err := w.svc.Limits(ctx, gps, 111111, ruhavik); err != nil || l != (domain.Limits{}) {
		t.Errorf("Limits(111111, ruhavik) = %+v, %v", l, err)
	}
	_, err = w.svc.Limits(ctx, gps, 11111, ruhavik)
	wantCode(t, err, domain.CodeInvalid, "app_id")
	_, err = w.svc.Limits(ctx, gps, 11111, "")
	wantCode(t, err, domain.CodeInvalid, "app_id")
}

func TestBlockWritesAudit(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	if _, err := w.svc.SetBlockedAt(ctx, partner("gps-partner"), 11111, time.Unix(seed003BlockedAt, 0)); err != nil {
		t.Fatal(err)
	}
	var events []domain.AuditEvent
	err := w.store.View(ctx, func(tx ports.Tx) error {
		var err error
		events, err = tx.Audit().List(ctx, "account:11111")
		return err
	})
	if err != nil || len(events) != 1 || events[0].Command != "ScheduleBlock" || events[0].Actor != "gps-partner" || events[0].AccountID != 11111 {
		t.Errorf("audit = %+v, %v", events, err)
	}
}
