package access_test

import (
	"context"
	"testing"
	"time"

	"github.com/entitle-rules/entitle/domain"
)

// AccessTokens lists a partner's X-AccessTokens by expiry with their
// fingerprints, never the tokens, and says which have expired.
func TestAccessTokens(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2025, 4, 24, 17, 0, 0, 0, time.UTC)
	x := newBilling(t, &now)
	later, err := x.s.IssueAccessToken(ctx, gpsPartner, now.Add(48*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	sooner, err := x.s.IssueAccessToken(ctx, gpsPartner, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := x.s.IssueAccessToken(ctx, billingClient, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	now = now.Add(2 * time.Hour)
	got, err := x.s.AccessTokens(ctx, gpsPartner)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Fingerprint != domain.HashSecret(sooner)[:12] || !got[0].Expired ||
		got[1].Fingerprint != domain.HashSecret(later)[:12] || got[1].Expired || !got[1].ExpiresAt.Equal(now.Add(46*time.Hour)) {
		t.Fatalf("AccessTokens = %+v", got)
	}
	if none, err := x.s.AccessTokens(ctx, "nobody"); err != nil || len(none) != 0 {
		t.Fatalf("an unknown partner's tokens: %+v, %v", none, err)
	}
}
