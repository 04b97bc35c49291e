package fuzz

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/entitle-rules/entitle/domain"
)

// wantInvalid fails unless err is a *domain.Error of CodeInvalid: parsers
// report bad input with a code callers can branch on, never another kind.
func wantInvalid(tb testing.TB, input string, err error) {
	tb.Helper()
	var de *domain.Error
	if !errors.As(err, &de) || de.Code != domain.CodeInvalid {
		tb.Fatalf("parsing %q: error %v (%T), want a *domain.Error of code %q", input, err, err, domain.CodeInvalid)
	}
}

// FuzzParseDate checks that ParseDate never panics, that a date it accepts
// prints back as the very input, and that UnmarshalText agrees with it.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{
		// Seed 001: "serviceStartDate - PST/PDT (sample - 2025-04-24)",
		// "serviceEndDate - PST/PDT (sample - 2026-04-24)".
		"2025-04-24", "2026-04-24",
		// Seed 004: "activationDate": "2018-06-11", "deactivationDate": "2018-06-10".
		"2018-06-11", "2018-06-10",
		"2024-02-29", "2025-02-29", "2100-02-29", "2000-02-29",
		"0001-01-01", "9999-12-31", "0000-01-01", "2025-13-01", "2025-00-10",
		"2025-4-24", "25-04-24", "2025/04/24", "", "2025-04-24T00:00:00Z",
		"24-APR-25", "+025-04-24", "2025-04-2\x00",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := domain.ParseDate(s)
		var u domain.Date
		uerr := u.UnmarshalText([]byte(s))
		if err != nil {
			wantInvalid(t, s, err)
			if !d.IsZero() {
				t.Fatalf("ParseDate(%q) failed but returned %v", s, d)
			}
			// UnmarshalText differs only in reading "" as the zero Date.
			if s == "" {
				if uerr != nil || !u.IsZero() {
					t.Fatalf("UnmarshalText(\"\") = %v, %v, want the zero Date", u, uerr)
				}
			} else if uerr == nil {
				t.Fatalf("UnmarshalText(%q) = %v, but ParseDate refused it: %v", s, u, err)
			}
			return
		}
		if d.IsZero() {
			t.Fatalf("ParseDate(%q) returned the zero Date without error", s)
		}
		if got := d.String(); got != s {
			t.Fatalf("ParseDate(%q).String() = %q, want the input", s, got)
		}
		if uerr != nil || u != d {
			t.Fatalf("UnmarshalText(%q) = %v, %v, want %v", s, u, uerr, d)
		}
		b, err := d.MarshalText()
		if err != nil || string(b) != s {
			t.Fatalf("MarshalText of %q = %q, %v", s, b, err)
		}
		y, m, dd := d.Civil()
		if nd, err := domain.NewDate(y, m, dd); err != nil || nd != d {
			t.Fatalf("NewDate(Civil(%q)) = %v, %v", s, nd, err)
		}
		// The time package agrees on what the date is.
		tm, err := time.Parse("2006-01-02", s)
		if err != nil {
			t.Fatalf("ParseDate accepted %q but time.Parse refuses it: %v", s, err)
		}
		if domain.DateOf(tm) != d || d.Weekday() != tm.Weekday() {
			t.Fatalf("%q: DateOf(time) = %v (%v), ParseDate = %v (%v)", s, domain.DateOf(tm), tm.Weekday(), d, d.Weekday())
		}
	})
}

// FuzzParseStamp checks that ParseStamp never panics and that a stamp it
// accepts formats to a stamp that parses back to the same instant.
func FuzzParseStamp(f *testing.F) {
	for _, s := range []string{
		// Seed 001: "orderCreationDate - UTC (sample - 24-APR-25 10.28.10.000000 AM UTC)".
		"24-APR-25 10.28.10.000000 AM UTC",
		"24-apr-25 10.28.10.000000 AM UTC",
		"24-APR-25 10.28.10.000000 PM UTC",
		"01-JAN-26 12.00.00.000000 AM UTC",
		"31-DEC-99 11.59.59.999999 PM UTC",
		"29-FEB-24 01.02.03.000000 AM UTC",
		"29-FEB-25 01.02.03.000000 AM UTC",
		"24-APR-25 10.28.10.000000 AM PST",
		"24-APR-25 00.28.10.000000 AM UTC",
		"24-APR-25 10.28.10 AM UTC",
		"2025-04-24T10:28:10Z",
		"", "garbage", "24-", "24-APR-", "24-\xffPR-25 10.28.10.000000 AM UTC",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tm, err := domain.ParseStamp(s)
		if err != nil {
			wantInvalid(t, s, err)
			if !tm.IsZero() {
				t.Fatalf("ParseStamp(%q) failed but returned %v", s, tm)
			}
			return
		}
		if tm.Location() != time.UTC {
			t.Fatalf("ParseStamp(%q) = %v in %v, want UTC", s, tm, tm.Location())
		}
		if !strings.HasSuffix(s, " UTC") {
			t.Fatalf("ParseStamp accepted %q, which is not a UTC stamp", s)
		}
		out := domain.FormatStamp(tm)
		back, err := domain.ParseStamp(out)
		if err != nil {
			t.Fatalf("ParseStamp(FormatStamp(ParseStamp(%q))) = ParseStamp(%q): %v", s, out, err)
		}
		if !back.Equal(tm) {
			t.Fatalf("%q -> %v -> %q -> %v: the instant changed", s, tm, out, back)
		}
		if again := domain.FormatStamp(back); again != out {
			t.Fatalf("FormatStamp is not stable: %q then %q", out, again)
		}
		if out != strings.ToUpper(out) {
			t.Fatalf("FormatStamp(%v) = %q has lower-case letters", tm, out)
		}
	})
}

// daysInRange is the number of days from 0001-01-01 to 9999-12-31.
const daysInRange = 3652059

// FuzzDateArithmetic checks AddDays, AddMonths and AddYears on any valid date:
// day steps undo, month steps land in the right month and clamp the day, and
// a leap day plus one year is Feb 28.
func FuzzDateArithmetic(f *testing.F) {
	first, err := domain.NewDate(1, time.January, 1)
	if err != nil {
		f.Fatal(err)
	}
	offset := func(s string) uint32 {
		d, err := domain.ParseDate(s)
		if err != nil {
			f.Fatal(err)
		}
		return uint32(first.DaysUntil(d))
	}
	// Seed 001's sample period, and the clamping cases of DESIGN.md.
	f.Add(offset("2025-04-24"), int32(365), int16(12))
	f.Add(offset("2025-04-24"), int32(30), int16(16))
	f.Add(offset("2025-01-31"), int32(1), int16(1))
	f.Add(offset("2024-01-31"), int32(29), int16(1))
	f.Add(offset("2025-03-31"), int32(-31), int16(-1))
	f.Add(offset("2025-12-31"), int32(-365), int16(2))
	f.Add(offset("2024-02-29"), int32(366), int16(12))
	f.Add(offset("2018-06-11"), int32(-1), int16(-13))
	f.Add(offset("0001-01-01"), int32(0), int16(-1))
	f.Add(offset("9999-12-31"), int32(1), int16(1))

	f.Fuzz(func(t *testing.T, off uint32, n int32, months int16) {
		start := int(off % daysInRange)
		d := first.AddDays(start)
		y, m, day := d.Civil()
		if y < 1 || y > 9999 {
			t.Fatalf("offset %d: date %v out of range", off, d)
		}
		nd := int(n % 200000) // about 550 years either way
		// Keep the moved date inside 0001-01-01..9999-12-31, the range a Date
		// is defined on (0000-12-31 would be the zero Date, "no date").
		nd = min(max(nd, -start), daysInRange-1-start)

		// Day steps.
		moved := d.AddDays(nd)
		if back := moved.AddDays(-nd); back != d {
			t.Fatalf("%v.AddDays(%d).AddDays(%d) = %v", d, nd, -nd, back)
		}
		if got := d.DaysUntil(moved); got != nd {
			t.Fatalf("%v.DaysUntil(%v) = %d, want %d", d, moved, got, nd)
		}
		want := d.Time(time.UTC).AddDate(0, 0, nd)
		if moved.String() != want.Format("2006-01-02") {
			t.Fatalf("%v.AddDays(%d) = %v, time says %s", d, nd, moved, want.Format("2006-01-02"))
		}

		// Month steps: the target month, the day kept or clamped to its end.
		nm := int(months)
		total := y*12 + int(m-1) + nm
		ty := floorDiv(total, 12)
		tmo := time.Month(total - ty*12 + 1)
		if ty >= 1 && ty <= 9999 {
			r := d.AddMonths(nm)
			ry, rm, rd := r.Civil()
			wantDay := min(day, domain.DaysIn(ty, tmo))
			if ry != ty || rm != tmo || rd != wantDay {
				t.Fatalf("%v.AddMonths(%d) = %v, want %04d-%02d-%02d", d, nm, r, ty, int(tmo), wantDay)
			}
			if rd > day {
				t.Fatalf("%v.AddMonths(%d) = %v: the day grew", d, nm, r)
			}
			if day <= 28 {
				// No clamping needed: the time package agrees.
				want := d.Time(time.UTC).AddDate(0, nm, 0)
				if r.String() != want.Format("2006-01-02") {
					t.Fatalf("%v.AddMonths(%d) = %v, time says %s", d, nm, r, want.Format("2006-01-02"))
				}
			}
			if nm%12 == 0 {
				if got := d.AddYears(nm / 12); got != r {
					t.Fatalf("%v.AddYears(%d) = %v, AddMonths(%d) = %v", d, nm/12, got, nm, r)
				}
			}
		}

		// A leap day near d plus one year is Feb 28; plus four years is Feb 29
		// again unless that year is a century that is not a leap year.
		ly := y - y%4
		if ly%100 == 0 && ly%400 != 0 {
			ly -= 4
		}
		if ly < 4 {
			ly = 4
		}
		if ly+4 > 9999 {
			ly = 9996
		}
		leap, err := domain.NewDate(ly, time.February, 29)
		if err != nil {
			t.Fatalf("NewDate(%d, Feb, 29): %v", ly, err)
		}
		if got, want := leap.AddYears(1).String(), fmtDate(ly+1, time.February, 28); got != want {
			t.Fatalf("%v.AddYears(1) = %s, want %s", leap, got, want)
		}
		want4 := fmtDate(ly+4, time.February, domain.DaysIn(ly+4, time.February))
		if got := leap.AddYears(4).String(); got != want4 {
			t.Fatalf("%v.AddYears(4) = %s, want %s", leap, got, want4)
		}
		if day == 29 && m == time.February && y < 9999 {
			if got, want := d.AddYears(1).String(), fmtDate(y+1, time.February, 28); got != want {
				t.Fatalf("%v.AddYears(1) = %s, want %s", d, got, want)
			}
		}
	})
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func fmtDate(y int, m time.Month, d int) string {
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Format("2006-01-02")
}

// FuzzSerialKey checks that serial matching is an equivalence that ignores
// letter case: symmetric, reflexive, and blind to strings.ToUpper.
func FuzzSerialKey(f *testing.F) {
	// Seed 001: "If in the TAP Store we have a serialNumber as “TESTApi01” and
	// in the API request we are receiving serialNumber as “TestAPI01”".
	f.Add("TESTApi01", "TestAPI01")
	f.Add("TESTApi01", "TESTApi02")
	f.Add("1234567890", "1234567890")
	f.Add("5555555555", "")
	f.Add("séRIE9", "SÉrie9")
	f.Add("ſerial", "SERIAL")
	f.Add("\xff", "\xfe")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, a, b string) {
		ab, ba := domain.SameSerial(a, b), domain.SameSerial(b, a)
		if ab != ba {
			t.Fatalf("SameSerial(%q, %q) = %v but SameSerial(%q, %q) = %v", a, b, ab, b, a, ba)
		}
		if !domain.SameSerial(a, a) {
			t.Fatalf("SameSerial(%q, itself) = false", a)
		}
		for _, s := range []string{a, b} {
			up := strings.ToUpper(s)
			if !domain.SameSerial(s, up) || !domain.SameSerial(up, s) {
				t.Fatalf("SameSerial(%q, %q) = false", s, up)
			}
			k := domain.SerialKey(s)
			if domain.SerialKey(k) != k {
				t.Fatalf("SerialKey is not idempotent on %q: %q then %q", s, k, domain.SerialKey(k))
			}
			// The key is the serial without surrounding space, upper-cased:
			// a stray space never makes a device look new.
			if want := strings.ToUpper(strings.TrimSpace(s)); utf8.ValidString(s) && k != want {
				t.Fatalf("SerialKey(%q) = %q, want %q", s, k, want)
			}
		}
		// For ASCII serials, matching is exactly case-insensitive equality
		// of the serials without surrounding space.
		if isASCII(a) && isASCII(b) && ab != strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b)) {
			t.Fatalf("SameSerial(%q, %q) = %v, strings.EqualFold of the trimmed serials = %v", a, b, ab, !ab)
		}
	})
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
