package accounts

import (
	"slices"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/rules"
)

// The environments below are what the accounts rules see; their expr tags
// are the seeds' field names where the seeds have one (accountName,
// serviceName, app_id as appId). Instants are Unix seconds, as seed 003's
// blocked_at is.

// BillingEnv is the environment of billing-scope rules: one managed-billing
// request (seed 002) before any account of it is decided.
type BillingEnv struct {
	Billing *BillingFacts `expr:"billing"`
	Now     int           `expr:"now"` // Unix seconds
}

// BillingFacts describes a managed-billing request and its primary account.
type BillingFacts struct {
	Action      string `expr:"action" json:"action"`           // add, provision, cancel or list
	AccountName string `expr:"accountName" json:"accountName"` // the primary account's name
	ServiceName string `expr:"serviceName" json:"serviceName"`
	Type        string `expr:"type" json:"type"` // the SKU; "" for list
	// SKUs are the managed-billing SKUs the primary bought; Services the
	// services it is registered for.
	SKUs     []string `expr:"skus" json:"skus"`
	Services []string `expr:"services" json:"services"`
	Items    int      `expr:"items" json:"items"` // the accounts of an add
}

// ManagedEnv is the environment of managed-scope rules: one account of an
// add request, in the order given, each seeing the ones before it added.
type ManagedEnv struct {
	Managed *ManagedFacts `expr:"managed"`
	Billing *BillingFacts `expr:"billing"`
	Now     int           `expr:"now"`
}

// ManagedFacts is one account named in an add request.
type ManagedFacts struct {
	Name  string `expr:"name" json:"name"`
	Index int    `expr:"index" json:"index"`
	// WellFormed: 10 digits, '-', 5 digits (domain.ManagedAccountName).
	WellFormed bool `expr:"wellFormed" json:"wellFormed"`
	// Found: an account of the primary's partner has that name.
	Found bool `expr:"found" json:"found"`
	// Registered: it is registered for the request's service.
	Registered bool `expr:"registered" json:"registered"`
	// Self: it is the primary account itself.
	Self bool `expr:"self" json:"self"`
	// ManagedBy is the primary of its live link for the service; "" for none.
	ManagedBy string `expr:"managedBy" json:"managedBy"`
}

// LinkEnv is the environment of link-scope rules: a managed account
// provisioning or cancelling its link (seed 002).
type LinkEnv struct {
	Link    *LinkFacts    `expr:"link"`
	Billing *BillingFacts `expr:"billing"`
	Now     int           `expr:"now"`
}

// LinkFacts is a provision or cancel request with the link it names.
type LinkFacts struct {
	Action       string `expr:"action" json:"action"` // provision or cancel
	AccountName  string `expr:"accountName" json:"accountName"`
	PAccountName string `expr:"paccountName" json:"paccountName"`
	Type         string `expr:"type" json:"type"`
	TxID         string `expr:"txid" json:"txid"`
	// PrimaryFound: paccountName is an account of the managed account's partner.
	PrimaryFound bool `expr:"primaryFound" json:"primaryFound"`
	// Registered: the managed account is registered for the service.
	Registered bool `expr:"registered" json:"registered"`
	// The managed account's live link for the service, if any.
	LinkFound   bool   `expr:"linkFound" json:"linkFound"`
	LinkPrimary string `expr:"linkPrimary" json:"linkPrimary"`
	LinkSKU     string `expr:"linkSku" json:"linkSku"`
	LinkTxID    string `expr:"linkTxid" json:"linkTxid"`
	LinkState   string `expr:"linkState" json:"linkState"` // ADDED or ACTIVATED
}

// AccountFacts is what account-operation rules know of the account.
type AccountFacts struct {
	ID   int `expr:"id" json:"id"`
	Type int `expr:"type" json:"type"` // 10 managed (Forguard), 20 partner, 0 Ruhavik/Petovik
	// TypeName names Type: managed, partner or self-registered.
	TypeName  string   `expr:"typeName" json:"typeName"`
	Activated bool     `expr:"activated" json:"activated"`
	Blocked   bool     `expr:"blocked" json:"blocked"` // at the clock's instant
	Attached  bool     `expr:"attached" json:"attached"`
	RegApps   []string `expr:"regApps" json:"regApps"`
}

// BlockEnv is the environment of block-scope rules: blocking, unblocking or
// scheduling a block of an account (seed 003).
type BlockEnv struct {
	Block   *BlockFacts   `expr:"block"`
	Account *AccountFacts `expr:"account"`
	Now     int           `expr:"now"`
}

// BlockFacts is a block request.
type BlockFacts struct {
	Action string `expr:"action" json:"action"` // block, unblock or schedule
	At     int    `expr:"at" json:"at"`         // Unix seconds: now for block and unblock, blocked_at for schedule
	Field  string `expr:"field" json:"field"`   // the request's field: blocked or blocked_at
}

// PlanEnv is the environment of plan-scope rules: changing an account's
// client plan of an app.
type PlanEnv struct {
	Plan    *PlanFacts    `expr:"plan"`
	Account *AccountFacts `expr:"account"`
	Now     int           `expr:"now"`
}

// PlanFacts is a client-plan change with the plan it names.
type PlanFacts struct {
	ID        string `expr:"id" json:"id"`       // tariff_plan_id
	AppID     string `expr:"appId" json:"appId"` // app_id
	Found     bool   `expr:"found" json:"found"` // a plan of the account's partner
	PlanAppID string `expr:"planAppId" json:"planAppId"`
}

// LimitsEnv is the environment of limits-scope rules: reading an account's
// limits of an app.
type LimitsEnv struct {
	Limits  *LimitsFacts  `expr:"limits"`
	Account *AccountFacts `expr:"account"`
	Now     int           `expr:"now"`
}

// LimitsFacts is a limits read.
type LimitsFacts struct {
	AppID string `expr:"appId" json:"appId"`
	Set   bool   `expr:"set" json:"set"` // the account has limits of the app
}

// SubscriptionEnv is the environment of subscription-scope rules: one
// premium subscription of an account, read through GET
// /partner/accounts/{id}/subscriptions. A refused one is left out.
type SubscriptionEnv struct {
	Subscription *SubscriptionFacts `expr:"subscription"`
	Account      *AccountFacts      `expr:"account"`
	Now          int                `expr:"now"`
}

// SubscriptionFacts is one premium subscription.
type SubscriptionFacts struct {
	AppID  string `expr:"appId" json:"appId"`
	Type   string `expr:"type" json:"type"`
	Active bool   `expr:"active" json:"active"`
	Expiry int    `expr:"expiry" json:"expiry"` // Unix seconds; 0 for none
}

// TypeName is the name the rules give an account type: managed (10),
// partner (20), self-registered (0, null on the wire).
func TypeName(t domain.AccountType) string {
	switch t {
	case domain.AccountManaged:
		return "managed"
	case domain.AccountPartner:
		return "partner"
	case domain.AccountSelfRegistered:
		return "self-registered"
	}
	return "unknown"
}

// vocabulary is what accounts rules may call beyond the language's own.
var vocabulary = []rules.Function{
	rules.Func2("includes", "includes(list, s): s is one of the strings of list, a fact's list such as account.regApps",
		func(list []string, s string) bool { return slices.Contains(list, s) }),
}

// The accounts scopes, all of context "accounts": rulesets/60-accounts.yaml
// declares `context: accounts`.
var (
	billingScope      = rules.NewScope[BillingEnv]("billing", rules.ScopeOptions{Context: Context, Functions: vocabulary, Fields: []string{"managedAccList"}})
	managedScope      = rules.NewScope[ManagedEnv]("managed", rules.ScopeOptions{Context: Context, Functions: vocabulary, Fields: []string{"managedAccList"}})
	linkScope         = rules.NewScope[LinkEnv]("link", rules.ScopeOptions{Context: Context, Functions: vocabulary})
	blockScope        = rules.NewScope[BlockEnv]("block", rules.ScopeOptions{Context: Context, Functions: vocabulary, Fields: []string{"blocked_at"}})
	planScope         = rules.NewScope[PlanEnv]("plan", rules.ScopeOptions{Context: Context, Functions: vocabulary, Fields: []string{"app_id", "tariff_plan_id"}})
	limitsScope       = rules.NewScope[LimitsEnv]("limits", rules.ScopeOptions{Context: Context, Functions: vocabulary, Fields: []string{"app_id"}})
	subscriptionScope = rules.NewScope[SubscriptionEnv]("subscription", rules.ScopeOptions{Context: Context, Functions: vocabulary, Fields: []string{"app_id"}})
)

// Context is the name of this context in rule files (`context: accounts`)
// and of its Tester.
const Context = "accounts"

// Scopes returns the scopes the accounts rule files are written in: billing,
// managed, link, block, plan, limits and subscription, to list in a
// rules.Language.
func Scopes() []rules.ScopeDef {
	return []rules.ScopeDef{billingScope, managedScope, linkScope, blockScope, planScope, limitsScope, subscriptionScope}
}

// Language returns a rule language of the accounts scopes only.
func Language() *rules.Language { return rules.MustLanguage(Scopes()...) }
