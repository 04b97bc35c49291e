package fuzz

import (
	"go/parser"
	"go/token"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/entitle-rules/entitle/domain"
)

// TestModelBlocks: the model's blocks, built by random set-blocked and
// set-blocked-at calls, say at every instant what BlockedReference (an
// independent reading of the records) and domain.Account.BlockedAt say.
func TestModelBlocks(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := NewModel()
		for range rapid.IntRange(0, 12).Draw(t, "calls") {
			switch rapid.IntRange(0, 3).Draw(t, "call") {
			case 0:
				m.Block(true)
			case 1:
				m.Block(false)
			case 2:
				at := m.Now.Add(time.Duration(rapid.IntRange(-100, 1000).Draw(t, "at")) * time.Second)
				if ok := m.Schedule(at); ok == at.Before(m.Now) {
					t.Fatalf("scheduling at %s, %s after now: accepted %v", at, at.Sub(m.Now), ok)
				}
			default:
				m.Now = m.Now.Add(time.Duration(rapid.IntRange(1, 600).Draw(t, "advance")) * time.Second)
			}
		}
		records := make([]domain.BlockRecord, len(m.Blocks))
		for i, b := range m.Blocks {
			records[i] = domain.BlockRecord{Blocked: b.Blocked, At: b.At}
		}
		a := domain.Account{Activated: true, Blocks: records}
		for _, b := range m.Blocks {
			for _, at := range []time.Time{b.At.Add(-time.Second), b.At, b.At.Add(time.Second)} {
				if got, ref, dom := m.BlockedAt(at), BlockedReference(records, at), a.BlockedAt(at); got != ref || got != dom {
					t.Fatalf("at %s the model says blocked %v, the reference %v, domain %v (records %v)", at, got, ref, dom, m.Blocks)
				}
			}
		}
	})
}

// TestModelOrders: the model predicts the seed's renewal (the day after the
// active run ends), a trial once, and START_DATE_TOO_LATE.
func TestModelOrders(t *testing.T) {
	m := NewModel()
	today := m.Today()
	serial := Serials[0]
	if p := m.PredictOrder(serial, PaidPart, today.AddDays(4)); !p.Known || p.Allowed {
		t.Errorf("a start 4 days out: %+v, want refused", p)
	}
	p := m.PredictOrder(serial, TrialPart, today)
	if !p.Known || !p.Allowed || p.Start != today || p.End != today.AddDays(30) {
		t.Fatalf("a first trial: %+v", p)
	}
	m.Grant(serial, Sub{Part: TrialPart, Kind: domain.Trial, Start: p.Start, End: p.End})
	if p := m.PredictOrder(serial, TrialPart, today); !p.Known || p.Allowed {
		t.Errorf("a second trial: %+v, want refused", p)
	}
	p = m.PredictOrder(serial, PaidPart, today)
	if want := today.AddDays(31); !p.Allowed || p.Start != want || p.End != want.AddYears(1) {
		t.Errorf("a paid year during the trial: %+v, want %s..%s", p, want, want.AddYears(1))
	}
	if msg := m.CheckGrant(serial, Sub{Part: PaidPart, Kind: domain.Paid, Start: today, End: today.AddYears(1)}); msg == "" {
		t.Errorf("a paid year overlapping the trial passed CheckGrant")
	}
}

// TestGoSourceParses: the replay a failure prints is Go.
func TestGoSourceParses(t *testing.T) {
	src := "package x\n\n" + GoSource("TestReplay", "targets", []Step{
		{Op: StepOrder, Serial: 1, Part: PaidPart, Days: -1},
		{Op: StepAssignBulk, Users: []int{0, 2}, Product: 1},
		{Op: StepAdvance, Seconds: 3600},
		{Op: StepProvision, Managed: []int{1}, Tx: -1},
	})
	if _, err := parser.ParseFile(token.NewFileSet(), "replay.go", src, 0); err != nil {
		t.Fatalf("%v\n%s", err, src)
	}
}
