package accountops

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/entitle-rules/entitle/adapters/httpapi"
	"github.com/entitle-rules/entitle/domain"
)

// The wire codes of seed 003's partner API (the vendor's status table; the
// names are Directus's).
const (
	codeFailedValidation = "FAILED_VALIDATION"
	codeInvalidPayload   = "INVALID_PAYLOAD"
	codeInvalidQuery     = "INVALID_QUERY"
	codeTokenExpired     = "TOKEN_EXPIRED"
	codeForbidden        = "FORBIDDEN"
	codeInvalidToken     = "INVALID_TOKEN"
	codeRouteNotFound    = "ROUTE_NOT_FOUND"
	codeUnsupportedMedia = "UNSUPPORTED_MEDIA_TYPE"
	codeTooLarge         = "CONTENT_TOO_LARGE"
	codeRequestsExceeded = "REQUESTS_EXCEEDED"
	codeKeyReused        = "IDEMPOTENCY_KEY_REUSED"
	codeInProgress       = "REQUEST_IN_PROGRESS"
	codeUnavailable      = "SERVICE_UNAVAILABLE"
	codeInternal         = "INTERNAL_SERVER_ERROR"
)

// wireError gives an error the wire code it answers with, where the code
// depends on where it was found (a body that is not the request's JSON is
// INVALID_PAYLOAD, a bad query INVALID_QUERY), not only on its domain code.
type wireError struct {
	code string
	err  error
}

func (e *wireError) Error() string { return e.err.Error() }
func (e *wireError) Unwrap() error { return e.err }

func payloadError(err error) error { return &wireError{code: codeInvalidPayload, err: err} }

func queryError(field, format string, args ...any) error {
	return &wireError{code: codeInvalidQuery, err: domain.Errorf(domain.CodeInvalid, field, format, args...)}
}

// MaxUnix is the latest instant blocked_at may name: 9999-12-31T23:59:59Z.
const MaxUnix = 253402300799

// The request bodies, decoded strictly (httpapi.DecodeBytes): a field the
// request does not have, a key given twice, text that is not UTF-8 and a
// value of the wrong type are each INVALID_PAYLOAD naming the field; a
// required field left out or a value out of range is FAILED_VALIDATION.

type blockedRequest struct {
	Blocked *bool `json:"blocked"`
}

type blockedAtRequest struct {
	// Raw, not json.Number, which would take "1748120400" (text) too.
	BlockedAt *json.RawMessage `json:"blocked_at"`
}

type planRequest struct {
	TariffPlanID *string `json:"tariff_plan_id"`
	AppID        *string `json:"app_id"`
}

// decodeBlocked decodes PATCH /partner/accounts/{id}/set-blocked.
func decodeBlocked(b []byte) (bool, error) {
	var req blockedRequest
	if err := httpapi.DecodeBytes(b, &req); err != nil {
		return false, payloadError(err)
	}
	if req.Blocked == nil {
		return false, domain.Errorf(domain.CodeInvalid, "blocked", "blocked is required: true to block the account, false to unblock it")
	}
	return *req.Blocked, nil
}

// decodeBlockedAt decodes PATCH /partner/accounts/{id}/set-blocked-at:
// blocked_at is a whole number of seconds since 1970 (UTC), up to MaxUnix.
// Whether it is in the past is the use case's question.
func decodeBlockedAt(b []byte) (time.Time, error) {
	var req blockedAtRequest
	if err := httpapi.DecodeBytes(b, &req); err != nil {
		return time.Time{}, payloadError(err)
	}
	if req.BlockedAt == nil {
		return time.Time{}, domain.Errorf(domain.CodeInvalid, "blocked_at", "blocked_at is required: when to block the account, in Unix seconds")
	}
	raw := string(*req.BlockedAt)
	if raw == "" || raw[0] == '"' || raw[0] == '{' || raw[0] == '[' || raw == "true" || raw == "false" {
		return time.Time{}, payloadError(domain.Errorf(domain.CodeInvalid, "blocked_at", "blocked_at must be a number, not %s", clip(raw)))
	}
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || n < 0 || n > MaxUnix {
		return time.Time{}, domain.Errorf(domain.CodeInvalid, "blocked_at", "blocked_at %s must be a whole number of seconds since 1970-01-01 UTC, at most %d", clip(raw), MaxUnix)
	}
	return time.Unix(n, 0).UTC(), nil
}

// decodePlan decodes PUT (or POST) /partner/accounts/{id}/client-plan.
func decodePlan(b []byte) (planID, appID string, err error) {
	var req planRequest
	if err := httpapi.DecodeBytes(b, &req); err != nil {
		return "", "", payloadError(err)
	}
	var p domain.Problems
	if req.TariffPlanID == nil || *req.TariffPlanID == "" {
		p.Add("REQUIRED", "tariff_plan_id", "tariff_plan_id is required: a plan of GET /partner/client-plans")
	}
	if req.AppID == nil || *req.AppID == "" {
		p.Add("REQUIRED", "app_id", "app_id is required: the application the plan belongs to")
	}
	if err := p.Err(); err != nil {
		return "", "", err
	}
	return *req.TariffPlanID, *req.AppID, nil
}

// The query decoders: a parameter a route does not list, one given twice
// and a value of the wrong form are each INVALID_QUERY naming it.

// countQuery decodes GET /partner/accounts/count?is_attached&app_id&activated.
func countQuery(raw string) (domain.AccountQuery, error) {
	var q domain.AccountQuery
	vals, err := parseQuery(raw, "is_attached", "app_id", "activated")
	if err != nil {
		return q, err
	}
	for k, v := range vals {
		switch k {
		case "app_id":
			if v == "" {
				return q, queryError(k, "app_id is empty; leave it out to count accounts of every app")
			}
			q.AppID = v
		default:
			b, err := strconv.ParseBool(v)
			if err != nil || (v != "true" && v != "false") {
				return q, queryError(k, "%s %q must be true or false", k, clip(v))
			}
			if k == "is_attached" {
				q.Attached = &b
			} else {
				q.Activated = &b
			}
		}
	}
	return q, nil
}

// limitsQuery decodes GET /partner/accounts/{id}/limits?app_id= (required).
func limitsQuery(raw string) (string, error) {
	vals, err := parseQuery(raw, "app_id")
	if err != nil {
		return "", err
	}
	if vals["app_id"] == "" {
		return "", queryError("app_id", "app_id is required: the application whose limits to read")
	}
	return vals["app_id"], nil
}

// parseQuery reads raw, allowing only names, each once.
func parseQuery(raw string, names ...string) (map[string]string, error) {
	q, err := url.ParseQuery(raw)
	if err != nil {
		return nil, queryError("", "the query string is malformed (%v); write name=value pairs joined by &", err)
	}
	out := map[string]string{}
	for k, vs := range q {
		known := false
		for _, n := range names {
			known = known || n == k
		}
		switch {
		case !known && len(names) == 0:
			return nil, queryError(clip(k), "%s is not a parameter of this request; it takes none", clip(k))
		case !known:
			return nil, queryError(clip(k), "%s is not a parameter of this request; use %s", clip(k), strings.Join(names, ", "))
		case len(vs) > 1:
			return nil, queryError(k, "%s is given %d times; give it once", k, len(vs))
		}
		out[k] = vs[0]
	}
	return out, nil
}

// accountID reads the {id} of a path: a positive whole number within 2^53-1.
func accountID(s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 1 || n > domain.MaxID {
		return 0, domain.Errorf(domain.CodeInvalid, "id", "the account id %q must be a whole number from 1 to %d", clip(s), int64(domain.MaxID))
	}
	return n, nil
}

// clip is text a client sent as an error may repeat it: valid UTF-8, at most
// 64 bytes.
func clip(s string) string {
	const most = 64
	s = strings.ToValidUTF8(s, "\ufffd")
	if len(s) > most {
		n := most
		for n > 0 && s[n]&0xC0 == 0x80 {
			n--
		}
		s = s[:n] + "..."
	}
	return s
}

// The answers: every success is {"data": ...}.

type dataAnswer struct {
	Data any `json:"data"`
}

// accountAnswer is seed 003's account object. Instants are Unix seconds;
// what the account does not have is null, as the seed shows.
type accountAnswer struct {
	ID           int64                      `json:"id"`
	PID          any                        `json:"pid"`
	Title        string                     `json:"title"`
	Description  string                     `json:"description"`
	LinkApp      *string                    `json:"link_app"`
	RegApps      []string                   `json:"reg_apps"`
	CreatedAt    *int64                     `json:"created_at"`
	UpdatedAt    *int64                     `json:"updated_at"`
	Ack          *int64                     `json:"ack"`
	Subs         map[string]subscriptionRef `json:"subscriptions"`
	ServiceApps  []string                   `json:"service_apps"`
	IsAttached   bool                       `json:"is_attached"`
	AttachedAt   *int64                     `json:"attached_at"`
	AddedTime    *int64                     `json:"added_time"`
	IsPremium    bool                       `json:"is_premium"`
	Type         *int                       `json:"type"`
	TariffPlans  map[string]string          `json:"tariff_plans"`
	Blocked      bool                       `json:"blocked"`
	BlockedAtSec *int64                     `json:"blocked_at"`
}

// subscriptionRef is an account's premium subscription of one app, in the
// account object's subscriptions (keyed by app id).
type subscriptionRef struct {
	SubscriptionID string `json:"subscription_id"`
	Type           string `json:"type"`
	Active         bool   `json:"active"`
	Expiry         *int64 `json:"expiry"`
}

func unix(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	n := t.Unix()
	return &n
}

// pid is the partner's id: a number when the partner's id is one (the seed
// shows a number), else the id as text.
func pid(partner string) any {
	if n, err := strconv.ParseInt(partner, 10, 64); err == nil && n >= 0 && n <= domain.MaxID && strconv.FormatInt(n, 10) == partner {
		return n
	}
	return partner
}

// accountOf renders a as seed 003's object at instant now: blocked and
// blocked_at are functions of its block records and now.
func accountOf(a domain.Account, now time.Time) accountAnswer {
	out := accountAnswer{ID: a.ID, PID: pid(a.PartnerID), Title: a.Title, Description: a.Description,
		RegApps: nonNil(a.RegApps), ServiceApps: nonNil(a.ServiceApps),
		CreatedAt: unix(a.CreatedAt), UpdatedAt: unix(a.UpdatedAt), AddedTime: unix(a.AddedAt),
		IsAttached: a.Attached, Subs: map[string]subscriptionRef{}, TariffPlans: map[string]string{},
		Blocked: a.BlockedAt(now)}
	if out.UpdatedAt == nil {
		out.UpdatedAt = out.CreatedAt
	}
	if a.LinkApp != "" {
		out.LinkApp = &a.LinkApp
	}
	if a.Activated {
		out.Ack = unix(a.ActivatedAt)
	}
	if a.Attached {
		out.AttachedAt = unix(a.AttachedAt)
	}
	if a.Type != domain.AccountSelfRegistered {
		t := int(a.Type)
		out.Type = &t
	}
	for app, plan := range a.Plans {
		out.TariffPlans[app] = plan
	}
	for _, s := range a.Premium {
		live := s.Active && (s.Expiry.IsZero() || s.Expiry.After(now))
		out.IsPremium = out.IsPremium || live
		if prev, ok := out.Subs[s.AppID]; ok && prev.Active && !live {
			continue
		}
		out.Subs[s.AppID] = subscriptionRef{SubscriptionID: s.SubscriptionID, Type: s.Type, Active: live, Expiry: unix(s.Expiry)}
	}
	// blocked_at is when the account will be blocked: null while it is
	// (seed 003's set-blocked answer shows blocked true, blocked_at null).
	if at, ok := a.ScheduledBlock(now); ok && !out.Blocked {
		out.BlockedAtSec = unix(at)
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

type planChangeAnswer struct {
	AccountID    int64  `json:"account_id"`
	TariffPlanID string `json:"tariff_plan_id"`
	AppID        string `json:"app_id"`
}

type quotasAnswer struct {
	Unit        int `json:"unit"`
	Geofence    int `json:"geofence"`
	UnitStorage int `json:"unit_storage"`
}

type planAnswer struct {
	ID          string       `json:"id"`
	AppID       string       `json:"app_id"`
	Name        string       `json:"name"`
	Description string       `json:"description"`
	Quotas      quotasAnswer `json:"quotas"`
	Modules     []string     `json:"modules"`
}

func planOf(p domain.ClientPlan) planAnswer {
	return planAnswer{ID: p.ID, AppID: p.AppID, Name: p.Name, Description: p.Description,
		Quotas:  quotasAnswer{Unit: p.Quotas.Units, Geofence: p.Quotas.Geofences, UnitStorage: p.Quotas.UnitStorage},
		Modules: nonNil(p.Modules)}
}

type purchaseAnswer struct {
	OrderID   string `json:"order_id"`
	AutoRenew bool   `json:"auto_renew"`
}

// premiumAnswer is one item of seed 003's subscriptions answer.
type premiumAnswer struct {
	AccountID      int64          `json:"account_id"`
	AppID          string         `json:"app_id"`
	Active         bool           `json:"active"`
	Type           string         `json:"type"`
	SubscriptionID string         `json:"subscription_id"`
	Expiry         *int64         `json:"expiry"`
	PurchaseData   purchaseAnswer `json:"purchase_data"`
	Data           struct{}       `json:"data"`
}

func premiumOf(id int64, s domain.AppSubscription, now time.Time) premiumAnswer {
	return premiumAnswer{AccountID: id, AppID: s.AppID, Active: s.Active && (s.Expiry.IsZero() || s.Expiry.After(now)),
		Type: s.Type, SubscriptionID: s.SubscriptionID, Expiry: unix(s.Expiry),
		PurchaseData: purchaseAnswer{OrderID: s.OrderID, AutoRenew: s.AutoRenew}}
}

// limitsAnswer is seed 003's limits: unit_extra_fields and
// unit_notify_settings are null when not set, as the seed shows.
type limitsAnswer struct {
	AccountID          int64 `json:"account_id"`
	Unit               int   `json:"unit"`
	Geofence           int   `json:"geofence"`
	User               int   `json:"user"`
	Triggers           int   `json:"triggers"`
	UnitExtraFields    *int  `json:"unit_extra_fields"`
	UnitNotifySettings *int  `json:"unit_notify_settings"`
}

func limitsOf(id int64, l domain.Limits) limitsAnswer {
	opt := func(n int) *int {
		if n == 0 {
			return nil
		}
		return &n
	}
	return limitsAnswer{AccountID: id, Unit: l.Units, Geofence: l.Geofences, User: l.Users, Triggers: l.Triggers,
		UnitExtraFields: opt(l.UnitExtraFields), UnitNotifySettings: opt(l.UnitNotifySettings)}
}

// The error envelope (Directus's, whose code names the vendor's table
// repeats word for word).
type errorsEnvelope struct {
	Errors []errorItem `json:"errors"`
}

type errorItem struct {
	Message    string     `json:"message"`
	Extensions extensions `json:"extensions"`
}

type extensions struct {
	Code  string `json:"code"`
	Field string `json:"field,omitempty"`
}
