package ports

import (
	"context"
	"time"

	"github.com/entitle-rules/entitle/domain"
)

// AccountsTx is the part of a transaction the accounts context (seeds 002
// and 003) works on: the accounts themselves, partners' client plans, and
// the managed-billing links between primary and managed accounts.
type AccountsTx interface {
	// LockAccount is SeatsTx's: it serializes the transaction with every
	// other one touching the same account until it ends. A use case that
	// reads and then writes an account (its blocks, plan, links) calls it
	// first; a managed-billing write locks the managed account.
	LockAccount(ctx context.Context, accountID int64) error
	Accounts() Accounts
	Plans() Plans
	ManagedLinks() ManagedLinks
}

// Accounts stores partners' accounts: Account Manager companies, ThingSpace
// billing accounts, GPS-Trace accounts; one hierarchy for every API.
type Accounts interface {
	// Create stores a new account. With a.ID 0 it assigns the ID (a
	// positive number, past every id in use); a positive a.ID (a data file
	// naming its accounts) is kept, and later assigned ids go past it; an
	// id in use is CodeConflict naming "id", a negative one CodeInvalid. An
	// alias used by another account (compared case-insensitively) is
	// CodeConflict naming "alias".
	Create(ctx context.Context, a *domain.Account) error
	// Put replaces the account with a.ID (CodeNotFound); the alias rule of
	// Create holds.
	Put(ctx context.Context, a domain.Account) error
	// Get returns the account with id (CodeNotFound).
	Get(ctx context.Context, id int64) (domain.Account, error)
	// ByAlias returns the account with alias, matched case-insensitively
	// (CodeNotFound).
	ByAlias(ctx context.Context, alias string) (domain.Account, error)
	// ByPartner returns a partner's accounts ordered by id, skipping offset
	// and returning at most limit (0: all).
	ByPartner(ctx context.Context, partnerID string, offset, limit int) ([]domain.Account, error)
	// Count returns how many of a partner's accounts match q (seed 003's GET
	// /partner/accounts/count).
	Count(ctx context.Context, q domain.AccountQuery) (int, error)
}

// Plans stores partners' client (tariff) plans.
type Plans interface {
	// Put inserts or replaces the plan with p.ID (an empty ID is
	// CodeInvalid).
	Put(ctx context.Context, p domain.ClientPlan) error
	// Get returns the plan with id of partnerID (CodeNotFound, also for
	// another partner's plan).
	Get(ctx context.Context, partnerID, id string) (domain.ClientPlan, error)
	// ByPartner returns a partner's plans ordered by id; appID "" for every
	// app.
	ByPartner(ctx context.Context, partnerID, appID string) ([]domain.ClientPlan, error)
}

// ManagedLinks stores managed-billing links (seed 002).
type ManagedLinks interface {
	// Create stores a new link in state ADDED and assigns its ID. A live
	// link (ADDED or ACTIVATED) of the same managed account and service,
	// from any primary, is CodeConflict naming "managedAccList" (a
	// constraint of the store: at most one primary per service at a time).
	Create(ctx context.Context, l *domain.ManagedLink) error
	// SetState moves a link to state at at (CodeNotFound). Making a link
	// live again while another live link of its managed account and service
	// exists is CodeConflict.
	SetState(ctx context.Context, id int64, state domain.ManagedLinkState, at time.Time) error
	// Live returns the live link of managed for service (CodeNotFound when
	// there is none).
	Live(ctx context.Context, managed, service string) (domain.ManagedLink, error)
	// ByTxID returns the links an add request made, ordered by id.
	ByTxID(ctx context.Context, txID string) ([]domain.ManagedLink, error)
	// ByPrimary returns primary's links for service in any of states (none:
	// every state), ordered by id.
	ByPrimary(ctx context.Context, primary, service string, states ...domain.ManagedLinkState) ([]domain.ManagedLink, error)
}
