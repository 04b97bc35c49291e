package domain

import (
	"net/mail"
	"strings"
)

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
func SerialKey(serial string) string {
	for i := 0; i < len(serial); i++ {
		if c := serial[i]; c >= 'a' && c <= 'z' || c >= 0x80 {
			return strings.ToUpper(serial)
		}
	}
	return serial
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

// ValidEmail reports whether s is a bare e-mail address (local@domain, with a
// dot in the domain and no display name).
func ValidEmail(s string) bool {
	if s == "" || len(s) > 254 || strings.ContainsAny(s, " <>\"") {
		return false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	dom := s[at+1:]
	return at > 0 && strings.Contains(dom, ".") && !strings.HasPrefix(dom, ".") && !strings.HasSuffix(dom, ".")
}
