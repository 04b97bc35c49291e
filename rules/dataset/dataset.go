package dataset

import (
	"context"
	"crypto/rand"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/shopspring/decimal"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules/internal/secret"
)

// Dataset is entitle's data file: customers with sites, the catalog (price
// lists, parts, models, promo codes, coupons), devices, existing
// subscriptions and trials, with the seed's field names. Ruleset tests use it
// as their fixture; `entitle load` reads it from YAML or JSON.
type Dataset struct {
	Clients       []ClientData       `json:"clients,omitempty"`
	Customers     []CustomerData     `json:"customers,omitempty"`
	PriceLists    []PriceListData    `json:"priceLists,omitempty"`
	Parts         []PartData         `json:"parts,omitempty"`
	Models        []ModelData        `json:"models,omitempty"`
	Devices       []DeviceData       `json:"devices,omitempty"`
	Subscriptions []SubscriptionData `json:"subscriptions,omitempty"`
	Trials        []TrialData        `json:"trials,omitempty"`
	Promos        []PromoData        `json:"promos,omitempty"`
	Coupons       []CouponData       `json:"coupons,omitempty"`
	// InProgress lists serials that have an order in ORDER_CREATION_INPROGRESS
	// being processed elsewhere (the seed's TAP Store). Loading one creates
	// such an order, owned by no client, holding the serial.
	InProgress []string `json:"inProgress,omitempty"`
	// Orders are past orders owned by clients, with their lines and the
	// subscriptions those granted (orders.go).
	Orders []OrderData `json:"orders,omitempty"`

	// The seats APIs (seeds 000 and 004): Account Manager companies, their
	// users, the seats they own and the assignments of seats to users.
	Companies   []CompanyData    `json:"companies,omitempty"`
	Users       []UserData       `json:"users,omitempty"`
	Licenses    []LicenseData    `json:"licenses,omitempty"`
	Assignments []AssignmentData `json:"assignments,omitempty"`

	// The accounts APIs (seeds 002 and 003): partners' client plans, their
	// X-AccessTokens, and managed-billing links between companies.
	ClientPlans  []ClientPlanData  `json:"clientPlans,omitempty"`
	AccessTokens []AccessTokenData `json:"accessTokens,omitempty"`
	ManagedLinks []ManagedLinkData `json:"managedLinks,omitempty"`
}

// ClientData is an API client and its credentials. Give the secret (it is
// hashed with argon2id when loaded and never stored) or its stored form as
// secretHash (an argon2id encoding, or the hex SHA-256 older files carry,
// which is replaced by argon2id at the client's next token request).
//
// An Account Manager partner (seed 000) has an apiKey: give it as apiKey (at
// least 16 characters; stored as its hex SHA-256, domain.HashSecret, and
// never stored itself) or as apiKeyHash (those 64 hex digits). A partner
// with an apiKey needs no secret; without one it cannot use the store API.
// So does a GPS-Trace partner given an access token under accessTokens in
// the same file.
type ClientData struct {
	ID         string `json:"id"`
	Name       string `json:"name,omitempty"`
	Secret     string `json:"secret,omitempty"`
	SecretHash string `json:"secretHash,omitempty"`
	APIKey     string `json:"apiKey,omitempty"`
	APIKeyHash string `json:"apiKeyHash,omitempty"`
}

// CustomerData is a reseller or end customer.
type CustomerData struct {
	ID              string     `json:"id"`
	ClientID        string     `json:"clientId"`
	Parent          string     `json:"parent,omitempty"`
	Kind            string     `json:"kind,omitempty"` // RESELLER (default) or END_CUSTOMER
	Name            string     `json:"name"`
	Region          string     `json:"region"`
	Country         string     `json:"country,omitempty"`
	PriceList       string     `json:"priceList,omitempty"`
	Inactive        bool       `json:"inactive,omitempty"`
	CreatedAt       time.Time  `json:"createdAt,omitzero"`
	DiscountPercent string     `json:"discountPercent,omitempty"`
	CreditHold      bool       `json:"creditHold,omitempty"`
	Sites           []SiteData `json:"sites"`
}

// SiteData is a bill-to or ship-to site.
type SiteData struct {
	SiteUseID int64  `json:"siteUseId"`
	Use       string `json:"use"` // BILL_TO or SHIP_TO
	Address   string `json:"address"`
	Region    string `json:"region,omitempty"`
	Country   string `json:"country,omitempty"`
	AutoRenew *bool  `json:"autoRenew,omitempty"` // bill-to: default true
}

// PriceListData is a price list.
type PriceListData struct {
	ID        string          `json:"id"`
	Currency  string          `json:"currency"`
	Countries []string        `json:"countries,omitempty"`
	Items     []PriceItemData `json:"items"`
}

// PriceItemData is a part's price in a list.
type PriceItemData struct {
	PartNumber      string `json:"partNumber"`
	ListPrice       string `json:"listPrice"`
	DiscountPercent string `json:"discountPercent,omitempty"`
}

// PartData is a part; Duration reads like "1 YEAR" or "16 MONTH".
type PartData struct {
	PartNumber  string   `json:"partNumber"`
	Description string   `json:"partDescription"`
	ServiceType string   `json:"serviceType"`
	ProductLine string   `json:"productLine"`
	Duration    string   `json:"duration"`
	Trial       bool     `json:"trial,omitempty"`
	Bundle      bool     `json:"bundle,omitempty"`
	Redemption  bool     `json:"redemption,omitempty"`
	Models      []string `json:"models,omitempty"`
	Regions     []string `json:"regions,omitempty"`
	Activation  string   `json:"activation,omitempty"` // OTA (default) or EMAIL
}

// ModelData is a receiver model.
type ModelData struct {
	Manufacturer  string `json:"manufacturer"`
	Model         string `json:"model"`
	Agriculture   bool   `json:"agriculture,omitempty"`
	SerialPattern string `json:"serialPattern,omitempty"`
}

// DeviceData is a known receiver.
type DeviceData struct {
	SerialNumber string   `json:"serialNumber"`
	ServiceType  string   `json:"serviceType,omitempty"`
	Manufacturer string   `json:"manufacturer,omitempty"`
	Model        string   `json:"model,omitempty"`
	SSOEmails    []string `json:"ssoEmails,omitempty"`
}

// SubscriptionData is an existing subscription. End defaults to start plus
// the part's duration; ProductLine defaults to the part's.
type SubscriptionData struct {
	ID           string      `json:"id,omitempty"`
	SerialNumber string      `json:"serialNumber"`
	PartNumber   string      `json:"partNumber"`
	ProductLine  string      `json:"productLine,omitempty"`
	Start        domain.Date `json:"start"`
	End          domain.Date `json:"end,omitzero"`
	Kind         string      `json:"kind,omitempty"`   // PAID (default), TRIAL, BUNDLE
	Status       string      `json:"status,omitempty"` // CANCELED or TERMINATED; empty follows the dates
	AutoRenewal  bool        `json:"autoRenewal,omitempty"`
	Activated    *bool       `json:"activated,omitempty"` // default true
}

// TrialData is a trial ledger entry.
type TrialData struct {
	SerialNumber string `json:"serialNumber"`
	ProductLine  string `json:"productLine"`
}

// PromoData is a promo code.
type PromoData struct {
	Code            string      `json:"code"`
	DiscountPercent string      `json:"discountPercent"`
	ValidFrom       domain.Date `json:"validFrom,omitzero"`
	ValidTo         domain.Date `json:"validTo,omitzero"`
}

// CouponData is a redemption coupon.
type CouponData struct {
	Number     string `json:"number"`
	PartNumber string `json:"partNumber"`
	Redeemed   bool   `json:"redeemed,omitempty"`
}

// World is a Dataset converted to domain values and checked.
type World struct {
	// Clients have SecretHash set when the data gave secretHash; those given
	// a plain secret are hashed by Apply.
	Clients       []domain.Client
	Customers     []domain.Customer
	PriceLists    []domain.PriceList
	Parts         []domain.Part
	Models        []domain.Model
	Devices       []domain.Device
	Subscriptions []domain.Subscription
	Trials        []domain.TrialGrant
	Promos        []domain.PromoCode
	Coupons       []domain.Coupon
	InProgress    []string
	// Orders are the past orders, written after the subscriptions.
	Orders []PastOrder
	// The seats part; Apply writes it after the clients.
	Companies   []domain.Account
	Users       []SeatUser
	Licenses    []SeatLicenses
	Assignments []SeatAssignment
	// The accounts part; Apply writes the plans before the companies and
	// the tokens and links after them.
	ClientPlans  []domain.ClientPlan
	AccessTokens []AccessTokenRecord
	ManagedLinks []domain.ManagedLink

	secrets map[string]string // client id -> plain secret, hashed by Apply
}

// Build checks the dataset and converts it. Every problem is reported, with
// the path of its field (parts[2].duration), as one *domain.Error of
// CodeInvalid.
func (ds *Dataset) Build() (*World, error) {
	var p domain.Problems
	w := &World{InProgress: ds.InProgress}
	parts := map[string]*domain.Part{}
	for i, pd := range ds.Parts {
		f := "parts[" + strconv.Itoa(i) + "]"
		part := domain.Part{Number: pd.PartNumber, Description: pd.Description, ProductLine: domain.ProductLine(pd.ProductLine),
			Trial: pd.Trial, Bundle: pd.Bundle, Redemption: pd.Redemption, Models: pd.Models, Regions: pd.Regions, ActivationMethod: domain.OTA}
		if pd.PartNumber == "" {
			p.Add("REQUIRED", f+".partNumber", "partNumber is required")
		}
		if pd.ProductLine == "" {
			p.Add("REQUIRED", f+".productLine", "productLine is required")
		}
		st, err := domain.ParseServiceType(pd.ServiceType)
		if err != nil {
			p.Add("INVALID", f+".serviceType", "serviceType %q is not RTX or VRS", pd.ServiceType)
		}
		part.ServiceType = st
		dur, err := parseDuration(pd.Duration)
		if err != nil {
			p.Add("INVALID", f+".duration", "%v", err)
		}
		part.Duration = dur
		switch strings.ToUpper(pd.Activation) {
		case "", "OTA":
		case "EMAIL":
			part.ActivationMethod = domain.Email
		default:
			p.Add("INVALID", f+".activation", "activation %q is not OTA or EMAIL", pd.Activation)
		}
		w.Parts = append(w.Parts, part)
	}
	for i := range w.Parts {
		parts[w.Parts[i].Number] = &w.Parts[i]
	}
	for i, md := range ds.Models {
		m := domain.Model{Manufacturer: md.Manufacturer, Name: md.Model, Agriculture: md.Agriculture, SerialPattern: md.SerialPattern}
		f := "models[" + strconv.Itoa(i) + "]"
		if md.Model == "" {
			p.Add("REQUIRED", f+".model", "model is required")
		}
		if err := m.Compile(); err != nil {
			p.Add("INVALID", f+".serialPattern", "%v", err)
		}
		w.Models = append(w.Models, m)
	}
	for i, pl := range ds.PriceLists {
		f := "priceLists[" + strconv.Itoa(i) + "]"
		l := domain.PriceList{ID: pl.ID, Currency: domain.Currency(pl.Currency), Countries: pl.Countries}
		if !domain.ValidCurrency(pl.Currency) {
			p.Add("INVALID", f+".currency", "currency %q is not an ISO-4217 code", pl.Currency)
		}
		for j, it := range pl.Items {
			g := f + ".items[" + strconv.Itoa(j) + "]"
			price, err := decimal.NewFromString(it.ListPrice)
			if err != nil {
				p.Add("INVALID", g+".listPrice", "listPrice %q is not a decimal amount", it.ListPrice)
			}
			disc := decimal.Zero
			if it.DiscountPercent != "" {
				if disc, err = decimal.NewFromString(it.DiscountPercent); err != nil {
					p.Add("INVALID", g+".discountPercent", "discountPercent %q is not a decimal", it.DiscountPercent)
				}
			}
			l.Items = append(l.Items, domain.PriceItem{PartNumber: it.PartNumber, ListPrice: price, DiscountPercent: disc})
		}
		w.PriceLists = append(w.PriceLists, l)
	}
	apiKeys := map[string]string{}  // hash -> field that gave it
	holdsToken := map[string]bool{} // partners given an access token in this file
	for _, td := range ds.AccessTokens {
		holdsToken[td.Partner] = true
	}
	for i, cd := range ds.Clients {
		f := "clients[" + strconv.Itoa(i) + "]"
		c := domain.Client{ID: cd.ID, Name: cd.Name, SecretHash: cd.SecretHash}
		domain.CheckText(&p, f+".id", cd.ID, domain.MaxText)
		hasKey := cd.APIKey != "" || cd.APIKeyHash != ""
		switch {
		case cd.ID == "":
			p.Add("REQUIRED", f+".id", "id is required")
		case cd.Secret != "" && cd.SecretHash != "":
			p.Add("INVALID", f+".secret", "give secret or secretHash, not both")
		case cd.Secret != "":
			if len(cd.Secret) < 16 {
				p.Add("INVALID", f+".secret", "a secret needs at least 16 characters")
			}
			domain.CheckText(&p, f+".secret", cd.Secret, domain.MaxText)
			if w.secrets == nil {
				w.secrets = map[string]string{}
			}
			w.secrets[cd.ID] = cd.Secret
		case cd.SecretHash == "" && (hasKey || holdsToken[cd.ID]):
			// An Account Manager partner, or a GPS-Trace partner holding
			// access tokens: no store API secret.
		case !secret.Valid(cd.SecretHash):
			p.Add("INVALID", f+".secretHash", "secretHash must be an argon2id encoding ($argon2id$v=19$m=...,t=...,p=...$salt$key) or the 64 hex digits of the secret's SHA-256")
		}
		c.APIKeyHash = buildAPIKey(cd, f, &p)
		if c.APIKeyHash != "" {
			if prev, dup := apiKeys[c.APIKeyHash]; dup {
				p.Add("DUPLICATE", f+".apiKey", "this apiKey is also %s's; every partner needs its own", prev)
			}
			apiKeys[c.APIKeyHash] = f
		}
		w.Clients = append(w.Clients, c)
	}
	for i, cd := range ds.Customers {
		w.Customers = append(w.Customers, buildCustomer(cd, "customers["+strconv.Itoa(i)+"]", &p))
	}
	for i, dd := range ds.Devices {
		f := "devices[" + strconv.Itoa(i) + "]"
		if dd.SerialNumber == "" {
			p.Add("REQUIRED", f+".serialNumber", "serialNumber is required")
		}
		d := domain.Device{Serial: dd.SerialNumber, Manufacturer: dd.Manufacturer, Model: dd.Model, SSOEmails: dd.SSOEmails}
		if dd.ServiceType != "" {
			st, err := domain.ParseServiceType(dd.ServiceType)
			if err != nil {
				p.Add("INVALID", f+".serviceType", "serviceType %q is not RTX or VRS", dd.ServiceType)
			}
			d.ServiceType = st
		}
		w.Devices = append(w.Devices, d)
	}
	for i, sd := range ds.Subscriptions {
		f := "subscriptions[" + strconv.Itoa(i) + "]"
		s := domain.Subscription{ID: sd.ID, Serial: sd.SerialNumber, PartNumber: sd.PartNumber, ProductLine: domain.ProductLine(sd.ProductLine),
			Start: sd.Start, End: sd.End, Kind: domain.SubscriptionKind(strings.ToUpper(sd.Kind)), AutoRenew: sd.AutoRenewal, Activated: sd.Activated == nil || *sd.Activated}
		if s.ID == "" {
			s.ID = "sub-" + strconv.Itoa(i+1)
		}
		part := parts[sd.PartNumber]
		if part == nil && (s.ProductLine == "" || s.End.IsZero()) {
			p.Add("UNKNOWN", f+".partNumber", "part %q is not in the dataset; give productLine and end", sd.PartNumber)
		}
		if s.ProductLine == "" && part != nil {
			s.ProductLine = part.ProductLine
		}
		if s.Start.IsZero() {
			p.Add("REQUIRED", f+".start", "start is required (YYYY-MM-DD)")
		} else if s.End.IsZero() && part != nil {
			s.End = part.Duration.After(s.Start)
		}
		switch s.Kind {
		case "":
			s.Kind = domain.Paid
		case domain.Paid, domain.Trial, domain.Bundle:
		default:
			p.Add("INVALID", f+".kind", "kind %q is not PAID, TRIAL or BUNDLE", sd.Kind)
		}
		switch st := domain.SubscriptionStatus(strings.ToUpper(sd.Status)); st {
		case "", domain.Active, domain.Future, domain.Expired:
		case domain.Canceled, domain.Terminated:
			s.Ended = st
		default:
			p.Add("INVALID", f+".status", "status %q is not CANCELED or TERMINATED", sd.Status)
		}
		if !s.Start.IsZero() && !s.End.IsZero() && s.End.Before(s.Start) {
			p.Add("INVALID", f+".end", "end %s is before start %s", s.End, s.Start)
		}
		w.Subscriptions = append(w.Subscriptions, s)
		if s.Kind == domain.Trial {
			w.Trials = append(w.Trials, domain.TrialGrant{SerialKey: domain.SerialKey(s.Serial), ProductLine: s.ProductLine, PartNumber: s.PartNumber})
		}
	}
	for i, td := range ds.Trials {
		if td.SerialNumber == "" || td.ProductLine == "" {
			p.Add("REQUIRED", "trials["+strconv.Itoa(i)+"]", "a trial needs serialNumber and productLine")
		}
		w.Trials = append(w.Trials, domain.TrialGrant{SerialKey: domain.SerialKey(td.SerialNumber), ProductLine: domain.ProductLine(td.ProductLine)})
	}
	for i, pd := range ds.Promos {
		d, err := decimal.NewFromString(pd.DiscountPercent)
		if err != nil {
			p.Add("INVALID", "promos["+strconv.Itoa(i)+"].discountPercent", "discountPercent %q is not a decimal", pd.DiscountPercent)
		}
		w.Promos = append(w.Promos, domain.PromoCode{Code: pd.Code, DiscountPercent: d, ValidFrom: pd.ValidFrom, ValidTo: pd.ValidTo})
	}
	for _, cd := range ds.Coupons {
		w.Coupons = append(w.Coupons, domain.Coupon{Number: cd.Number, PartNumber: cd.PartNumber, Redeemed: cd.Redeemed})
	}
	ds.buildOrders(w, &p)
	ds.buildSeats(w, &p)
	ds.buildAccounts(w, &p)
	if err := p.Err(); err != nil {
		return nil, err
	}
	return w, nil
}

func buildCustomer(cd CustomerData, f string, p *domain.Problems) domain.Customer {
	c := domain.Customer{ID: cd.ID, ClientID: cd.ClientID, ParentID: cd.Parent, Kind: domain.Reseller, Name: cd.Name,
		Country: cd.Country, PriceListID: cd.PriceList, Active: !cd.Inactive, CreatedAt: cd.CreatedAt,
		DiscountPercent: cd.DiscountPercent, CreditHold: cd.CreditHold}
	if cd.ID == "" {
		p.Add("REQUIRED", f+".id", "id is required")
	}
	if cd.DiscountPercent != "" {
		if d, err := decimal.NewFromString(cd.DiscountPercent); err != nil || d.IsNegative() || d.GreaterThan(decimal.NewFromInt(100)) {
			p.Add("INVALID", f+".discountPercent", "discountPercent %q is not a percentage from 0 to 100", cd.DiscountPercent)
		}
	}
	switch strings.ToUpper(cd.Kind) {
	case "", "RESELLER":
	case "END_CUSTOMER":
		c.Kind = domain.EndCustomer
		if cd.Parent == "" {
			p.Add("REQUIRED", f+".parent", "an END_CUSTOMER names its reseller in parent")
		}
	default:
		p.Add("INVALID", f+".kind", "kind %q is not RESELLER or END_CUSTOMER", cd.Kind)
	}
	if r, err := domain.ParseRegion(cd.Region); err != nil {
		p.Add("INVALID", f+".region", "region %q is not one of AMERICA, EUROPE, APAC, EMEA, SOUTH AFRICA", cd.Region)
	} else {
		c.Region = r
	}
	for j, sd := range cd.Sites {
		g := f + ".sites[" + strconv.Itoa(j) + "]"
		s := domain.Site{SiteUseID: sd.SiteUseID, Address: sd.Address, Country: sd.Country, AutoRenewFlag: sd.AutoRenew == nil || *sd.AutoRenew}
		switch strings.ToUpper(sd.Use) {
		case "BILL_TO":
			s.Use = domain.BillTo
		case "SHIP_TO":
			s.Use = domain.ShipTo
		default:
			p.Add("INVALID", g+".use", "use %q is not BILL_TO or SHIP_TO", sd.Use)
		}
		s.Region = c.Region
		if sd.Region != "" {
			r, err := domain.ParseRegion(sd.Region)
			if err != nil {
				p.Add("INVALID", g+".region", "region %q is not one of AMERICA, EUROPE, APAC, EMEA, SOUTH AFRICA", sd.Region)
			}
			s.Region = r
		}
		if s.Country == "" {
			s.Country = c.Country
		}
		if sd.SiteUseID <= 0 {
			p.Add("REQUIRED", g+".siteUseId", "siteUseId must be a positive number")
		}
		c.Sites = append(c.Sites, s)
	}
	return c
}

// parseDuration reads "1 YEAR", "16 MONTHS", "30 DAY".
func parseDuration(s string) (domain.Duration, error) {
	fields := strings.Fields(s)
	if len(fields) != 2 {
		return domain.Duration{}, fmt.Errorf("duration %q is not like \"1 YEAR\", \"16 MONTH\" or \"30 DAY\"", s)
	}
	n, err := strconv.Atoi(fields[0])
	if err != nil || n <= 0 {
		return domain.Duration{}, fmt.Errorf("duration %q does not start with a positive whole number", s)
	}
	u, err := domain.ParseDurationUnit(fields[1])
	if err != nil {
		return domain.Duration{}, fmt.Errorf("duration %q: unit is not DAY, MONTH or YEAR", s)
	}
	return domain.Duration{N: n, Unit: u}, nil
}

// Apply writes the world into a store transaction. Writing the same world
// twice leaves the store as after the first time.
func (w *World) Apply(ctx context.Context, tx ports.Tx) error {
	for _, c := range w.Clients {
		if plain, ok := w.secrets[c.ID]; ok {
			h, err := hashOnce(ctx, tx, c.ID, plain)
			if err != nil {
				return err
			}
			c.SecretHash = h
		}
		if err := tx.Clients().Put(ctx, c); err != nil {
			return err
		}
	}
	for _, c := range w.Customers {
		if err := tx.Customers().Put(ctx, c); err != nil {
			return err
		}
	}
	cat := tx.Catalog()
	for _, l := range w.PriceLists {
		if err := cat.PutPriceList(ctx, l); err != nil {
			return err
		}
	}
	for _, p := range w.Parts {
		if err := cat.PutPart(ctx, p); err != nil {
			return err
		}
	}
	for _, m := range w.Models {
		if err := cat.PutModel(ctx, m); err != nil {
			return err
		}
	}
	for _, p := range w.Promos {
		if err := cat.PutPromo(ctx, p); err != nil {
			return err
		}
	}
	// Loading a file again must not roll back what happened since: a coupon
	// stays redeemed, a device keeps the SSO e-mails orders added, a
	// subscription already stored is left as it is.
	for _, c := range w.Coupons {
		if old, err := cat.Coupon(ctx, c.Number); err == nil {
			c.Redeemed = c.Redeemed || old.Redeemed
		} else if !notFound(err) {
			return err
		}
		if err := cat.PutCoupon(ctx, c); err != nil {
			return err
		}
	}
	for _, d := range w.Devices {
		if old, err := tx.Devices().BySerial(ctx, d.Serial); err == nil {
			for _, e := range old.SSOEmails {
				if !slices.Contains(d.SSOEmails, e) {
					d.SSOEmails = append(d.SSOEmails, e)
				}
			}
		} else if !notFound(err) {
			return err
		}
		if err := tx.Devices().Put(ctx, d); err != nil {
			return err
		}
	}
	for _, s := range w.Subscriptions {
		tl, err := tx.Subscriptions().BySerial(ctx, s.Serial)
		if err != nil {
			return err
		}
		if slices.ContainsFunc(tl, func(o domain.Subscription) bool { return o.ID == s.ID }) {
			continue
		}
		if err := tx.Subscriptions().Put(ctx, s); err != nil {
			return err
		}
	}
	if err := w.applyOrders(ctx, tx); err != nil {
		return err
	}
	for _, serial := range w.InProgress {
		placeholder, err := tx.Orders().Find(ctx, domain.OrderQuery{PONumber: "IN-PROGRESS-" + serial})
		if err != nil {
			return err
		}
		if len(placeholder) > 0 {
			continue // loaded before, whatever became of it
		}
		o := domain.Order{Status: domain.OrderInProgress, PONumber: "IN-PROGRESS-" + serial,
			Lines: []domain.OrderLine{{LineNumber: 1, SerialNumber: serial, Quantity: 1}}}
		if err := tx.Orders().Create(ctx, &o); err != nil {
			return err
		}
	}
	existing := map[string]bool{}
	for _, g := range w.Trials {
		k := g.SerialKey + "\x00" + string(g.ProductLine)
		if existing[k] {
			continue
		}
		existing[k] = true
		have, err := tx.Trials().BySerial(ctx, g.SerialKey)
		if err != nil {
			return err
		}
		dup := false
		for _, h := range have {
			dup = dup || h.ProductLine == g.ProductLine
		}
		if !dup {
			if err := tx.Trials().Record(ctx, g); err != nil {
				return err
			}
		}
	}
	if err := w.applyClientPlans(ctx, tx); err != nil {
		return err
	}
	if err := w.applySeats(ctx, tx); err != nil {
		return err
	}
	return w.applyAccounts(ctx, tx)
}

// Parse reads a data file, YAML or JSON (JSON is YAML), strictly: an unknown
// field, a duplicate key (refused by default) or a value of the wrong type is an error naming its
// line and column. Parse checks the form only; Build checks the values.
func Parse(data []byte) (ds *Dataset, err error) {
	// The YAML decoder panics on a few malformed inputs (found by
	// FuzzParse: "subscriptions: ! "); they are bad input, not a crash.
	defer func() {
		if r := recover(); r != nil {
			ds, err = nil, domain.Errorf(domain.CodeInvalid, "", "the data file is not valid YAML or JSON: %v", r)
		}
	}()
	ds = &Dataset{}
	if err := yaml.UnmarshalWithOptions(data, ds, yaml.Strict()); err != nil {
		return nil, domain.Errorf(domain.CodeInvalid, "", "%s", yaml.FormatError(err, false, true))
	}
	return ds, nil
}

// Merge returns a dataset holding ds's records followed by more's, as if
// written in one file.
func (ds *Dataset) Merge(more *Dataset) *Dataset {
	out := &Dataset{}
	out.Clients = append(slices.Clone(ds.Clients), more.Clients...)
	out.Customers = append(slices.Clone(ds.Customers), more.Customers...)
	out.PriceLists = append(slices.Clone(ds.PriceLists), more.PriceLists...)
	out.Parts = append(slices.Clone(ds.Parts), more.Parts...)
	out.Models = append(slices.Clone(ds.Models), more.Models...)
	out.Devices = append(slices.Clone(ds.Devices), more.Devices...)
	out.Subscriptions = append(slices.Clone(ds.Subscriptions), more.Subscriptions...)
	out.Trials = append(slices.Clone(ds.Trials), more.Trials...)
	out.Promos = append(slices.Clone(ds.Promos), more.Promos...)
	out.Coupons = append(slices.Clone(ds.Coupons), more.Coupons...)
	out.InProgress = append(slices.Clone(ds.InProgress), more.InProgress...)
	out.Orders = append(slices.Clone(ds.Orders), more.Orders...)
	out.Companies = append(slices.Clone(ds.Companies), more.Companies...)
	out.Users = append(slices.Clone(ds.Users), more.Users...)
	out.Licenses = append(slices.Clone(ds.Licenses), more.Licenses...)
	out.Assignments = append(slices.Clone(ds.Assignments), more.Assignments...)
	out.ClientPlans = append(slices.Clone(ds.ClientPlans), more.ClientPlans...)
	out.AccessTokens = append(slices.Clone(ds.AccessTokens), more.AccessTokens...)
	out.ManagedLinks = append(slices.Clone(ds.ManagedLinks), more.ManagedLinks...)
	return out
}

// Load builds the dataset and applies it to store in one transaction: all of
// it, or nothing when any field is wrong (CodeInvalid, with field paths).
// Loading the same dataset twice changes nothing the second time.
func (ds *Dataset) Load(ctx context.Context, store ports.Store) (*World, error) {
	w, err := ds.Build()
	if err != nil {
		return nil, err
	}
	if err := store.Update(ctx, func(tx ports.Tx) error { return w.Apply(ctx, tx) }); err != nil {
		return nil, err
	}
	return w, nil
}

func notFound(err error) bool { return domain.ErrorCode(err) == domain.CodeNotFound }

// hashOnce returns the stored form of a client's plain secret: the one the
// store already holds when it matches (so loading a file again changes
// nothing), else a new argon2id hash. The salt comes from crypto/rand: a salt
// must be unpredictable, and nothing depends on its value.
func hashOnce(ctx context.Context, tx ports.Tx, id, plain string) (string, error) {
	old, err := tx.Clients().Get(ctx, id)
	if err == nil {
		if ok, legacy := secret.Check(old.SecretHash, plain); ok && !legacy {
			return old.SecretHash, nil
		}
	} else if !notFound(err) {
		return "", err
	}
	return secret.Hash(plain, rand.Reader, secret.Default)
}
