package domain_test

import (
	"testing"
	"time"

	"github.com/entitle-rules/entitle/domain"
)

const (
	centerpoint domain.ProductLine = "CENTERPOINT"
	rangepoint  domain.ProductLine = "RANGEPOINT"
	viewpoint   domain.ProductLine = "VIEWPOINT"
)

// sub builds a subscription of pl from start to end (YYYY-MM-DD).
func sub(tb testing.TB, id string, pl domain.ProductLine, kind domain.SubscriptionKind, start, end string) domain.Subscription {
	tb.Helper()
	return domain.Subscription{
		ID:          id,
		Serial:      "TESTApi01",
		PartNumber:  "P-" + id,
		ProductLine: pl,
		Start:       mustDate(tb, start),
		End:         mustDate(tb, end),
		Kind:        kind,
	}
}

// ended returns s stopped with status st (CANCELED or TERMINATED).
func ended(s domain.Subscription, st domain.SubscriptionStatus) domain.Subscription {
	s.Ended = st
	return s
}

// id returns the subscription's ID, or "<nil>".
func id(s *domain.Subscription) string {
	if s == nil {
		return "<nil>"
	}
	return s.ID
}

func TestStatusOn(t *testing.T) {
	s := sub(t, "a", centerpoint, domain.Paid, "2025-04-24", "2026-04-24")
	tests := []struct {
		sub  domain.Subscription
		day  string
		want domain.SubscriptionStatus
	}{
		{s, "2025-04-23", domain.Future},
		{s, "2025-04-24", domain.Active},
		{s, "2025-12-01", domain.Active},
		{s, "2026-04-24", domain.Active},
		{s, "2026-04-25", domain.Expired},
		{ended(s, domain.Canceled), "2025-12-01", domain.Canceled},
		{ended(s, domain.Canceled), "2027-01-01", domain.Canceled},
		{ended(s, domain.Terminated), "2025-01-01", domain.Terminated},
		{ended(s, domain.Terminated), "2025-12-01", domain.Terminated},
	}
	for _, tt := range tests {
		if got := tt.sub.StatusOn(mustDate(t, tt.day)); got != tt.want {
			t.Errorf("StatusOn(%s) of %v (ended %q) = %s, want %s", tt.day, tt.sub.Period(), tt.sub.Ended, got, tt.want)
		}
	}
	canceled, terminated := ended(s, domain.Canceled), ended(s, domain.Terminated)
	if !s.Live() || canceled.Live() || terminated.Live() {
		t.Error("Live() should be true only for a subscription that was not stopped")
	}
	if got, want := s.Period(), (domain.Period{Start: s.Start, End: s.End}); got != want {
		t.Errorf("Period() = %v, want %v", got, want)
	}
}

func TestActiveOn(t *testing.T) {
	tl := domain.Timeline{
		sub(t, "old", centerpoint, domain.Paid, "2023-04-24", "2024-04-23"),
		ended(sub(t, "canceled", centerpoint, domain.Paid, "2024-04-24", "2025-04-23"), domain.Canceled),
		sub(t, "cur", centerpoint, domain.Paid, "2025-04-24", "2026-04-24"),
		ended(sub(t, "term", rangepoint, domain.Paid, "2025-01-01", "2025-12-31"), domain.Terminated),
		sub(t, "vp", viewpoint, domain.Trial, "2025-06-01", "2025-06-30"),
	}
	tests := []struct {
		pl   domain.ProductLine
		day  string
		want string
	}{
		{centerpoint, "2023-04-24", "old"},
		{centerpoint, "2024-04-23", "old"},
		{centerpoint, "2024-06-01", "<nil>"}, // only a canceled one covers it
		{centerpoint, "2025-04-24", "cur"},   // first day
		{centerpoint, "2026-04-24", "cur"},   // last day, ends inclusive
		{centerpoint, "2026-04-25", "<nil>"},
		{rangepoint, "2025-06-01", "<nil>"}, // terminated
		{viewpoint, "2025-06-15", "vp"},
		{viewpoint, "2025-07-01", "<nil>"},
		{"XFILL", "2025-06-15", "<nil>"},
	}
	for _, tt := range tests {
		if got := id(tl.ActiveOn(tt.pl, mustDate(t, tt.day))); got != tt.want {
			t.Errorf("ActiveOn(%s, %s) = %s, want %s", tt.pl, tt.day, got, tt.want)
		}
	}
	// The result points into the timeline, so callers can read every field.
	if got := tl.ActiveOn(centerpoint, mustDate(t, "2025-05-01")); got != &tl[2] {
		t.Error("ActiveOn should return a pointer to the timeline's own element")
	}
}

func TestChainEnd(t *testing.T) {
	today := mustDate(t, "2025-06-01")
	tests := []struct {
		name string
		tl   domain.Timeline
		want string
	}{
		{
			name: "nothing active",
			tl:   domain.Timeline{sub(t, "old", centerpoint, domain.Paid, "2023-01-01", "2024-01-01")},
			want: "<nil>",
		},
		{
			name: "active, nothing queued",
			tl:   domain.Timeline{sub(t, "cur", centerpoint, domain.Paid, "2025-04-24", "2026-04-24")},
			want: "cur",
		},
		{
			name: "a queued renewal starting the day after",
			tl: domain.Timeline{
				sub(t, "queued", centerpoint, domain.Paid, "2026-04-25", "2027-04-25"),
				sub(t, "cur", centerpoint, domain.Paid, "2025-04-24", "2026-04-24"),
			},
			want: "queued",
		},
		{
			name: "two queued renewals",
			tl: domain.Timeline{
				sub(t, "cur", centerpoint, domain.Paid, "2025-04-24", "2026-04-24"),
				sub(t, "q2", centerpoint, domain.Paid, "2027-04-26", "2028-04-26"),
				sub(t, "q1", centerpoint, domain.Paid, "2026-04-25", "2027-04-25"),
			},
			want: "q2",
		},
		{
			// A renewal queues after everything already bought, so it never
			// overlaps a later subscription (a property found this).
			name: "a gap does not stop the queue",
			tl: domain.Timeline{
				sub(t, "cur", centerpoint, domain.Paid, "2025-04-24", "2026-04-24"),
				sub(t, "later", centerpoint, domain.Paid, "2026-04-26", "2027-04-26"),
			},
			want: "later",
		},
		{
			name: "a canceled queued renewal is not followed",
			tl: domain.Timeline{
				sub(t, "cur", centerpoint, domain.Paid, "2025-04-24", "2026-04-24"),
				ended(sub(t, "queued", centerpoint, domain.Paid, "2026-04-25", "2027-04-25"), domain.Canceled),
			},
			want: "cur",
		},
		{
			name: "another product line's renewal is not followed",
			tl: domain.Timeline{
				sub(t, "cur", centerpoint, domain.Paid, "2025-04-24", "2026-04-24"),
				sub(t, "rp", rangepoint, domain.Paid, "2026-04-25", "2027-04-25"),
			},
			want: "cur",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.tl.ChainEnd(centerpoint, today)
			if id(got) != tt.want {
				t.Fatalf("ChainEnd = %s, want %s", id(got), tt.want)
			}
		})
	}

	// The renewal after the chain starts the day after ChainEnd's end.
	tl := tests[2].tl
	if got := tl.ChainEnd(centerpoint, today).End.AddDays(1).String(); got != "2027-04-26" {
		t.Errorf("renewal start = %s, want 2027-04-26", got)
	}
}

// TestChainEndMalformedPeriod pins that ChainEnd returns even when a stored
// live subscription has its end before its start (a period Validate refuses):
// one bad row must not hang every order for the serial.
func TestChainEndMalformedPeriod(t *testing.T) {
	tl := domain.Timeline{
		sub(t, "cur", centerpoint, domain.Paid, "2025-01-01", "2025-12-31"),
		sub(t, "bad", centerpoint, domain.Paid, "2026-01-01", "2025-12-31"), // End = Start - 1
	}
	day := mustDate(t, "2025-06-01")
	done := make(chan string, 1)
	go func() { done <- id(tl.ChainEnd(centerpoint, day)) }()
	select {
	case got := <-done:
		if got != "cur" && got != "bad" {
			t.Errorf("ChainEnd = %s, want cur or bad", got)
		}
	case <-time.After(2 * time.Second):
		// The loop goroutine is left running; the test binary exits anyway.
		t.Fatal("ChainEnd did not return within 2s: it loops on a subscription whose End is the day before its Start")
	}
}

func TestActiveOtherLine(t *testing.T) {
	tl := domain.Timeline{
		sub(t, "cp", centerpoint, domain.Paid, "2025-01-01", "2025-12-31"),
		sub(t, "rp-short", rangepoint, domain.Paid, "2025-01-01", "2025-08-31"),
		sub(t, "vp-long", viewpoint, domain.Paid, "2025-03-01", "2026-02-28"),
		ended(sub(t, "rp-canceled", rangepoint, domain.Paid, "2025-01-01", "2027-01-01"), domain.Canceled),
		sub(t, "xf-future", "XFILL", domain.Paid, "2025-07-01", "2028-01-01"),
	}
	tests := []struct {
		pl   domain.ProductLine
		day  string
		want string
	}{
		{centerpoint, "2025-06-01", "vp-long"},
		{centerpoint, "2025-02-01", "rp-short"}, // vp-long has not started
		{rangepoint, "2025-06-01", "vp-long"},
		{viewpoint, "2025-06-01", "cp"},
		{viewpoint, "2025-08-01", "xf-future"},
		{centerpoint, "2028-06-01", "<nil>"},
	}
	for _, tt := range tests {
		if got := id(tl.ActiveOtherLine(tt.pl, mustDate(t, tt.day))); got != tt.want {
			t.Errorf("ActiveOtherLine(%s, %s) = %s, want %s", tt.pl, tt.day, got, tt.want)
		}
	}
}

func TestHadKind(t *testing.T) {
	tl := domain.Timeline{
		ended(sub(t, "trial", centerpoint, domain.Trial, "2023-01-01", "2023-01-31"), domain.Canceled),
		sub(t, "paid", centerpoint, domain.Paid, "2024-01-01", "2024-12-31"),
		sub(t, "bundle", rangepoint, domain.Bundle, "2025-01-01", "2025-12-31"),
	}
	tests := []struct {
		pl   domain.ProductLine
		kind domain.SubscriptionKind
		want bool
	}{
		{centerpoint, domain.Trial, true}, // any status, even canceled
		{centerpoint, domain.Paid, true},
		{centerpoint, domain.Bundle, false},
		{rangepoint, domain.Bundle, true},
		{rangepoint, domain.Trial, false},
		{viewpoint, domain.Paid, false},
	}
	for _, tt := range tests {
		if got := tl.HadKind(tt.pl, tt.kind); got != tt.want {
			t.Errorf("HadKind(%s, %s) = %v, want %v", tt.pl, tt.kind, got, tt.want)
		}
	}
}

func TestHasPaidActiveOrExpired(t *testing.T) {
	// Seed 001: "the Serial number should not have a prior paid active or
	// expired subscription of the same product line".
	today := mustDate(t, "2025-06-01")
	active := sub(t, "a", centerpoint, domain.Paid, "2025-01-01", "2025-12-31")
	expired := sub(t, "e", centerpoint, domain.Paid, "2023-01-01", "2023-12-31")
	future := sub(t, "f", centerpoint, domain.Paid, "2025-07-01", "2026-06-30")
	tests := []struct {
		name string
		tl   domain.Timeline
		want bool
	}{
		{"empty", nil, false},
		{"active paid", domain.Timeline{active}, true},
		{"expired paid", domain.Timeline{expired}, true},
		{"canceled paid", domain.Timeline{ended(active, domain.Canceled)}, false},
		{"canceled expired paid", domain.Timeline{ended(expired, domain.Canceled)}, false},
		{"terminated paid", domain.Timeline{ended(active, domain.Terminated)}, false},
		{"future paid", domain.Timeline{future}, false},
		{"active trial", domain.Timeline{sub(t, "t", centerpoint, domain.Trial, "2025-05-01", "2025-06-30")}, false},
		{"expired bundle", domain.Timeline{sub(t, "b", centerpoint, domain.Bundle, "2023-01-01", "2023-12-31")}, false},
		{"paid of another line", domain.Timeline{sub(t, "r", rangepoint, domain.Paid, "2025-01-01", "2025-12-31")}, false},
		{"terminated then expired", domain.Timeline{ended(active, domain.Terminated), expired}, true},
	}
	for _, tt := range tests {
		if got := tt.tl.HasPaidActiveOrExpired(centerpoint, today); got != tt.want {
			t.Errorf("%s: HasPaidActiveOrExpired = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestHadPart(t *testing.T) {
	tl := domain.Timeline{
		ended(sub(t, "x", centerpoint, domain.Bundle, "2023-01-01", "2023-12-31"), domain.Terminated),
		sub(t, "y", rangepoint, domain.Paid, "2024-01-01", "2024-12-31"),
	}
	if !tl.HadPart("P-x") {
		t.Error("HadPart(P-x) = false for a terminated subscription of that part")
	}
	if !tl.HadPart("P-y") {
		t.Error("HadPart(P-y) = false")
	}
	if tl.HadPart("P-z") || tl.HadPart("p-x") {
		t.Error("HadPart matched a part the timeline never had (part numbers are exact)")
	}
}

func TestUnactivatedBundle(t *testing.T) {
	b := sub(t, "b", centerpoint, domain.Bundle, "2025-01-01", "2025-12-31")
	activated := b
	activated.Activated = true
	paid := sub(t, "p", centerpoint, domain.Paid, "2025-01-01", "2025-12-31")
	tests := []struct {
		name string
		tl   domain.Timeline
		want bool
	}{
		{"no bundle", domain.Timeline{paid}, false},
		{"bundle never activated", domain.Timeline{paid, b}, true},
		{"bundle activated", domain.Timeline{activated}, false},
		{"canceled bundle never activated", domain.Timeline{ended(b, domain.Canceled)}, false},
		{"unactivated paid", domain.Timeline{paid}, false},
	}
	for _, tt := range tests {
		if got := tt.tl.UnactivatedBundle(); got != tt.want {
			t.Errorf("%s: UnactivatedBundle = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestOverlapping(t *testing.T) {
	tests := []struct {
		name   string
		tl     domain.Timeline
		wantA  string
		wantB  string
		reason string
	}{
		{
			name: "chain without overlap",
			tl: domain.Timeline{
				sub(t, "a", centerpoint, domain.Paid, "2025-04-24", "2026-04-24"),
				sub(t, "b", centerpoint, domain.Paid, "2026-04-25", "2027-04-25"),
			},
			wantA: "<nil>", wantB: "<nil>",
		},
		{
			name: "touching ends overlap",
			tl: domain.Timeline{
				sub(t, "a", centerpoint, domain.Paid, "2025-04-24", "2026-04-24"),
				sub(t, "b", centerpoint, domain.Paid, "2026-04-24", "2027-04-24"),
			},
			wantA: "a", wantB: "b",
		},
		{
			name: "different lines may overlap",
			tl: domain.Timeline{
				sub(t, "a", centerpoint, domain.Paid, "2025-01-01", "2025-12-31"),
				sub(t, "b", rangepoint, domain.Paid, "2025-01-01", "2025-12-31"),
			},
			wantA: "<nil>", wantB: "<nil>",
		},
		{
			name: "a canceled one does not count",
			tl: domain.Timeline{
				sub(t, "a", centerpoint, domain.Paid, "2025-01-01", "2025-12-31"),
				ended(sub(t, "b", centerpoint, domain.Paid, "2025-06-01", "2026-05-31"), domain.Canceled),
			},
			wantA: "<nil>", wantB: "<nil>",
		},
		{
			name: "the first overlapping pair",
			tl: domain.Timeline{
				sub(t, "a", centerpoint, domain.Paid, "2023-01-01", "2023-12-31"),
				sub(t, "b", rangepoint, domain.Paid, "2025-01-01", "2025-12-31"),
				sub(t, "c", rangepoint, domain.Trial, "2025-12-01", "2025-12-31"),
				sub(t, "d", centerpoint, domain.Paid, "2023-06-01", "2024-05-31"),
			},
			wantA: "a", wantB: "d",
		},
	}
	for _, tt := range tests {
		a, b := tt.tl.Overlapping()
		if id(a) != tt.wantA || id(b) != tt.wantB {
			t.Errorf("%s: Overlapping() = %s, %s, want %s, %s", tt.name, id(a), id(b), tt.wantA, tt.wantB)
		}
	}
}
