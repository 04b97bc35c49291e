package rulesapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/entitle-rules/entitle/domain"
)

func TestWriteErrorStatusAndEnvelope(t *testing.T) {
	for _, tc := range []struct {
		err    error
		status int
		code   string
	}{
		{domain.Errorf(domain.CodeInvalid, "files[0].source", "line 3: bad"), http.StatusBadRequest, "invalid"},
		{domain.Errorf(domain.CodeForbidden, "", "no"), http.StatusForbidden, "forbidden"},
		{domain.Errorf(domain.CodeUnauthenticated, "", "who"), http.StatusUnauthorized, "unauthenticated"},
		{domain.Errorf(domain.CodeNotFound, "id", "none"), http.StatusNotFound, "not_found"},
		{errors.New("disk on fire"), http.StatusInternalServerError, "internal"},
	} {
		w := httptest.NewRecorder()
		writeError(w, tc.err)
		var b errorBody
		if err := json.Unmarshal(w.Body.Bytes(), &b); err != nil {
			t.Fatalf("%v: body %q: %v", tc.err, w.Body, err)
		}
		if w.Code != tc.status || b.Error.Code != tc.code {
			t.Errorf("%v: got %d %q, want %d %q", tc.err, w.Code, b.Error.Code, tc.status, tc.code)
		}
		if tc.code == "internal" && b.Error.Message == tc.err.Error() {
			t.Errorf("an internal error's cause leaked to the caller: %q", b.Error.Message)
		}
	}
}
