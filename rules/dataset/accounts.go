package dataset

import (
	"context"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// The accounts part of the data file (seeds 002 and 003). An account is a
// company (the companies section: one section for every API's accounts)
// with seed 003's fields (description, type, apps, activation, attachment,
// plans, limits, premium subscriptions, block records) and seed 002's
// services and SKUs. Beside them:
//
//   - clientPlans are a partner's client (tariff) plans of one app, found
//     by partner and id; loading one again replaces it with the file's;
//   - accessTokens are partners' X-AccessTokens with an expiry, stored as
//     their SHA-256 (domain.HashSecret) only; loading one again moves its
//     expiry to the file's; a token held by another partner (or issued for
//     another API) is refused, naming the entry;
//   - managedLinks are managed-billing links (seed 002), found by txId,
//     managed account and service; loading one again moves it to the
//     file's state.
//
// A company loaded again takes the file's fields, except what the APIs
// change and the file does not state: its plans are the store's with the
// file's set on top (per app), and its block records are the store's with
// the file's added (a record the store holds, same state and instant, is
// not added twice), so a block made through the API survives a reload.

// The GPS-Trace client plan modules (seed 003's companion docs).
var planModules = []string{"service_mode", "tools", "notifications", "unit_event", "geofence", "timeline", "sharing",
	"command", "google_maps", "statistics", "extended_notification", "maintenance"}

// The premium subscription types of seed 003 (its list spells td_paypal,
// td_stripe and ios-store; its example and the billing API spell td-stripe,
// td-paypal, ios-appstore: both are accepted and kept as written).
var premiumTypes = []string{"custom", "google", "ios-store", "ios-appstore", "paypal", "td_paypal", "td-paypal", "stripe",
	"td_stripe", "td-stripe", "space"}

// PremiumData is an account's premium subscription in one app (seed 003's
// GET /partner/accounts/{id}/subscriptions).
type PremiumData struct {
	AppID          string    `json:"appId"`
	Active         bool      `json:"active,omitempty"`
	Type           string    `json:"type"`
	SubscriptionID string    `json:"subscriptionId"`
	Expiry         time.Time `json:"expiry,omitzero"`
	OrderID        string    `json:"orderId,omitempty"`
	AutoRenew      bool      `json:"autoRenew,omitempty"`
}

// BlockData is a block record: blocked (or unblocked) from at on. A record
// in the future is a scheduled block (seed 003's blocked_at).
type BlockData struct {
	Blocked bool      `json:"blocked"`
	At      time.Time `json:"at"`
}

// ClientPlanData is a partner's client plan of one app (seed 003).
type ClientPlanData struct {
	ID          string     `json:"id"`
	Partner     string     `json:"partner"`
	App         string     `json:"app"`
	Name        string     `json:"name"`
	Description string     `json:"description,omitempty"`
	Quotas      QuotasData `json:"quotas,omitzero"`
	Modules     []string   `json:"modules,omitempty"`
}

// QuotasData are what a client plan allows.
type QuotasData struct {
	Units       int `json:"units,omitempty"`
	Geofences   int `json:"geofences,omitempty"`
	UnitStorage int `json:"unitStorage,omitempty"`
}

// AccessTokenData is a partner's X-AccessToken (seed 003): give the token
// (at least 16 characters; stored as its SHA-256, never as it is) or its
// stored form as tokenHash, and when it expires.
type AccessTokenData struct {
	Partner   string    `json:"partner"`
	Token     string    `json:"token,omitempty"`
	TokenHash string    `json:"tokenHash,omitempty"`
	Expires   time.Time `json:"expires"`
}

// ManagedLinkData is a managed-billing link (seed 002): the primary
// account bills for the service the managed account uses.
type ManagedLinkData struct {
	Primary   string    `json:"primary"` // account names (companies' aliases)
	Managed   string    `json:"managed"`
	Service   string    `json:"service"` // "Location"
	SKU       string    `json:"sku"`
	TxID      string    `json:"txId"`
	State     string    `json:"state,omitempty"` // ADDED (default), ACTIVATED or CANCELED
	CreatedAt time.Time `json:"createdAt,omitzero"`
	UpdatedAt time.Time `json:"updatedAt,omitzero"` // default: createdAt
}

// AccessTokenRecord is an access token of the world, by hash.
type AccessTokenRecord struct {
	Hash    string
	Partner string
	Expires time.Time
}

// buildAccountFields checks and converts a company's accounts fields into a.
func buildAccountFields(cd CompanyData, f string, a *domain.Account, p *domain.Problems) {
	domain.CheckText(p, f+".description", cd.Description, domain.MaxText)
	domain.CheckText(p, f+".linkApp", cd.LinkApp, domain.MaxText)
	a.Description, a.LinkApp = cd.Description, cd.LinkApp
	switch t := domain.AccountType(cd.Type); t {
	case domain.AccountSelfRegistered, domain.AccountManaged, domain.AccountPartner:
		a.Type = t
	default:
		p.Add("INVALID", f+".type", "type %d is not 10 (managed by a partner), 20 (a partner account) or absent (Ruhavik or Petovik)", cd.Type)
	}
	a.RegApps = textList(p, f+".regApps", cd.RegApps)
	a.ServiceApps = textList(p, f+".serviceApps", cd.ServiceApps)
	a.Services = textList(p, f+".services", cd.Services)
	a.SKUs = textList(p, f+".skus", cd.SKUs)
	for j, app := range a.ServiceApps {
		if !slices.Contains(a.RegApps, app) {
			p.Add("INVALID", f+".serviceApps["+strconv.Itoa(j)+"]", "app %q is not in regApps: service mode needs access to the app", app)
		}
	}
	if cd.LinkApp != "" && !slices.Contains(a.RegApps, cd.LinkApp) {
		p.Add("INVALID", f+".linkApp", "linkApp %q is not in regApps", cd.LinkApp)
	}
	a.ActivatedAt, a.Attached, a.AttachedAt, a.AddedAt, a.UpdatedAt = cd.ActivatedAt, cd.Attached, cd.AttachedAt, cd.AddedAt, cd.UpdatedAt
	if !a.Activated && !cd.ActivatedAt.IsZero() {
		p.Add("INVALID", f+".activatedAt", "activatedAt is given for an account that is not activated")
	}
	if !cd.Attached && !cd.AttachedAt.IsZero() {
		p.Add("INVALID", f+".attachedAt", "attachedAt is given for an account that is not attached")
	}
	for _, app := range slices.Sorted(maps.Keys(cd.Plans)) {
		g := f + ".plans." + app
		domain.CheckText(p, g, app, domain.MaxText)
		required(p, g, cd.Plans[app])
		if !slices.Contains(a.RegApps, app) {
			p.Add("INVALID", g, "the account has no access to app %q (regApps); a plan is of an app of the account", app)
		}
		if a.Plans == nil {
			a.Plans = map[string]string{}
		}
		a.Plans[app] = cd.Plans[app]
	}
	for j, pd := range cd.Premium {
		g := f + ".premium[" + strconv.Itoa(j) + "]"
		required(p, g+".appId", pd.AppID)
		required(p, g+".subscriptionId", pd.SubscriptionID)
		domain.CheckText(p, g+".orderId", pd.OrderID, domain.MaxText)
		if !slices.Contains(premiumTypes, pd.Type) {
			p.Add("INVALID", g+".type", "type %q is not one of %s", pd.Type, strings.Join(premiumTypes, ", "))
		}
		a.Premium = append(a.Premium, domain.AppSubscription{AppID: pd.AppID, Active: pd.Active, Type: pd.Type, SubscriptionID: pd.SubscriptionID,
			Expiry: pd.Expiry, OrderID: pd.OrderID, AutoRenew: pd.AutoRenew})
	}
	for j, bd := range cd.Blocks {
		g := f + ".blocks[" + strconv.Itoa(j) + "]"
		if bd.At.IsZero() {
			p.Add("REQUIRED", g+".at", "at is required (an RFC 3339 instant)")
		}
		if bd.Blocked && !a.Activated {
			p.Add("INVALID", g+".blocked", "only activated accounts can be blocked")
		}
		a.Blocks = append(a.Blocks, domain.BlockRecord{Blocked: bd.Blocked, At: bd.At})
	}
}

// textList checks a list of texts: each printable, none empty, none twice.
func textList(p *domain.Problems, f string, list []string) []string {
	for j, s := range list {
		g := f + "[" + strconv.Itoa(j) + "]"
		required(p, g, s)
		if slices.Index(list, s) < j {
			p.Add("DUPLICATE", g, "%q is listed twice", s)
		}
	}
	return slices.Clone(list)
}

// buildAccounts checks and converts the clientPlans, accessTokens and
// managedLinks sections.
func (ds *Dataset) buildAccounts(w *World, p *domain.Problems) {
	plans := map[string]string{}
	for i, cd := range ds.ClientPlans {
		f := "clientPlans[" + strconv.Itoa(i) + "]"
		required(p, f+".id", cd.ID)
		required(p, f+".partner", cd.Partner)
		required(p, f+".app", cd.App)
		required(p, f+".name", cd.Name)
		domain.CheckText(p, f+".description", cd.Description, domain.MaxText)
		for name, n := range map[string]int{"units": cd.Quotas.Units, "geofences": cd.Quotas.Geofences, "unitStorage": cd.Quotas.UnitStorage} {
			domain.CheckInt(p, f+".quotas."+name, int64(n), 0, domain.MaxID)
		}
		for j, m := range cd.Modules {
			g := f + ".modules[" + strconv.Itoa(j) + "]"
			if !slices.Contains(planModules, m) {
				p.Add("INVALID", g, "module %q is not one of %s", m, strings.Join(planModules, ", "))
			} else if slices.Index(cd.Modules, m) < j {
				p.Add("DUPLICATE", g, "module %q is listed twice", m)
			}
		}
		k := cd.Partner + "\x00" + cd.ID
		if prev, dup := plans[k]; dup && cd.ID != "" {
			p.Add("DUPLICATE", f+".id", "plan %q of partner %q is also %s", cd.ID, cd.Partner, prev)
		}
		plans[k] = f
		w.ClientPlans = append(w.ClientPlans, domain.ClientPlan{ID: cd.ID, PartnerID: cd.Partner, AppID: cd.App, Name: cd.Name,
			Description: cd.Description, Quotas: domain.PlanQuotas{Units: cd.Quotas.Units, Geofences: cd.Quotas.Geofences, UnitStorage: cd.Quotas.UnitStorage},
			Modules: slices.Clone(cd.Modules)})
	}
	tokens := map[string]string{}
	for i, td := range ds.AccessTokens {
		f := "accessTokens[" + strconv.Itoa(i) + "]"
		required(p, f+".partner", td.Partner)
		if td.Expires.IsZero() {
			p.Add("REQUIRED", f+".expires", "expires is required (an RFC 3339 instant)")
		}
		var hash string
		switch {
		case td.Token != "" && td.TokenHash != "":
			p.Add("INVALID", f+".token", "give token or tokenHash, not both")
		case td.Token != "":
			domain.CheckText(p, f+".token", td.Token, domain.MaxText)
			if len(td.Token) < 16 {
				p.Add("INVALID", f+".token", "a token needs at least 16 characters")
			}
			hash = domain.HashSecret(td.Token)
		case td.TokenHash != "":
			if !isSHA256Hex(td.TokenHash) {
				p.Add("INVALID", f+".tokenHash", "tokenHash must be the 64 hex digits of the token's SHA-256")
			}
			hash = strings.ToLower(td.TokenHash)
		default:
			p.Add("REQUIRED", f+".token", "token (or tokenHash) is required")
		}
		if prev, dup := tokens[hash]; dup && hash != "" {
			p.Add("DUPLICATE", f+".token", "this token is also %s's", prev)
		}
		tokens[hash] = f
		w.AccessTokens = append(w.AccessTokens, AccessTokenRecord{Hash: hash, Partner: td.Partner, Expires: td.Expires})
	}
	links := map[string]string{}
	for i, ld := range ds.ManagedLinks {
		f := "managedLinks[" + strconv.Itoa(i) + "]"
		for _, nf := range []struct{ field, name string }{{"primary", ld.Primary}, {"managed", ld.Managed}} {
			if !domain.ManagedAccountName.MatchString(nf.name) {
				p.Add("INVALID", f+"."+nf.field, "%s %q is not an account name of 10 digits, a hyphen and 5 digits", nf.field, nf.name)
			}
		}
		if ld.Primary == ld.Managed && ld.Primary != "" {
			p.Add("INVALID", f+".managed", "an account cannot manage itself")
		}
		required(p, f+".service", ld.Service)
		required(p, f+".sku", ld.SKU)
		required(p, f+".txId", ld.TxID)
		l := domain.ManagedLink{Primary: ld.Primary, Managed: ld.Managed, Service: ld.Service, SKU: ld.SKU, TxID: ld.TxID,
			State: domain.ManagedLinkState(strings.ToUpper(ld.State)), CreatedAt: ld.CreatedAt, UpdatedAt: ld.UpdatedAt}
		switch l.State {
		case "":
			l.State = domain.LinkAdded
		case domain.LinkAdded, domain.LinkActivated, domain.LinkCanceled:
		default:
			p.Add("INVALID", f+".state", "state %q is not ADDED, ACTIVATED or CANCELED", ld.State)
		}
		if l.UpdatedAt.IsZero() {
			l.UpdatedAt = l.CreatedAt
		}
		k := ld.TxID + "\x00" + domain.ExternalKey(ld.Managed) + "\x00" + ld.Service
		if prev, dup := links[k]; dup {
			p.Add("DUPLICATE", f, "%s also links %q for %s in transaction %q", prev, ld.Managed, ld.Service, ld.TxID)
		}
		links[k] = f
		w.ManagedLinks = append(w.ManagedLinks, l)
	}
	// One live link per managed account and service in the file (the
	// store's constraint, named here with both entries).
	live := map[string]string{}
	for i, l := range w.ManagedLinks {
		if !l.State.Live() {
			continue
		}
		k := domain.ExternalKey(l.Managed) + "\x00" + l.Service
		if prev, dup := live[k]; dup {
			p.Add("CONFLICT", "managedLinks["+strconv.Itoa(i)+"]", "%q is also managed for %s by %s: an account has one live link per service", l.Managed, l.Service, prev)
		}
		live[k] = "managedLinks[" + strconv.Itoa(i) + "]"
	}
}

func isSHA256Hex(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range strings.ToLower(s) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// applyClientPlans writes the client plans (before the companies, whose
// plans name them).
func (w *World) applyClientPlans(ctx context.Context, tx ports.Tx) error {
	for i, cp := range w.ClientPlans {
		f := "clientPlans[" + strconv.Itoa(i) + "]"
		if err := knownPartner(ctx, tx, f+".partner", cp.PartnerID); err != nil {
			return err
		}
		old, err := tx.Plans().Get(ctx, cp.PartnerID, cp.ID)
		if err == nil && samePlan(old, cp) {
			continue
		}
		if err != nil && !notFound(err) {
			return err
		}
		if err := tx.Plans().Put(ctx, cp); err != nil {
			return withField(err, f)
		}
	}
	return nil
}

func samePlan(a, b domain.ClientPlan) bool {
	return a.ID == b.ID && a.PartnerID == b.PartnerID && a.AppID == b.AppID && a.Name == b.Name && a.Description == b.Description &&
		a.Quotas == b.Quotas && slices.Equal(a.Modules, b.Modules)
}

// checkCompanyPlans checks that each plan a company names is a client plan
// of its partner for that app.
func checkCompanyPlans(ctx context.Context, tx ports.Tx, f string, a domain.Account, file map[string]string) error {
	for _, app := range slices.Sorted(maps.Keys(file)) {
		cp, err := tx.Plans().Get(ctx, a.PartnerID, file[app])
		switch {
		case notFound(err):
			return domain.Errorf(domain.CodeInvalid, f+".plans."+app, "partner %q has no client plan %q; list it under clientPlans", a.PartnerID, file[app])
		case err != nil:
			return err
		case cp.AppID != app:
			return domain.Errorf(domain.CodeInvalid, f+".plans."+app, "client plan %q is a plan of app %q, not %q", cp.ID, cp.AppID, app)
		}
	}
	return nil
}

// mergeAccount is old with the file's account a on top (see the comment at
// the top of this file): a's fields, the store's plans with a's set per
// app, the store's block records with a's added.
func mergeAccount(old, a domain.Account) domain.Account {
	next := old
	next.Title, next.PartnerID, next.Activated, next.Limits = a.Title, a.PartnerID, a.Activated, a.Limits
	if !a.CreatedAt.IsZero() {
		next.CreatedAt = a.CreatedAt
	}
	next.Description, next.LinkApp, next.RegApps, next.ServiceApps = a.Description, a.LinkApp, a.RegApps, a.ServiceApps
	next.ActivatedAt, next.Attached, next.AttachedAt, next.AddedAt = a.ActivatedAt, a.Attached, a.AttachedAt, a.AddedAt
	next.Type, next.Premium, next.Services, next.SKUs = a.Type, a.Premium, a.Services, a.SKUs
	if !a.UpdatedAt.IsZero() {
		next.UpdatedAt = a.UpdatedAt
	}
	if len(a.Plans) > 0 {
		next.Plans = maps.Clone(old.Plans)
		if next.Plans == nil {
			next.Plans = map[string]string{}
		}
		maps.Copy(next.Plans, a.Plans)
	}
	next.Blocks = slices.Clone(old.Blocks)
	for _, r := range a.Blocks {
		if !slices.ContainsFunc(next.Blocks, func(o domain.BlockRecord) bool { return o.Blocked == r.Blocked && o.At.Equal(r.At) }) {
			next.Blocks = append(next.Blocks, r)
		}
	}
	sort.SliceStable(next.Blocks, func(i, j int) bool { return next.Blocks[i].At.Before(next.Blocks[j].At) })
	return next
}

// sameAccount reports whether storing b over a would change nothing.
func sameAccount(a, b domain.Account) bool {
	if a.Title != b.Title || a.PartnerID != b.PartnerID || a.Activated != b.Activated || !a.CreatedAt.Equal(b.CreatedAt) ||
		a.Description != b.Description || a.LinkApp != b.LinkApp || !slices.Equal(a.RegApps, b.RegApps) ||
		!slices.Equal(a.ServiceApps, b.ServiceApps) || !a.UpdatedAt.Equal(b.UpdatedAt) || !a.ActivatedAt.Equal(b.ActivatedAt) ||
		a.Attached != b.Attached || !a.AttachedAt.Equal(b.AttachedAt) || !a.AddedAt.Equal(b.AddedAt) || a.Type != b.Type ||
		!slices.Equal(a.Services, b.Services) || !slices.Equal(a.SKUs, b.SKUs) || !maps.Equal(a.Plans, b.Plans) || !maps.Equal(a.Limits, b.Limits) ||
		len(a.Blocks) != len(b.Blocks) || len(a.Premium) != len(b.Premium) {
		return false
	}
	for i := range a.Blocks {
		if a.Blocks[i].Blocked != b.Blocks[i].Blocked || !a.Blocks[i].At.Equal(b.Blocks[i].At) {
			return false
		}
	}
	for i, x := range a.Premium {
		y := b.Premium[i]
		if x.AppID != y.AppID || x.Active != y.Active || x.Type != y.Type || x.SubscriptionID != y.SubscriptionID ||
			!x.Expiry.Equal(y.Expiry) || x.OrderID != y.OrderID || x.AutoRenew != y.AutoRenew {
			return false
		}
	}
	return true
}

// applyAccounts writes the access tokens and managed links (after the
// companies, which the links name).
func (w *World) applyAccounts(ctx context.Context, tx ports.Tx) error {
	for i, at := range w.AccessTokens {
		f := "accessTokens[" + strconv.Itoa(i) + "]"
		if err := knownPartner(ctx, tx, f+".partner", at.Partner); err != nil {
			return err
		}
		old, err := tx.Clients().Token(ctx, at.Hash)
		switch {
		case notFound(err):
			if err := tx.Clients().PutToken(ctx, domain.Token{Hash: at.Hash, ClientID: at.Partner, Kind: domain.AccessToken, ExpiresAt: at.Expires}); err != nil {
				return withField(err, f)
			}
		case err != nil:
			return err
		case old.ClientID != at.Partner || old.Kind != domain.AccessToken || old.AccountID != 0:
			return domain.Errorf(domain.CodeConflict, f+".token", "this token is already issued to %q for another use; give each partner its own token", old.ClientID)
		case !old.ExpiresAt.Equal(at.Expires):
			if err := tx.Clients().TouchToken(ctx, at.Hash, at.Expires); err != nil {
				return withField(err, f+".expires")
			}
		}
	}
	for i, l := range w.ManagedLinks {
		f := "managedLinks[" + strconv.Itoa(i) + "]"
		if err := applyLink(ctx, tx, f, l); err != nil {
			return err
		}
	}
	return nil
}

func knownPartner(ctx context.Context, tx ports.Tx, field, id string) error {
	if _, err := tx.Clients().Get(ctx, id); notFound(err) {
		return domain.Errorf(domain.CodeInvalid, field, "partner %q is not a client; list it under clients", id)
	} else if err != nil {
		return err
	}
	return nil
}

func applyLink(ctx context.Context, tx ports.Tx, f string, l domain.ManagedLink) error {
	for _, nf := range []struct{ field, name string }{{"primary", l.Primary}, {"managed", l.Managed}} {
		a, err := tx.Accounts().ByAlias(ctx, nf.name)
		if notFound(err) {
			return domain.Errorf(domain.CodeInvalid, f+"."+nf.field, "no account is named %q; list it under companies", nf.name)
		}
		if err != nil {
			return err
		}
		if nf.field == "managed" {
			// Links of one managed account are written under its lock,
			// as the use case writes them.
			if err := tx.LockAccount(ctx, a.ID); err != nil {
				return err
			}
		}
	}
	have, err := tx.ManagedLinks().ByTxID(ctx, l.TxID)
	if err != nil {
		return err
	}
	for _, o := range have {
		if domain.ExternalKey(o.Managed) != domain.ExternalKey(l.Managed) || o.Service != l.Service {
			continue
		}
		if o.Primary != l.Primary || o.SKU != l.SKU {
			return domain.Errorf(domain.CodeConflict, f+".txId", "transaction %q links %q to %q for %s, not to %q for %s", l.TxID, o.Managed, o.Primary, o.SKU, l.Primary, l.SKU)
		}
		if o.State == l.State {
			return nil
		}
		return withField(tx.ManagedLinks().SetState(ctx, o.ID, l.State, l.UpdatedAt), f+".state")
	}
	state := l.State
	l.State = domain.LinkAdded
	if !state.Live() {
		// Created as it ended: a cancelled link holds nothing, so it never
		// meets the one-live-link constraint.
		return createLink(ctx, tx, f, &l, state)
	}
	if err := tx.ManagedLinks().Create(ctx, &l); err != nil {
		return withField(err, f)
	}
	if state != domain.LinkAdded {
		return withField(tx.ManagedLinks().SetState(ctx, l.ID, state, l.UpdatedAt), f+".state")
	}
	return nil
}

// createLink stores a link that ends in a state that is not live: created
// ADDED (the store's only way in) and moved to state at once. Its managed
// account's live link, if any, is another link: creating this one first
// would break the constraint, so the live one is moved aside and back in
// the same transaction.
func createLink(ctx context.Context, tx ports.Tx, f string, l *domain.ManagedLink, state domain.ManagedLinkState) (err error) {
	live, err := tx.ManagedLinks().Live(ctx, l.Managed, l.Service)
	switch {
	case notFound(err):
	case err != nil:
		return err
	default:
		if err := tx.ManagedLinks().SetState(ctx, live.ID, domain.LinkCanceled, live.UpdatedAt); err != nil {
			return err
		}
		defer func() {
			if err == nil {
				err = tx.ManagedLinks().SetState(ctx, live.ID, live.State, live.UpdatedAt)
			}
		}()
	}
	if err = tx.ManagedLinks().Create(ctx, l); err != nil {
		return withField(err, f)
	}
	err = withField(tx.ManagedLinks().SetState(ctx, l.ID, state, l.UpdatedAt), f+".state")
	return err
}
