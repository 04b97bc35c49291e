package domain_test

import (
	"testing"
	"time"

	"github.com/entitle-rules/entitle/domain"
)

func TestFormatStamp(t *testing.T) {
	pacific := domain.Pacific.Location()
	tests := []struct {
		in   time.Time
		want string
	}{
		// Seed 001: "orderCreationDate - UTC (sample - 24-APR-25 10.28.10.000000 AM UTC)".
		{time.Date(2025, time.April, 24, 10, 28, 10, 0, time.UTC), "24-APR-25 10.28.10.000000 AM UTC"},
		{time.Date(2025, time.April, 24, 22, 28, 10, 0, time.UTC), "24-APR-25 10.28.10.000000 PM UTC"},
		{time.Date(2025, time.April, 24, 0, 5, 0, 0, time.UTC), "24-APR-25 12.05.00.000000 AM UTC"},
		{time.Date(2025, time.April, 24, 12, 0, 0, 0, time.UTC), "24-APR-25 12.00.00.000000 PM UTC"},
		{time.Date(2025, time.December, 1, 23, 59, 59, 123456789, time.UTC), "01-DEC-25 11.59.59.123456 PM UTC"},
		{time.Date(1999, time.September, 9, 9, 9, 9, 0, time.UTC), "09-SEP-99 09.09.09.000000 AM UTC"},
		// A non-UTC instant is written in UTC: 03:28 PDT is 10:28 UTC.
		{time.Date(2025, time.April, 24, 3, 28, 10, 0, pacific), "24-APR-25 10.28.10.000000 AM UTC"},
		// 17:00 PST on Dec 31 is already the next day (and year) in UTC.
		{time.Date(2025, time.December, 31, 17, 0, 0, 0, pacific), "01-JAN-26 01.00.00.000000 AM UTC"},
		{time.Date(2025, time.April, 24, 12, 28, 10, 0, time.FixedZone("CEST", 2*3600)), "24-APR-25 10.28.10.000000 AM UTC"},
	}
	for _, tt := range tests {
		if got := domain.FormatStamp(tt.in); got != tt.want {
			t.Errorf("FormatStamp(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseStamp(t *testing.T) {
	seed := time.Date(2025, time.April, 24, 10, 28, 10, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Time // zero means ParseStamp must fail
	}{
		// Seed 001 sample.
		{"24-APR-25 10.28.10.000000 AM UTC", seed},
		{"24-apr-25 10.28.10.000000 AM UTC", seed},
		{"24-Apr-25 10.28.10.000000 AM UTC", seed},
		{"24-aPR-25 10.28.10.000000 AM UTC", seed},
		{"24-APR-25 10.28.10.000000 PM UTC", seed.Add(12 * time.Hour)},
		{"24-APR-25 12.00.00.000000 AM UTC", time.Date(2025, time.April, 24, 0, 0, 0, 0, time.UTC)},
		{"01-DEC-25 11.59.59.123456 PM UTC", time.Date(2025, time.December, 1, 23, 59, 59, 123456000, time.UTC)},
		{"29-FEB-24 01.02.03.000000 AM UTC", time.Date(2024, time.February, 29, 1, 2, 3, 0, time.UTC)},
		{"", time.Time{}},
		{"garbage", time.Time{}},
		{"2025-04-24T10:28:10Z", time.Time{}},
		{"24-APR-25", time.Time{}},
		{"24-APR-25 10.28.10.000000 AM PST", time.Time{}},
		{"24-APR-25 10.28.10.000000 AM GMT", time.Time{}},
		{"24-APR-25 10.28.10.000000 AM utc", time.Time{}},
		{"24-APR-25 10.28.10.000000 AM", time.Time{}},
		{"24-APR-25 10.28.10.000000 AM UTC ", time.Time{}},
		{"24-APR-25 10.28.10 AM UTC", time.Time{}},
		{"24-XYZ-25 10.28.10.000000 AM UTC", time.Time{}},
		{"29-FEB-25 10.28.10.000000 AM UTC", time.Time{}},
		{"32-JAN-25 10.28.10.000000 AM UTC", time.Time{}},
		{"24-APR-25 13.28.10.000000 PM UTC", time.Time{}},
		{"24-APR-2025 10.28.10.000000 AM UTC", time.Time{}},
		{"24-APRIL-25 10.28.10.000000 AM UTC", time.Time{}},
		{"24-AP\xffR-25 10.28.10.000000 AM UTC", time.Time{}},
	}
	for _, tt := range tests {
		got, err := domain.ParseStamp(tt.in)
		if tt.want.IsZero() {
			if err == nil {
				t.Errorf("ParseStamp(%q) = %v, want an error", tt.in, got)
				continue
			}
			wantCode(t, err, domain.CodeInvalid)
			continue
		}
		if err != nil {
			t.Errorf("ParseStamp(%q): %v", tt.in, err)
			continue
		}
		if !got.Equal(tt.want) || got.Location() != time.UTC {
			t.Errorf("ParseStamp(%q) = %v (%v), want %v in UTC", tt.in, got, got.Location(), tt.want)
		}
	}
}

func TestStampRoundTrip(t *testing.T) {
	const s = "24-APR-25 10.28.10.000000 AM UTC"
	tm, err := domain.ParseStamp(s)
	if err != nil {
		t.Fatal(err)
	}
	if got := domain.FormatStamp(tm); got != s {
		t.Errorf("FormatStamp(ParseStamp(%q)) = %q", s, got)
	}
}

func TestTodayDependsOnZone(t *testing.T) {
	now := mustTime(t, "2025-03-06T07:30:00Z")
	if got := domain.Today(now, domain.Pacific).String(); got != "2025-03-05" {
		t.Errorf("Today(%v, Pacific) = %s, want 2025-03-05", now, got)
	}
	if got := domain.Today(now, domain.UTC).String(); got != "2025-03-06" {
		t.Errorf("Today(%v, UTC) = %s, want 2025-03-06", now, got)
	}
	// The instant's own location does not matter, only the zone asked for.
	inTokyo := now.In(time.FixedZone("JST", 9*3600))
	if got := domain.Today(inTokyo, domain.Pacific).String(); got != "2025-03-05" {
		t.Errorf("Today(%v, Pacific) = %s, want 2025-03-05", inTokyo, got)
	}
	if got := domain.Today(inTokyo, domain.UTC).String(); got != "2025-03-06" {
		t.Errorf("Today(%v, UTC) = %s, want 2025-03-06", inTokyo, got)
	}
}

func TestTodayAcrossDST(t *testing.T) {
	tests := []struct {
		instant string
		want    string // the Pacific civil date
		why     string
	}{
		// Spring forward, 2025-03-09: local midnight that day is still PST (UTC-8).
		{"2025-03-09T07:59:59Z", "2025-03-08", "a second before midnight PST"},
		{"2025-03-09T08:00:00Z", "2025-03-09", "midnight PST"},
		{"2025-03-09T09:59:59Z", "2025-03-09", "01:59:59 PST, just before the jump"},
		{"2025-03-09T10:00:00Z", "2025-03-09", "03:00 PDT, just after the jump"},
		// The next midnight is PDT (UTC-7).
		{"2025-03-10T06:59:59Z", "2025-03-09", "a second before midnight PDT"},
		{"2025-03-10T07:00:00Z", "2025-03-10", "midnight PDT"},
		{"2025-03-10T07:30:00Z", "2025-03-10", "00:30 PDT (23:30 under a fixed UTC-8 offset)"},
		// Fall back, 2025-11-02: local midnight that day is still PDT (UTC-7).
		{"2025-11-02T06:59:59Z", "2025-11-01", "a second before midnight PDT"},
		{"2025-11-02T07:00:00Z", "2025-11-02", "midnight PDT"},
		{"2025-11-02T08:30:00Z", "2025-11-02", "01:30 PDT, the first time"},
		{"2025-11-02T09:30:00Z", "2025-11-02", "01:30 PST, the second time"},
		// The next midnight is PST (UTC-8).
		{"2025-11-03T07:30:00Z", "2025-11-02", "23:30 PST (00:30 under a fixed UTC-7 offset)"},
		{"2025-11-03T07:59:59Z", "2025-11-02", "a second before midnight PST"},
		{"2025-11-03T08:00:00Z", "2025-11-03", "midnight PST"},
	}
	for _, tt := range tests {
		now := mustTime(t, tt.instant)
		if got := domain.Today(now, domain.Pacific).String(); got != tt.want {
			t.Errorf("Today(%s, Pacific) = %s, want %s (%s)", tt.instant, got, tt.want, tt.why)
		}
		if got, want := domain.Today(now, domain.UTC).String(), tt.instant[:10]; got != want {
			t.Errorf("Today(%s, UTC) = %s, want %s", tt.instant, got, want)
		}
	}
}

func TestZone(t *testing.T) {
	if got := domain.Pacific.String(); got != "America/Los_Angeles" {
		t.Errorf("Pacific.String() = %q", got)
	}
	if got := domain.UTC.String(); got != "UTC" {
		t.Errorf("UTC.String() = %q", got)
	}
	if got := domain.UTC.Location(); got != time.UTC {
		t.Errorf("UTC.Location() = %v, want time.UTC", got)
	}
	if got := domain.Pacific.Location().String(); got != "America/Los_Angeles" {
		t.Errorf("Pacific.Location() = %q, want the tz database zone", got)
	}
	// Summer and winter offsets prove the zone is the real one, not a fixed offset.
	_, winter := time.Date(2025, time.January, 15, 12, 0, 0, 0, domain.Pacific.Location()).Zone()
	_, summer := time.Date(2025, time.July, 15, 12, 0, 0, 0, domain.Pacific.Location()).Zone()
	if winter != -8*3600 || summer != -7*3600 {
		t.Errorf("Pacific offsets = %d (winter), %d (summer), want -28800, -25200", winter, summer)
	}
}

func TestPeriod(t *testing.T) {
	p := domain.Period{Start: mustDate(t, "2025-04-24"), End: mustDate(t, "2026-04-24")}
	contains := []struct {
		day  string
		want bool
	}{
		{"2025-04-23", false},
		{"2025-04-24", true},
		{"2025-10-01", true},
		{"2026-04-24", true},
		{"2026-04-25", false},
	}
	for _, tt := range contains {
		if got := p.Contains(mustDate(t, tt.day)); got != tt.want {
			t.Errorf("%v.Contains(%s) = %v, want %v", p, tt.day, got, tt.want)
		}
	}

	overlaps := []struct {
		start, end string
		want       bool
		why        string
	}{
		{"2026-04-24", "2027-04-24", true, "touching end: both hold 2026-04-24"},
		{"2026-04-25", "2027-04-25", false, "starts the day after the end"},
		{"2024-04-24", "2025-04-24", true, "touching start"},
		{"2024-04-24", "2025-04-23", false, "ends the day before the start"},
		{"2025-06-01", "2025-06-30", true, "inside"},
		{"2024-01-01", "2027-01-01", true, "around"},
		{"2025-04-24", "2026-04-24", true, "identical"},
		{"2025-05-01", "2025-05-01", true, "a single day inside"},
	}
	for _, tt := range overlaps {
		q := domain.Period{Start: mustDate(t, tt.start), End: mustDate(t, tt.end)}
		if got := p.Overlaps(q); got != tt.want {
			t.Errorf("%v.Overlaps(%v) = %v, want %v (%s)", p, q, got, tt.want, tt.why)
		}
		if got := q.Overlaps(p); got != tt.want {
			t.Errorf("%v.Overlaps(%v) = %v, want %v (%s, reversed)", q, p, got, tt.want, tt.why)
		}
	}
}

func TestPeriodValidate(t *testing.T) {
	d := mustDate(t, "2025-04-24")
	if err := (domain.Period{Start: d, End: d}).Validate(); err != nil {
		t.Errorf("a one-day period: %v", err)
	}
	if err := (domain.Period{Start: d, End: d.AddYears(1)}).Validate(); err != nil {
		t.Errorf("a one-year period: %v", err)
	}
	err := (domain.Period{Start: d, End: d.AddDays(-1)}).Validate()
	wantCode(t, err, domain.CodeInvalid)
	if want := "end date 2025-04-23 is before start date 2025-04-24"; err.Error() != want {
		t.Errorf("Validate() = %q, want %q", err, want)
	}
	wantCode(t, (domain.Period{Start: d}).Validate(), domain.CodeInvalid)
	wantCode(t, (domain.Period{End: d}).Validate(), domain.CodeInvalid)
	wantCode(t, (domain.Period{}).Validate(), domain.CodeInvalid)
}
