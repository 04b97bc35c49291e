package dataset_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/rules/dataset"
)

// seatsFile is the seats part of a data file: the Account Manager partner of
// the contract's example, its company, seats, an admin who reads
// assignments (seed 004) and a driver holding a seat.
const seatsFile = `
clients:
  - {id: fleet-partner, name: Fleet partner, apiKey: example-api-key-change-me}
  - {id: other-partner, apiKeyHash: ` + otherKeyHash + `}
companies:
  - {alias: acme-fleet, title: Acme Fleet, partner: fleet-partner, limits: {copilot: {users: 50}}}
  - {alias: other-co, partner: other-partner, activated: false, createdAt: 2024-02-01T10:00:00Z}
users:
  - {company: acme-fleet, externalId: admin, email: admin@acme.example, username: admin@acme.example,
     password: example-password-change-me, roles: [ACCOUNTADMIN]}
  - {company: acme-fleet, externalId: Driver-7, firstName: Dana, lastName: Lee, phoneNumber: "+1 555 0100"}
  - {company: other-co, externalId: driver-7}
licenses:
  - {company: acme-fleet, productId: CoPilot, seats: 5, registered: 2025-01-01, expires: 2025-12-31}
  - {company: acme-fleet, productId: MileOn, seats: 3, registered: 2025-03-01, expires: 2026-02-28}
assignments:
  - {company: acme-fleet, productId: CoPilot, externalId: driver-7, activationDate: 2025-02-01, deactivationDate: 2025-12-31}
`

// otherKeyHash is a made-up SHA-256, in upper case (apiKeyHash may be).
const otherKeyHash = "8B1B0F0A3C5F0A8E5A4A0C5D8F2C1B7E6D5C4B3A29181706F5E4D3C2B1A09F8E"

func mustBuild(t *testing.T, data string) *dataset.World {
	t.Helper()
	ds, err := dataset.Parse([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	w, err := ds.Build()
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestBuildSeats(t *testing.T) {
	w := mustBuild(t, seatsFile)
	// The apiKey is stored as its SHA-256 only; a given hash is kept
	// (lower-cased, as HashSecret writes it).
	if got := w.Clients[0].APIKeyHash; got != domain.HashSecret("example-api-key-change-me") {
		t.Errorf("apiKey stored as %q, want its HashSecret", got)
	}
	if got := w.Clients[1].APIKeyHash; got != strings.ToLower(otherKeyHash) {
		t.Errorf("apiKeyHash stored as %q", got)
	}
	if dump := fmt.Sprintf("%+v", *w); strings.Contains(dump, "example-api-key-change-me") {
		t.Error("the plain apiKey is in the built world")
	}
	acme := w.Companies[0]
	if acme.Alias != "acme-fleet" || acme.Title != "Acme Fleet" || acme.PartnerID != "fleet-partner" || !acme.Activated ||
		acme.Limits["copilot"].Users != 50 || acme.UserLimit() != 50 {
		t.Errorf("company %+v", acme)
	}
	// Clock-free stamps: a company is created at midnight UTC of its
	// earliest registration, unless the file says; its users with it.
	if want := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC); !acme.CreatedAt.Equal(want) || !w.Users[1].User.CreatedAt.Equal(want) {
		t.Errorf("acme created %v, its driver %v; want %v", acme.CreatedAt, w.Users[1].User.CreatedAt, want)
	}
	other := w.Companies[1]
	if other.Activated || other.Title != "other-co" || !other.CreatedAt.Equal(time.Date(2024, 2, 1, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("company %+v: want inactive, titled by its alias, created as the file says", other)
	}
	admin := w.Users[0]
	if admin.Company != "acme-fleet" || admin.User.Username != "admin@acme.example" || admin.Password != "example-password-change-me" ||
		!slices.Equal(admin.User.Roles, []domain.Role{domain.AccountAdmin}) || admin.User.PasswordHash != "" {
		t.Errorf("admin %+v: the password is hashed by Apply, not Build", admin)
	}
	if l := w.Licenses[1]; l.Company != "acme-fleet" || l.ProductID != "MileOn" || l.Seats != 3 || l.Registered.String() != "2025-03-01" || l.Expires.String() != "2026-02-28" {
		t.Errorf("licenses %+v", l)
	}
	a := w.Assignments[0]
	if a.ExternalID != "driver-7" || a.Assignment.ProductID != "CoPilot" || a.Assignment.ActivationDate.String() != "2025-02-01" ||
		!a.Assignment.LastChanged.Equal(time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("assignment %+v", a)
	}
}

// Every bad value of the seats sections is reported at once, each with the
// path of its field.
func TestBuildSeatsNamesEveryBadField(t *testing.T) {
	long := strings.Repeat("x", domain.MaxText+1)
	for name, tc := range map[string]struct {
		data  string
		field string
		code  string
	}{
		"both apiKey and its hash":   {"clients: [{id: p, apiKey: aaaaaaaaaaaaaaaaaaaa, apiKeyHash: " + otherKeyHash + "}]", "clients[0].apiKey", "INVALID"},
		"a short apiKey":             {"clients: [{id: p, apiKey: short}]", "clients[0].apiKey", "INVALID"},
		"an apiKeyHash not hex":      {"clients: [{id: p, apiKeyHash: nothex}]", "clients[0].apiKeyHash", "INVALID"},
		"a control character in key": {"clients: [{id: p, apiKey: \"aaaaaaaaaaaaaaaa\\u0000\"}]", "clients[0].apiKey", "INVALID_TEXT"},
		"two partners, one key": {"clients: [{id: p, apiKey: aaaaaaaaaaaaaaaaaaaa}, {id: q, apiKey: aaaaaaaaaaaaaaaaaaaa}]",
			"clients[1].apiKey", "DUPLICATE"},
		"a client with neither secret nor key": {"clients: [{id: p}]", "clients[0].secretHash", "INVALID"},
		"a company without alias":              {"companies: [{partner: p}]", "companies[0].alias", "REQUIRED"},
		"a company without partner":            {"companies: [{alias: a}]", "companies[0].partner", "REQUIRED"},
		"an alias with a slash":                {"companies: [{alias: a/b, partner: p}]", "companies[0].alias", "INVALID"},
		"one alias twice, in two cases":        {"companies: [{alias: Acme, partner: p}, {alias: ACME, partner: p}]", "companies[1].alias", "DUPLICATE"},
		"one id twice":                         {"companies: [{id: 7, alias: a, partner: p}, {id: 7, alias: b, partner: p}]", "companies[1].id", "DUPLICATE"},
		"an id past 2^53":                      {"companies: [{id: 9007199254740992, alias: a, partner: p}]", "companies[0].id", "OUT_OF_RANGE"},
		"a negative limit":                     {"companies: [{alias: a, partner: p, limits: {app: {users: -1}}}]", "companies[0].limits.app.users", "OUT_OF_RANGE"},
		"an over-long title":                   {"companies: [{alias: a, partner: p, title: " + long + "}]", "companies[0].title", "TOO_LONG"},
		"a user without company":               {"users: [{externalId: u}]", "users[0].company", "REQUIRED"},
		"a user without externalId":            {"users: [{company: a}]", "users[0].externalId", "REQUIRED"},
		"one externalId twice, in two cases":   {"users: [{company: a, externalId: Bob}, {company: A, externalId: BOB}]", "users[1].externalId", "DUPLICATE"},
		"an over-long e-mail":                  {"users: [{company: a, externalId: u, email: " + long + "}]", "users[0].email", "TOO_LONG"},
		"a username without password":          {"users: [{company: a, externalId: u, username: u}]", "users[0].password", "REQUIRED"},
		"a password without username":          {"users: [{company: a, externalId: u, password: long-enough-password}]", "users[0].username", "REQUIRED"},
		"a short password":                     {"users: [{company: a, externalId: u, username: u, password: short}]", "users[0].password", "INVALID"},
		"both password and its hash": {"users: [{company: a, externalId: u, username: u, password: long-enough-password, passwordHash: " + otherKeyHash + "}]",
			"users[0].password", "INVALID"},
		"a passwordHash of no known form": {"users: [{company: a, externalId: u, username: u, passwordHash: plain}]", "users[0].passwordHash", "INVALID"},
		"one username twice": {"users: [{company: a, externalId: u, username: Ann, password: long-enough-password}, {company: b, externalId: v, username: ann, password: long-enough-password}]",
			"users[1].username", "DUPLICATE"},
		"an unknown role":                  {"users: [{company: a, externalId: u, roles: [ACCOUNTADMIN, ROOT]}]", "users[0].roles[1]", "INVALID"},
		"seats without product":            {"licenses: [{company: a, seats: 1, registered: 2025-01-01, expires: 2025-12-31}]", "licenses[0].productId", "REQUIRED"},
		"negative seats":                   {"licenses: [{company: a, productId: P, seats: -1, registered: 2025-01-01, expires: 2025-12-31}]", "licenses[0].seats", "OUT_OF_RANGE"},
		"a hostile number of seats":        {"licenses: [{company: a, productId: P, seats: 100000001, registered: 2025-01-01, expires: 2025-12-31}]", "licenses[0].seats", "OUT_OF_RANGE"},
		"seats without registration":       {"licenses: [{company: a, productId: P, seats: 1, expires: 2025-12-31}]", "licenses[0].registered", "REQUIRED"},
		"seats expiring before they start": {"licenses: [{company: a, productId: P, seats: 1, registered: 2025-01-01, expires: 2024-12-31}]", "licenses[0].expires", "INVALID"},
		"two lines for one registration": {"licenses: [{company: a, productId: P, seats: 1, registered: 2025-01-01, expires: 2025-12-31}, {company: A, productId: P, seats: 2, registered: 2025-01-01, expires: 2026-12-31}]",
			"licenses[1]", "DUPLICATE"},
		"an assignment without user":  {"assignments: [{company: a, productId: P, activationDate: 2025-01-01, deactivationDate: 2025-01-31}]", "assignments[0].externalId", "REQUIRED"},
		"an assignment without dates": {"assignments: [{company: a, productId: P, externalId: u}]", "assignments[0].activationDate", "REQUIRED"},
		// Seed 004 / rule 20: deactivationDate >= activationDate - 1 day.
		"deactivation two days before activation": {"assignments: [{company: a, productId: P, externalId: u, activationDate: 2018-06-11, deactivationDate: 2018-06-09}]",
			"assignments[0].deactivationDate", "DATES_REVERSED"},
		"an assignment twice": {"assignments: [{company: a, productId: P, externalId: u, activationDate: 2025-01-01, deactivationDate: 2025-01-31}, {company: a, productId: P, externalId: U, activationDate: 2025-01-01, deactivationDate: 2025-02-28}]",
			"assignments[1]", "DUPLICATE"},
	} {
		t.Run(name, func(t *testing.T) { wantViolation(t, tc.data, tc.field, tc.code) })
	}
}

// wantViolation checks the data set data parses and Build refuses it with
// CodeInvalid, one of its violations being code at field.
func wantViolation(t *testing.T, data, field, code string) {
	t.Helper()
	ds, err := dataset.Parse([]byte(data))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	_, err = ds.Build()
	de, ok := err.(*domain.Error)
	if !ok || de.Code != domain.CodeInvalid {
		t.Fatalf("Build: %v, want CodeInvalid", err)
	}
	for _, v := range de.Violations {
		if v.Field == field && v.Code == code {
			return
		}
	}
	t.Errorf("Build: %v; want a %s violation on %s", err, code, field)
}

// The seed 004 example's cancelled assignment (deactivation the day before
// activation) is a valid assignment.
func TestBuildAcceptsACancelledAssignment(t *testing.T) {
	w := mustBuild(t, "assignments: [{company: a, productId: P, externalId: u, activationDate: 2018-06-11, deactivationDate: 2018-06-10}]")
	if a := w.Assignments[0].Assignment; !a.Cancelled() {
		t.Errorf("%+v is not cancelled", a)
	}
}

func TestParseSeatsIsStrict(t *testing.T) {
	for name, tc := range map[string]struct{ data, want string }{
		"a misspelt company field":     {"companies:\n  - {alias: a, partner: p, titel: x}\n", "[2:28] unknown field \"titel\""},
		"a user field in another case": {"users:\n  - {company: a, ExternalId: u}\n", "unknown field \"ExternalId\""},
		"seats as text":                {"licenses:\n  - {company: a, productId: P, seats: five}\n", "[2:39]"},
		"a bad date":                   {"licenses:\n  - {company: a, productId: P, seats: 1, registered: 2025-02-30}\n", "\"2025-02-30\" is not a calendar date"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := dataset.Parse([]byte(tc.data))
			if err == nil || !strings.Contains(err.Error(), tc.want) || domain.ErrorCode(err) != domain.CodeInvalid {
				t.Errorf("Parse: %v, want CodeInvalid containing %q", err, tc.want)
			}
		})
	}
}

func TestMergeKeepsSeats(t *testing.T) {
	a := &dataset.Dataset{Companies: []dataset.CompanyData{{Alias: "a"}}, Users: []dataset.UserData{{ExternalID: "1"}},
		Licenses: []dataset.LicenseData{{ProductID: "P"}}, Assignments: []dataset.AssignmentData{{ExternalID: "1"}}}
	b := &dataset.Dataset{Companies: []dataset.CompanyData{{Alias: "b"}}, Users: []dataset.UserData{{ExternalID: "2"}},
		Licenses: []dataset.LicenseData{{ProductID: "Q"}}, Assignments: []dataset.AssignmentData{{ExternalID: "2"}}}
	m := a.Merge(b)
	if len(m.Companies) != 2 || m.Companies[1].Alias != "b" || len(m.Users) != 2 || m.Users[1].ExternalID != "2" ||
		len(m.Licenses) != 2 || m.Licenses[1].ProductID != "Q" || len(m.Assignments) != 2 || m.Assignments[1].ExternalID != "2" {
		t.Errorf("Merge = %+v", m)
	}
	m.Companies[0].Alias = "changed"
	if a.Companies[0].Alias != "a" {
		t.Error("Merge shares its first argument's slices")
	}
}
