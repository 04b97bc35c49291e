package domain

// Tenancy is one hierarchy for the five APIs: Partner -> Account -> Users.
//
//   - store API (seed 001): a TAP client is a partner; its resellers are its
//     accounts and their end customers are accounts below them
//     (Customer.ClientID is the partner, Customer.ParentID the parent account);
//   - Account Manager (seed 000): a partner and its companies (accounts);
//   - License Assignments v2 (seed 004): an account's users with roles;
//   - managed billing (seed 002): a primary account and its managed accounts;
//   - account operations (seed 003): a GPS-Trace partner and its accounts.
//
// Every request is made by one Principal, whatever the credential; use cases
// take the Principal and never see a credential.

// CredentialKind says how a principal proved who it is.
type CredentialKind uint8

// The credential kinds of the five APIs.
const (
	// ClientCredentials is an OAuth client_credentials bearer token (seed 001).
	ClientCredentials CredentialKind = iota + 1
	// APIKey is an Account Manager apiKey, alone (partner scope) or with an
	// account alias (account scope), exchanged for an authToken (seed 000).
	APIKey
	// BasicUser is an account user's HTTP Basic login (seed 004).
	BasicUser
	// Session is a username/password login's session token (seed 002).
	Session
	// AccessToken is a partner-issued X-AccessToken (seed 003).
	AccessToken
	// BillingBearer is the managed-billing API's OAuth client_credentials
	// bearer token (seed 002, POST /api/ts/v1/oauth2/token); its requests
	// also carry a Session. Kinds are stored by number: new ones go last.
	BillingBearer
)

var credentialNames = [...]string{"", "client_credentials", "api_key", "basic_user", "session", "access_token", "billing_bearer"}

// String returns the kind's name, as logs and the decision log write it.
func (k CredentialKind) String() string {
	if int(k) < len(credentialNames) {
		return credentialNames[k]
	}
	return "unknown"
}

// Principal is who makes a request: a partner, or an account (and user) under
// a partner, with roles, and the kind of credential it showed.
type Principal struct {
	// Partner is the partner at the top of the principal's subtree (a TAP
	// client id, an Account Manager partner, a GPS-Trace partner).
	Partner string
	// Account is the account the principal acts for; "" means the whole
	// partner.
	Account string
	// User is the account user, when a user logged in.
	User       string
	Roles      []Role
	Credential CredentialKind
}

// PartnerPrincipal returns the principal of a partner-wide credential.
func PartnerPrincipal(partner string, kind CredentialKind) Principal {
	return Principal{Partner: partner, Credential: kind}
}

// Authenticated reports whether p names someone.
func (p Principal) Authenticated() bool { return p.Partner != "" || p.Account != "" }

// HasRole reports whether p holds one of roles.
func (p Principal) HasRole(roles ...Role) bool {
	for _, have := range p.Roles {
		for _, want := range roles {
			if have == want {
				return true
			}
		}
	}
	return false
}

// ReachesPartner reports whether records owned by partner are in p's
// subtree: a principal reaches only its own partner's records.
func (p Principal) ReachesPartner(partner string) bool {
	return p.Partner != "" && p.Partner == partner
}

// ReachesAccount reports whether the account (of partner) is in p's subtree:
// the whole partner reaches every account of its own; an account principal
// reaches only itself.
func (p Principal) ReachesAccount(partner, account string) bool {
	if !p.ReachesPartner(partner) {
		return false
	}
	return p.Account == "" || p.Account == account
}
