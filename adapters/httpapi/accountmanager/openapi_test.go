package accountmanager_test

import (
	"slices"
	"testing"

	"github.com/entitle-rules/entitle/adapters/httpapi/accountmanager"
	"github.com/entitle-rules/entitle/adapters/httpapi/internal/apitest"
)

// loadSpec loads the document: an error answer must be the Error envelope
// with the status its code maps to.
func loadSpec(tb testing.TB) *apitest.Spec {
	tb.Helper()
	return apitest.LoadSpec(tb, accountmanager.OpenAPI(), apitest.SpecOptions{
		ErrorCodes: func(v any) []string {
			code, _ := v.(map[string]any)["error"].(map[string]any)["code"].(string)
			return []string{code}
		},
		StatusOf: statusOf,
	})
}

// statusOf is the document's table of error codes and statuses.
var statusOf = map[string]int{
	"invalid": 400, "unauthenticated": 401, "forbidden": 403, "not_found": 404, "method_not_allowed": 405,
	"conflict": 409, "too_large": 413, "unsupported_media_type": 415, "idempotency_key_reused": 422,
	"rate_limited": 429, "internal": 500, "unavailable": 503,
}

// TestOpenAPIDocument: the document is valid OpenAPI 3, every route the
// package registers is in it, and every documented error code has its
// status in the description a reader sees.
func TestOpenAPIDocument(t *testing.T) {
	s := loadSpec(t)
	want := []string{
		"DELETE /license/{productId}", "DELETE /license/{productId}/bulk", "DELETE /users/{externalId}",
		"GET /audit", "GET /companies", "GET /companies/{alias}", "GET /companies/{alias}/license/{productId}/preview", "GET /license/{productId}", "GET /users", "GET /users/{externalId}",
		"POST /authenticate", "POST /companies", "POST /license/{productId}", "POST /license/{productId}/bulk", "POST /users",
		"PUT /companies/{alias}/license/{productId}", "PUT /users/{externalId}",
	}
	if got := s.Operations(); !slices.Equal(got, want) {
		t.Errorf("operations %q, want %q", got, want)
	}
	enum := s.Doc.Components.Schemas["Error"].Value.Properties["error"].Value.Properties["code"].Value.Enum
	apitest.CheckCodes(t, s.Doc, enum, statusOf)
}
