package domain

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// Region is a sales region of the store API.
type Region string

// The regions the store API accepts (seed 001: "Valid values for region
// parameters are AMERICA, EUROPE, APAC , EMEA and SOUTH AFRICA").
const (
	RegionAmerica     Region = "AMERICA"
	RegionEurope      Region = "EUROPE"
	RegionAPAC        Region = "APAC"
	RegionEMEA        Region = "EMEA"
	RegionSouthAfrica Region = "SOUTH AFRICA"
)

// Regions lists every valid Region in the seed's order.
var Regions = []Region{RegionAmerica, RegionEurope, RegionAPAC, RegionEMEA, RegionSouthAfrica}

// ParseRegion returns the Region named s (case-insensitively). It fails with CodeInvalid.
func ParseRegion(s string) (Region, error) {
	for _, r := range Regions {
		if strings.EqualFold(s, string(r)) {
			return r, nil
		}
	}
	return "", Errorf(CodeInvalid, "region", "region %q is not one of AMERICA, EUROPE, APAC, EMEA, SOUTH AFRICA", s)
}

// Client is an API consumer (the seed's clientId): a partner whose
// credentials reach only its own customers. Its secret is never stored, only
// SecretHash, a salted slow hash (argon2id; rules/access writes and checks
// it).
//
// A partner of the Account Manager API (seed 000) is a Client too: its
// apiKey is stored as APIKeyHash (HashSecret of the key, which entitle or
// the vendor issues as a long random value, so a fast hash finds it), and
// "" means it has no apiKey.
type Client struct {
	ID         string
	Name       string
	SecretHash string
	APIKeyHash string
}

// HashSecret returns the stored form of a bearer token: the hex SHA-256 of
// it. Tokens are 256-bit random values entitle issues, so a fast hash is
// enough (as for API keys) and a token is found by its hash. Client secrets,
// which people choose, are stored with a salted slow hash instead.
func HashSecret(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Token is a bearer token issued to a client; only its hash is stored. Kind
// is the credential it was issued for (ClientCredentials for the store API,
// APIKey for the Account Manager); a token reaches only the API of its kind.
// AccountID, when not 0, narrows a token to one of the partner's accounts
// (seed 000's apiKey + alias; seed 002's session of an account's login, with
// UserID the login).
type Token struct {
	Hash      string
	ClientID  string
	Kind      CredentialKind
	AccountID int64
	UserID    int64
	ExpiresAt time.Time
}

// ValidAt reports whether the token has not expired at now.
func (t *Token) ValidAt(now time.Time) bool { return now.Before(t.ExpiresAt) }

// CustomerKind says where a customer sits in the hierarchy.
type CustomerKind uint8

// The customer kinds.
const (
	Reseller    CustomerKind = iota + 1 // a partner's reseller account, with bill-to sites
	EndCustomer                         // a reseller's customer, with ship-to sites
)

// String returns "RESELLER" or "END_CUSTOMER".
func (k CustomerKind) String() string {
	if k == EndCustomer {
		return "END_CUSTOMER"
	}
	return "RESELLER"
}

// Customer is an account in the partner -> customer hierarchy. A reseller
// belongs to a client; an end customer belongs to a reseller.
type Customer struct {
	ID          string
	ClientID    string // the client whose credentials reach this customer
	ParentID    string // the reseller of an end customer; "" for a reseller
	Kind        CustomerKind
	Name        string
	Region      Region
	Country     string // ISO 3166 alpha-2, used to find a price list when the customer has none
	PriceListID string // "" when the country's price list applies
	Active      bool
	CreatedAt   time.Time
	// DiscountPercent is the customer-level discount applied to every line.
	DiscountPercent string
	// CreditHold puts every order of this customer ON_HOLD (seed: "credit checks, hold status checks").
	CreditHold bool
	Sites      []Site
}

// SiteUse says what a site is used for.
type SiteUse uint8

// The site uses.
const (
	BillTo SiteUse = iota + 1
	ShipTo
)

// String returns "BILL_TO" or "SHIP_TO".
func (u SiteUse) String() string {
	if u == ShipTo {
		return "SHIP_TO"
	}
	return "BILL_TO"
}

// Site is a bill-to or ship-to address of a customer, identified by its siteUseId.
type Site struct {
	SiteUseID     int64
	Use           SiteUse
	Address       string
	Region        Region
	Country       string
	AutoRenewFlag bool // bill-to only: whether orders billed here may auto-renew
}

// Site returns the customer's site with siteUseID and use, and whether it exists.
func (c *Customer) Site(siteUseID int64, use SiteUse) (Site, bool) {
	for _, s := range c.Sites {
		if s.SiteUseID == siteUseID && s.Use == use {
			return s, true
		}
	}
	return Site{}, false
}

// NameMatches reports whether query is a case-insensitive part of the
// customer's name. The store API requires queries of at least 5 characters;
// callers check that.
func (c *Customer) NameMatches(query string) bool {
	return strings.Contains(strings.ToUpper(c.Name), strings.ToUpper(query))
}

// MinNameQuery is the shortest name the customer search accepts (seed 001:
// "Min length is 5 chars").
const MinNameQuery = 5
