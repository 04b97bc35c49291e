package httpapi_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/entitle-rules/entitle/adapters/httpapi"
)

// TestRoutesListsWhatWasRegistered: Routes lists the patterns given to
// Handle, in order, and a copy: changing it changes nothing served.
func TestRoutesListsWhatWasRegistered(t *testing.T) {
	s := httpapi.New(httpapi.Options{})
	for _, p := range []string{"GET /a", "/a", "POST /b/{id}"} {
		s.Handle(p, http.NotFoundHandler())
	}
	got := s.Routes()
	if want := []string{"GET /a", "/a", "POST /b/{id}"}; !slices.Equal(got, want) {
		t.Errorf("Routes() = %q, want %q", got, want)
	}
	got[0] = "changed"
	if s.Routes()[0] != "GET /a" {
		t.Error("Routes returned the server's own slice")
	}
}
