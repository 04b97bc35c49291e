package accountops

import (
	"errors"

	"github.com/entitle-rules/entitle/rules/access"
)

// tokenExpired reports whether err refuses a known X-AccessToken past its
// expiry (TOKEN_EXPIRED, 401) rather than one that is missing or unknown
// (INVALID_TOKEN, 403).
func tokenExpired(err error) bool { return errors.Is(err, access.ErrTokenExpired) }
