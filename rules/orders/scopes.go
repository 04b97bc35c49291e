package orders

import (
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/rules"
)

// The scopes of the store API's rules: the order, evaluated once (its
// normalize to validate phases before the lines, its decide phase after
// them), and each line.
var (
	orderScope = rules.NewScope[OrderEnv]("order", rules.ScopeOptions{
		Derivable: []rules.Derivable{
			// Rule 10: an empty activationCountry means the ship-to country.
			{Name: "activationCountry", Path: "order.activationCountry"},
		},
		Functions: vocabulary,
	})
	lineScope = rules.NewScope[LineEnv]("line", rules.ScopeOptions{
		Item: "lines",
		Derivable: []rules.Derivable{
			{Name: "serviceStartDate", Path: "line.serviceStartDate"},
			{Name: "serviceEndDate", Path: "line.serviceEndDate"},
			{Name: "activationDate", Path: "line.activationDate"},
			{Name: "autoRenewal", Path: "line.autoRenewal"},
			{Name: "activationType", Path: "line.activationType"},
			{Name: "ssoUserEmailAddress", Path: "line.ssoUserEmailAddress"},
			{Name: "simIncludedFlag", Path: "line.simIncludedFlag"},
			{Name: "carrierName", Path: "line.carrierName"},
			{Name: "serviceType", Path: "line.serviceType"},
			{Name: "serialNumber", Path: "line.serialNumber"},
		},
		Functions: vocabulary,
		// The device is looked up only for the rules that read it (VRS
		// lines' stored serial and SSO fallback).
		Lazy: []rules.LazyFacts{rules.Lazy((*SerialFacts).readDevice, "known", "storedSerial", "latestSsoUserEmailAddress")},
	})
)

// Scopes returns the scopes the store API's rule files are written in
// ("order" and "line"), to list in a rules.Language.
func Scopes() []rules.ScopeDef { return []rules.ScopeDef{orderScope, lineScope} }

// Language returns a rule language of the store API's scopes only.
func Language() *rules.Language { return rules.MustLanguage(Scopes()...) }

// vocabulary is what order and line rules may call beyond the language's
// own words: a serial's history and the catalog. rulesets/README.md
// documents the same list.
var vocabulary = []rules.Function{
	rules.Func2("endAfter", "endAfter(start, part): the end of part's duration from start, clamped at month end", func(start domain.Date, p *PartFacts) domain.Date {
		if p == nil || p.part == nil {
			return domain.Date{}
		}
		return p.part.Duration.After(start)
	}),

	// A serial's history.
	rules.Func3("activeOn", "activeOn(serial, productLine, day): the live subscription of that line covering day, or nil", func(s *SerialFacts, pl string, day domain.Date) *SubscriptionFacts {
		return s.view(s.timeline.ActiveOn(domain.ProductLine(pl), day))
	}),
	rules.Func3("renewalOf", "renewalOf(serial, productLine, day): when a subscription of that line is active on day, the one of that line that ends last (queued renewals included), or nil", func(s *SerialFacts, pl string, day domain.Date) *SubscriptionFacts {
		return s.outlook(memoRenewal, pl, day)
	}),
	rules.Func3("activeOtherLine", "activeOtherLine(serial, productLine, day): the live subscription of another line covering day that ends last, or nil", func(s *SerialFacts, pl string, day domain.Date) *SubscriptionFacts {
		return s.outlook(memoActiveOther, pl, day)
	}),
	rules.Func4("overlapping", "overlapping(serial, productLine, start, end): a live subscription of that line sharing a day with start..end, or nil", func(s *SerialFacts, pl string, start, end domain.Date) *SubscriptionFacts {
		if sub, ok := s.recall(memoOverlap, pl, start, end); ok {
			return s.view(sub)
		}
		return s.keep(memoOverlap, pl, start, end, s.timeline.OverlapWith(domain.ProductLine(pl), domain.Period{Start: start, End: end}))
	}),
	rules.Func2("hadTrial", "hadTrial(serial, productLine): the trial ledger or history holds a trial of that line, in any status", func(s *SerialFacts, pl string) bool { return s.hadTrial(pl) }),
	rules.Func3("hasPaidActiveOrExpired", "hasPaidActiveOrExpired(serial, productLine, day): a PAID subscription of that line is ACTIVE or EXPIRED on day", func(s *SerialFacts, pl string, day domain.Date) bool {
		return s.timeline.HasPaidActiveOrExpired(domain.ProductLine(pl), day)
	}),
	rules.Func2("hadPart", "hadPart(serial, partNumber): any subscription of the serial, in any status, was of that part", func(s *SerialFacts, part string) bool { return s.timeline.HadPart(part) }),
	rules.Func1("unactivatedBundle", "unactivatedBundle(serial): a live BUNDLE subscription was never activated", func(s *SerialFacts) bool { return s.timeline.UnactivatedBundle() }),

	// The catalog.
	rules.Func2("eligibleFor", "eligibleFor(part, model): the part may be sold for the model", func(p *PartFacts, m *ModelFacts) bool {
		return p != nil && p.part != nil && m != nil && m.model != nil && p.part.EligibleFor(m.model.Name)
	}),
	rules.Func2("fitsSerial", "fitsSerial(model, serial): the serial matches the model's serial pattern", func(m *ModelFacts, serial string) bool {
		return m != nil && m.model != nil && m.model.AcceptsSerial(serial)
	}),
	rules.Func2("hasRegion", "hasRegion(part, region): region is one of the part's geofence regions", func(p *PartFacts, region string) bool {
		return p != nil && p.part != nil && p.part.HasRegion(region)
	}),
	rules.Func2("inPriceList", "inPriceList(order, partNumber): the order's price list holds the part", func(o *OrderFacts, part string) bool {
		return o != nil && o.priceList != nil && o.priceList.Holds(part)
	}),
	rules.Func2("firstInPriceList", "firstInPriceList(order, parts): the first of parts the order's price list holds, else the first listed", firstInPriceList),
	rules.Func1("validSerial", "validSerial(s): s is 1 to 64 letters, digits, '.', '_', '/' or '-'", domain.ValidSerial),
}

func firstInPriceList(o *OrderFacts, parts []any) string {
	first := ""
	for _, p := range parts {
		s, ok := p.(string)
		if !ok {
			continue
		}
		if first == "" {
			first = s
		}
		if o != nil && o.priceList != nil && o.priceList.Holds(s) {
			return s
		}
	}
	return first
}
