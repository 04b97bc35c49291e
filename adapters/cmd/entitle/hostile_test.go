package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/entitle-rules/entitle/adapters/httpapi"
	"github.com/entitle-rules/entitle/adapters/internal/pgtest"
	"github.com/entitle-rules/entitle/adapters/memory"
	"github.com/entitle-rules/entitle/adapters/postgres"
	"github.com/entitle-rules/entitle/adapters/sqlite"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules"
	"github.com/entitle-rules/entitle/rulesets"
)

// everyStore returns the stores a test runs against: memory, SQLite, and
// PostgreSQL when ENTITLE_POSTGRES_DSN is set (in a schema of its own,
// dropped afterwards; a DSN that cannot be reached fails the test).
func everyStore(t testing.TB) map[string]ports.Store {
	t.Helper()
	stores := map[string]ports.Store{"memory": memory.New()}
	lite, err := sqlite.Open(filepath.Join(t.TempDir(), "e.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	stores["sqlite"] = lite
	if dsn := os.Getenv("ENTITLE_POSTGRES_DSN"); dsn != "" {
		pg, err := postgres.Open(context.Background(), dsn, postgres.Options{Schema: pgtest.Schema(t, dsn)})
		if err != nil {
			t.Fatalf("ENTITLE_POSTGRES_DSN is set but PostgreSQL cannot be used: %v", err)
		}
		stores["postgres"] = pg
	}
	for _, s := range stores {
		t.Cleanup(func() { _ = s.Close() })
	}
	return stores
}

// Regression (issue 8): PostgreSQL answered 500 for a NUL byte in any
// string and for line numbers over 2^31-1 while SQLite stored them, and a
// 900 KB PO, a start in year 1, SERIALNUMBER and duplicate keys were
// accepted. Every store now gets the same 400 naming the field, and nothing
// is written.
func TestHostileInputIsRefusedAlikeOnEveryStore(t *testing.T) {
	set, err := language().Load(rulesets.FS)
	if err != nil {
		t.Fatal(err)
	}
	order := func(header, line string) string {
		return `{"ProcName": "TAP_CREATE_ORDER_API", "ProcRequester": "TAP", "request": {
			"customerPONumber": "PO-HOSTILE", "currencyCode": "USD", "billToSiteUseId": 531807, "shipToSiteUseId": 1912956,
			"billToContactEmail": "test123@gmail.com", "shipToContactEmail": "test456@gmail.com"` + header + `,
			"lines": [{"lineNumber": 1, "serviceStartDate": "2025-04-24", "partNumber": "132001-10", "serialNumber": "5550000001",
				"serviceType": "RTX", "manufacturerModel": "R12", "autoRenewal": "Y", "activationType": "IMMEDIATE"` + line + `}]}}`
	}
	get := func(proc, req string) string {
		return `{"ProcName": "` + proc + `", "ProcRequester": "TAP", "request": ` + req + `}`
	}
	cases := []struct {
		name, method, body string
		field              string // the field the answer names
	}{
		{"a NUL byte in the PO", "POST", order(`, "customerPONumber": "PO\u0000"`, ""), "customerPONumber"},
		{"a NUL byte in a part", "POST", order("", `, "partNumber": "132001\u000010"`), "lines[0].partNumber"},
		{"a NUL byte in a model", "POST", order("", `, "manufacturerModel": "R\u000012"`), "lines[0].manufacturerModel"},
		{"a NUL byte in a promo code", "POST", order(`, "promoCode": "SAVE\u000010"`, ""), "promoCode"},
		{"a line number over 2^31-1", "POST", order("", `, "lineNumber": 2147483648`), "lines[0].lineNumber"},
		{"a 900 KB PO", "POST", order(`, "customerPONumber": "`+strings.Repeat("x", 900<<10)+`"`, ""), "customerPONumber"},
		{"a start in year 1", "POST", order("", `, "serviceStartDate": "0001-01-01"`), "lines[0].serviceStartDate"},
		{"SERIALNUMBER", "POST", order("", `, "SERIALNUMBER": "5550000002"`), "SERIALNUMBER"},
		{"a key given twice", "POST", order("", `, "serialNumber": "5550000002"`), "serialNumber"},
		{"a NUL byte in GET_ORDER's poNumber", "GET", get("TAP_GET_ORDER_API", `{"poNumber": "PO\u0000"}`), "poNumber"},
		{"a NUL byte in GET_ORDER's serialNumber", "GET", get("TAP_GET_ORDER_API", `{"serialNumber": "5550000001\u0000"}`), "serialNumber"},
		{"a NUL byte in activation status", "GET", get("TAP_GET_ACTIVATION_STATUS_API", `{"serialNumber": "x\u0000"}`), "serialNumber"},
		{"a NUL byte in products", "GET", get("TAP_GET_PRODUCTS_API", `{"resellerbillToSiteUseId": 531807, "serviceType": "RTX", "model": "R\u000012"}`), "model"},
		{"a NUL byte in a resend", "POST", get("TAP_RESEND_ACTIVATION_API", `{"serialNumber": "5550000001\u0000"}`), "serialNumber"},
	}
	for name, store := range everyStore(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			if _, err := loadData(ctx, store, exampleData); err != nil {
				t.Fatal(err)
			}
			now := time.Date(2025, 4, 24, 17, 0, 0, 0, time.UTC)
			api, _, _, err := newAPI(store, rules.NewLive(set), ports.ClockFunc(func() time.Time { return now }), 0, httpapi.Limits{}, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(api)
			defer srv.Close()
			tok := token(t, srv.URL, "tap-client", "example-secret-change-me")
			for _, tc := range cases {
				status, body := send(t, srv.URL, tc.method, tok, tc.body)
				if status != http.StatusBadRequest || !strings.Contains(body, tc.field) {
					t.Errorf("%s: %d %.300s; want 400 naming %s", tc.name, status, body, tc.field)
				}
			}
			// A NUL byte in the client id of a token request is refused,
			// not a 500.
			resp, err := http.PostForm(srv.URL+"/oauth/token", url.Values{"grant_type": {"client_credentials"},
				"client_id": {"tap\x00client"}, "client_secret": {"example-secret-change-me"}})
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode >= 500 || resp.StatusCode == http.StatusOK {
				t.Errorf("a NUL byte in client_id: %d, want a 4xx", resp.StatusCode)
			}
			// Nothing was written: the client has only the example's past
			// order.
			err = store.View(ctx, func(tx ports.Tx) error {
				found, err := tx.Orders().Find(ctx, domain.OrderQuery{ClientID: "tap-client"})
				if len(found) != 1 || found[0].UniqueID != 9917 {
					t.Errorf("%d orders were written", len(found)-1)
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

func token(t *testing.T, base, id, secret string) string {
	t.Helper()
	resp, err := http.PostForm(base+"/oauth/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("no token: %d %v", resp.StatusCode, err)
	}
	return tok.AccessToken
}

// send sends a store API envelope, as a query for GET and a body for POST.
func send(t *testing.T, base, method, tok, envelope string) (int, string) {
	t.Helper()
	u, body := base+"/cloud/tapstoreapis/v1", io.Reader(nil)
	if method == http.MethodGet {
		u += "?request=" + url.QueryEscape(envelope)
	} else {
		body = strings.NewReader(envelope)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, fmt.Sprintf("%s", b)
}

// FuzzRequestOnEveryStore sends any bytes as a store API request, as a
// POST body and as a GET query, to servers over memory, SQLite and (when
// ENTITLE_POSTGRES_DSN is set) PostgreSQL: no answer is a 5xx, and every
// store gives the same status.
func FuzzRequestOnEveryStore(f *testing.F) {
	f.Add([]byte(`{"ProcName": "TAP_CREATE_ORDER_API", "ProcRequester": "TAP", "request": {"customerPONumber": "PO\u0000", "lines": [{"lineNumber": 2147483648}]}}`))
	f.Add([]byte(`{"ProcName": "TAP_GET_ORDER_API", "ProcRequester": "TAP", "request": {"poNumber": "\udc00"}}`))
	f.Add([]byte(`{"ProcName": "TAP_RESEND_ACTIVATION_API", "ProcRequester": "TAP", "request": {"serialNumber": "TESTApi01", "SerialNumber": "x"}}`))
	f.Add([]byte(`{"ProcName": "TAP_GET_PRODUCTS_API", "ProcRequester": "TAP", "request": {"resellerbillToSiteUseId": 9007199254740993, "serviceType": "RTX", "model": "R12"}}`))
	set, err := language().Load(rulesets.FS)
	if err != nil {
		f.Fatal(err)
	}
	type server struct {
		name, url, tok string
	}
	var servers []server
	stores := everyStore(f)
	for _, name := range slices.Sorted(maps.Keys(stores)) {
		store := stores[name]
		if _, err := loadData(context.Background(), store, exampleData); err != nil {
			f.Fatal(err)
		}
		now := time.Date(2025, 4, 24, 17, 0, 0, 0, time.UTC)
		api, _, _, err := newAPI(store, rules.NewLive(set), ports.ClockFunc(func() time.Time { return now }), 0, httpapi.Limits{PerClient: rate.Inf}, slog.New(slog.DiscardHandler))
		if err != nil {
			f.Fatal(err)
		}
		srv := httptest.NewServer(api)
		f.Cleanup(srv.Close)
		servers = append(servers, server{name, srv.URL, ""})
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, method := range []string{http.MethodPost, http.MethodGet} {
			var first int
			for i := range servers {
				s := &servers[i]
				if s.tok == "" {
					s.tok = token(t, s.url, "tap-client", "example-secret-change-me")
				}
				status, answer := send(t, s.url, method, s.tok, string(body))
				if status >= 500 {
					t.Fatalf("%s %s: %d %.300s", s.name, method, status, answer)
				}
				if i == 0 {
					first = status
				} else if status != first {
					t.Fatalf("%s answers %d where %s answered %d: %.300s", s.name, status, servers[0].name, first, answer)
				}
			}
		}
	})
}
