package domain

import (
	"fmt"
	"sync"
	"time"
	_ "time/tzdata" // the Pacific zone must resolve the same on every machine
)

// Date is a civil date (year, month, day) with no zone. The zero Date is "no
// date"; IsZero reports it. Dates compare with Before, After, Compare and ==.
type Date struct {
	// rd is the Rata Die day number (0001-01-01 is 1), so the zero value is
	// distinct from every real date and ordering is integer ordering.
	rd int32
}

const (
	minYear = 1
	maxYear = 9999
	// rdUnixEpoch is the Rata Die number of 1970-01-01.
	rdUnixEpoch = 719163
)

// NewDate returns the date year-month-day. It fails with CodeInvalid when the
// day does not exist in that month or the year is outside 1..9999.
func NewDate(year int, month time.Month, day int) (Date, error) {
	if year < minYear || year > maxYear || month < time.January || month > time.December ||
		day < 1 || day > DaysIn(year, month) {
		return Date{}, Errorf(CodeInvalid, "", "%04d-%02d-%02d is not a calendar date", year, int(month), day)
	}
	return Date{rd: int32(daysFromCivil(year, int(month), day) + rdUnixEpoch)}, nil
}

// DateOf returns the civil date of t in t's own location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{rd: int32(daysFromCivil(y, int(m), d) + rdUnixEpoch)}
}

// ParseDate parses YYYY-MM-DD. It fails with CodeInvalid naming the expected form.
func ParseDate(s string) (Date, error) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return Date{}, Errorf(CodeInvalid, "", "%q is not a date in the form YYYY-MM-DD", s)
	}
	y, ok1 := atoiDigits(s[0:4])
	m, ok2 := atoiDigits(s[5:7])
	d, ok3 := atoiDigits(s[8:10])
	if !ok1 || !ok2 || !ok3 {
		return Date{}, Errorf(CodeInvalid, "", "%q is not a date in the form YYYY-MM-DD", s)
	}
	date, err := NewDate(y, time.Month(m), d)
	if err != nil {
		return Date{}, Errorf(CodeInvalid, "", "%q is not a calendar date", s)
	}
	return date, nil
}

func atoiDigits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// IsZero reports whether d is the zero Date ("no date").
func (d Date) IsZero() bool { return d.rd == 0 }

// Civil returns the year, month and day of d. The zero Date yields 0, 0, 0.
func (d Date) Civil() (year int, month time.Month, day int) {
	if d.rd == 0 {
		return 0, 0, 0
	}
	y, m, dd := civilFromDays(int(d.rd) - rdUnixEpoch)
	return y, time.Month(m), dd
}

// Year returns d's year.
func (d Date) Year() int { y, _, _ := d.Civil(); return y }

// Month returns d's month.
func (d Date) Month() time.Month { _, m, _ := d.Civil(); return m }

// Day returns d's day of the month.
func (d Date) Day() int { _, _, dd := d.Civil(); return dd }

// Weekday returns d's day of the week.
func (d Date) Weekday() time.Weekday {
	// 1970-01-01 was a Thursday.
	w := (int(d.rd) - rdUnixEpoch + 4) % 7
	if w < 0 {
		w += 7
	}
	return time.Weekday(w)
}

// AddDays returns d moved by n days (n may be negative).
func (d Date) AddDays(n int) Date {
	if d.rd == 0 {
		return d
	}
	return Date{rd: d.rd + int32(n)}
}

// AddMonths returns d moved by n calendar months, clamped to the last day of
// the target month: Jan 31 + 1 month is Feb 28 (or 29).
func (d Date) AddMonths(n int) Date {
	if d.rd == 0 {
		return d
	}
	y, m, day := d.Civil()
	total := y*12 + int(m-1) + n
	ny, mi := total/12, total%12
	if mi < 0 { // floor division, so months before year 1 stay in range
		ny, mi = ny-1, mi+12
	}
	nm := time.Month(mi + 1)
	if last := DaysIn(ny, nm); day > last {
		day = last
	}
	return Date{rd: int32(daysFromCivil(ny, int(nm), day) + rdUnixEpoch)}
}

// AddYears returns d moved by n years, clamped: Feb 29 + 1 year is Feb 28.
func (d Date) AddYears(n int) Date { return d.AddMonths(12 * n) }

// DaysUntil returns the number of days from d to e (negative when e is before d).
func (d Date) DaysUntil(e Date) int { return int(e.rd - d.rd) }

// Before reports whether d is before e.
func (d Date) Before(e Date) bool { return d.rd < e.rd }

// After reports whether d is after e.
func (d Date) After(e Date) bool { return d.rd > e.rd }

// Compare returns -1, 0 or +1 as d is before, equal to or after e.
func (d Date) Compare(e Date) int {
	switch {
	case d.rd < e.rd:
		return -1
	case d.rd > e.rd:
		return 1
	}
	return 0
}

// Min returns the earlier of d and e.
func (d Date) Min(e Date) Date {
	if e.rd < d.rd {
		return e
	}
	return d
}

// Max returns the later of d and e.
func (d Date) Max(e Date) Date {
	if e.rd > d.rd {
		return e
	}
	return d
}

// String formats d as YYYY-MM-DD; the zero Date is "".
func (d Date) String() string {
	if d.rd == 0 {
		return ""
	}
	y, m, dd := d.Civil()
	b := make([]byte, 0, 10)
	b = appendInt(b, y, 4)
	b = append(b, '-')
	b = appendInt(b, int(m), 2)
	b = append(b, '-')
	b = appendInt(b, dd, 2)
	return string(b)
}

func appendInt(b []byte, v, width int) []byte {
	var buf [8]byte
	i := len(buf)
	for v > 0 || width > 0 {
		i--
		buf[i] = byte('0' + v%10)
		v /= 10
		width--
	}
	return append(b, buf[i:]...)
}

// Time returns midnight at the start of d in loc.
func (d Date) Time(loc *time.Location) time.Time {
	y, m, dd := d.Civil()
	return time.Date(y, m, dd, 0, 0, 0, 0, loc)
}

// MarshalText implements encoding.TextMarshaler (YYYY-MM-DD; "" for zero).
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler; "" is the zero Date.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// DaysIn returns the number of days in month of year.
func DaysIn(year int, month time.Month) int {
	switch month {
	case time.February:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

// daysFromCivil and civilFromDays convert between proleptic Gregorian dates
// and days since 1970-01-01 (Howard Hinnant's algorithms).
func daysFromCivil(y, m, d int) int {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

func civilFromDays(z int) (int, int, int) {
	z += 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

// Zone says in which zone a civil date is read. Service start and end dates
// are Pacific (PST/PDT) civil dates; activation dates are UTC civil dates.
type Zone uint8

const (
	// UTC is Coordinated Universal Time.
	UTC Zone = iota
	// Pacific is America/Los_Angeles, PST or PDT depending on the date.
	Pacific
)

var pacificLocation = sync.OnceValue(func() *time.Location {
	loc, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		// time/tzdata is linked in, so this cannot fail; keep a fixed
		// offset rather than panic should the database ever be stripped.
		return time.FixedZone("PST", -8*3600)
	}
	return loc
})

// Location returns the time.Location of z.
func (z Zone) Location() *time.Location {
	if z == Pacific {
		return pacificLocation()
	}
	return time.UTC
}

// String returns "UTC" or "America/Los_Angeles".
func (z Zone) String() string {
	if z == Pacific {
		return "America/Los_Angeles"
	}
	return "UTC"
}

// Today returns the civil date of the instant now in zone z. The offset is
// resolved for that instant, so DST changes are handled.
func Today(now time.Time, z Zone) Date { return DateOf(now.In(z.Location())) }

// Period is a closed range of civil dates [Start, End].
type Period struct {
	Start Date
	End   Date
}

// Contains reports whether day lies within p (both ends included).
func (p Period) Contains(day Date) bool { return !day.Before(p.Start) && !day.After(p.End) }

// Overlaps reports whether p and q share at least one day.
func (p Period) Overlaps(q Period) bool { return !p.End.Before(q.Start) && !q.End.Before(p.Start) }

// Validate reports CodeInvalid when End is before Start.
func (p Period) Validate() error {
	if p.Start.IsZero() || p.End.IsZero() {
		return Errorf(CodeInvalid, "", "a period needs both a start and an end date")
	}
	if p.End.Before(p.Start) {
		return Errorf(CodeInvalid, "", "end date %s is before start date %s", p.End, p.Start)
	}
	return nil
}

func (p Period) String() string { return fmt.Sprintf("%s..%s", p.Start, p.End) }
