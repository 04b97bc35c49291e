package domain

import "time"

// SubscriptionKind says how a subscription was obtained.
type SubscriptionKind string

// The subscription kinds.
const (
	Paid   SubscriptionKind = "PAID"
	Trial  SubscriptionKind = "TRIAL"
	Bundle SubscriptionKind = "BUNDLE"
)

// SubscriptionStatus is the lifecycle state of a subscription on a given day.
type SubscriptionStatus string

// The statuses. ACTIVE, FUTURE and EXPIRED follow from the dates; CANCELED and
// TERMINATED are recorded.
const (
	Active     SubscriptionStatus = "ACTIVE"
	Future     SubscriptionStatus = "FUTURE"
	Expired    SubscriptionStatus = "EXPIRED"
	Canceled   SubscriptionStatus = "CANCELED"
	Terminated SubscriptionStatus = "TERMINATED"
)

// Subscription is a time-bounded grant of a part to a device: a serial, a
// part of a product line, a period of Pacific civil dates (both ends included).
type Subscription struct {
	ID          string
	Serial      string // the stored spelling
	PartNumber  string
	ProductLine ProductLine
	Start       Date
	End         Date
	Kind        SubscriptionKind
	// Ended is CANCELED or TERMINATED when the subscription was stopped; ""
	// otherwise (its status then follows from the dates).
	Ended     SubscriptionStatus
	AutoRenew bool
	OrderID   int64 // the unique id of the order that created it; 0 when loaded
	Line      int   // the order line number
	// Activated records that the receiver was activated for this subscription
	// (bundle subscriptions of AG-392 receivers must be before the next purchase).
	Activated bool
	CreatedAt time.Time
}

// StatusOn returns the status of s on day.
func (s *Subscription) StatusOn(day Date) SubscriptionStatus {
	switch {
	case s.Ended != "":
		return s.Ended
	case day.Before(s.Start):
		return Future
	case day.After(s.End):
		return Expired
	}
	return Active
}

// Period returns [Start, End].
func (s *Subscription) Period() Period { return Period{Start: s.Start, End: s.End} }

// Live reports whether s was not cancelled or terminated.
func (s *Subscription) Live() bool { return s.Ended == "" }

// Timeline is a device's subscriptions, the vocabulary rules ask about a
// serial's history in. Its methods are pure.
type Timeline []Subscription

// ActiveOn returns the live subscription of product line pl that covers day,
// or nil.
func (t Timeline) ActiveOn(pl ProductLine, day Date) *Subscription {
	for i := range t {
		s := &t[i]
		if s.ProductLine == pl && s.Live() && s.Period().Contains(day) {
			return s
		}
	}
	return nil
}

// ChainEnd returns the end of the queue of product line pl on day: when a
// live subscription of pl is active on day, the live subscription of pl that
// ends last (queued renewals included, even after a gap); otherwise nil. A
// renewal of the line starts the day after ChainEnd's End, so it never
// overlaps anything already bought.
func (t Timeline) ChainEnd(pl ProductLine, day Date) *Subscription {
	chain, _ := t.Outlook(pl, day)
	return chain
}

// Outlook answers ChainEnd(pl, day) and ActiveOtherLine(pl, day) in one pass
// over the timeline, as a renewal's rules ask both of one line and day.
func (t Timeline) Outlook(pl ProductLine, day Date) (chainEnd, activeOther *Subscription) {
	active := false
	for i := range t {
		s := &t[i]
		if !s.Live() || s.End.Before(day) {
			continue // neither question is about a subscription ended before day
		}
		covers := !day.Before(s.Start)
		if s.ProductLine == pl {
			active = active || covers
			if chainEnd == nil || s.End.After(chainEnd.End) {
				chainEnd = s
			}
		} else if covers && (activeOther == nil || s.End.After(activeOther.End)) {
			activeOther = s
		}
	}
	if !active {
		chainEnd = nil
	}
	return chainEnd, activeOther
}

// OverlapWith returns a live subscription of product line pl that shares a
// day with p, or nil.
func (t Timeline) OverlapWith(pl ProductLine, p Period) *Subscription {
	for i := range t {
		s := &t[i]
		if s.ProductLine == pl && s.Live() && s.Period().Overlaps(p) {
			return s
		}
	}
	return nil
}

// ActiveOtherLine returns the live subscription active on day whose product
// line is not pl and which ends last, or nil.
func (t Timeline) ActiveOtherLine(pl ProductLine, day Date) *Subscription {
	var best *Subscription
	for i := range t {
		s := &t[i]
		if s.ProductLine != pl && s.Live() && s.Period().Contains(day) && (best == nil || s.End.After(best.End)) {
			best = s
		}
	}
	return best
}

// HadKind reports whether any subscription of product line pl, in any status,
// is of kind k.
func (t Timeline) HadKind(pl ProductLine, k SubscriptionKind) bool {
	for i := range t {
		if t[i].ProductLine == pl && t[i].Kind == k {
			return true
		}
	}
	return false
}

// HasPaidActiveOrExpired reports whether a PAID subscription of pl is ACTIVE
// or EXPIRED on day (CANCELED and TERMINATED ones do not count; seed 001: "the
// Serial number should not have a prior paid active or expired subscription of
// the same product line").
func (t Timeline) HasPaidActiveOrExpired(pl ProductLine, day Date) bool {
	for i := range t {
		s := &t[i]
		if s.ProductLine == pl && s.Kind == Paid {
			if st := s.StatusOn(day); st == Active || st == Expired {
				return true
			}
		}
	}
	return false
}

// HadPart reports whether any subscription, in any status, was of partNumber.
func (t Timeline) HadPart(partNumber string) bool {
	for i := range t {
		if t[i].PartNumber == partNumber {
			return true
		}
	}
	return false
}

// UnactivatedBundle reports whether a live BUNDLE subscription was never activated.
func (t Timeline) UnactivatedBundle() bool {
	for i := range t {
		if t[i].Kind == Bundle && t[i].Live() && !t[i].Activated {
			return true
		}
	}
	return false
}

// Overlapping returns the first pair of live subscriptions of one product line
// whose periods overlap, or nil, nil. A well-kept timeline has none.
func (t Timeline) Overlapping() (*Subscription, *Subscription) {
	for i := range t {
		for j := i + 1; j < len(t); j++ {
			a, b := &t[i], &t[j]
			if a.ProductLine == b.ProductLine && a.Live() && b.Live() && a.Period().Overlaps(b.Period()) {
				return a, b
			}
		}
	}
	return nil, nil
}

// TrialGrant is an entry of the trial ledger: the trial of a product line a
// serial consumed. It is kept apart from subscriptions so cancelling,
// upgrading or re-subscribing never gives the trial back.
type TrialGrant struct {
	SerialKey   string
	ProductLine ProductLine
	OrderID     int64
	PartNumber  string
	GrantedAt   time.Time
}
