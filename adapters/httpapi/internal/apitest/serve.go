package apitest

import (
	"crypto/rand"
	"net/http/httptest"
	"testing"

	"github.com/entitle-rules/entitle/adapters/httpapi"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules/access"
)

// Serve serves the httpapi kit over store, at clock's time and with limits
// (zero: the kit's defaults), with the API register adds to it, over
// httptest; the server is closed when tb ends. It returns the kit, its
// access service (to issue tokens) and the server.
func Serve(tb testing.TB, store ports.Store, clock ports.Clock, limits httpapi.Limits, register func(*httpapi.Server)) (*httpapi.Server, *access.Service, *httptest.Server) {
	tb.Helper()
	acc, err := access.New(access.Options{Store: store, Clock: clock, Random: rand.Reader})
	if err != nil {
		tb.Fatal(err)
	}
	api := httpapi.New(httpapi.Options{Store: store, Clock: clock, Access: acc, Limits: limits})
	register(api)
	srv := httptest.NewServer(api)
	tb.Cleanup(srv.Close)
	return api, acc, srv
}
