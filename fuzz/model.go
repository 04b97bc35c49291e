package fuzz

import (
	"slices"
	"strings"
	"time"

	"github.com/entitle-rules/entitle/domain"
)

// Model is the reference model of entitle's observable state that the
// Machine checks every store against: what a person reading the seeds and
// the rules in DESIGN.md would write down, in plain maps and slices, with
// no concern for speed. It knows the world WorldData loads and nothing of
// how a store keeps it.
//
// Where the shipped rule files decide (a start date, a refusal), the Model
// predicts in strict mode; otherwise it learns the decision from the answer,
// after checking that the decision keeps the invariants no rule file may
// switch off.
type Model struct {
	Now time.Time

	// Subs are each serial's subscriptions (all of product line
	// CENTERPOINT), in the order they were granted.
	Subs map[string][]Sub
	// Trials are the serials that were ever granted a trial: the trial
	// ledger.
	Trials map[string]bool

	// Users are the company's live users: externalId key -> the spelling
	// stored.
	Users map[string]string
	// Owned is how many seats of each product the company owns.
	Owned map[string]int
	// Holders are, per product, the keys of the users holding a seat today.
	Holders map[string]map[string]bool

	// Blocks are the Forguard account's block records, in the order they
	// were written.
	Blocks []Block
	// Plan is the Forguard account's client plan of the Forguard app.
	Plan string

	// Links are the live managed-billing links, by managed account.
	Links map[string]Link
	// TxIDs are the transaction ids add requests answered, oldest first.
	TxIDs []string
}

// Sub is a subscription: a part, its kind and its period (Pacific civil
// dates, both days included).
type Sub struct {
	Part       string
	Kind       domain.SubscriptionKind
	Start, End domain.Date
}

// Block is a block record: blocked (or not) from At on.
type Block struct {
	At      time.Time
	Blocked bool
}

// Link is a live managed-billing link of a managed account.
type Link struct {
	TxID        string
	Provisioned bool
}

// NewModel returns the model of the world WorldData loads, at Start.
func NewModel() *Model {
	m := &Model{Now: Start, Subs: map[string][]Sub{}, Trials: map[string]bool{},
		Users: map[string]string{domain.ExternalKey("fleet-admin"): "fleet-admin"}, Owned: map[string]int{}, Holders: map[string]map[string]bool{},
		Plan: Plans[0], Links: map[string]Link{}}
	for _, p := range SeatProductIDs {
		m.Owned[p] = InitialSeats
		m.Holders[p] = map[string]bool{}
	}
	return m
}

// Today is the model's civil date in Los Angeles, the zone of service dates.
func (m *Model) Today() domain.Date { return domain.Today(m.Now, domain.Pacific) }

// kindOf is the kind of subscription a part grants.
func kindOf(part string) domain.SubscriptionKind {
	switch part {
	case TrialPart:
		return domain.Trial
	case BundlePart:
		return domain.Bundle
	}
	return domain.Paid
}

// End is when a subscription of part starting on start ends: a year (month
// end clamped) or 30 days later, as the seed's sample 2025-04-24 ->
// 2026-04-24 reads.
func End(part string, start domain.Date) domain.Date {
	if part == TrialPart {
		return start.AddDays(30)
	}
	return start.AddYears(1)
}

// activeOn returns the serial's subscription active on day, if any.
func (m *Model) activeOn(serial string, day domain.Date) (Sub, bool) {
	for _, s := range m.Subs[serial] {
		if !day.Before(s.Start) && !day.After(s.End) {
			return s, true
		}
	}
	return Sub{}, false
}

// chainEnd is the last day of the run of back-to-back subscriptions that
// holds day, if one does.
func (m *Model) chainEnd(serial string, day domain.Date) (domain.Date, bool) {
	s, ok := m.activeOn(serial, day)
	if !ok {
		return domain.Date{}, false
	}
	end := s.End
	for {
		next, ok := m.activeOn(serial, end.AddDays(1))
		if !ok {
			return end, true
		}
		end = next.End
	}
}

// hasFuture reports whether the serial holds a subscription starting after
// day.
func (m *Model) hasFuture(serial string, day domain.Date) bool {
	return slices.ContainsFunc(m.Subs[serial], func(s Sub) bool { return s.Start.After(day) })
}

// Prediction is what the model says of an order line: known says whether
// it can tell (the shipped rules' outcome); then allowed, and for an
// allowed line its period.
type Prediction struct {
	Known      bool
	Allowed    bool
	Start, End domain.Date
}

// PredictOrder is the shipped rules' decision on a one-line order of part
// for serial requesting a start on requested, where the model can tell it.
func (m *Model) PredictOrder(serial, part string, requested domain.Date) Prediction {
	today := m.Today()
	if requested.After(today.AddDays(3)) {
		return Prediction{Known: true} // START_DATE_TOO_LATE
	}
	switch part {
	case TrialPart:
		if m.Trials[serial] || slices.ContainsFunc(m.Subs[serial], func(s Sub) bool { return s.Kind == domain.Paid && !s.Start.After(today) }) {
			return Prediction{Known: true} // a trial once, never after a paid subscription
		}
	case BundlePart:
		if slices.ContainsFunc(m.Subs[serial], func(s Sub) bool { return s.Kind == domain.Bundle }) {
			return Prediction{Known: true} // a bundle once
		}
	}
	if m.hasFuture(serial, today) {
		return Prediction{}
	}
	start := requested
	if part == TrialPart {
		start = today
	}
	if end, ok := m.chainEnd(serial, today); ok {
		if part == TrialPart && slices.ContainsFunc(m.Subs[serial], func(s Sub) bool { return s.Kind != domain.Bundle && !s.End.Before(today) }) {
			return Prediction{}
		}
		start = end.AddDays(1)
	} else if start.Before(today) {
		return Prediction{}
	}
	return Prediction{Known: true, Allowed: true, Start: start, End: End(part, start)}
}

// CheckGrant checks a granted subscription against the invariants no rule
// file may switch off: it lasts as long as its part says, overlaps none of
// the serial's subscriptions, continues the serial's active run when one
// holds today, and is not a second trial. It returns what is wrong, or "".
func (m *Model) CheckGrant(serial string, s Sub) string {
	today := m.Today()
	switch {
	case s.End != End(s.Part, s.Start):
		return "period " + s.Start.String() + ".." + s.End.String() + " is not the part's duration"
	case s.Kind == domain.Trial && m.Trials[serial]:
		return "a second trial"
	}
	for _, o := range m.Subs[serial] {
		if !s.End.Before(o.Start) && !o.End.Before(s.Start) {
			return "overlaps " + o.Part + " " + o.Start.String() + ".." + o.End.String()
		}
	}
	if end, ok := m.chainEnd(serial, today); ok && s.Start != end.AddDays(1) && s.Start.After(today) {
		return "starts " + s.Start.String() + ", not the day after the active run ends (" + end.String() + ")"
	}
	return ""
}

// Grant records a granted subscription.
func (m *Model) Grant(serial string, s Sub) {
	m.Subs[serial] = append(m.Subs[serial], s)
	if s.Kind == domain.Trial {
		m.Trials[serial] = true
	}
}

// BlockedAt is whether the records say the account is blocked at t: of the
// records at or before t, the latest (the later written of two at one
// instant) decides; none, not blocked.
func (m *Model) BlockedAt(t time.Time) bool {
	blocked, latest := false, time.Time{}
	for _, b := range m.Blocks {
		if !b.At.After(t) && !b.At.Before(latest) {
			blocked, latest = b.Blocked, b.At
		}
	}
	return blocked
}

// Scheduled is the earliest block after now, if any.
func (m *Model) Scheduled() (time.Time, bool) {
	var next time.Time
	for _, b := range m.Blocks {
		if b.Blocked && b.At.After(m.Now) && (next.IsZero() || b.At.Before(next)) {
			next = b.At
		}
	}
	return next, !next.IsZero()
}

// cancelScheduled drops the records after now.
func (m *Model) cancelScheduled() {
	m.Blocks = slices.DeleteFunc(m.Blocks, func(b Block) bool { return b.At.After(m.Now) })
}

// Block is set-blocked: scheduled blocks are cancelled and the account is
// blocked (or unblocked) from now on; a record is written only when the
// state at now changes.
func (m *Model) Block(blocked bool) {
	m.cancelScheduled()
	if m.BlockedAt(m.Now) != blocked {
		m.Blocks = append(m.Blocks, Block{At: m.Now, Blocked: blocked})
	}
}

// Schedule is set-blocked-at: the one scheduled block is at at. A time
// before now is refused (false) and changes nothing.
func (m *Model) Schedule(at time.Time) bool {
	if at.Before(m.Now) {
		return false
	}
	m.cancelScheduled()
	m.Blocks = append(m.Blocks, Block{At: at, Blocked: true})
	return true
}

// userKey is how externalIds compare: case-insensitively.
func userKey(ext string) string { return domain.ExternalKey(ext) }

// free is how many seats of product are free today.
func (m *Model) free(product string) int { return m.Owned[product] - len(m.Holders[product]) }

// Assign is what assigning a seat of product to ext answers: "not_found"
// (no such user), "held" (the user holds one already: harmless), "full"
// (no free seat) or "ok"; "ok" records it.
func (m *Model) Assign(product, ext string) string {
	k := userKey(ext)
	switch {
	case m.Users[k] == "":
		return "not_found"
	case m.Holders[product][k]:
		return "held"
	case m.free(product) <= 0:
		return "full"
	}
	m.Holders[product][k] = true
	return "ok"
}

// Release is what releasing ext's seat of product answers: "not_found",
// "none" (no seat held: harmless) or "ok".
func (m *Model) Release(product, ext string) string {
	k := userKey(ext)
	switch {
	case m.Users[k] == "":
		return "not_found"
	case !m.Holders[product][k]:
		return "none"
	}
	delete(m.Holders[product], k)
	return "ok"
}

// DeleteUser removes a user and the seats it holds; false when there is no
// such user.
func (m *Model) DeleteUser(ext string) bool {
	k := userKey(ext)
	if m.Users[k] == "" {
		return false
	}
	delete(m.Users, k)
	for _, h := range m.Holders {
		delete(h, k)
	}
	return true
}

// AddUser adds a user; false when a live user has that externalId in any
// case.
func (m *Model) AddUser(ext string) bool {
	k := userKey(ext)
	if m.Users[k] != "" {
		return false
	}
	m.Users[k] = ext
	return true
}

// UserList is the live users' externalIds as stored, sorted.
func (m *Model) UserList() []string {
	out := make([]string, 0, len(m.Users))
	for _, v := range m.Users {
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b string) int { return strings.Compare(userKey(a), userKey(b)) })
	return out
}
