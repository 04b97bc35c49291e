package apitest

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Check compares an answer with its status and want, the expected body as
// JSON text. In want, "<id>" stands for a positive whole number and
// "<any>" for any value; every other value is compared exactly.
func Check(tb testing.TB, r Reply, status int, want string) {
	tb.Helper()
	if r.Status != status {
		tb.Errorf("status %d, want %d; body %s", r.Status, status, r.Raw)
	}
	var w any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		tb.Fatalf("the expected body is not JSON: %v\n%s", err, want)
	}
	if d := cmp.Diff(w, normalize(w, r.Body)); d != "" {
		tb.Errorf("body mismatch (-want +got):\n%s\nraw: %s", d, r.Raw)
	}
}

// normalize returns got with the values want marks "<id>" or "<any>"
// replaced by the marks, when they fit.
func normalize(want, got any) any {
	switch w := want.(type) {
	case string:
		switch w {
		case "<any>":
			return w
		case "<id>":
			if n, ok := got.(float64); ok && n > 0 && n == float64(int64(n)) {
				return w
			}
		}
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return got
		}
		out := make(map[string]any, len(g))
		for k, v := range g {
			if wv, ok := w[k]; ok {
				out[k] = normalize(wv, v)
			} else {
				out[k] = v
			}
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok {
			return got
		}
		out := make([]any, len(g))
		for i, v := range g {
			if i < len(w) {
				out[i] = normalize(w[i], v)
			} else {
				out[i] = v
			}
		}
		return out
	}
	return got
}
