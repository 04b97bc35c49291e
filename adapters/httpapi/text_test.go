package httpapi

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestIsJSON(t *testing.T) {
	for ct, want := range map[string]bool{
		"application/json": true, "application/json; charset=utf-8": true, "Application/JSON; charset=UTF-8": true,
		"application/json; charset=latin1": false, "text/plain": false, "": false, "application/json;;": false,
	} {
		if got := IsJSON(ct); got != want {
			t.Errorf("IsJSON(%q) = %v, want %v", ct, got, want)
		}
	}
}

func TestQuoteOrNone(t *testing.T) {
	if got := QuoteOrNone(""); got != "(none)" {
		t.Errorf("QuoteOrNone(\"\") = %q", got)
	}
	if got := QuoteOrNone("a\"b"); got != `"a\"b"` {
		t.Errorf("QuoteOrNone(a\"b) = %q", got)
	}
}

func TestParamName(t *testing.T) {
	if got := ParamName("limit"); got != "limit" {
		t.Errorf("ParamName(limit) = %q", got)
	}
	if got := ParamName("a\xffb"); got != "a\ufffdb" {
		t.Errorf("ParamName of invalid UTF-8 = %q", got)
	}
	long := strings.Repeat("é", 40) // 80 bytes: the cut falls inside a rune
	got := ParamName(long)
	if !utf8.ValidString(got) || !strings.HasSuffix(got, "...") || len(got) > 64+3 {
		t.Errorf("ParamName(80 bytes) = %q (%d bytes)", got, len(got))
	}
}
