// Package decisions is what `entitle explain`, `entitle replay` and the rule
// authors' HTTP API (adapters/httpapi/rulesapi) share about logged
// decisions: making one again under a rule set, by its context, with or
// without the explanation of every rule; replaying a window of the log;
// explaining a new request of any context. The deciding is the contexts'
// own (orders.Redecide, seats.Redecide, accounts.Redecide, rules.Set's
// Explainer); this package only dispatches and pages.
package decisions

import (
	"context"
	"encoding/json"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules"
	"github.com/entitle-rules/entitle/rules/accounts"
	"github.com/entitle-rules/entitle/rules/orders"
	"github.com/entitle-rules/entitle/rules/seats"
)

// Contexts are the contexts whose decisions are logged, in the order
// explain lists them.
var Contexts = []string{orders.Context, seats.Context, accounts.Context}

// Redecide makes rec again under set, by its context.
func Redecide(set *rules.Set, rec *domain.DecisionRecord) (domain.Decision, domain.DecisionOutcome, error) {
	switch rec.Context {
	case orders.Context:
		d, err := orders.Redecide(set, rec)
		if err != nil {
			return d, domain.DecisionOutcome{}, err
		}
		return d, domain.OutcomeOf(&d), nil
	case seats.Context:
		return seats.Redecide(set, rec)
	case accounts.Context:
		return accounts.Redecide(set, rec)
	}
	return domain.Decision{}, domain.DecisionOutcome{}, domain.Errorf(domain.CodeInvalid, "context", "decision %s is of context %q, which is not logged", rec.ID, rec.Context)
}

// Explanation is a decision with the step of every rule it evaluated, as
// explain prints it and the API answers it.
type Explanation struct {
	Decision Outcome             `json:"decision"`
	Trace    []rules.ExplainStep `json:"trace"`
}

// Outcome is a decision as explain shows it.
type Outcome struct {
	domain.DecisionOutcome
	RulesetHash string `json:"rulesetHash"`
	// Logged is the outcome the log holds, when a logged decision is
	// explained; Changed says whether the rules explaining it decide
	// otherwise.
	Logged  *domain.DecisionOutcome `json:"logged,omitempty"`
	Changed bool                    `json:"changed,omitempty"`
}

// ExplainRecord makes rec again under set, explaining every rule.
func ExplainRecord(set *rules.Set, rec *domain.DecisionRecord) (*Explanation, error) {
	xs, ex := set.Explainer()
	d, o, err := Redecide(xs, rec)
	if err != nil {
		return nil, err
	}
	logged := rec.Outcome
	_, changed := rules.CompareOutcomes(logged, o, &d)
	return &Explanation{Decision: Outcome{DecisionOutcome: o, RulesetHash: set.Hash(), Logged: &logged, Changed: changed}, Trace: steps(ex)}, nil
}

func steps(ex *rules.Explanation) []rules.ExplainStep {
	if ex.Steps == nil {
		return []rules.ExplainStep{}
	}
	return ex.Steps
}

// ExplainOrder decides req, asked by p at now, against store's state,
// explaining every rule. Nothing is written.
func ExplainOrder(ctx context.Context, store ports.Store, set *rules.Set, p domain.Principal, req *domain.OrderRequest, now time.Time) (*Explanation, error) {
	if err := req.CheckInput(); err != nil {
		return nil, err
	}
	var snap *orders.Snapshot
	err := store.View(ctx, func(tx ports.Tx) (err error) {
		snap, err = orders.LoadSnapshot(ctx, tx, p, req, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	d, st := orders.Explain(set, snap, req)
	return &Explanation{Decision: Outcome{DecisionOutcome: domain.OutcomeOf(&d), RulesetHash: set.Hash()}, Trace: nonNil(st)}, nil
}

func nonNil(st []rules.ExplainStep) []rules.ExplainStep {
	if st == nil {
		return []rules.ExplainStep{}
	}
	return st
}

// ExplainFacts decides a seats or accounts decision given by its facts, in
// the shape the log keeps them (seats.Logged, accounts.Logged: the rule
// files' fixture shape with a "decision" and "now"), explaining every
// rule. CodeInvalid for facts that do not decode or another context.
func ExplainFacts(set *rules.Set, contextName string, facts json.RawMessage) (*Explanation, error) {
	rec := &domain.DecisionRecord{ID: "request", Context: contextName, State: facts}
	switch contextName {
	case seats.Context, accounts.Context:
	default:
		return nil, domain.Errorf(domain.CodeInvalid, "context", "context %q is not seats or accounts", contextName)
	}
	xs, ex := set.Explainer()
	_, o, err := Redecide(xs, rec)
	if err != nil {
		return nil, err
	}
	return &Explanation{Decision: Outcome{DecisionOutcome: o, RulesetHash: set.Hash()}, Trace: steps(ex)}, nil
}

// Window selects the logged decisions to replay: From <= at < To (zero for
// open), and, for a rule author, only the decisions of its partner.
type Window struct {
	From, To time.Time
	Partner  string
	Account  string // for an account's principal, only that account's
}

// Replay makes every decision of the window again under set, against the
// state each saw, page by page in read-only transactions, and reports
// which would change. progress, when not nil, is told how many were
// replayed after each page.
func Replay(ctx context.Context, store ports.Store, set *rules.Set, w Window, progress func(done int)) (*rules.ReplayReport, error) {
	rep := rules.NewReplayReport(set)
	f := w.filter()
	for {
		page, more, err := readPage(ctx, store, &f)
		if err != nil {
			return nil, err
		}
		for _, x := range replayPage(set, page) {
			rep.Merge(x)
		}
		if progress != nil {
			progress(rep.Replayed)
		}
		if !more {
			return rep, nil
		}
		if err := ctx.Err(); err != nil {
			return nil, domain.Wrap(err, domain.CodeUnavailable, "replay stopped")
		}
	}
}

// filter reads every decision of w, a page at a time.
func (w Window) filter() domain.DecisionFilter {
	return domain.DecisionFilter{From: w.From, To: w.To, Partner: w.Partner, Account: w.Account, PageSize: domain.MaxDecisionPage}
}

// readPage reads the page of the log at f in a read-only transaction and
// moves f on to the next page; more says whether there is one.
func readPage(ctx context.Context, store ports.Store, f *domain.DecisionFilter) (page []domain.DecisionRecord, more bool, err error) {
	var next string
	err = store.View(ctx, func(tx ports.Tx) (err error) {
		page, next, err = tx.Decisions().List(ctx, *f)
		return err
	})
	if err != nil {
		return nil, false, err
	}
	f.PageToken = next
	return page, next != "", nil
}

// replayPage decides the records of page again, on as many goroutines as
// the process may run at once, and returns what each came to, in order.
func replayPage(set *rules.Set, page []domain.DecisionRecord) []rules.Replayed {
	out := make([]rules.Replayed, len(page))
	workers := min(runtime.GOMAXPROCS(0), len(page))
	var (
		wg   sync.WaitGroup
		next atomic.Int64
	)
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(page) {
					return
				}
				out[i] = rules.ReplayRecord(set, &page[i], Redecide)
			}
		})
	}
	wg.Wait()
	return out
}

// Count returns how many decisions the window holds, for a progress bar.
func Count(ctx context.Context, store ports.Store, w Window) (int, error) {
	f := w.filter()
	n := 0
	for {
		page, more, err := readPage(ctx, store, &f)
		if err != nil {
			return 0, err
		}
		n += len(page)
		if !more {
			return n, nil
		}
	}
}
