package accountmanager

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/rules/seats"
)

// wantInvalid checks that err is a *domain.Error of CodeInvalid naming field
// and saying msg (a part of its message).
func wantInvalid(t *testing.T, err error, field, msg string) {
	t.Helper()
	var de *domain.Error
	if !errors.As(err, &de) {
		t.Fatalf("error %v (%T), want a *domain.Error", err, err)
	}
	if de.Code != domain.CodeInvalid || de.Field != field || !strings.Contains(de.Error(), msg) {
		t.Errorf("got %s %q: %q; want invalid %q saying %q", de.Code, de.Field, de.Error(), field, msg)
	}
}

func TestDecodeUser(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		create     bool
		want       seats.UserInput
		field, msg string
	}{
		// Seed 000: "External ID ... is the only required field when adding a new user."
		{name: "only externalId", body: `{"externalId": "driver-0042"}`, create: true, want: seats.UserInput{ExternalID: "driver-0042"}},
		{name: "every field", create: true,
			body: `{"externalId": "TRUCK-7", "email": "ann@fleet.example", "firstName": "Ann", "lastName": "Lee", "phoneNumber": "+1 555 0100"}`,
			want: seats.UserInput{ExternalID: "TRUCK-7", Email: "ann@fleet.example", FirstName: "Ann", LastName: "Lee", PhoneNumber: "+1 555 0100"}},
		{name: "no externalId", body: `{"email": "ann@fleet.example"}`, create: true, field: "externalId", msg: "externalId is required"},
		{name: "empty externalId", body: `{"externalId": ""}`, create: true, field: "externalId", msg: "externalId is required"},
		{name: "update keeps externalId", body: `{"firstName": "Bo"}`, want: seats.UserInput{FirstName: "Bo"}},
		{name: "update empties externalId", body: `{"externalId": ""}`, field: "externalId", msg: "cannot be empty"},
		{name: "unknown field", body: `{"externalId": "a", "colour": "red"}`, create: true, field: "colour", msg: "not a field"},
		{name: "field in another case", body: `{"EXTERNALID": "a"}`, create: true, field: "EXTERNALID", msg: "write externalId"},
		{name: "repeated key", body: `{"externalId": "a", "externalId": "b"}`, create: true, field: "externalId", msg: "given twice"},
		{name: "wrong type", body: `{"externalId": 42}`, create: true, field: "externalId", msg: "must be a string"},
		{name: "bad UTF-8", body: "{\"externalId\": \"a\xffb\"}", create: true, field: "externalId", msg: "not valid UTF-8"},
		{name: "control character", body: `{"externalId": "a\u0000b"}`, create: true, field: "externalId", msg: "control character"},
		{name: "two values", body: `{"externalId": "a"} {}`, create: true, field: "", msg: "more than one JSON value"},
		{name: "not an object", body: `["a"]`, create: true, field: "", msg: "must be an object"},
		{name: "empty body", body: ``, create: true, field: "", msg: "the body is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodeUser([]byte(tc.body), tc.create)
			if tc.msg != "" {
				wantInvalid(t, err, tc.field, tc.msg)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		})
	}
}

func TestDecodeBulk(t *testing.T) {
	ids := make([]string, seats.MaxItems+1)
	for i := range ids {
		ids[i] = "u"
	}
	tooMany, _ := json.Marshal(map[string]any{"externalIds": ids})
	for _, tc := range []struct {
		name, body string
		want       []string
		field, msg string
	}{
		{name: "a list", body: `{"externalIds": ["driver-1", "DEVICE-2", "truck 3"]}`, want: []string{"driver-1", "DEVICE-2", "truck 3"}},
		{name: "missing", body: `{}`, field: "externalIds", msg: "externalIds is required"},
		{name: "null", body: `{"externalIds": null}`, field: "externalIds", msg: "externalIds is required"},
		{name: "empty", body: `{"externalIds": []}`, field: "externalIds", msg: "is empty"},
		{name: "a bare array", body: `["driver-1"]`, field: "", msg: "must be an object"},
		{name: "a number in the list", body: `{"externalIds": ["a", 2]}`, field: "externalIds[1]", msg: "must be a string"},
		{name: "bad UTF-8 in the list", body: "{\"externalIds\": [\"a\", \"\xc3\"]}", field: "externalIds[1]", msg: "not valid UTF-8"},
		{name: "more than the input bound", body: string(tooMany), field: "externalIds", msg: "at most 10000 externalIds per call; this one names 10001"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodeBulk([]byte(tc.body))
			if tc.msg != "" {
				wantInvalid(t, err, tc.field, tc.msg)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		})
	}
}

func TestDecodeSeats(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		seats      int
		expires    string
		field, msg string
	}{
		{name: "seats", body: `{"seats": 5}`, seats: 5},
		{name: "none", body: `{"seats": 0}`, seats: 0},
		{name: "with expiry", body: `{"seats": 3, "expires": "2026-04-23"}`, seats: 3, expires: "2026-04-23"},
		{name: "missing", body: `{"expires": "2026-04-23"}`, field: "seats", msg: "seats is required"},
		{name: "negative", body: `{"seats": -1}`, field: "seats", msg: "out of range (0 to 100000)"},
		{name: "hostile", body: `{"seats": 1000000000}`, field: "seats", msg: "out of range"},
		{name: "beyond int64", body: `{"seats": 99999999999999999999}`, field: "seats", msg: "must be a number"},
		{name: "fraction", body: `{"seats": 1.5}`, field: "seats", msg: "must be a number"},
		{name: "a string", body: `{"seats": "5"}`, field: "seats", msg: "must be a number"},
		{name: "bad date", body: `{"seats": 1, "expires": "23/04/2026"}`, field: "expires", msg: "YYYY-MM-DD"},
		{name: "no such day", body: `{"seats": 1, "expires": "2026-02-30"}`, field: "expires", msg: "YYYY-MM-DD"},
		{name: "out of range date", body: `{"seats": 1, "expires": "1066-10-14"}`, field: "expires", msg: "out of range"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, exp, err := decodeSeats([]byte(tc.body))
			if tc.msg != "" {
				var de *domain.Error
				if errors.As(err, &de) && len(de.Violations) == 1 {
					err = domain.Errorf(de.Code, de.Violations[0].Field, "%s", de.Violations[0].Message)
				}
				wantInvalid(t, err, tc.field, tc.msg)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if !exp.IsZero() {
				got = exp.String()
			}
			if n != tc.seats || got != tc.expires {
				t.Errorf("got %d seats to %q; want %d to %q", n, got, tc.seats, tc.expires)
			}
		})
	}
}

func TestDecodeAuthenticate(t *testing.T) {
	key, alias, err := decodeAuthenticate([]byte(`{"apiKey": "k-123", "alias": "acme-fleet"}`))
	if err != nil || key != "k-123" || alias != "acme-fleet" {
		t.Errorf("got %q %q %v", key, alias, err)
	}
	key, alias, err = decodeAuthenticate([]byte(`{"apiKey": "k-123"}`))
	if err != nil || key != "k-123" || alias != "" {
		t.Errorf("got %q %q %v", key, alias, err)
	}
	_, _, err = decodeAuthenticate([]byte(`{"alias": "acme-fleet"}`))
	wantInvalid(t, err, "apiKey", "apiKey is required")
	_, _, err = decodeAuthenticate([]byte(`{"apikey": "k"}`))
	wantInvalid(t, err, "apikey", "write apiKey")
}

func TestDecodeCompanyAndLicense(t *testing.T) {
	c, err := decodeCompany([]byte(`{"name": "Acme Fleet", "alias": "acme"}`))
	if err != nil || c != (seats.CompanyRequest{Name: "Acme Fleet", Alias: "acme"}) {
		t.Errorf("got %+v %v", c, err)
	}
	_, err = decodeCompany([]byte(`{"alias": "acme"}`))
	wantInvalid(t, err, "name", "name is required")
	id, err := decodeLicense([]byte(`{"externalId": "driver-1"}`))
	if err != nil || id != "driver-1" {
		t.Errorf("got %q %v", id, err)
	}
	_, err = decodeLicense([]byte(`{"externalIds": ["driver-1"]}`))
	wantInvalid(t, err, "externalIds", "not a field")
	_, err = decodeLicense([]byte(`{}`))
	wantInvalid(t, err, "externalId", "externalId is required")
}

func TestPage(t *testing.T) {
	for _, tc := range []struct {
		query         string
		offset, limit int
		field, msg    string
	}{
		{query: "", offset: 0, limit: DefaultPage},
		{query: "offset=20&limit=10", offset: 20, limit: 10},
		{query: "limit=1000", offset: 0, limit: 1000},
		{query: "limit=1001", field: "limit", msg: "from 1 to 1000"},
		{query: "limit=0", field: "limit", msg: "from 1 to 1000"},
		{query: "offset=-1", field: "offset", msg: "from 0"},
		{query: "offset=ten", field: "offset", msg: "from 0"},
		{query: "offset=1&offset=2", field: "offset", msg: "given 2 times"},
		{query: "page=2", field: "page", msg: "page is not a parameter"},
		{query: "limit=1;offset=2", field: "", msg: "malformed"},
	} {
		offset, limit, err := page(tc.query)
		if tc.msg != "" {
			wantInvalid(t, err, tc.field, tc.msg)
			continue
		}
		if err != nil || offset != tc.offset || limit != tc.limit {
			t.Errorf("%q: got %d %d %v", tc.query, offset, limit, err)
		}
	}
}

func TestItemError(t *testing.T) {
	for _, tc := range []struct {
		code string
		want domain.Code
	}{
		{"NO_FREE_SEAT", domain.CodeConflict},
		{"USER_NOT_FOUND", domain.CodeNotFound},
		{"REQUIRED", domain.CodeInvalid},
		{"TOO_LONG", domain.CodeInvalid},
		{"INVALID_TEXT", domain.CodeInvalid},
		{"SEAT_LIMIT", domain.CodeConflict},
	} {
		err := itemError(seats.ItemResult{ExternalID: "x", Code: tc.code, Reason: "why"})
		var de *domain.Error
		if !errors.As(err, &de) || de.Code != tc.want || de.Field != "externalId" || de.Message != "why" ||
			len(de.Violations) != 1 || de.Violations[0].Code != tc.code {
			t.Errorf("%s: got %#v, want %s", tc.code, err, tc.want)
		}
	}
}
