package assignments

import (
	"errors"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/entitle-rules/entitle/domain"
)

func date(s string) domain.Date {
	d, err := domain.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// TestParseQuery reads the seed's own examples and every way a query can be
// wrong.
func TestParseQuery(t *testing.T) {
	for _, tc := range []struct {
		query      string
		want       domain.AssignmentQuery
		field, msg string
	}{
		{query: "", want: domain.AssignmentQuery{}},
		// Seed 004's parameter examples.
		{query: "user-id=1252160", want: domain.AssignmentQuery{UserID: 1252160}},
		{query: "license-id=4", want: domain.AssignmentQuery{LicenseID: 4}},
		{query: "offset=2", want: domain.AssignmentQuery{Offset: 2}},
		{query: "limit=10", want: domain.AssignmentQuery{Limit: 10}},
		{query: "from-activation-date=2016-09-05", want: domain.AssignmentQuery{FromActivationDate: date("2016-09-05")}},
		{query: "to-activation-date=2016-09-05", want: domain.AssignmentQuery{ToActivationDate: date("2016-09-05")}},
		// "(e.g. from-date=2016-09-05)", "(e.g. to-date=2016-09-05)": aliases.
		{query: "from-date=2016-09-05", want: domain.AssignmentQuery{FromActivationDate: date("2016-09-05")}},
		{query: "to-date=2016-09-05", want: domain.AssignmentQuery{ToActivationDate: date("2016-09-05")}},
		// "activated on or after 2016-09-05 and before 2016-09-06 :
		// ?from-registration-date=2016-09-05&to-registration-date=2016-09-06"
		{query: "from-registration-date=2016-09-05&to-registration-date=2016-09-06",
			want: domain.AssignmentQuery{FromActivationDate: date("2016-09-05"), ToActivationDate: date("2016-09-06")}},
		// "Get two License Assignments of the current Account with an offset of 1 : ?offset=1&limit=2"
		{query: "offset=1&limit=2", want: domain.AssignmentQuery{Offset: 1, Limit: 2}},
		// "sorted by activation date in ascending order: ?sort=activation-date"
		{query: "sort=activation-date", want: domain.AssignmentQuery{Sort: domain.SortByActivationDate}},
		{query: "sort=id", want: domain.AssignmentQuery{Sort: domain.SortByID}},
		{query: "sort=-id", want: domain.AssignmentQuery{Sort: domain.SortByID, Descending: true}},
		{query: "sort=license-id", want: domain.AssignmentQuery{Sort: domain.SortByLicenseID}},
		{query: "sort=-license-id", want: domain.AssignmentQuery{Sort: domain.SortByLicenseID, Descending: true}},
		{query: "sort=user-id", want: domain.AssignmentQuery{Sort: domain.SortByUserID}},
		{query: "sort=-user-id", want: domain.AssignmentQuery{Sort: domain.SortByUserID, Descending: true}},
		{query: "sort=-activation-date", want: domain.AssignmentQuery{Sort: domain.SortByActivationDate, Descending: true}},
		{query: "license-id=4&user-id=1252492&from-activation-date=2018-06-01&to-activation-date=2018-07-01&offset=0&limit=5&sort=-user-id",
			want: domain.AssignmentQuery{LicenseID: 4, UserID: 1252492, FromActivationDate: date("2018-06-01"), ToActivationDate: date("2018-07-01"),
				Limit: 5, Sort: domain.SortByUserID, Descending: true}},

		{query: "colour=red", field: "colour", msg: "colour\" is not a parameter of License Assignments; use license-id, user-id"},
		{query: "licenseId=4", field: "licenseId", msg: "is not a parameter"},
		{query: "LICENSE-ID=4", field: "LICENSE-ID", msg: "is not a parameter"},
		{query: "user-id=1&user-id=2", field: "user-id", msg: "user-id is given 2 times; give it once"},
		{query: "from-date=2016-09-05&from-activation-date=2016-09-05", field: "from-date",
			msg: "from-activation-date and from-date are the same filter (from-activation-date); give one of them"},
		{query: "to-registration-date=2016-09-06&to-date=2016-09-06", field: "to-registration-date", msg: "to-date and to-registration-date are the same filter"},
		{query: "license-id=abc", field: "license-id", msg: "license-id \"abc\" must be a whole number from 1 to 9007199254740991"},
		{query: "license-id=0", field: "license-id", msg: "must be a whole number from 1"},
		{query: "user-id=-5", field: "user-id", msg: "must be a whole number from 1"},
		{query: "user-id=9007199254740992", field: "user-id", msg: "must be a whole number from 1"},
		{query: "user-id=", field: "user-id", msg: "must be a whole number"},
		{query: "from-activation-date=05/09/2016", field: "from-activation-date", msg: "must be a date in the form YYYY-MM-DD"},
		{query: "to-date=2016-02-30", field: "to-date", msg: "must be a date in the form YYYY-MM-DD"},
		{query: "from-registration-date=0001-01-01", field: "from-registration-date", msg: "from 1900-01-01 to 9999-12-31"},
		{query: "offset=-1", field: "offset", msg: "offset \"-1\" must be a whole number from 0"},
		{query: "offset=1e3", field: "offset", msg: "must be a whole number"},
		{query: "limit=0", field: "limit", msg: "limit \"0\" must be a whole number from 1"},
		{query: "limit=all", field: "limit", msg: "must be a whole number from 1"},
		{query: "sort=name", field: "sort", msg: "sort \"name\" must be one of id, license-id, user-id, activation-date"},
		{query: "sort=--id", field: "sort", msg: "must be one of"},
		{query: "sort=id,-user-id", field: "sort", msg: "must be one of"},
		{query: "sort=ID", field: "sort", msg: "must be one of"},
		{query: "limit=1;offset=2", field: "", msg: "the query string is malformed"},
		{query: "limit=%zz", field: "", msg: "the query string is malformed"},
		// Two faults: the first parameter in name order is named.
		{query: "zzz=1&limit=0", field: "limit", msg: "limit"},
	} {
		t.Run(tc.query, func(t *testing.T) {
			got, err := parseQuery(tc.query)
			if tc.msg == "" {
				if err != nil {
					t.Fatal(err)
				}
				if d := cmp.Diff(tc.want, got, cmp.AllowUnexported(domain.Date{})); d != "" {
					t.Errorf("(-want +got)\n%s", d)
				}
				return
			}
			var de *domain.Error
			if !errors.As(err, &de) || de.Code != domain.CodeInvalid || de.Field != tc.field || !strings.Contains(de.Message, tc.msg) {
				t.Errorf("got %#v; want invalid %q saying %q", err, tc.field, tc.msg)
			}
		})
	}
}

// TestHostileParameterName: a parameter name of a megabyte is named, cut
// short, in the refusal.
func TestHostileParameterName(t *testing.T) {
	name := strings.Repeat("é", 1<<19)
	_, err := parseQuery(url.Values{name: {"1"}}.Encode())
	var de *domain.Error
	if !errors.As(err, &de) || de.Code != domain.CodeInvalid || len(de.Field) > 64 || len(de.Message) > 300 || !strings.HasPrefix(name, de.Field) {
		t.Errorf("got field of %d bytes, message of %d: %.200v", len(de.Field), len(de.Message), err)
	}
}

// encodeQuery writes q as a client would, with the canonical names.
func encodeQuery(q domain.AssignmentQuery) string {
	v := url.Values{}
	if q.LicenseID != 0 {
		v.Set(paramLicenseID, strconv.FormatInt(q.LicenseID, 10))
	}
	if q.UserID != 0 {
		v.Set(paramUserID, strconv.FormatInt(q.UserID, 10))
	}
	if !q.FromActivationDate.IsZero() {
		v.Set(paramFrom, q.FromActivationDate.String())
	}
	if !q.ToActivationDate.IsZero() {
		v.Set(paramTo, q.ToActivationDate.String())
	}
	if q.Offset != 0 {
		v.Set(paramOffset, strconv.Itoa(q.Offset))
	}
	if q.Limit != 0 {
		v.Set(paramLimit, strconv.Itoa(q.Limit))
	}
	for name, s := range sorts {
		if s == q.Sort && (s != domain.SortByID || q.Descending) {
			if q.Descending {
				name = "-" + name
			}
			v.Set(paramSort, name)
		}
	}
	return v.Encode()
}

// FuzzParseQuery: the query decoder, whatever the query string, returns a
// query or a *domain.Error of CodeInvalid; what it accepts, written again
// with the canonical names, reads the same.
func FuzzParseQuery(f *testing.F) {
	for _, q := range []string{
		"", "user-id=1252160", "from-registration-date=2016-09-05&to-registration-date=2016-09-06", "offset=1&limit=2",
		"sort=activation-date", "sort=-license-id", "from-date=2016-09-05&from-activation-date=2016-09-05",
		"user-id=1&user-id=2", "colour=red", "limit=1;offset=2", "%zz", "limit=0", "user-id=9007199254740992",
		"to-date=2016-02-30", "sort=--id", "license-id=%00", "a=%ff", "%b5=1",
	} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := parseQuery(raw)
		if err != nil {
			var de *domain.Error
			if !errors.As(err, &de) || de.Code != domain.CodeInvalid {
				t.Fatalf("error %v (%T), want CodeInvalid", err, err)
			}
			if len(de.Field) > 64 || !utf8.ValidString(de.Field) {
				t.Fatalf("a field of %d bytes: %q", len(de.Field), de.Field)
			}
			return
		}
		if q.LicenseID < 0 || q.UserID < 0 || q.Offset < 0 || q.Limit < 0 {
			t.Fatalf("accepted %+v", q)
		}
		again, err := parseQuery(encodeQuery(q))
		if err != nil || again != q {
			t.Fatalf("round trip of %q: %+v %v, want %+v", raw, again, err, q)
		}
	})
}
