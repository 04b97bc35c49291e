package accountmanager

import (
	"encoding/json"
	"errors"
	"testing"
	"unicode/utf8"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/rules/seats"
)

// One Go fuzz target per request decoder. Whatever the bytes, a decoder
// returns a value or a *domain.Error of CodeInvalid (never panics, never
// another error); what it accepts, encoded again the way a client would
// send it, decodes to the same value.

var hostileBodies = []string{
	``, ` `, `null`, `0`, `""`, `[]`, `{}`, `{`, `}`, `[[[[[[[[[[]]]]]]]]]]`, "\xff\xfe", `{"a":1} {}`,
	`{"externalId": "\u0000"}`, `{"externalId": "\ud800"}`, `{"externalId": "a", "externalId": "a"}`,
	`{"EXTERNALID": "a"}`, `{"externalIds": [1, 2]}`, `{"seats": 1e400}`, `{"seats": -0}`, `{"apiKey": null}`,
}

func seedCorpus(f *testing.F, bodies ...string) {
	for _, b := range append(bodies, hostileBodies...) {
		f.Add([]byte(b))
	}
}

func checkDecodeError(t *testing.T, err error) {
	t.Helper()
	var de *domain.Error
	if !errors.As(err, &de) || de.Code != domain.CodeInvalid {
		t.Fatalf("error %v (%T), want a *domain.Error of CodeInvalid", err, err)
	}
	if !utf8.ValidString(de.Field) {
		t.Errorf("the field path %q is not UTF-8", de.Field)
	}
}

func reencode(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func FuzzDecodeAuthenticate(f *testing.F) {
	seedCorpus(f, `{"apiKey": "example-api-key-change-me"}`, `{"apiKey": "k", "alias": "acme-fleet"}`, `{"apiKey": ""}`)
	f.Fuzz(func(t *testing.T, body []byte) {
		key, alias, err := decodeAuthenticate(body)
		if err != nil {
			checkDecodeError(t, err)
			return
		}
		k2, a2, err := decodeAuthenticate(reencode(t, map[string]string{"apiKey": key, "alias": alias}))
		if err != nil || k2 != key || a2 != alias {
			t.Fatalf("round trip: %q %q %v, want %q %q", k2, a2, err, key, alias)
		}
	})
}

func FuzzDecodeCompany(f *testing.F) {
	seedCorpus(f, `{"name": "Acme Fleet"}`, `{"name": "Acme Fleet", "alias": "acme"}`, `{"name": ""}`)
	f.Fuzz(func(t *testing.T, body []byte) {
		c, err := decodeCompany(body)
		if err != nil {
			checkDecodeError(t, err)
			return
		}
		c2, err := decodeCompany(reencode(t, map[string]string{"name": c.Name, "alias": c.Alias}))
		if err != nil || c2 != c {
			t.Fatalf("round trip: %+v %v, want %+v", c2, err, c)
		}
	})
}

func FuzzDecodeSeats(f *testing.F) {
	seedCorpus(f, `{"seats": 5}`, `{"seats": 0, "expires": "2026-04-23"}`, `{"seats": 100001}`, `{"seats": 1, "expires": "0000-00-00"}`)
	f.Fuzz(func(t *testing.T, body []byte) {
		n, exp, err := decodeSeats(body)
		if err != nil {
			checkDecodeError(t, err)
			return
		}
		if n < 0 || n > seats.MaxSeats {
			t.Fatalf("accepted %d seats", n)
		}
		req := map[string]any{"seats": n}
		if !exp.IsZero() {
			req["expires"] = exp.String()
		}
		n2, exp2, err := decodeSeats(reencode(t, req))
		if err != nil || n2 != n || exp2 != exp {
			t.Fatalf("round trip: %d %s %v, want %d %s", n2, exp2, err, n, exp)
		}
	})
}

func FuzzDecodeUser(f *testing.F) {
	seedCorpus(f, `{"externalId": "driver-0042"}`,
		`{"externalId": "TRUCK-7", "email": "ann@fleet.example", "firstName": "Ann", "lastName": "Lee", "phoneNumber": "+1 555 0100"}`)
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, create := range []bool{true, false} {
			in, err := decodeUser(body, create)
			if err != nil {
				checkDecodeError(t, err)
				continue
			}
			if create && in.ExternalID == "" {
				t.Fatal("a user created without an externalId")
			}
			req := map[string]string{"email": in.Email, "firstName": in.FirstName, "lastName": in.LastName, "phoneNumber": in.PhoneNumber}
			if in.ExternalID != "" {
				req["externalId"] = in.ExternalID
			}
			in2, err := decodeUser(reencode(t, req), create)
			if err != nil || in2 != in {
				t.Fatalf("round trip: %+v %v, want %+v", in2, err, in)
			}
		}
	})
}

func FuzzDecodeLicense(f *testing.F) {
	seedCorpus(f, `{"externalId": "driver-1"}`)
	f.Fuzz(func(t *testing.T, body []byte) {
		id, err := decodeLicense(body)
		if err != nil {
			checkDecodeError(t, err)
			return
		}
		id2, err := decodeLicense(reencode(t, map[string]string{"externalId": id}))
		if err != nil || id2 != id || id == "" {
			t.Fatalf("round trip: %q %v, want %q", id2, err, id)
		}
	})
}

func FuzzDecodeBulk(f *testing.F) {
	seedCorpus(f, `{"externalIds": ["driver-1", "DEVICE-2"]}`, `{"externalIds": ["a", "a", "A"]}`, `{"externalIds": [""]}`)
	f.Fuzz(func(t *testing.T, body []byte) {
		ids, err := decodeBulk(body)
		if err != nil {
			checkDecodeError(t, err)
			return
		}
		if len(ids) == 0 || len(ids) > seats.MaxItems {
			t.Fatalf("accepted %d ids", len(ids))
		}
		ids2, err := decodeBulk(reencode(t, map[string][]string{"externalIds": ids}))
		if err != nil || len(ids2) != len(ids) {
			t.Fatalf("round trip: %q %v, want %q", ids2, err, ids)
		}
		for i := range ids {
			if ids2[i] != ids[i] {
				t.Fatalf("round trip: %q, want %q", ids2, ids)
			}
		}
	})
}

func FuzzPage(f *testing.F) {
	for _, q := range []string{"", "offset=20&limit=10", "limit=1001", "offset=-1", "offset=1&offset=2", "page=2", "%zz", "limit=1;x=2", "offset=%00"} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		offset, limit, err := page(raw)
		if err != nil {
			checkDecodeError(t, err)
			return
		}
		if offset < 0 || limit < 1 || limit > MaxPage {
			t.Fatalf("accepted offset %d limit %d", offset, limit)
		}
	})
}
