package orders

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"time"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules"
)

// The decision log of this context: each CreateOrder decision is logged
// (ports.Decisions) with its request and the Snapshot it was made against,
// both as JSON, so Redecide can make it again under another rule set.

// Context is this context's name in the decision log.
const Context = "orders"

// CommandCreateOrder is the Command of a CreateOrder decision's record.
const CommandCreateOrder = "CreateOrder"

// logDecision appends the record of decision d, made by set for clientID's
// principal p on req against snap, in tx.
func (e *Service) logDecision(ctx context.Context, tx ports.Tx, p domain.Principal, req *domain.OrderRequest, snap *Snapshot, d *domain.Decision, now time.Time) error {
	// A random id, not one of e.ids: the ids an order hands out (its
	// subscriptions', activations', passcodes') keep their sequence.
	var b [8]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	rec, err := DecisionRecord(domain.DecisionID(now, b), now, p, req, snap, d)
	if err != nil {
		return err
	}
	return tx.Decisions().Append(ctx, rec)
}

// DecisionRecord returns the decision log record of d, an order decision
// made at now for p on req against snap. It fails (CodeInternal) only when
// the request or the snapshot cannot be encoded.
func DecisionRecord(id string, now time.Time, p domain.Principal, req *domain.OrderRequest, snap *Snapshot, d *domain.Decision) (domain.DecisionRecord, error) {
	rb, err := json.Marshal(req)
	if err != nil {
		return domain.DecisionRecord{}, domain.Wrap(err, domain.CodeInternal, "orders: the request cannot be logged")
	}
	sb, err := json.Marshal(snap)
	if err != nil {
		return domain.DecisionRecord{}, domain.Wrap(err, domain.CodeInternal, "orders: the snapshot cannot be logged")
	}
	return domain.DecisionRecord{
		ID: id, At: now.UTC(), Context: Context, Command: CommandCreateOrder,
		Partner: p.Partner, Account: p.Account, Actor: p.Partner, RulesetHash: d.RulesetHash,
		Outcome: domain.OutcomeOf(d), Request: rb, State: sb,
	}, nil
}

// RecordInputs reads back the request and snapshot of a logged order
// decision (CodeInvalid for a record of another context or command, or one
// that does not decode).
func RecordInputs(rec *domain.DecisionRecord) (*domain.OrderRequest, *Snapshot, error) {
	if rec.Context != Context || rec.Command != CommandCreateOrder {
		return nil, nil, domain.Errorf(domain.CodeInvalid, "context", "decision %s is %s/%s, not an order decision", rec.ID, rec.Context, rec.Command)
	}
	var (
		req  domain.OrderRequest
		snap Snapshot
	)
	if err := json.Unmarshal(rec.Request, &req); err != nil {
		return nil, nil, domain.Wrap(err, domain.CodeInvalid, "decision %s: the logged request does not decode", rec.ID)
	}
	if err := json.Unmarshal(rec.State, &snap); err != nil {
		return nil, nil, domain.Wrap(err, domain.CodeInvalid, "decision %s: the logged state does not decode", rec.ID)
	}
	return &req, &snap, nil
}

// Redecide makes the logged decision rec again under set, against the
// state rec saw. Its outcome (domain.OutcomeOf) equals rec's when set is
// the set that made it.
func Redecide(set *rules.Set, rec *domain.DecisionRecord) (domain.Decision, error) {
	req, snap, err := RecordInputs(rec)
	if err != nil {
		return domain.Decision{}, err
	}
	if err := checkSet(set); err != nil {
		return domain.Decision{}, err
	}
	return Decide(set, snap, req), nil
}
