package domain_test

import (
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/entitle-rules/entitle/domain"
)

// chainEndByTwoPasses and activeOtherByScan are ChainEnd and ActiveOtherLine
// as first written, one question a pass: Outlook must answer both exactly as
// they do, down to which of two equal subscriptions it names.
func chainEndByTwoPasses(t domain.Timeline, pl domain.ProductLine, day domain.Date) *domain.Subscription {
	if t.ActiveOn(pl, day) == nil {
		return nil
	}
	var last *domain.Subscription
	for i := range t {
		s := &t[i]
		if s.ProductLine == pl && s.Live() && !s.End.Before(day) && (last == nil || s.End.After(last.End)) {
			last = s
		}
	}
	return last
}

func activeOtherByScan(t domain.Timeline, pl domain.ProductLine, day domain.Date) *domain.Subscription {
	var best *domain.Subscription
	for i := range t {
		s := &t[i]
		if s.ProductLine != pl && s.Live() && s.Period().Contains(day) && (best == nil || s.End.After(best.End)) {
			best = s
		}
	}
	return best
}

func TestOutlookMatchesOneQuestionAPass(t *testing.T) {
	lines := []domain.ProductLine{centerpoint, rangepoint, viewpoint}
	base, err := domain.NewDate(2024, time.January, 1)
	if err != nil {
		t.Fatal(err)
	}
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(0, 12).Draw(t, "subscriptions")
		tl := make(domain.Timeline, n)
		for i := range tl {
			start := base.AddDays(rapid.IntRange(0, 60).Draw(t, "start"))
			// Ends may fall before their start: a malformed period must be
			// answered alike too.
			end := start.AddDays(rapid.IntRange(-3, 40).Draw(t, "length"))
			tl[i] = domain.Subscription{ID: string(rune('a' + i)), ProductLine: rapid.SampledFrom(lines).Draw(t, "line"),
				Start: start, End: end}
			if rapid.IntRange(0, 4).Draw(t, "ended") == 0 {
				tl[i].Ended = domain.Canceled
			}
		}
		pl := rapid.SampledFrom(lines).Draw(t, "asked line")
		day := base.AddDays(rapid.IntRange(-5, 110).Draw(t, "day"))
		chain, other := tl.Outlook(pl, day)
		if want := chainEndByTwoPasses(tl, pl, day); chain != want {
			t.Fatalf("Outlook(%s, %s) chain end %v, want %v", pl, day, chain, want)
		}
		if want := activeOtherByScan(tl, pl, day); other != want {
			t.Fatalf("Outlook(%s, %s) active other line %v, want %v", pl, day, other, want)
		}
		if got := tl.ChainEnd(pl, day); got != chain {
			t.Fatalf("ChainEnd %v, Outlook %v", got, chain)
		}
		if got := tl.ActiveOtherLine(pl, day); got != other {
			t.Fatalf("ActiveOtherLine %v, Outlook %v", got, other)
		}
	})
}
