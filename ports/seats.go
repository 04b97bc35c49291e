package ports

import (
	"context"
	"time"

	"github.com/entitle-rules/entitle/domain"
)

// SeatsTx is the part of a transaction the seats context (seeds 000 and 004)
// works on: the partners' accounts, their users, the seats (licenses) they
// own and the assignments of those seats to users.
type SeatsTx interface {
	// LockAccount serializes the transaction with every other one touching
	// the seats or users of the same account until it ends (a
	// transaction-scoped advisory lock on PostgreSQL). A use case calls it
	// first in an Update that reads and then writes an account's users,
	// licenses or assignments. In a View it does nothing; a store whose
	// writers run one at a time does nothing either. CodeUnavailable when
	// ctx ends while waiting.
	LockAccount(ctx context.Context, accountID int64) error
	Accounts() Accounts
	Users() Users
	Licenses() Licenses
	Assignments() Assignments
}

// Users stores accounts' users.
type Users interface {
	// Create stores a new user and assigns its ID. Another live user of the
	// account with the same externalId (case-insensitively) is CodeConflict
	// naming "externalId"; another user anywhere with the same non-empty
	// username (case-insensitively) is CodeConflict naming "username".
	Create(ctx context.Context, u *domain.User) error
	// Put replaces the user with u.ID in u.AccountID (CodeNotFound); the
	// uniqueness rules of Create hold.
	Put(ctx context.Context, u domain.User) error
	// Get returns the user with id in accountID, live or deleted
	// (CodeNotFound, also for another account's user).
	Get(ctx context.Context, accountID, id int64) (domain.User, error)
	// ByExternalID returns the live user of accountID with externalID,
	// matched case-insensitively (CodeNotFound).
	ByExternalID(ctx context.Context, accountID int64, externalID string) (domain.User, error)
	// ByExternalIDs returns the live users of accountID whose externalIds
	// match any of externalIDs, keyed by domain.ExternalKey; missing ones
	// are absent.
	ByExternalIDs(ctx context.Context, accountID int64, externalIDs []string) (map[string]domain.User, error)
	// ByUsername returns the live user with username, matched
	// case-insensitively, in any account (CodeNotFound).
	ByUsername(ctx context.Context, username string) (domain.User, error)
	// List returns accountID's live users ordered by id, skipping offset
	// and returning at most limit (0: all).
	List(ctx context.Context, accountID int64, offset, limit int) ([]domain.User, error)
	// Count returns how many live users accountID has.
	Count(ctx context.Context, accountID int64) (int, error)
	// Delete marks the user deleted at at (CodeNotFound when it is not a
	// live user of accountID); its externalId and username are free again.
	Delete(ctx context.Context, accountID, id int64, at time.Time) error
}

// Licenses stores seats: one row per seat of a product an account owns.
type Licenses interface {
	// Create stores new licenses, assigning their IDs in order.
	Create(ctx context.Context, ls []domain.License) ([]domain.License, error)
	// SetExpires moves the end of a license's term (CodeNotFound). A term
	// that would end before an assignment of the license ends is
	// CodeConflict; end those assignments first.
	SetExpires(ctx context.Context, accountID, id int64, expires domain.Date) error
	// Get returns the license with id in accountID (CodeNotFound, also for
	// another account's license).
	Get(ctx context.Context, accountID, id int64) (domain.License, error)
	// ByAccount returns accountID's licenses of productID ("" for every
	// product) whose term includes day or ends after it (zero day: every
	// license), ordered by id.
	ByAccount(ctx context.Context, accountID int64, productID string, day domain.Date) ([]domain.License, error)
}

// Assignments stores the assignments of seats to users.
type Assignments interface {
	// Create stores a new assignment, assigning its ID. It is CodeConflict
	// naming "licenseId" when another assignment of the license holds a
	// common day, and naming "userId" when the user holds another seat of
	// the product on a common day (domain.CheckAssignments: constraints
	// of the store, not only checks of the caller). A cancelled assignment
	// (deactivation the day before activation) holds no day.
	Create(ctx context.Context, a *domain.Assignment) error
	// SetDeactivation moves an assignment's deactivation date and stamps
	// LastChanged with at (CodeNotFound; CodeConflict as for Create when the
	// longer period would overlap).
	SetDeactivation(ctx context.Context, accountID, id int64, deactivation domain.Date, at time.Time) error
	// Get returns the assignment with id in accountID (CodeNotFound, also
	// for another account's assignment).
	Get(ctx context.Context, accountID, id int64) (domain.Assignment, error)
	// Find returns the assignments matching q (q.AccountID is required),
	// sorted as q says with ties broken by id, after q.Offset, at most
	// q.Limit (0: all).
	Find(ctx context.Context, q domain.AssignmentQuery) ([]domain.Assignment, error)
	// ByProduct returns accountID's assignments of productID that hold a
	// day on or after day (not cancelled, deactivation >= day), ordered by
	// id.
	ByProduct(ctx context.Context, accountID int64, productID string, day domain.Date) ([]domain.Assignment, error)
	// ByUser returns the assignments of a user of accountID that hold a day
	// on or after day, ordered by id.
	ByUser(ctx context.Context, accountID, userID int64, day domain.Date) ([]domain.Assignment, error)
}
