package fuzz

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"
)

// The world the Machine loads into every store before a history starts: a
// store API client with one reseller, a price list and three parts of one
// product line (a paid year, a 30-day trial, a bundle); an Account Manager
// partner whose company owns seats of two products; a ThingSpace primary
// account and three accounts it may manage; a GPS-Trace partner's Forguard
// account with two client plans to switch between. Secrets are given as
// their SHA-256 (the stored form older files carry), so loading the world
// costs no argon2id hashing; the first login upgrades each one at the cost
// the System's access service is configured with.

// The credentials of the world's principals.
const (
	TAPClient      = "tap-client"
	TAPSecret      = "machine-tap-secret"
	APIKey         = "machine-api-key"
	BillingClient  = "billing-client"
	BillingSecret  = "machine-billing-secret"
	AdminUsername  = "admin@fleet.example"
	Password       = "machine-password"
	AccessToken    = "machine-access-token"
	Company        = "fleet-co"
	ForguardID     = 11111
	ForguardApp    = "b901da51-ce00-4af2-b978-8d0fca8ae1ea"
	PrimaryAccount = "1234567890-00001"
	Service        = "Location"
	SKU            = "TS-LOC-COARSE-CellID-Aggr"
)

// The world's parts (all of product line CENTERPOINT), models and serials.
const (
	PaidPart    = "132001-10"
	TrialPart   = "CP-TRIAL-30"
	BundlePart  = "PTX-BDL"
	DeviceModel = "R12"
)

// Serials are the devices the Machine orders for (RTX serials of model R12).
var Serials = []string{"1000000001", "1000000002", "1000000003"}

// SeatProductIDs are the company's seat products; it owns InitialSeats of
// each.
var SeatProductIDs = []string{"CoPilot", "MileOn"}

// InitialSeats is how many seats of each product the company owns when a
// history starts.
const InitialSeats = 3

// SeatsExpire is when every seat's term ends, the world's and those a
// history adds: later than any history's clock, so that the Model need not
// know which seat a user holds. (Seat terms ending within a history are
// left to the seats context's own tests.)
const SeatsExpire = "2099-12-31"

// ExternalIDs are the users a history adds and deletes (the Machine spells
// them in other cases too).
var ExternalIDs = []string{"driver-1", "driver-2", "truck-3", "tablet-4", "van-5"}

// ManagedAccounts are the accounts the primary account may manage.
var ManagedAccounts = []string{"1223334444-00001", "2334445555-00001", "3445556666-00001"}

// Plans are the GPS-Trace partner's client plans of the Forguard app; the
// account starts on the first.
var Plans = []string{"52ffXXXXXXXXXXXXdc89", "6a00aaaaaaaaaaaaaa01"}

// Start is when every history starts: 2025-03-08 12:00 PST, the day before
// daylight saving time begins in Los Angeles, so the first advances of the
// clock cross it.
var Start = time.Date(2025, 3, 8, 20, 0, 0, 0, time.UTC)

func sha(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }

// WorldData is the world in entitle's data file format (rules/dataset).
func WorldData() []byte {
	return fmt.Appendf(nil, `clients:
  - {id: %[1]s, name: Machine TAP client, secretHash: %[2]s}
  - {id: fleet-partner, name: Machine fleet partner, apiKeyHash: %[3]s}
  - {id: %[4]s, name: Machine ThingSpace client, secretHash: %[5]s}
  - {id: gps-partner, name: Machine GPS-Trace partner}
customers:
  - id: reseller-1
    clientId: %[1]s
    name: Machine Reseller
    region: AMERICA
    country: US
    createdAt: 2023-01-20T00:00:00Z
    sites:
      - {siteUseId: 531807, use: BILL_TO, address: "1 Main St", autoRenew: true}
      - {siteUseId: 1912956, use: SHIP_TO, address: "2 Main St"}
priceLists:
  - id: usd
    currency: USD
    countries: [US]
    items:
      - {partNumber: %[9]s, listPrice: "1500.00"}
      - {partNumber: %[10]s, listPrice: "0.00"}
      - {partNumber: %[11]s, listPrice: "0.00"}
parts:
  - {partNumber: %[9]s, partDescription: "CenterPoint RTX 1 Year", serviceType: RTX, productLine: CENTERPOINT, duration: 1 YEAR, models: [R12]}
  - {partNumber: %[10]s, partDescription: "CenterPoint RTX 30 Day Trial", serviceType: RTX, productLine: CENTERPOINT, duration: 30 DAY, trial: true, models: [R12]}
  - {partNumber: %[11]s, partDescription: "Ag Regional CenterPoint RTX 1 Year on Basic PTx Bundle", serviceType: RTX, productLine: CENTERPOINT, duration: 1 YEAR, bundle: true, models: [R12]}
models:
  - {manufacturer: Trimble, model: R12, serialPattern: "[0-9]{10}"}
companies:
  - {alias: %[12]s, title: Fleet Co, partner: fleet-partner, createdAt: 2025-01-01T00:00:00Z}
  - {alias: %[13]s, title: Primary, partner: %[4]s, activated: true, services: [Location], skus: [%[14]s], createdAt: 2025-01-01T00:00:00Z}
  - {alias: %[15]s, title: Managed 1, partner: %[4]s, services: [Location], createdAt: 2025-01-01T00:00:00Z}
  - {alias: %[16]s, title: Managed 2, partner: %[4]s, services: [Location], createdAt: 2025-01-01T00:00:00Z}
  - {alias: %[17]s, title: Managed 3, partner: %[4]s, services: [Location], createdAt: 2025-01-01T00:00:00Z}
  - id: %[18]d
    alias: forguard-%[18]d
    title: Forguard
    partner: gps-partner
    type: 10
    regApps: [%[19]s]
    activated: true
    activatedAt: 2025-01-10T09:00:00Z
    createdAt: 2025-01-05T09:00:00Z
    addedAt: 2025-01-05T09:00:00Z
    plans: {%[19]s: %[20]s}
users:
  - {company: %[12]s, externalId: fleet-admin, username: %[6]s, passwordHash: %[7]s, roles: [ACCOUNTADMIN]}
  - {company: %[13]s, externalId: primary, username: primary@example.com, passwordHash: %[7]s}
  - {company: %[15]s, externalId: managed1, username: managed1@example.com, passwordHash: %[7]s}
  - {company: %[16]s, externalId: managed2, username: managed2@example.com, passwordHash: %[7]s}
  - {company: %[17]s, externalId: managed3, username: managed3@example.com, passwordHash: %[7]s}
licenses:
  - {company: %[12]s, productId: %[22]s, seats: %[24]d, registered: 2025-01-01, expires: 2099-12-31}
  - {company: %[12]s, productId: %[23]s, seats: %[24]d, registered: 2025-01-01, expires: 2099-12-31}
clientPlans:
  - {id: %[20]s, partner: gps-partner, app: %[19]s, name: Basic, quotas: {units: 10}}
  - {id: %[21]s, partner: gps-partner, app: %[19]s, name: Large, quotas: {units: 50}}
accessTokens:
  - {partner: gps-partner, tokenHash: %[8]s, expires: 2099-01-01T00:00:00Z}
`, TAPClient, sha(TAPSecret), sha(APIKey), BillingClient, sha(BillingSecret), AdminUsername, sha(Password), sha(AccessToken),
		PaidPart, TrialPart, BundlePart, Company, PrimaryAccount, SKU, ManagedAccounts[0], ManagedAccounts[1], ManagedAccounts[2],
		ForguardID, ForguardApp, Plans[0], Plans[1], SeatProductIDs[0], SeatProductIDs[1], InitialSeats)
}

// managedLogins are the UWS usernames of the primary and managed accounts.
var managedLogins = map[string]string{PrimaryAccount: "primary@example.com",
	ManagedAccounts[0]: "managed1@example.com", ManagedAccounts[1]: "managed2@example.com", ManagedAccounts[2]: "managed3@example.com"}
