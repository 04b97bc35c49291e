package accountops

import (
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/entitle-rules/entitle/domain"
)

// The seed's request bodies, verbatim.
const (
	seedBlock     = "{\n  \"blocked\": true\n}"
	seedBlockedAt = "{\n  \"blocked_at\": 1748120400\n}"
	seedPlan      = "{\n    \"tariff_plan_id\": \"52ffXXXXXXXXXXXXdc89\",\n    \"app_id\": \"b901da51-ce00-4af2-b978-8d0fca8ae1ea\"\n}"
)

// code returns err's wire code (as errorFor picks it) and its fields.
func code(t *testing.T, err error) (string, string) {
	t.Helper()
	var de *domain.Error
	if !errors.As(err, &de) || de.Code != domain.CodeInvalid {
		t.Fatalf("error %v (%T), want a *domain.Error of CodeInvalid", err, err)
	}
	c := codeFailedValidation
	var we *wireError
	if errors.As(err, &we) {
		c = we.code
	}
	if len(de.Violations) == 0 {
		return c, de.Field
	}
	var fs []string
	for _, v := range de.Violations {
		fs = append(fs, v.Field)
	}
	return c, strings.Join(fs, " ")
}

func TestDecodeBodies(t *testing.T) {
	if b, err := decodeBlocked([]byte(seedBlock)); err != nil || !b {
		t.Errorf("seed 003's block: %v %v", b, err)
	}
	if b, err := decodeBlocked([]byte(`{"blocked": false}`)); err != nil || b {
		t.Errorf("an unblock: %v %v", b, err)
	}
	if at, err := decodeBlockedAt([]byte(seedBlockedAt)); err != nil || !at.Equal(time.Date(2025, 5, 24, 21, 0, 0, 0, time.UTC)) {
		t.Errorf("seed 003's schedule: %v %v", at, err)
	}
	if p, a, err := decodePlan([]byte(seedPlan)); err != nil || p != "52ffXXXXXXXXXXXXdc89" || a != "b901da51-ce00-4af2-b978-8d0fca8ae1ea" {
		t.Errorf("seed 003's plan change: %q %q %v", p, a, err)
	}
	for _, tc := range []struct {
		name, body string
		decode     func([]byte) error
		code       string
		fields     string
	}{
		{"blocked left out", `{}`, blocked, codeFailedValidation, "blocked"},
		{"blocked null", `{"blocked": null}`, blocked, codeFailedValidation, "blocked"},
		{"blocked as text", `{"blocked": "true"}`, blocked, codeInvalidPayload, "blocked"},
		{"blocked twice", `{"blocked": true, "blocked": false}`, blocked, codeInvalidPayload, "blocked"},
		{"Blocked", `{"Blocked": true}`, blocked, codeInvalidPayload, "Blocked"},
		{"an unknown field", `{"blocked": true, "reason": "x"}`, blocked, codeInvalidPayload, "reason"},
		{"malformed", `{"blocked": tru`, blocked, codeInvalidPayload, ""},
		{"an empty body", ``, blocked, codeInvalidPayload, ""},
		{"blocked_at null", `{"blocked_at": null}`, blockedAt, codeFailedValidation, "blocked_at"},
		{"blocked_at left out", `{}`, blockedAt, codeFailedValidation, "blocked_at"},
		{"blocked_at negative", `{"blocked_at": -1}`, blockedAt, codeFailedValidation, "blocked_at"},
		{"blocked_at a fraction", `{"blocked_at": 1748120400.5}`, blockedAt, codeFailedValidation, "blocked_at"},
		{"blocked_at in milliseconds past 9999", `{"blocked_at": 1748120400000000}`, blockedAt, codeFailedValidation, "blocked_at"},
		{"blocked_at huge", `{"blocked_at": 1e400}`, blockedAt, codeFailedValidation, "blocked_at"},
		{"blocked_at as text", `{"blocked_at": "1748120400"}`, blockedAt, codeInvalidPayload, "blocked_at"},
		{"plan left out", `{}`, plan, codeFailedValidation, "tariff_plan_id app_id"},
		{"plan empty", `{"tariff_plan_id": "", "app_id": ""}`, plan, codeFailedValidation, "tariff_plan_id app_id"},
		{"plan as a number", `{"tariff_plan_id": 52, "app_id": "a"}`, plan, codeInvalidPayload, "tariff_plan_id"},
		{"plan NUL", `{"tariff_plan_id": "\u0000", "app_id": "a"}`, plan, codeInvalidPayload, "tariff_plan_id"},
	} {
		err := tc.decode([]byte(tc.body))
		if err == nil {
			t.Errorf("%s: accepted", tc.name)
			continue
		}
		c, f := code(t, err)
		if c != tc.code || f != tc.fields {
			t.Errorf("%s: %s %q, want %s %q", tc.name, c, f, tc.code, tc.fields)
		}
	}
}

func blocked(b []byte) error   { _, err := decodeBlocked(b); return err }
func blockedAt(b []byte) error { _, err := decodeBlockedAt(b); return err }
func plan(b []byte) error      { _, _, err := decodePlan(b); return err }

func TestQueries(t *testing.T) {
	yes, no := true, false
	for _, tc := range []struct {
		raw  string
		want domain.AccountQuery
	}{
		{"", domain.AccountQuery{}},
		{"is_attached=true", domain.AccountQuery{Attached: &yes}}, // the seed's example
		{"is_attached=false&activated=true&app_id=b901da51-ce00-4af2-b978-8d0fca8ae1ea",
			domain.AccountQuery{Attached: &no, Activated: &yes, AppID: "b901da51-ce00-4af2-b978-8d0fca8ae1ea"}},
	} {
		got, err := countQuery(tc.raw)
		if err != nil || !cmp.Equal(got, tc.want) {
			t.Errorf("countQuery(%q) = %+v %v, want %+v", tc.raw, got, err, tc.want)
		}
	}
	if app, err := limitsQuery("app_id=5a5ca87f-7cbe-4540-ab5d-77bf4bf69884"); err != nil || app != "5a5ca87f-7cbe-4540-ab5d-77bf4bf69884" {
		t.Errorf("the seed's limits query: %q %v", app, err)
	}
	for _, tc := range []struct{ name, raw, fields string }{
		{"an unknown filter", "is_premium=true", "is_premium"},
		{"another spelling", "attached=true", "attached"},
		{"a repeated filter", "activated=true&activated=false", "activated"},
		{"not a boolean", "activated=yes", "activated"},
		{"1 for true", "is_attached=1", "is_attached"},
		{"an empty app", "app_id=", "app_id"},
		{"malformed", "a=%zz", ""},
		{"a long name", strings.Repeat("x", 500) + "=1", strings.Repeat("x", 64) + "..."},
	} {
		_, err := countQuery(tc.raw)
		c, f := code(t, err)
		if c != codeInvalidQuery || f != tc.fields {
			t.Errorf("count %s: %s %q, want INVALID_QUERY %q", tc.name, c, f, tc.fields)
		}
	}
	for _, raw := range []string{"", "app_id=", "app=x", "app_id=a&app_id=b"} {
		if _, err := limitsQuery(raw); err == nil {
			t.Errorf("limitsQuery(%q) accepted", raw)
		} else if c, _ := code(t, err); c != codeInvalidQuery {
			t.Errorf("limitsQuery(%q): %s", raw, c)
		}
	}
}

func TestAccountID(t *testing.T) {
	for s, want := range map[string]int64{"11111": 11111, "1": 1, "9007199254740991": 1<<53 - 1} {
		if got, err := accountID(s); err != nil || got != want {
			t.Errorf("accountID(%q) = %d %v", s, got, err)
		}
	}
	for _, s := range []string{"0", "-1", "9007199254740992", "1e3", "0x10", "abc", "", " 1", "11111 "} {
		if _, err := accountID(s); err == nil {
			t.Errorf("accountID(%q) accepted", s)
		}
	}
}

// TestAccountObject: seed 003's object, with its nulls, at instants around
// a scheduled block.
func TestAccountObject(t *testing.T) {
	at := time.Unix(1748120400, 0).UTC()
	created := time.Unix(1700000000, 0).UTC()
	a := domain.Account{ID: 11111, PartnerID: "gps-partner", Title: "Forguard fleet", Activated: true, ActivatedAt: created,
		CreatedAt: created, AddedAt: created, Type: domain.AccountManaged, RegApps: []string{"b901da51-ce00-4af2-b978-8d0fca8ae1ea"},
		Plans:  map[string]string{"b901da51-ce00-4af2-b978-8d0fca8ae1ea": "52ffXXXXXXXXXXXXdc89"},
		Blocks: []domain.BlockRecord{{Blocked: true, At: at}}}
	render := func(now time.Time) string {
		b, err := json.Marshal(accountOf(a, now))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	want := `{"id":11111,"pid":"gps-partner","title":"Forguard fleet","description":"","link_app":null,` +
		`"reg_apps":["b901da51-ce00-4af2-b978-8d0fca8ae1ea"],"created_at":1700000000,"updated_at":1700000000,"ack":1700000000,` +
		`"subscriptions":{},"service_apps":[],"is_attached":false,"attached_at":null,"added_time":1700000000,"is_premium":false,` +
		`"type":10,"tariff_plans":{"b901da51-ce00-4af2-b978-8d0fca8ae1ea":"52ffXXXXXXXXXXXXdc89"},`
	if got := render(at.Add(-time.Second)); got != want+`"blocked":false,"blocked_at":1748120400}` {
		t.Errorf("before blocked_at:\n%s", got)
	}
	if got := render(at); got != want+`"blocked":true,"blocked_at":null}` {
		t.Errorf("at blocked_at:\n%s", got)
	}
	a.PartnerID, a.Type = "777", domain.AccountSelfRegistered
	if got := render(at); !strings.Contains(got, `"pid":777,`) || !strings.Contains(got, `"type":null,`) {
		t.Errorf("a numeric partner, a Ruhavik account: %s", got)
	}
	a.Premium = []domain.AppSubscription{{AppID: "5a5ca87f-7cbe-4540-ab5d-77bf4bf69884", Active: true, Type: "td-stripe",
		SubscriptionID: "td-basic.yearly", Expiry: at.Add(time.Hour)}}
	if got := render(at); !strings.Contains(got, `"is_premium":true,`) {
		t.Errorf("an active premium subscription: %s", got)
	}
	if got := render(at.Add(2 * time.Hour)); !strings.Contains(got, `"is_premium":false,`) {
		t.Errorf("an expired premium subscription: %s", got)
	}
}

// The fuzz targets: whatever the bytes, a decoder returns a value or a
// CodeInvalid *domain.Error with a UTF-8 field, never panics; what it
// accepts, encoded again, decodes to the same value.

var hostile = []string{``, ` `, `null`, `0`, `[]`, `{}`, `{`, "\xff", `{"a":1} {}`, `{"blocked_at": 1e999}`,
	`{"blocked_at": -0}`, `{"app_id": "\ud800"}`, `{"blocked": true, "blocked": true}`, `[[[[[[[]]]]]]]`}

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

func FuzzDecodeBlocked(f *testing.F) {
	corpus(f, seedBlock, `{"blocked": false}`)
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := decodeBlocked(b)
		if err != nil {
			refused(t, err)
			return
		}
		if v2, err := decodeBlocked([]byte(`{"blocked": ` + strconv.FormatBool(v) + `}`)); err != nil || v2 != v {
			t.Fatalf("round trip: %v %v, want %v", v2, err, v)
		}
	})
}

func FuzzDecodeBlockedAt(f *testing.F) {
	corpus(f, seedBlockedAt, `{"blocked_at": 0}`, `{"blocked_at": 253402300799}`)
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := decodeBlockedAt(b)
		if err != nil {
			refused(t, err)
			return
		}
		if v.Unix() < 0 || v.Unix() > MaxUnix {
			t.Fatalf("accepted %v", v)
		}
		if v2, err := decodeBlockedAt([]byte(`{"blocked_at": ` + strconv.FormatInt(v.Unix(), 10) + `}`)); err != nil || !v2.Equal(v) {
			t.Fatalf("round trip: %v %v, want %v", v2, err, v)
		}
	})
}

func FuzzDecodePlan(f *testing.F) {
	corpus(f, seedPlan)
	f.Fuzz(func(t *testing.T, b []byte) {
		p, a, err := decodePlan(b)
		if err != nil {
			refused(t, err)
			return
		}
		again, _ := json.Marshal(map[string]string{"tariff_plan_id": p, "app_id": a})
		if p2, a2, err := decodePlan(again); err != nil || p2 != p || a2 != a {
			t.Fatalf("round trip: %q %q %v, want %q %q", p2, a2, err, p, a)
		}
	})
}

func FuzzCountQuery(f *testing.F) {
	for _, q := range []string{"", "is_attached=true", "activated=false&app_id=x", "a=%zz", "is_attached=true&is_attached=true", "app_id=%00"} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := countQuery(raw)
		if err != nil {
			refused(t, err)
			return
		}
		v := make([]string, 0, 3)
		if q.Attached != nil {
			v = append(v, "is_attached="+strconv.FormatBool(*q.Attached))
		}
		if q.Activated != nil {
			v = append(v, "activated="+strconv.FormatBool(*q.Activated))
		}
		if q.AppID != "" {
			v = append(v, "app_id="+url.QueryEscape(q.AppID))
		}
		if q2, err := countQuery(strings.Join(v, "&")); err != nil || !cmp.Equal(q, q2) {
			t.Fatalf("round trip: %+v %v, want %+v", q2, err, q)
		}
	})
}
