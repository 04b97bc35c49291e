package domain

import (
	"strings"
	"time"
)

// stampLayout is the seed's creation-stamp form: 24-APR-25 10.28.10.000000 AM UTC.
const stampLayout = "02-Jan-06 03.04.05.000000 PM MST"

// FormatStamp formats an instant as the store API writes orderCreationDate:
// "24-APR-25 10.28.10.000000 AM UTC" (always in UTC, month in capitals).
func FormatStamp(t time.Time) string {
	s := t.UTC().Format(stampLayout)
	// Only the month abbreviation has lower-case letters.
	return strings.ToUpper(s)
}

// ParseStamp parses the form FormatStamp writes; the month may be in any case.
// It fails with CodeInvalid.
func ParseStamp(s string) (time.Time, error) {
	if len(s) < 7 || s[2] != '-' || s[6] != '-' {
		return time.Time{}, Errorf(CodeInvalid, "", "%q is not a stamp like 24-APR-25 10.28.10.000000 AM UTC", s)
	}
	month := s[3:6]
	norm := s[:3] + strings.ToUpper(month[:1]) + strings.ToLower(month[1:]) + s[6:]
	t, err := time.Parse(stampLayout, norm)
	if err != nil || !strings.HasSuffix(s, " UTC") {
		return time.Time{}, Errorf(CodeInvalid, "", "%q is not a stamp like 24-APR-25 10.28.10.000000 AM UTC", s)
	}
	return t.UTC(), nil
}
