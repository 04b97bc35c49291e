package managedbilling

import (
	"mime"
	"strconv"
	"strings"
)

// isJSON reports whether a Content-Type is application/json, in UTF-8 if it
// names a charset.
func isJSON(contentType string) bool {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "application/json" {
		return false
	}
	cs, ok := params["charset"]
	return !ok || strings.EqualFold(cs, "utf-8")
}

func quoteOrNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return strconv.Quote(s)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// paramName is a name a client sent as an error may repeat it: valid UTF-8,
// at most 64 bytes.
func paramName(s string) string {
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
