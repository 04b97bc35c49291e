package domain_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/entitle-rules/entitle/domain"
)

func TestBlockedAt(t *testing.T) {
	t0 := mustTime(t, "2025-05-01T12:00:00Z")
	acct := domain.Account{
		ID:        1,
		Activated: true,
		Blocks: []domain.BlockRecord{
			{Blocked: true, At: t0},
			{Blocked: false, At: t0.Add(24 * time.Hour)},
			// A block scheduled for later.
			{Blocked: true, At: t0.Add(10 * 24 * time.Hour)},
		},
	}
	tests := []struct {
		at   time.Time
		want bool
		why  string
	}{
		{t0.Add(-time.Nanosecond), false, "before any record"},
		{t0, true, "at the block instant"},
		{t0.Add(time.Hour), true, "while blocked"},
		{t0.Add(24*time.Hour - time.Nanosecond), true, "just before the unblock"},
		{t0.Add(24 * time.Hour), false, "at the unblock instant"},
		{t0.Add(10*24*time.Hour - time.Second), false, "a second before the scheduled block"},
		{t0.Add(10 * 24 * time.Hour), true, "at the scheduled block, with no job run"},
		{t0.Add(100 * 24 * time.Hour), true, "long after"},
	}
	for _, tt := range tests {
		if got := acct.BlockedAt(tt.at); got != tt.want {
			t.Errorf("BlockedAt(%v) = %v, want %v (%s)", tt.at, got, tt.want, tt.why)
		}
	}

	var none domain.Account
	if none.BlockedAt(t0) {
		t.Error("an account without records is not blocked")
	}
}

func TestBlockedAtRecordOrder(t *testing.T) {
	t0 := mustTime(t, "2025-05-01T12:00:00Z")
	// Records need not be stored in time order: the latest at or before t decides.
	acct := domain.Account{Blocks: []domain.BlockRecord{
		{Blocked: false, At: t0.Add(2 * time.Hour)},
		{Blocked: true, At: t0},
	}}
	if !acct.BlockedAt(t0.Add(time.Hour)) {
		t.Error("BlockedAt(t0+1h) = false, want true")
	}
	if acct.BlockedAt(t0.Add(3 * time.Hour)) {
		t.Error("BlockedAt(t0+3h) = true, want false (the later unblock decides)")
	}
	// Two records at one instant: the one stored later wins.
	same := domain.Account{Blocks: []domain.BlockRecord{{Blocked: true, At: t0}, {Blocked: false, At: t0}}}
	if same.BlockedAt(t0) {
		t.Error("of two records at one instant the later-stored should decide")
	}
	// Instants compare as instants, whatever their location.
	pac := domain.Account{Blocks: []domain.BlockRecord{{Blocked: true, At: t0.In(domain.Pacific.Location())}}}
	if !pac.BlockedAt(t0) || pac.BlockedAt(t0.Add(-time.Second)) {
		t.Error("BlockedAt should compare instants, not wall clocks")
	}
}

func TestScheduledBlock(t *testing.T) {
	now := mustTime(t, "2025-05-01T12:00:00Z")
	acct := domain.Account{Activated: true, Blocks: []domain.BlockRecord{
		{Blocked: true, At: now.Add(-time.Hour)},
		{Blocked: false, At: now.Add(time.Hour)},
		{Blocked: true, At: now.Add(48 * time.Hour)},
		{Blocked: true, At: now.Add(24 * time.Hour)},
	}}
	at, ok := acct.ScheduledBlock(now)
	if !ok || !at.Equal(now.Add(24*time.Hour)) {
		t.Errorf("ScheduledBlock(now) = %v, %v, want %v, true", at, ok, now.Add(24*time.Hour))
	}
	at, ok = acct.ScheduledBlock(now.Add(24 * time.Hour))
	if !ok || !at.Equal(now.Add(48*time.Hour)) {
		t.Errorf("ScheduledBlock(now+24h) = %v, %v, want %v, true (a block at the instant itself is no longer scheduled)", at, ok, now.Add(48*time.Hour))
	}
	if at, ok := acct.ScheduledBlock(now.Add(72 * time.Hour)); ok || !at.IsZero() {
		t.Errorf("ScheduledBlock(now+72h) = %v, %v, want none", at, ok)
	}
}

func TestScheduleBlock(t *testing.T) {
	now := mustTime(t, "2025-05-01T12:00:00Z")

	acct := domain.Account{ID: 1, Activated: true}
	at := now.Add(7 * 24 * time.Hour)
	if err := acct.ScheduleBlock(at, now); err != nil {
		t.Fatalf("ScheduleBlock(future): %v", err)
	}
	if len(acct.Blocks) != 1 || !acct.Blocks[0].Blocked || !acct.Blocks[0].At.Equal(at) {
		t.Fatalf("Blocks = %+v, want one block at %v", acct.Blocks, at)
	}
	// Visible before it takes effect, not in force before its instant, in force at it.
	if got, ok := acct.ScheduledBlock(now); !ok || !got.Equal(at) {
		t.Errorf("ScheduledBlock = %v, %v, want %v", got, ok, at)
	}
	if acct.BlockedAt(now) || acct.BlockedAt(at.Add(-time.Nanosecond)) {
		t.Error("the scheduled block is in force before its instant")
	}
	if !acct.BlockedAt(at) {
		t.Error("the scheduled block is not in force at its instant")
	}

	// Blocking now is allowed (blocked_at is not in the past).
	nowAcct := domain.Account{Activated: true}
	if err := nowAcct.ScheduleBlock(now, now); err != nil || !nowAcct.BlockedAt(now) {
		t.Errorf("ScheduleBlock(now, now) = %v, blocked %v; want nil, true", err, nowAcct.BlockedAt(now))
	}

	// A past instant is refused and changes nothing.
	past := domain.Account{Activated: true}
	err := past.ScheduleBlock(now.Add(-time.Second), now)
	wantCode(t, err, domain.CodeInvalid)
	if de := new(domain.Error); errors.As(err, &de) && de.Field != "blocked_at" {
		t.Errorf("past blocked_at: field = %q, want blocked_at", de.Field)
	}
	if want := "blocked_at: blocked_at 2025-05-01T11:59:59Z is in the past"; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
	if len(past.Blocks) != 0 {
		t.Errorf("a refused ScheduleBlock recorded %+v", past.Blocks)
	}

	// A non-activated account cannot be blocked.
	inactive := domain.Account{ID: 2}
	err = inactive.ScheduleBlock(at, now)
	wantCode(t, err, domain.CodeInvalid)
	if len(inactive.Blocks) != 0 {
		t.Errorf("a refused ScheduleBlock recorded %+v", inactive.Blocks)
	}
}

func TestManagedAccountName(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"1234567890-00001", true},
		{"0000000000-00000", true},
		{"123456789-00001", false},
		{"12345678901-00001", false},
		{"1234567890-0001", false},
		{"1234567890-000001", false},
		{"1234567890_00001", false},
		{"123456789000001", false},
		{"abcdefghij-00001", false},
		{" 1234567890-00001", false},
		{"1234567890-00001 ", false},
		{"1234567890-00001\n", false},
		{"x1234567890-00001", false},
		{"١٢٣٤٥٦٧٨٩٠-00001", false}, // Arabic-Indic digits are not 0-9
		{"", false},
	}
	for _, tt := range tests {
		if got := domain.ManagedAccountName.MatchString(tt.in); got != tt.want {
			t.Errorf("ManagedAccountName.MatchString(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestActivationStatusAt(t *testing.T) {
	requested := mustTime(t, "2025-04-24T10:28:10Z")
	delivered := domain.Delivery{State: domain.DeliveryDelivered, Attempts: 1, DeliveredAt: requested}
	immediate := domain.Activation{Method: domain.OTA, RequestType: "ORDER", Date: mustDate(t, "2025-04-24"), RequestedAt: requested, Delivery: delivered}
	if got := immediate.DueAt(); !got.Equal(requested) {
		t.Errorf("DueAt() = %v, want the request instant %v", got, requested)
	}
	scheduled := domain.Activation{Method: domain.OTA, RequestType: "ORDER", Date: mustDate(t, "2025-05-01"), RequestedAt: requested, Delivery: delivered}
	due := mustTime(t, "2025-05-01T00:00:00Z")
	if got := scheduled.DueAt(); !got.Equal(due) {
		t.Errorf("DueAt() = %v, want the start of the UTC day %v", got, due)
	}
	noDate := domain.Activation{RequestedAt: requested}
	if got := noDate.DueAt(); !got.Equal(requested) {
		t.Errorf("DueAt() without a date = %v, want %v", got, requested)
	}

	tests := []struct {
		a    domain.Activation
		now  time.Time
		want string
	}{
		{scheduled, requested, "SCHEDULED"},
		{scheduled, due.Add(-time.Nanosecond), "SCHEDULED"},
		{scheduled, due, "IN_PROGRESS"},
		{scheduled, due.Add(14*time.Minute + 59*time.Second), "IN_PROGRESS"},
		{scheduled, due.Add(15 * time.Minute), "COMPLETED"},
		{scheduled, due.Add(24 * time.Hour), "COMPLETED"},
		{immediate, requested, "IN_PROGRESS"},
		{immediate, requested.Add(domain.OTACompletion - time.Nanosecond), "IN_PROGRESS"},
		{immediate, requested.Add(domain.OTACompletion), "COMPLETED"},
	}
	for _, tt := range tests {
		if got := tt.a.StatusAt(tt.now); got != tt.want {
			t.Errorf("StatusAt(%v) due %v = %s, want %s", tt.now, tt.a.DueAt(), got, tt.want)
		}
	}
	if domain.OTACompletion != 15*time.Minute {
		t.Errorf("OTACompletion = %v, want 15m (seed 001)", domain.OTACompletion)
	}
}

func TestUserLimit(t *testing.T) {
	tests := []struct {
		name   string
		limits map[string]domain.Limits
		want   int
	}{
		{"none", nil, 0},
		{"unset", map[string]domain.Limits{"forguard": {Units: 5}}, 0},
		{"one app", map[string]domain.Limits{"forguard": {Users: 10}}, 10},
		{"smallest set", map[string]domain.Limits{"forguard": {Users: 10}, "ruhavik": {Users: 3}, "petovik": {}}, 3},
	}
	for _, tt := range tests {
		a := domain.Account{Limits: tt.limits}
		if got := a.UserLimit(); got != tt.want {
			t.Errorf("%s: UserLimit() = %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestAccountQueryMatches(t *testing.T) {
	yes, no := true, false
	a := domain.Account{PartnerID: "gps-partner", Attached: true, Activated: false, RegApps: []string{"forguard", "ruhavik"}}
	tests := []struct {
		name string
		q    domain.AccountQuery
		want bool
	}{
		{"the partner's, no filter", domain.AccountQuery{PartnerID: "gps-partner"}, true},
		{"another partner's", domain.AccountQuery{PartnerID: "other"}, false},
		{"no partner named matches no one's", domain.AccountQuery{}, false},
		{"is_attached=true", domain.AccountQuery{PartnerID: "gps-partner", Attached: &yes}, true},
		{"is_attached=false", domain.AccountQuery{PartnerID: "gps-partner", Attached: &no}, false},
		{"activated=false", domain.AccountQuery{PartnerID: "gps-partner", Activated: &no}, true},
		{"activated=true", domain.AccountQuery{PartnerID: "gps-partner", Activated: &yes}, false},
		{"an app it has", domain.AccountQuery{PartnerID: "gps-partner", AppID: "ruhavik"}, true},
		{"an app it has not", domain.AccountQuery{PartnerID: "gps-partner", AppID: "petovik"}, false},
		{"app ids match exactly", domain.AccountQuery{PartnerID: "gps-partner", AppID: "Ruhavik"}, false},
		{"every filter at once", domain.AccountQuery{PartnerID: "gps-partner", Attached: &yes, Activated: &no, AppID: "forguard"}, true},
		{"one filter of several fails", domain.AccountQuery{PartnerID: "gps-partner", Attached: &yes, Activated: &yes, AppID: "forguard"}, false},
	}
	for _, tt := range tests {
		if got := tt.q.Matches(&a); got != tt.want {
			t.Errorf("%s: Matches = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestManagedLinkStateLive(t *testing.T) {
	for _, tt := range []struct {
		s    domain.ManagedLinkState
		want bool
	}{{domain.LinkAdded, true}, {domain.LinkActivated, true}, {domain.LinkCanceled, false}, {"", false}, {"added", false}} {
		if got := tt.s.Live(); got != tt.want {
			t.Errorf("%q.Live() = %v, want %v", tt.s, got, tt.want)
		}
	}
}

func TestHasApp(t *testing.T) {
	a := domain.Account{RegApps: []string{"b901da51-ce00-4af2-b978-8d0fca8ae1ea"}}
	for _, tt := range []struct {
		app  string
		want bool
	}{{"b901da51-ce00-4af2-b978-8d0fca8ae1ea", true}, {"5a5ca87f-7cbe-4540-ab5d-77bf4bf69884", false}, {"", false}, {"B901DA51-CE00-4AF2-B978-8D0FCA8AE1EA", false}} {
		if got := a.HasApp(tt.app); got != tt.want {
			t.Errorf("HasApp(%q) = %v, want %v", tt.app, got, tt.want)
		}
	}
}

func TestBlockUnblockReschedule(t *testing.T) {
	now := mustTime(t, "2025-05-20T12:00:00Z")
	seedAt := time.Unix(1748120400, 0) // seed 003's blocked_at

	a := domain.Account{Activated: true}
	if err := a.Reschedule(seedAt, now); err != nil {
		t.Fatal(err)
	}
	if a.BlockedAt(now) || !a.BlockedAt(seedAt) {
		t.Errorf("scheduled: %+v", a.Blocks)
	}
	// A new blocked_at replaces the scheduled one.
	later := seedAt.Add(24 * time.Hour)
	if err := a.Reschedule(later, now); err != nil {
		t.Fatal(err)
	}
	if a.BlockedAt(seedAt) || !a.BlockedAt(later) || len(a.Blocks) != 1 {
		t.Errorf("rescheduled: %+v", a.Blocks)
	}
	// A refused reschedule keeps the schedule in force.
	wantCode(t, a.Reschedule(now.Add(-time.Second), now), domain.CodeInvalid)
	if !a.BlockedAt(later) || len(a.Blocks) != 1 {
		t.Errorf("a refused Reschedule changed %+v", a.Blocks)
	}
	// Blocking now replaces the schedule and blocks at once; blocking again changes nothing.
	if ok, err := a.Block(now); !ok || err != nil {
		t.Fatalf("Block = %v, %v", ok, err)
	}
	if _, ok := a.ScheduledBlock(now); ok || !a.BlockedAt(now) {
		t.Errorf("after Block: %+v", a.Blocks)
	}
	if ok, err := a.Block(now.Add(time.Minute)); ok || err != nil {
		t.Errorf("Block while blocked = %v, %v; want no record", ok, err)
	}
	// Unblock keeps the history and ends the block from its instant.
	un := now.Add(time.Hour)
	if !a.Unblock(un) {
		t.Fatal("Unblock appended nothing")
	}
	if !a.BlockedAt(un.Add(-time.Nanosecond)) || a.BlockedAt(un) {
		t.Errorf("after Unblock: %+v", a.Blocks)
	}
	if a.Unblock(un.Add(time.Hour)) {
		t.Error("unblocking an account not blocked appended a record")
	}
	// An account not activated cannot be blocked.
	inactive := domain.Account{}
	if _, err := inactive.Block(now); domain.ErrorCode(err) != domain.CodeInvalid || len(inactive.Blocks) != 0 {
		t.Errorf("Block(inactive) = %v, %+v", err, inactive.Blocks)
	}
	// CancelScheduled removes only what has not taken effect.
	b := domain.Account{Blocks: []domain.BlockRecord{{Blocked: true, At: now}, {Blocked: false, At: un}, {Blocked: true, At: later}}}
	if n := b.CancelScheduled(un); n != 1 || len(b.Blocks) != 2 {
		t.Errorf("CancelScheduled = %d, %+v", n, b.Blocks)
	}
}

// blockModel is the reference for block operations: the intervals during
// which the account is blocked, as a list of (from, blocked) switch points
// kept sorted, computed without the records.
type blockModel struct {
	points []domain.BlockRecord // sorted by At; the last at or before t decides
}

func (m *blockModel) at(t time.Time) bool {
	b := false
	for _, p := range m.points {
		if !p.At.After(t) {
			b = p.Blocked
		}
	}
	return b
}

func (m *blockModel) truncate(now time.Time) {
	var keep []domain.BlockRecord
	for _, p := range m.points {
		if !p.At.After(now) {
			keep = append(keep, p)
		}
	}
	m.points = keep
}

// TestBlockInterleavingsProperty: random block, unblock and schedule
// operations at non-decreasing instants, checked at random instants
// (before, between and after them) against a reference that keeps switch
// points instead of records: BlockedAt and ScheduledBlock agree with it.
func TestBlockInterleavingsProperty(t *testing.T) {
	base := mustTime(t, "2025-05-20T12:00:00Z")
	rapid.Check(t, func(t *rapid.T) {
		a := domain.Account{Activated: true}
		var m blockModel
		now := base
		for range rapid.IntRange(0, 20).Draw(t, "ops") {
			now = now.Add(time.Duration(rapid.IntRange(0, 3600).Draw(t, "step")) * time.Second)
			switch rapid.IntRange(0, 2).Draw(t, "op") {
			case 0:
				if _, err := a.Block(now); err != nil {
					t.Fatal(err)
				}
				m.truncate(now)
				if !m.at(now) {
					m.points = append(m.points, domain.BlockRecord{Blocked: true, At: now})
				}
			case 1:
				a.Unblock(now)
				m.truncate(now)
				if m.at(now) {
					m.points = append(m.points, domain.BlockRecord{Blocked: false, At: now})
				}
			case 2:
				at := now.Add(time.Duration(rapid.IntRange(-60, 7200).Draw(t, "lead")) * time.Second)
				err := a.Reschedule(at, now)
				if at.Before(now) {
					if domain.ErrorCode(err) != domain.CodeInvalid {
						t.Fatalf("Reschedule in the past = %v", err)
					}
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				m.truncate(now)
				m.points = append(m.points, domain.BlockRecord{Blocked: true, At: at})
			}
		}
		for range 20 {
			q := base.Add(time.Duration(rapid.IntRange(-3600, 30*3600).Draw(t, "query")) * time.Second)
			if got, want := a.BlockedAt(q), m.at(q); got != want {
				t.Fatalf("BlockedAt(%v) = %v, reference %v; records %+v", q, got, want, a.Blocks)
			}
		}
		// The scheduled block is the first reference switch to blocked after now.
		var want time.Time
		for _, p := range m.points {
			if p.Blocked && p.At.After(now) && (want.IsZero() || p.At.Before(want)) {
				want = p.At
			}
		}
		if got, ok := a.ScheduledBlock(now); ok != !want.IsZero() || !got.Equal(want) {
			t.Fatalf("ScheduledBlock(%v) = %v, %v; reference %v", now, got, ok, want)
		}
	})
}

// TestBlockedAtProperty: for any records in any order and any instant,
// BlockedAt is what the record latest at or before the instant says (the
// later-stored of records at one instant), computed by a stable sort.
func TestBlockedAtProperty(t *testing.T) {
	base := mustTime(t, "2025-05-20T12:00:00Z")
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(0, 12).Draw(t, "n")
		a := domain.Account{}
		for range n {
			a.Blocks = append(a.Blocks, domain.BlockRecord{
				Blocked: rapid.Bool().Draw(t, "blocked"),
				At:      base.Add(time.Duration(rapid.IntRange(0, 20).Draw(t, "at")) * time.Minute),
			})
		}
		q := base.Add(time.Duration(rapid.IntRange(-1, 21).Draw(t, "q")) * time.Minute)
		sorted := slices.Clone(a.Blocks)
		slices.SortStableFunc(sorted, func(x, y domain.BlockRecord) int { return x.At.Compare(y.At) })
		want := false
		for _, r := range sorted {
			if !r.At.After(q) {
				want = r.Blocked
			}
		}
		if got := a.BlockedAt(q); got != want {
			t.Fatalf("BlockedAt(%v) = %v, want %v for %+v", q, got, want, a.Blocks)
		}
	})
}

// Blocking an account that is blocked now, or unblocking one that is not,
// appends no record, but the schedule it cancels is a change to store.
func TestBlockAndUnblockReportCancelledSchedules(t *testing.T) {
	now := mustTime(t, "2025-05-01T12:00:00Z")
	later := now.Add(24 * time.Hour)
	blocked := domain.Account{Activated: true, Blocks: []domain.BlockRecord{{Blocked: true, At: now.Add(-time.Hour)}, {Blocked: false, At: later}, {Blocked: true, At: later.Add(time.Hour)}}}
	changed, err := blocked.Block(now)
	if err != nil || !changed || len(blocked.Blocks) != 1 {
		t.Errorf("Block of a blocked account with a schedule: changed %v, err %v, records %v; want the schedule cancelled and reported", changed, err, blocked.Blocks)
	}
	changed, err = blocked.Block(now)
	if err != nil || changed {
		t.Errorf("Block again: changed %v, err %v; want nothing to store", changed, err)
	}
	open := domain.Account{Activated: true, Blocks: []domain.BlockRecord{{Blocked: true, At: later}}}
	if !open.Unblock(now) || len(open.Blocks) != 0 {
		t.Errorf("Unblock of an account with a scheduled block: records %v; want the schedule cancelled and reported", open.Blocks)
	}
	if open.Unblock(now) {
		t.Error("Unblock again reported a change")
	}
}
