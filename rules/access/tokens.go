package access

import (
	"context"
	"time"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// AccessTokenInfo is what a partner is shown of one of its X-AccessTokens:
// never the token, which only its holder has.
type AccessTokenInfo struct {
	// Fingerprint is the first 12 hex digits of the token's SHA-256
	// (`printf %s TOKEN | sha256sum` shows it), to tell tokens apart.
	Fingerprint string
	ExpiresAt   time.Time
	// Expired reports whether the token no longer works (it answers
	// TOKEN_EXPIRED until the purge drops it).
	Expired bool
}

// AccessTokens lists partnerID's X-AccessTokens (seed 003), the one
// expiring first first, with whether each has expired at now. An unknown
// partner has none.
func (s *Service) AccessTokens(ctx context.Context, partnerID string) ([]AccessTokenInfo, error) {
	var toks []domain.Token
	err := s.store.View(ctx, func(tx ports.Tx) error {
		var err error
		toks, err = tx.Clients().Tokens(ctx, partnerID, domain.AccessToken)
		return err
	})
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	out := make([]AccessTokenInfo, len(toks))
	for i, t := range toks {
		fp := t.Hash
		if len(fp) > 12 {
			fp = fp[:12]
		}
		out[i] = AccessTokenInfo{Fingerprint: fp, ExpiresAt: t.ExpiresAt.UTC(), Expired: !t.ValidAt(now)}
	}
	return out, nil
}
