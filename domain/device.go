package domain

import "strings"

// Device is a receiver identified by its serial number.
type Device struct {
	// Serial is stored as first entered; VRS serials match case-insensitively.
	Serial       string
	ServiceType  ServiceType
	Manufacturer string
	Model        string
	// SSOEmails are the SSO e-mail addresses seen for this device, oldest first.
	SSOEmails []string
}

// SerialKey returns the key serials are matched by: the serial in upper case.
// Seed 001: "We will convert "TestAPI01" received from request payload to upper
// case and compare it with serialNumber in the store - "TESTApi01" (which will
// also be converted to upper case)".
//
// Surrounding white space is not part of a serial: "ZZ1 " is the device ZZ1,
// so a stray space can never make a known device look new (and earn it a
// second trial).
func SerialKey(serial string) string {
	for i := 0; i < len(serial); i++ {
		if c := serial[i]; c >= 'a' && c <= 'z' || c >= 0x80 || c <= ' ' {
			return strings.ToUpper(strings.TrimSpace(serial))
		}
	}
	return serial
}

// ValidSerial reports whether s is a well-formed serial number: 1 to 64
// letters, digits, '.', '_', '/' or '-', nothing else.
func ValidSerial(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '/' || c == '-') {
			return false
		}
	}
	return true
}

// SameSerial reports whether a and b name the same device: they differ at most
// in letter case.
func SameSerial(a, b string) bool { return SerialKey(a) == SerialKey(b) }

// LatestValidSSOEmail returns the newest of the device's SSO e-mails that is a
// valid address, or "".
func (d *Device) LatestValidSSOEmail() string {
	for i := len(d.SSOEmails) - 1; i >= 0; i-- {
		if ValidEmail(d.SSOEmails[i]) {
			return d.SSOEmails[i]
		}
	}
	return ""
}

// ValidEmail reports whether s is a bare e-mail address: a local part of
// RFC 5322 atext characters and single dots, '@', and a domain of two or more
// dot-separated labels of letters, digits and inner hyphens. It allocates
// nothing: it runs on every VRS line.
func ValidEmail(s string) bool {
	at := strings.LastIndexByte(s, '@')
	if at < 1 || at > 64 || len(s) > 254 {
		return false
	}
	local, dom := s[:at], s[at+1:]
	prev := byte('.')
	for i := 0; i < len(local); i++ {
		c := local[i]
		if c == '.' {
			if prev == '.' {
				return false
			}
		} else if !isAtext(c) {
			return false
		}
		prev = c
	}
	if prev == '.' {
		return false
	}
	labels, n := 0, 0
	for i := 0; i <= len(dom); i++ {
		if i == len(dom) || dom[i] == '.' {
			if n == 0 || n > 63 || dom[i-1] == '-' || dom[i-n] == '-' {
				return false
			}
			labels, n = labels+1, 0
			continue
		}
		c := dom[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
		n++
	}
	return labels >= 2
}

// isAtext reports whether c may appear in an unquoted local part (RFC 5322).
func isAtext(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}
