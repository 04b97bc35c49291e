package assignments_test

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/entitle-rules/entitle/adapters/httpapi"
	"github.com/entitle-rules/entitle/domain"
)

// oracle answers a query from the account's assignments by seed 004's
// words, independently of the stores: filters, then the sort with ties by
// id, then offset and limit.
func oracle(all []domain.Assignment, account int64, f func(domain.Assignment) bool, sortKey func(a, b domain.Assignment) int, desc bool, offset, limit int) []domain.Assignment {
	var out []domain.Assignment
	for _, a := range all {
		if a.AccountID == account && (f == nil || f(a)) {
			out = append(out, a)
		}
	}
	slices.SortStableFunc(out, func(a, b domain.Assignment) int {
		c := 0
		if sortKey != nil {
			c = sortKey(a, b)
		}
		if desc {
			c = -c
		}
		if c == 0 {
			c = cmp.Compare(a.ID, b.ID)
			if desc && sortKey == nil {
				c = -c
			}
		}
		return c
	})
	if offset > len(out) {
		offset = len(out)
	}
	out = out[offset:]
	if limit > 0 && limit < len(out) {
		out = out[:limit]
	}
	return out
}

func day(s string) domain.Date {
	d, err := domain.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// TestEveryFilterAndSort asks License Assignments v2 every filter, alias,
// sort, offset and limit of seed 004, on every store, and compares each
// answer, byte for byte, with what the seed's words select from the
// account's assignments.
func TestEveryFilterAndSort(t *testing.T) {
	for name := range drivers.Stores() {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, drivers.Open(t, name))
			var v2 []domain.Assignment
			for _, a := range h.all {
				if a.AccountID == h.v2 {
					v2 = append(v2, a)
				}
			}
			if len(v2) != 6 {
				t.Fatalf("v2-fleet has %d assignments, want the data file's 6", len(v2))
			}
			userA, licA := v2[0].UserID, v2[0].LicenseID
			byLicense := func(a, b domain.Assignment) int { return cmp.Compare(a.LicenseID, b.LicenseID) }
			byUser := func(a, b domain.Assignment) int { return cmp.Compare(a.UserID, b.UserID) }
			byActivation := func(a, b domain.Assignment) int { return a.ActivationDate.Compare(b.ActivationDate) }
			from, to := day("2016-09-05"), day("2016-09-06")
			onSeedDay := func(a domain.Assignment) bool { return !a.ActivationDate.Before(from) && a.ActivationDate.Before(to) }
			for _, tc := range []struct {
				query  string
				f      func(domain.Assignment) bool
				sort   func(a, b domain.Assignment) int
				desc   bool
				offset int
				limit  int
			}{
				{query: ""},
				{query: "license-id=" + strconv.FormatInt(licA, 10), f: func(a domain.Assignment) bool { return a.LicenseID == licA }},
				{query: "user-id=" + strconv.FormatInt(userA, 10), f: func(a domain.Assignment) bool { return a.UserID == userA }},
				{query: "from-activation-date=2017-01-01", f: func(a domain.Assignment) bool { return !a.ActivationDate.Before(day("2017-01-01")) }},
				{query: "to-activation-date=2017-01-01", f: func(a domain.Assignment) bool { return a.ActivationDate.Before(day("2017-01-01")) }},
				{query: "from-date=2016-09-06", f: func(a domain.Assignment) bool { return !a.ActivationDate.Before(to) }},
				{query: "to-date=2016-09-06", f: func(a domain.Assignment) bool { return a.ActivationDate.Before(to) }},
				// The seed: "activated on or after 2016-09-05 and before 2016-09-06".
				{query: "from-registration-date=2016-09-05&to-registration-date=2016-09-06", f: onSeedDay},
				{query: "from-activation-date=2016-09-05&to-activation-date=2016-09-06", f: onSeedDay},
				{query: "from-activation-date=2020-01-01&to-activation-date=2016-01-01", f: func(domain.Assignment) bool { return false }},
				// The seed: "Get two License Assignments ... with an offset of 1 : ?offset=1&limit=2".
				{query: "offset=1&limit=2", offset: 1, limit: 2},
				{query: "offset=5", offset: 5},
				{query: "offset=99", offset: 99},
				{query: "limit=1", limit: 1},
				{query: "sort=id"},
				{query: "sort=-id", desc: true},
				{query: "sort=license-id", sort: byLicense},
				{query: "sort=-license-id", sort: byLicense, desc: true},
				{query: "sort=user-id", sort: byUser},
				{query: "sort=-user-id", sort: byUser, desc: true},
				// The seed: "sorted by activation date in ascending order: ?sort=activation-date".
				{query: "sort=activation-date", sort: byActivation},
				{query: "sort=-activation-date", sort: byActivation, desc: true},
				{query: "user-id=" + strconv.FormatInt(userA, 10) + "&sort=-activation-date&offset=1&limit=1",
					f: func(a domain.Assignment) bool { return a.UserID == userA }, sort: byActivation, desc: true, offset: 1, limit: 1},
			} {
				for _, user := range []string{accountAdmin, userAdmin} {
					r := h.get(user, "/api/v2/licenseAssignments?"+tc.query)
					want := wireList(oracle(h.all, h.v2, tc.f, tc.sort, tc.desc, tc.offset, tc.limit))
					if r.Status != 200 || r.Raw != want {
						t.Errorf("%s ?%s: %d\n got %s\nwant %s", user, tc.query, r.Status, r.Raw, want)
					}
				}
			}
			// Explicit, so the oracle cannot be wrong alone: the seed's
			// example day holds the first two records.
			r := h.get(accountAdmin, "/api/v2/licenseAssignments?from-registration-date=2016-09-05&to-registration-date=2016-09-06")
			if want := wireList(v2[:2]); r.Raw != want {
				t.Errorf("the seed's example day: %s, want %s", r.Raw, want)
			}
			// The seed's example record: a cancelled assignment (deactivation
			// the day before activation), last changed at noon.
			c := v2[4]
			r = h.get(accountAdmin, "/api/v2/licenseAssignments/"+strconv.FormatInt(c.ID, 10))
			want := `{"licenseId":` + strconv.FormatInt(c.LicenseID, 10) + `,"userId":` + strconv.FormatInt(c.UserID, 10) +
				`,"activationDate":"2018-06-11","deactivationDate":"2018-06-10","accountId":` + strconv.FormatInt(h.v2, 10) +
				`,"id":` + strconv.FormatInt(c.ID, 10) + `,"lastChangedDate":"2018-06-11T12:00:00.000Z"}` + "\n"
			if r.Status != 200 || r.Raw != want {
				t.Errorf("the seed's example record: %d %s, want %s", r.Status, r.Raw, want)
			}
		})
	}
}

// TestErrors: every refusal of seed 004 and of the parameters, in the
// envelope, with the status the document gives it.
func TestErrors(t *testing.T) {
	h := newHarness(t, nil)
	mine := h.all[0].ID
	path := "/api/v2/licenseAssignments"
	for _, tc := range []struct {
		query, field, message string
	}{
		{"colour=red", "colour", `"colour" is not a parameter of License Assignments; use license-id, user-id, from-activation-date, to-activation-date, offset, limit and sort`},
		{"user-id=1&user-id=2", "user-id", "user-id is given 2 times; give it once"},
		{"from-date=2016-09-05&from-activation-date=2016-09-05", "from-date", "from-activation-date and from-date are the same filter (from-activation-date); give one of them"},
		{"to-date=2016-09-06&to-registration-date=2016-09-06", "to-registration-date", "to-date and to-registration-date are the same filter (to-activation-date); give one of them"},
		{"license-id=four", "license-id", `license-id "four" must be a whole number from 1 to 9007199254740991`},
		{"user-id=0", "user-id", `user-id "0" must be a whole number from 1 to 9007199254740991`},
		{"from-activation-date=2016-9-5", "from-activation-date", `from-activation-date "2016-9-5" must be a date in the form YYYY-MM-DD from 1900-01-01 to 9999-12-31`},
		{"to-registration-date=2016-02-30", "to-registration-date", `to-registration-date "2016-02-30" must be a date in the form YYYY-MM-DD from 1900-01-01 to 9999-12-31`},
		{"offset=-1", "offset", `offset "-1" must be a whole number from 0 to 2147483647`},
		{"limit=0", "limit", `limit "0" must be a whole number from 1 to 2147483647 (leave it out for every record)`},
		{"sort=name", "sort", `sort "name" must be one of id, license-id, user-id, activation-date, each with a leading - for descending order`},
		{"sort=id&sort=-id", "sort", "sort is given 2 times; give it once"},
	} {
		checkError(t, h.get(accountAdmin, path+"?"+tc.query), 400, "invalid", tc.field, tc.message)
	}
	checkError(t, h.get(accountAdmin, path+"?limit=1;offset=2"), 400, "invalid", "",
		`the query string is malformed (invalid semicolon separator in query); write name=value pairs joined by &`)
	checkError(t, h.get(accountAdmin, path+"/abc"), 400, "invalid", "id", `the id in the path, "abc", must be a whole number from 1 to 9007199254740991`)
	checkError(t, h.get(accountAdmin, path+"/0"), 400, "invalid", "id", `the id in the path, "0", must be a whole number from 1 to 9007199254740991`)
	checkError(t, h.get(accountAdmin, path+"/"+strconv.FormatInt(mine, 10)+"?sort=id"), 400, "invalid", "sort",
		`"sort" is not a parameter of /api/v2/licenseAssignments/{id}; it takes none`)
	checkError(t, h.get(accountAdmin, path+"/99999999"), 404, "not_found", "id", "no license assignment 99999999")
	checkError(t, h.get(accountAdmin, path+"/1/history"), 404, "not_found", "",
		"there is no resource at /api/v2/licenseAssignments/1/history; License Assignments are at /api/v2/licenseAssignments and /api/v2/licenseAssignments/{id}")

	// Seed 004: "Access Denied. GET requires User Role of USERADMIN or ACCOUNTADMIN."
	for _, p := range []string{path, path + "/" + strconv.FormatInt(mine, 10), path + "?colour=red"} {
		checkError(t, h.get(driver, p), 403, "forbidden", "", "Access Denied. GET requires User Role of USERADMIN or ACCOUNTADMIN.")
	}
	// Seed 004: "POST, PUT and DELETE methods are not allowed", whoever asks.
	for _, p := range []string{path, path + "/" + strconv.FormatInt(mine, 10)} {
		for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch} {
			for _, user := range []string{accountAdmin, ""} {
				r := h.do(m, p, user, `[{"licenseId": 1, "userId": 2, "activationDate": "2025-04-24", "deactivationDate": "2026-04-23"}]`)
				checkError(t, r, 405, "method_not_allowed", "", "Access Denied. POST, PUT and DELETE methods are not allowed")
				if r.Header.Get("Allow") != "GET, HEAD" {
					t.Errorf("%s %s: Allow %q", m, p, r.Header.Get("Allow"))
				}
			}
		}
	}
	if n := len(h.get(accountAdmin, path).Body.([]any)); n != 6 {
		t.Errorf("after the refused writes the account has %d assignments, want 6", n)
	}

	// Credentials: none, wrong, another API's.
	r := h.get("", path)
	checkError(t, r, 401, "unauthenticated", "Authorization", "Access Denied. Give an account user's username and password with HTTP Basic authentication")
	if !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Basic ") {
		t.Errorf("a 401 with WWW-Authenticate %q", r.Header.Get("WWW-Authenticate"))
	}
	req, _ := http.NewRequest(http.MethodGet, h.srv.URL+path, nil)
	req.SetBasicAuth(accountAdmin, "wrong-password-here")
	checkError(t, h.send(req), 401, "unauthenticated", "Authorization", "Access Denied. Unknown username or wrong password")
	req, _ = http.NewRequest(http.MethodGet, h.srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+url.QueryEscape("an-account-manager-token"))
	checkError(t, h.send(req), 401, "unauthenticated", "Authorization", "Access Denied. Give an account user's username and password with HTTP Basic authentication")
	// HEAD answers like GET, without a body.
	req, _ = http.NewRequest(http.MethodHead, h.srv.URL+path, nil)
	req.SetBasicAuth(userAdmin, password)
	if r := h.send(req); r.Status != 200 || r.Raw != "" {
		t.Errorf("HEAD: %d %q", r.Status, r.Raw)
	}

	for _, op := range []string{"GET /licenseAssignments 200", "GET /licenseAssignments 400", "GET /licenseAssignments 401", "GET /licenseAssignments 403",
		"POST /licenseAssignments 405", "PUT /licenseAssignments 405", "DELETE /licenseAssignments 405",
		"GET /licenseAssignments/{id} 400", "GET /licenseAssignments/{id} 403", "GET /licenseAssignments/{id} 404",
		"POST /licenseAssignments/{id} 405", "PUT /licenseAssignments/{id} 405", "DELETE /licenseAssignments/{id} 405"} {
		if !h.spec.Seen(op) {
			t.Errorf("no answer checked against the document for %s", op)
		}
	}
}

// TestTenancy: a user reads only its own account's assignments; another
// account's id is 404, like an id that does not exist.
func TestTenancy(t *testing.T) {
	h := newHarness(t, nil)
	var v2ID, rivalID int64
	for _, a := range h.all {
		switch a.AccountID {
		case h.v2:
			v2ID = a.ID
		case h.rival:
			rivalID = a.ID
		}
	}
	checkError(t, h.get(rivalAdmin, "/api/v2/licenseAssignments/"+strconv.FormatInt(v2ID, 10)), 404, "not_found", "id",
		"no license assignment "+strconv.FormatInt(v2ID, 10))
	checkError(t, h.get(accountAdmin, "/api/v2/licenseAssignments/"+strconv.FormatInt(rivalID, 10)), 404, "not_found", "id",
		"no license assignment "+strconv.FormatInt(rivalID, 10))
	r := h.get(rivalAdmin, "/api/v2/licenseAssignments")
	if want := wireList(oracle(h.all, h.rival, nil, nil, false, 0, 0)); r.Raw != want {
		t.Errorf("rival-fleet's list: %s, want %s", r.Raw, want)
	}
	// Filtering on another account's license or user finds nothing.
	r = h.get(rivalAdmin, "/api/v2/licenseAssignments?user-id="+strconv.FormatInt(h.all[0].UserID, 10))
	if r.Status != 200 || r.Raw != "[]\n" {
		t.Errorf("another account's user: %d %s", r.Status, r.Raw)
	}
	if r := h.get(rivalAdmin, "/api/v2/licenseAssignments/"+strconv.FormatInt(rivalID, 10)); r.Status != 200 {
		t.Errorf("its own assignment: %d %s", r.Status, r.Raw)
	}
}

// TestGuessingIsSlowed: after wrong passwords in a row, every try waits
// (429 with Retry-After) before any password is checked, the right one too.
func TestGuessingIsSlowed(t *testing.T) {
	h := newHarnessWith(t, nil, httpapi.Limits{TokenFailures: 2})
	for range 2 {
		req, _ := http.NewRequest(http.MethodGet, h.srv.URL+"/api/v2/licenseAssignments", nil)
		req.SetBasicAuth(userAdmin, "not-the-password")
		checkError(t, h.send(req), 401, "unauthenticated", "Authorization", "Access Denied. Unknown username or wrong password")
	}
	r := h.get(userAdmin, "/api/v2/licenseAssignments")
	checkError(t, r, 429, "rate_limited", "Authorization", "too many wrong passwords for this username or from this address; retry later")
	if r.Header.Get("Retry-After") == "" {
		t.Errorf("a 429 without Retry-After: %v", r.Header)
	}
}
