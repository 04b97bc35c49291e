package managedbilling

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/rules/accounts"
)

// seedAdd is seed 002's add request, verbatim.
const seedAdd = `{
"accountName": "1234567890-00001",
"serviceName": "Location",
"type": "TS-LOC-COARSE-CellID-Aggr",
"managedAccList": [
"1223334444-00001",
"2334445555-00001",
"3445556666-00001"
]
}`

func TestDecodeAdd(t *testing.T) {
	got, err := decodeAdd([]byte(seedAdd))
	if err != nil {
		t.Fatal(err)
	}
	want := accounts.AddRequest{AccountName: "1234567890-00001", ServiceName: "Location", Type: "TS-LOC-COARSE-CellID-Aggr",
		ManagedAccList: []string{"1223334444-00001", "2334445555-00001", "3445556666-00001"}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("seed 002's request (-want +got):\n%s", d)
	}
	// A malformed account name is not the decoder's to refuse: it is that
	// item's "Invalid account name".
	if _, err := decodeAdd([]byte(`{"accountName": "a", "serviceName": "Location", "type": "t", "managedAccList": ["12-3"]}`)); err != nil {
		t.Errorf("a malformed managed name: %v", err)
	}
	tooMany := `{"accountName": "a", "serviceName": "Location", "type": "t", "managedAccList": [` +
		strings.TrimSuffix(strings.Repeat(`"1223334444-00001",`, accounts.MaxManaged+1), ",") + `]}`
	for _, tc := range []struct{ name, body, fields string }{
		{"everything missing", `{}`, "accountName serviceName type managedAccList"},
		{"empty values", `{"accountName": "", "serviceName": "", "type": "", "managedAccList": []}`, "accountName serviceName type managedAccList"},
		{"a null list", `{"accountName": "a", "serviceName": "Location", "type": "t", "managedAccList": null}`, "managedAccList"},
		{"too many", tooMany, "managedAccList"},
		{"an unknown field", `{"accountName": "a", "primary": true}`, "primary"},
		{"another case", `{"AccountName": "a"}`, "AccountName"},
		{"a number in the list", `{"accountName": "a", "serviceName": "Location", "type": "t", "managedAccList": [1]}`, "managedAccList[0]"},
		{"a repeated key", `{"type": "a", "type": "b"}`, "type"},
	} {
		_, err := decodeAdd([]byte(tc.body))
		if got := fields(t, err); got != tc.fields {
			t.Errorf("%s: fields %q, want %q (%v)", tc.name, got, tc.fields, err)
		}
	}
}

func TestDecodeLink(t *testing.T) {
	want := accounts.LinkRequest{AccountName: "1223334444-00001", PAccountName: "1234567890-00001", ServiceName: "Location",
		Type: "TS-LOC-COARSE-CellID-Aggr", TxID: "2c90bd28-ece4-42ef-9f02-7e3bd4fbff33"}
	for _, spelling := range []string{"TxId", "txid"} {
		got, err := decodeLink([]byte(`{"accountName": "1223334444-00001", "paccountName": "1234567890-00001", "serviceName": "Location",
		  "type": "TS-LOC-COARSE-CellID-Aggr", "` + spelling + `": "2c90bd28-ece4-42ef-9f02-7e3bd4fbff33"}`))
		if err != nil {
			t.Fatalf("%s: %v", spelling, err)
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("%s (-want +got):\n%s", spelling, d)
		}
	}
	for _, tc := range []struct{ name, body, fields string }{
		{"nothing", `{}`, "accountName paccountName serviceName type txid"},
		{"both spellings", `{"TxId": "a", "txid": "a"}`, "txid"},
		{"a third spelling", `{"TXID": "a"}`, "TXID"},
		{"another case", `{"PaccountName": "a"}`, "PaccountName"},
		{"an unknown field", `{"status": "a"}`, "status"},
		{"a number", `{"txid": 7}`, "txid"},
		{"null", `{"txid": null}`, "txid"},
		{"not an object", `[]`, ""},
		{"null body", `null`, ""},
		{"a control character", `{"txid": "a\u0001"}`, "txid"},
		{"twice", `{"txid": "a", "txid": "b"}`, "txid"},
	} {
		_, err := decodeLink([]byte(tc.body))
		if got := fields(t, err); got != tc.fields {
			t.Errorf("%s: fields %q, want %q (%v)", tc.name, got, tc.fields, err)
		}
	}
}

func TestDecodeLogin(t *testing.T) {
	u, p, err := decodeLogin([]byte(`{"username": "primary@example.com", "password": "example-password-change-me"}`))
	if err != nil || u != "primary@example.com" || p != "example-password-change-me" {
		t.Errorf("decodeLogin: %q %q %v", u, p, err)
	}
	for _, tc := range []struct{ name, body, fields string }{
		{"nothing", `{}`, "username password"},
		{"empty", `{"username": "", "password": ""}`, "username password"},
		{"another case", `{"userName": "a", "password": "b"}`, "userName"},
		{"a number", `{"username": "a", "password": 1}`, "password"},
	} {
		_, _, err := decodeLogin([]byte(tc.body))
		if got := fields(t, err); got != tc.fields {
			t.Errorf("%s: fields %q, want %q (%v)", tc.name, got, tc.fields, err)
		}
	}
}

// TestMessage: errorMessage names every field at fault once.
func TestMessage(t *testing.T) {
	_, err := decodeAdd([]byte(`{"serviceName": "Location", "type": "t", "managedAccList": ["x"]}`))
	if got, want := message(err), "accountName is required: the primary account's name, such as 1234567890-00001"; got != want {
		t.Errorf("message %q, want %q", got, want)
	}
	err = domain.Errorf(domain.CodeInvalid, "type", "the primary account did not buy SKU X")
	if got, want := message(err), "type: the primary account did not buy SKU X"; got != want {
		t.Errorf("message %q, want %q", got, want)
	}
}

// fields returns the fields err names, space-separated: its violations'
// or its own; it fails the test unless err is a CodeInvalid *domain.Error.
func fields(t *testing.T, err error) string {
	t.Helper()
	var de *domain.Error
	if !errors.As(err, &de) || de.Code != domain.CodeInvalid {
		t.Fatalf("error %v (%T), want a *domain.Error of CodeInvalid", err, err)
	}
	if len(de.Violations) == 0 {
		return de.Field
	}
	var out []string
	for _, v := range de.Violations {
		out = append(out, v.Field)
	}
	return strings.Join(out, " ")
}

// The fuzz targets: whatever the bytes, a decoder returns a value or a
// CodeInvalid *domain.Error naming a UTF-8 field, never panics; what it
// accepts, encoded again as a client would send it, decodes to the same.

var hostile = []string{``, ` `, `null`, `0`, `""`, `[]`, `{}`, `{`, "\xff", `{"a":1} {}`, `{"txid": "\ud800"}`,
	`{"TxId": "a", "txid": "b"}`, `{"managedAccList": [null]}`, `{"username": "\u0000"}`, `[[[[[[[[]]]]]]]]`}

func corpus(f *testing.F, bodies ...string) {
	for _, b := range append(bodies, hostile...) {
		f.Add([]byte(b))
	}
}

func refused(t *testing.T, err error) {
	t.Helper()
	var de *domain.Error
	if !errors.As(err, &de) || de.Code != domain.CodeInvalid || !utf8.ValidString(de.Field) {
		t.Fatalf("error %v (%T), want a *domain.Error of CodeInvalid with a UTF-8 field", err, err)
	}
}

func FuzzDecodeAdd(f *testing.F) {
	corpus(f, seedAdd)
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeAdd(b)
		if err != nil {
			refused(t, err)
			return
		}
		again, _ := json.Marshal(map[string]any{"accountName": r.AccountName, "serviceName": r.ServiceName, "type": r.Type, "managedAccList": r.ManagedAccList})
		r2, err := decodeAdd(again)
		if err != nil || !cmp.Equal(r, r2) {
			t.Fatalf("round trip: %+v %v, want %+v", r2, err, r)
		}
	})
}

func FuzzDecodeLink(f *testing.F) {
	corpus(f, `{"accountName": "1223334444-00001", "paccountName": "1234567890-00001", "serviceName": "Location", "type": "T", "TxId": "x"}`,
		`{"accountName": "1", "paccountName": "2", "serviceName": "Location", "type": "T", "txid": "x"}`)
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeLink(b)
		if err != nil {
			refused(t, err)
			return
		}
		again, _ := json.Marshal(map[string]string{"accountName": r.AccountName, "paccountName": r.PAccountName,
			"serviceName": r.ServiceName, "type": r.Type, "txid": r.TxID})
		r2, err := decodeLink(again)
		if err != nil || r != r2 {
			t.Fatalf("round trip: %+v %v, want %+v", r2, err, r)
		}
	})
}

func FuzzDecodeLogin(f *testing.F) {
	corpus(f, `{"username": "primary@example.com", "password": "example-password-change-me"}`)
	f.Fuzz(func(t *testing.T, b []byte) {
		u, p, err := decodeLogin(b)
		if err != nil {
			refused(t, err)
			return
		}
		again, _ := json.Marshal(map[string]string{"username": u, "password": p})
		u2, p2, err := decodeLogin(again)
		if err != nil || u2 != u || p2 != p {
			t.Fatalf("round trip: %q %q %v, want %q %q", u2, p2, err, u, p)
		}
	})
}
