package domain_test

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/entitle-rules/entitle/domain"
)

// mustDate parses an ISO date or fails the test.
func mustDate(tb testing.TB, s string) domain.Date {
	tb.Helper()
	d, err := domain.ParseDate(s)
	if err != nil {
		tb.Fatalf("ParseDate(%q): %v", s, err)
	}
	return d
}

// mustTime parses an RFC 3339 instant or fails the test.
func mustTime(tb testing.TB, s string) time.Time {
	tb.Helper()
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		tb.Fatalf("time.Parse(%q): %v", s, err)
	}
	return t
}

// wantCode fails the test unless err is an *domain.Error of code.
func wantCode(tb testing.TB, err error, code domain.Code) {
	tb.Helper()
	if err == nil {
		tb.Fatalf("err = nil, want an error of code %q", code)
	}
	var de *domain.Error
	if !errors.As(err, &de) {
		tb.Fatalf("err = %#v (%v), want a *domain.Error", err, err)
	}
	if de.Code != code {
		tb.Fatalf("code = %q, want %q (err: %v)", de.Code, code, err)
	}
}

func TestNewDate(t *testing.T) {
	tests := []struct {
		y     int
		m     time.Month
		d     int
		want  string // "" means NewDate must fail
		label string
	}{
		{2025, time.April, 24, "2025-04-24", "seed 001 sample"},
		{2024, time.February, 29, "2024-02-29", "leap year"},
		{2000, time.February, 29, "2000-02-29", "divisible by 400"},
		{2025, time.February, 28, "2025-02-28", "last day of February"},
		{1, time.January, 1, "0001-01-01", "first representable day"},
		{9999, time.December, 31, "9999-12-31", "last representable day"},
		{2025, time.December, 31, "2025-12-31", "year end"},
		{2025, time.February, 30, "", "Feb 30"},
		{2025, time.February, 29, "", "Feb 29 in a common year"},
		{2100, time.February, 29, "", "Feb 29 in 2100 (divisible by 100, not 400)"},
		{1900, time.February, 29, "", "Feb 29 in 1900"},
		{2025, time.April, 31, "", "April 31"},
		{2025, 13, 1, "", "month 13"},
		{2025, 0, 1, "", "month 0"},
		{2025, time.January, 0, "", "day 0"},
		{2025, time.January, 32, "", "day 32"},
		{2025, time.January, -1, "", "negative day"},
		{0, time.January, 1, "", "year 0"},
		{10000, time.January, 1, "", "year 10000"},
		{-1, time.January, 1, "", "negative year"},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			d, err := domain.NewDate(tt.y, tt.m, tt.d)
			if tt.want == "" {
				wantCode(t, err, domain.CodeInvalid)
				if !d.IsZero() {
					t.Errorf("NewDate(%d, %d, %d) returned %v with its error, want the zero Date", tt.y, tt.m, tt.d, d)
				}
				return
			}
			if err != nil {
				t.Fatalf("NewDate(%d, %d, %d): %v", tt.y, tt.m, tt.d, err)
			}
			if got := d.String(); got != tt.want {
				t.Errorf("NewDate(%d, %d, %d) = %s, want %s", tt.y, tt.m, tt.d, got, tt.want)
			}
			y, m, dd := d.Civil()
			if y != tt.y || m != tt.m || dd != tt.d {
				t.Errorf("Civil() = %d, %d, %d, want %d, %d, %d", y, m, dd, tt.y, tt.m, tt.d)
			}
			if d.Year() != tt.y || d.Month() != tt.m || d.Day() != tt.d {
				t.Errorf("Year/Month/Day = %d/%d/%d, want %d/%d/%d", d.Year(), d.Month(), d.Day(), tt.y, tt.m, tt.d)
			}
		})
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		// Seed 001: "serviceStartDate - PST/PDT (sample - 2025-04-24)".
		{"2025-04-24", true},
		// Seed 001: "serviceEndDate - PST/PDT (sample - 2026-04-24)".
		{"2026-04-24", true},
		{"2024-02-29", true},
		{"0001-01-01", true},
		{"9999-12-31", true},
		{"2025-4-24", false},
		{"25-04-24", false},
		{"2025/04/24", false},
		{"", false},
		{"2025-02-29", false},
		{"2025-02-30", false},
		{"2025-13-01", false},
		{"2025-00-10", false},
		{"2025-01-00", false},
		{"0000-01-01", false},
		{"2025-04-24 ", false},
		{" 2025-04-24", false},
		{"2025-04-2x", false},
		{"+025-04-24", false},
		{"2025-+4-24", false},
		{"2025-04-24T00:00:00Z", false},
		{"24-APR-25", false},
		{"２０２５-04-24", false},
	}
	for _, tt := range tests {
		d, err := domain.ParseDate(tt.in)
		if !tt.ok {
			if err == nil {
				t.Errorf("ParseDate(%q) = %v, want an error", tt.in, d)
				continue
			}
			wantCode(t, err, domain.CodeInvalid)
			continue
		}
		if err != nil {
			t.Errorf("ParseDate(%q): %v", tt.in, err)
			continue
		}
		if got := d.String(); got != tt.in {
			t.Errorf("ParseDate(%q).String() = %q, want the input back", tt.in, got)
		}
	}
}

func TestParseDateErrorNamesForm(t *testing.T) {
	_, err := domain.ParseDate("2025/04/24")
	want := `"2025/04/24" is not a date in the form YYYY-MM-DD`
	if err == nil || err.Error() != want {
		t.Errorf("ParseDate error = %v, want %q", err, want)
	}
	_, err = domain.ParseDate("2025-02-29")
	want = `"2025-02-29" is not a calendar date`
	if err == nil || err.Error() != want {
		t.Errorf("ParseDate error = %v, want %q", err, want)
	}
}

func TestZeroDate(t *testing.T) {
	var z domain.Date
	if !z.IsZero() {
		t.Error("zero Date: IsZero() = false")
	}
	if got := z.String(); got != "" {
		t.Errorf("zero Date: String() = %q, want \"\"", got)
	}
	if y, m, d := z.Civil(); y != 0 || m != 0 || d != 0 {
		t.Errorf("zero Date: Civil() = %d, %d, %d, want 0, 0, 0", y, m, d)
	}
	if got := z.AddDays(5); !got.IsZero() {
		t.Errorf("zero Date: AddDays(5) = %v, want the zero Date", got)
	}
	if got := z.AddMonths(1); !got.IsZero() {
		t.Errorf("zero Date: AddMonths(1) = %v, want the zero Date", got)
	}
	if mustDate(t, "0001-01-01").IsZero() {
		t.Error("0001-01-01: IsZero() = true, want it distinct from the zero Date")
	}
	if !z.Before(mustDate(t, "0001-01-01")) {
		t.Error("the zero Date should sort before every real date")
	}
}

func TestWeekdayMatchesTime(t *testing.T) {
	start := time.Date(1999, time.December, 1, 0, 0, 0, 0, time.UTC)
	d := mustDate(t, "1999-12-01")
	for i := 0; i < 3*366; i++ {
		tm := start.AddDate(0, 0, i)
		got := d.AddDays(i)
		if got.Weekday() != tm.Weekday() {
			t.Fatalf("%v.Weekday() = %v, want %v", got, got.Weekday(), tm.Weekday())
		}
	}
	fixed := []struct {
		date string
		want time.Weekday
	}{
		{"1970-01-01", time.Thursday},
		{"1969-12-31", time.Wednesday},
		{"0001-01-01", time.Monday},
		{"2025-04-24", time.Thursday},
		{"9999-12-31", time.Friday},
	}
	for _, tt := range fixed {
		if got := mustDate(t, tt.date).Weekday(); got != tt.want {
			t.Errorf("%s.Weekday() = %v, want %v", tt.date, got, tt.want)
		}
	}
}

func TestAddDays(t *testing.T) {
	tests := []struct {
		from string
		n    int
		want string
	}{
		{"2025-04-24", 1, "2025-04-25"},
		{"2025-04-24", 30, "2025-05-24"},
		{"2025-04-24", -24, "2025-03-31"},
		{"2024-02-28", 1, "2024-02-29"},
		{"2025-02-28", 1, "2025-03-01"},
		{"2025-12-31", 1, "2026-01-01"},
		{"2026-01-01", -1, "2025-12-31"},
		{"2024-01-01", 366, "2025-01-01"},
		{"2025-04-24", 0, "2025-04-24"},
	}
	for _, tt := range tests {
		if got := mustDate(t, tt.from).AddDays(tt.n).String(); got != tt.want {
			t.Errorf("%s.AddDays(%d) = %s, want %s", tt.from, tt.n, got, tt.want)
		}
	}
}

func TestAddMonthsClamps(t *testing.T) {
	tests := []struct {
		from string
		n    int
		want string
	}{
		{"2025-01-31", 1, "2025-02-28"},
		{"2024-01-31", 1, "2024-02-29"},
		{"2025-03-31", -1, "2025-02-28"},
		{"2024-03-31", -1, "2024-02-29"},
		{"2025-08-31", 1, "2025-09-30"},
		{"2025-12-31", 2, "2026-02-28"},
		{"2023-12-31", 2, "2024-02-29"},
		{"2025-05-31", 1, "2025-06-30"},
		{"2025-01-30", 1, "2025-02-28"},
		{"2025-01-15", 1, "2025-02-15"},
		{"2025-04-24", 12, "2026-04-24"},
		{"2025-04-24", 16, "2026-08-24"},
		{"2025-04-24", 0, "2025-04-24"},
		// Negative months across year boundaries.
		{"2025-01-15", -1, "2024-12-15"},
		{"2025-01-31", -2, "2024-11-30"},
		{"2025-02-28", -12, "2024-02-28"},
		{"2025-03-31", -13, "2024-02-29"},
		{"2025-01-01", -25, "2022-12-01"},
		{"2025-12-31", -11, "2025-01-31"},
		{"2025-12-31", -12, "2024-12-31"},
		{"2025-12-31", 1, "2026-01-31"},
		{"2025-11-30", 3, "2026-02-28"},
		{"0001-01-31", 1, "0001-02-28"},
		{"9999-11-30", 1, "9999-12-30"},
	}
	for _, tt := range tests {
		if got := mustDate(t, tt.from).AddMonths(tt.n).String(); got != tt.want {
			t.Errorf("%s.AddMonths(%d) = %s, want %s", tt.from, tt.n, got, tt.want)
		}
	}
}

func TestAddYears(t *testing.T) {
	tests := []struct {
		from string
		n    int
		want string
	}{
		{"2024-02-29", 1, "2025-02-28"},
		{"2024-02-29", 4, "2028-02-29"},
		{"2024-02-29", -1, "2023-02-28"},
		{"2024-02-29", -4, "2020-02-29"},
		{"2096-02-29", 4, "2100-02-28"},
		{"2025-04-24", 1, "2026-04-24"},
		{"2025-12-31", 1, "2026-12-31"},
	}
	for _, tt := range tests {
		if got := mustDate(t, tt.from).AddYears(tt.n).String(); got != tt.want {
			t.Errorf("%s.AddYears(%d) = %s, want %s", tt.from, tt.n, got, tt.want)
		}
	}
}

func TestDaysUntil(t *testing.T) {
	tests := []struct {
		from, to string
		want     int
	}{
		{"2025-04-24", "2026-04-24", 365},
		{"2024-01-01", "2025-01-01", 366},
		{"2025-04-24", "2025-04-24", 0},
		{"2025-04-25", "2025-04-24", -1},
		{"2025-03-01", "2025-02-28", -1},
		{"2024-03-01", "2024-02-28", -2},
		{"1970-01-01", "2000-01-01", 10957},
	}
	for _, tt := range tests {
		if got := mustDate(t, tt.from).DaysUntil(mustDate(t, tt.to)); got != tt.want {
			t.Errorf("%s.DaysUntil(%s) = %d, want %d", tt.from, tt.to, got, tt.want)
		}
	}
}

func TestCompare(t *testing.T) {
	a := mustDate(t, "2025-04-24")
	b := mustDate(t, "2025-04-25")
	a2 := mustDate(t, "2025-04-24")

	if got := a.Compare(b); got != -1 {
		t.Errorf("a.Compare(b) = %d, want -1", got)
	}
	if got := b.Compare(a); got != 1 {
		t.Errorf("b.Compare(a) = %d, want 1", got)
	}
	if got := a.Compare(a2); got != 0 {
		t.Errorf("a.Compare(a2) = %d, want 0", got)
	}
	if a != a2 {
		t.Error("two parses of one date are not ==")
	}
	if !a.Before(b) || a.After(b) || a.Before(a2) || a.After(a2) {
		t.Error("Before/After disagree with the dates' order")
	}
	if !b.After(a) || b.Before(a) {
		t.Error("b.After(a) should be true and b.Before(a) false")
	}
	if got := a.Min(b); got != a {
		t.Errorf("a.Min(b) = %v, want %v", got, a)
	}
	if got := b.Min(a); got != a {
		t.Errorf("b.Min(a) = %v, want %v", got, a)
	}
	if got := a.Max(b); got != b {
		t.Errorf("a.Max(b) = %v, want %v", got, b)
	}
	if got := b.Max(a); got != b {
		t.Errorf("b.Max(a) = %v, want %v", got, b)
	}
}

func TestDateText(t *testing.T) {
	d := mustDate(t, "2025-04-24")
	b, err := d.MarshalText()
	if err != nil || string(b) != "2025-04-24" {
		t.Errorf("MarshalText() = %q, %v, want \"2025-04-24\", nil", b, err)
	}
	var z domain.Date
	b, err = z.MarshalText()
	if err != nil || string(b) != "" {
		t.Errorf("zero MarshalText() = %q, %v, want \"\", nil", b, err)
	}

	var got domain.Date
	if err := got.UnmarshalText([]byte("2026-04-24")); err != nil || got.String() != "2026-04-24" {
		t.Errorf("UnmarshalText(2026-04-24) = %v, %v", got, err)
	}
	if err := got.UnmarshalText(nil); err != nil || !got.IsZero() {
		t.Errorf("UnmarshalText(\"\") = %v, %v, want the zero Date", got, err)
	}
	got = d
	err = got.UnmarshalText([]byte("2025-4-24"))
	wantCode(t, err, domain.CodeInvalid)
	if got != d {
		t.Errorf("a failed UnmarshalText changed the date to %v", got)
	}
}

func TestDateJSON(t *testing.T) {
	type line struct {
		Start domain.Date `json:"serviceStartDate"`
		End   domain.Date `json:"serviceEndDate"`
		Act   domain.Date `json:"activationDate,omitzero"`
	}
	in := line{Start: mustDate(t, "2025-04-24"), End: mustDate(t, "2026-04-24")}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"serviceStartDate":"2025-04-24","serviceEndDate":"2026-04-24"}`
	if string(b) != want {
		t.Errorf("json.Marshal = %s, want %s", b, want)
	}
	var out line
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if out != in {
		t.Errorf("round trip = %+v, want %+v", out, in)
	}

	var empty line
	if err := json.Unmarshal([]byte(`{"serviceStartDate":"","serviceEndDate":null}`), &empty); err != nil {
		t.Fatalf("empty and null dates: %v", err)
	}
	if !empty.Start.IsZero() || !empty.End.IsZero() {
		t.Errorf("empty and null dates decoded to %+v, want zero Dates", empty)
	}

	var bad line
	err = json.Unmarshal([]byte(`{"serviceStartDate":"2025-02-29"}`), &bad)
	wantCode(t, err, domain.CodeInvalid)

	err = json.Unmarshal([]byte(`{"serviceStartDate":20250424}`), &bad)
	if err == nil {
		t.Error("a number decoded into a Date without error")
	}
}

// TestCivilMatchesTime compares Date's own calendar arithmetic with Go's time
// package over 10,000 random instants across the whole range of years.
func TestCivilMatchesTime(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	lo := time.Date(1, time.January, 1, 0, 0, 0, 0, time.UTC).Unix()
	hi := time.Date(9999, time.December, 31, 23, 59, 59, 0, time.UTC).Unix()
	for i := 0; i < 10000; i++ {
		tm := time.Unix(lo+r.Int64N(hi-lo+1), 0).UTC()
		d := domain.DateOf(tm)
		y, m, dd := d.Civil()
		ty, tmo, tdd := tm.Date()
		if y != ty || m != tmo || dd != tdd {
			t.Fatalf("DateOf(%v).Civil() = %d-%d-%d, want %d-%d-%d", tm, y, m, dd, ty, tmo, tdd)
		}
		if got, want := d.String(), tm.Format("2006-01-02"); got != want {
			t.Fatalf("DateOf(%v).String() = %s, want %s", tm, got, want)
		}
		if got, want := d.Weekday(), tm.Weekday(); got != want {
			t.Fatalf("DateOf(%v).Weekday() = %v, want %v", tm, got, want)
		}
		midnight := time.Date(ty, tmo, tdd, 0, 0, 0, 0, time.UTC)
		if got := d.Time(time.UTC); !got.Equal(midnight) {
			t.Fatalf("%v.Time(UTC) = %v, want %v", d, got, midnight)
		}
		// Day arithmetic against AddDate, within the representable range.
		n := r.IntN(2001) - 1000
		moved := midnight.AddDate(0, 0, n)
		if my := moved.Year(); my >= 1 && my <= 9999 {
			if got, want := d.AddDays(n).String(), moved.Format("2006-01-02"); got != want {
				t.Fatalf("%v.AddDays(%d) = %s, want %s", d, n, got, want)
			}
			if got := d.DaysUntil(d.AddDays(n)); got != n {
				t.Fatalf("%v.DaysUntil(AddDays(%d)) = %d", d, n, got)
			}
		}
		back, err := domain.ParseDate(d.String())
		if err != nil || back != d {
			t.Fatalf("ParseDate(%q) = %v, %v, want %v", d.String(), back, err, d)
		}
	}
}

func TestDaysIn(t *testing.T) {
	tests := []struct {
		y    int
		m    time.Month
		want int
	}{
		{2025, time.January, 31},
		{2025, time.February, 28},
		{2024, time.February, 29},
		{2000, time.February, 29},
		{2100, time.February, 28},
		{2025, time.April, 30},
		{2025, time.June, 30},
		{2025, time.September, 30},
		{2025, time.November, 30},
		{2025, time.December, 31},
	}
	for _, tt := range tests {
		if got := domain.DaysIn(tt.y, tt.m); got != tt.want {
			t.Errorf("DaysIn(%d, %v) = %d, want %d", tt.y, tt.m, got, tt.want)
		}
	}
}

func TestDateTimeInZone(t *testing.T) {
	d := mustDate(t, "2025-03-09")
	got := d.Time(domain.Pacific.Location())
	// Midnight on the day of spring forward is still PST (UTC-8).
	if want := mustTime(t, "2025-03-09T08:00:00Z"); !got.Equal(want) {
		t.Errorf("2025-03-09.Time(Pacific) = %v, want %v", got, want)
	}
	got = mustDate(t, "2025-03-10").Time(domain.Pacific.Location())
	if want := mustTime(t, "2025-03-10T07:00:00Z"); !got.Equal(want) {
		t.Errorf("2025-03-10.Time(Pacific) = %v, want %v", got, want)
	}
}
