package httpapi

import (
	"mime"
	"strconv"
	"strings"
)

// IsJSON reports whether a Content-Type is application/json, in UTF-8 if it
// names a charset: what every API's writes must send.
func IsJSON(contentType string) bool {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "application/json" {
		return false
	}
	cs, ok := params["charset"]
	return !ok || strings.EqualFold(cs, "utf-8")
}

// QuoteOrNone quotes s for a message, or says "(none)" when it is empty.
func QuoteOrNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return strconv.Quote(s)
}

// ParamName is a name a client sent, as an error may repeat it: valid UTF-8,
// at most 64 bytes (cut at a rune boundary, "..." marking the cut).
func ParamName(s string) string {
	const most = 64
	s = strings.ToValidUTF8(s, "\ufffd")
	if len(s) > most {
		n := most
		for n > 0 && s[n]&0xC0 == 0x80 {
			n--
		}
		s = s[:n] + "..."
	}
	return s
}
