package domain_test

import (
	"testing"

	"github.com/entitle-rules/entitle/domain"
)

func TestPrincipalReachesOnlyItsSubtree(t *testing.T) {
	partner := domain.PartnerPrincipal("p1", domain.ClientCredentials)
	account := domain.Principal{Partner: "p1", Account: "a1", Roles: []domain.Role{domain.UserAdmin}, Credential: domain.BasicUser}
	for _, tc := range []struct {
		name             string
		p                domain.Principal
		partner, account string
		want             bool
	}{
		{"a partner reaches its accounts", partner, "p1", "a1", true},
		{"a partner reaches another of its accounts", partner, "p1", "a2", true},
		{"a partner does not reach another partner's account", partner, "p2", "a1", false},
		{"an account reaches itself", account, "p1", "a1", true},
		{"an account does not reach a sibling", account, "p1", "a2", false},
		{"an account id under another partner is another account", account, "p2", "a1", false},
		{"nobody reaches nothing", domain.Principal{}, "", "", false},
	} {
		if got := tc.p.ReachesAccount(tc.partner, tc.account); got != tc.want {
			t.Errorf("%s: ReachesAccount = %v, want %v", tc.name, got, tc.want)
		}
	}
	if !account.HasRole(domain.AccountAdmin, domain.UserAdmin) || partner.HasRole(domain.UserAdmin) {
		t.Error("HasRole is wrong")
	}
	if partner.Credential.String() != "client_credentials" || domain.CredentialKind(99).String() != "unknown" {
		t.Error("CredentialKind.String is wrong")
	}
	if (domain.Principal{}).Authenticated() || !partner.Authenticated() {
		t.Error("Authenticated is wrong")
	}
}
