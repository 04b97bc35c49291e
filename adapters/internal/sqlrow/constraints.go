package sqlrow

import (
	"github.com/entitle-rules/entitle/domain"
)

// Violation is the kind of constraint a statement broke.
type Violation int

// The kinds of violation the stores translate.
const (
	// Unique is a unique index or primary key: the write repeats a key.
	Unique Violation = iota + 1
	// Exclusion is an exclusion constraint: the write overlaps a row.
	Exclusion
	// Check is a CHECK or NOT NULL constraint: a value is out of range.
	Check
)

// problem is what breaking one constraint means to the person who sent the
// write: the request field at fault, and what to tell them.
type problem struct{ field, message string }

// problems names the constraints of the schema the repositories rely on,
// as the PostgreSQL schema names them; the SQLite store maps what its
// messages say (the columns of a unique index, the expression of a CHECK)
// to these names. A repository that can explain a violation better (naming
// the customer that owns a site, say) does so itself; this table explains
// the rest, such as a racing write the repository's own check could not see.
var problems = map[string]problem{
	"customer_sites_pkey":           {"sites", "a site with this siteUseId and use already belongs to another customer"},
	"price_list_countries_pkey":     {"countries", "a country of the list already uses another price list"},
	"subscriptions_no_overlap":      {"serviceStartDate", "the subscription overlaps a live subscription of the same serial and product line"},
	"subscriptions_period_valid":    {"serviceEndDate", "a subscription cannot end before it starts"},
	"trial_grants_once":             {"serialNumber", "the serial already had its trial of this product line"},
	"order_serials_one_in_progress": {"serialNumber", domain.OrderInProgressMessage},
	"tokens_pkey":                   {"token", "a token with this hash exists"},
	"idempotency_records_pkey":      {"Idempotency-Key", "the key is already used"},
}

// ConstraintError is the domain error for a statement that broke
// constraint: CodeConflict for a Unique or Exclusion violation, CodeInvalid
// for a Check. A constraint of the table above gets its field and message;
// any other gets a general message after what, which says what was being
// done. cause, the driver's error, stays the Err; it is nil when the
// constraint refused the write without one (ON CONFLICT DO NOTHING).
func ConstraintError(v Violation, constraint, what string, cause error) *domain.Error {
	code, general := domain.CodeConflict, "the write conflicts with stored data"
	if v == Check {
		code, general = domain.CodeInvalid, "a value breaks a rule of the schema"
	}
	if p, ok := problems[constraint]; ok {
		return &domain.Error{Code: code, Field: p.field, Message: p.message, Err: cause}
	}
	return &domain.Error{Code: code, Message: what + ": " + general, Err: cause}
}
