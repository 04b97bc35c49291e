package assignments

import (
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/entitle-rules/entitle/domain"
)

// The query parameters of GET /api/v2/licenseAssignments (seed 004).
const (
	paramLicenseID = "license-id"
	paramUserID    = "user-id"
	paramFrom      = "from-activation-date"
	paramTo        = "to-activation-date"
	paramOffset    = "offset"
	paramLimit     = "limit"
	paramSort      = "sort"
)

// canonical maps every accepted spelling to its parameter. The seed's own
// examples also write from-date/to-date (under the activation-date filters)
// and from-registration-date/to-registration-date (under "activated on or
// after ... and before"): read as what the seed says they do, they are
// aliases of the activation-date filters, never silently ignored.
var canonical = map[string]string{
	paramLicenseID: paramLicenseID, paramUserID: paramUserID,
	paramFrom: paramFrom, "from-date": paramFrom, "from-registration-date": paramFrom,
	paramTo: paramTo, "to-date": paramTo, "to-registration-date": paramTo,
	paramOffset: paramOffset, paramLimit: paramLimit, paramSort: paramSort,
}

// sorts maps a sort value (without its "-") to its field.
var sorts = map[string]domain.AssignmentSort{
	"id": domain.SortByID, "license-id": domain.SortByLicenseID,
	"user-id": domain.SortByUserID, "activation-date": domain.SortByActivationDate,
}

const knownParams = "license-id, user-id, from-activation-date, to-activation-date, offset, limit and sort"

// parseQuery reads the raw query of GET /api/v2/licenseAssignments into an
// AssignmentQuery (AccountID is left for the caller). It fails with
// CodeInvalid naming the parameter at fault: one this API does not know,
// one given twice, a filter given under two of its names, a malformed
// number, date or sort. Parameters are looked at in name order, so the
// refusal of a query with two faults is always the same one.
func parseQuery(raw string) (domain.AssignmentQuery, error) {
	var q domain.AssignmentQuery
	values, err := url.ParseQuery(raw)
	if err != nil {
		return q, domain.Errorf(domain.CodeInvalid, "", "the query string is malformed (%v); write name=value pairs joined by &", err)
	}
	names := queryNames(raw)
	given := map[string]string{} // canonical name -> the spelling given
	for _, name := range names {
		param, ok := canonical[name]
		if !ok {
			return q, domain.Errorf(domain.CodeInvalid, cut(name), "%s is not a parameter of License Assignments; use %s", printable(name), knownParams)
		}
		if vs := values[name]; len(vs) > 1 {
			return q, domain.Errorf(domain.CodeInvalid, name, "%s is given %d times; give it once", name, len(vs))
		}
		if other, dup := given[param]; dup {
			return q, domain.Errorf(domain.CodeInvalid, name, "%s and %s are the same filter (%s); give one of them", other, name, param)
		}
		given[param] = name
		if err := setParam(&q, param, name, values[name][0]); err != nil {
			return q, err
		}
	}
	return q, nil
}

func setParam(q *domain.AssignmentQuery, param, name, v string) error {
	switch param {
	case paramLicenseID, paramUserID:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 || n > domain.MaxID {
			return domain.Errorf(domain.CodeInvalid, name, "%s %s must be a whole number from 1 to %d", name, printable(v), int64(domain.MaxID))
		}
		if param == paramLicenseID {
			q.LicenseID = n
		} else {
			q.UserID = n
		}
	case paramFrom, paramTo:
		d, err := domain.ParseDate(v)
		if err == nil && (d.Before(domain.EarliestDate) || d.After(domain.LatestDate)) {
			err = domain.Errorf(domain.CodeInvalid, name, "out of range")
		}
		if err != nil {
			return domain.Errorf(domain.CodeInvalid, name, "%s %s must be a date in the form YYYY-MM-DD from %s to %s", name, printable(v), domain.EarliestDate, domain.LatestDate)
		}
		if param == paramFrom {
			q.FromActivationDate = d
		} else {
			q.ToActivationDate = d
		}
	case paramOffset:
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > domain.MaxLineNumber {
			return domain.Errorf(domain.CodeInvalid, name, "offset %s must be a whole number from 0 to %d", printable(v), domain.MaxLineNumber)
		}
		q.Offset = n
	case paramLimit:
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > domain.MaxLineNumber {
			return domain.Errorf(domain.CodeInvalid, name, "limit %s must be a whole number from 1 to %d (leave it out for every record)", printable(v), domain.MaxLineNumber)
		}
		q.Limit = n
	case paramSort:
		field, desc := strings.CutPrefix(v, "-")
		s, ok := sorts[field]
		if !ok {
			return domain.Errorf(domain.CodeInvalid, name, "sort %s must be one of id, license-id, user-id, activation-date, each with a leading - for descending order", printable(v))
		}
		q.Sort, q.Descending = s, desc
	}
	return nil
}

// queryNames returns the names of a raw query's parameters in order, or
// none when it is malformed.
func queryNames(raw string) []string {
	values, err := url.ParseQuery(raw)
	if err != nil {
		return nil
	}
	names := make([]string, 0, len(values))
	for k := range values {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// sentence starts s with a capital letter.
func sentence(s string) string {
	if s != "" && s[0] >= 'a' && s[0] <= 'z' {
		return string(s[0]-'a'+'A') + s[1:]
	}
	return s
}

// printable quotes a value for a message, so control characters and bytes
// that are not UTF-8 show as escapes, and cuts a hostile length short.
func printable(s string) string {
	if c := cut(s); c != s {
		return strconv.Quote(c) + "..."
	}
	return strconv.Quote(s)
}

// cut returns at most the first 64 bytes of s, cut at a character's start,
// as valid UTF-8: a parameter name an error may repeat as its field.
func cut(s string) string {
	const most = 64
	s = strings.ToValidUTF8(s, "\ufffd")
	if len(s) > most {
		n := most
		for n > 0 && s[n]&0xC0 == 0x80 {
			n--
		}
		s = s[:n]
	}
	return s
}
