package postgres

import (
	"context"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/entitle-rules/entitle/domain"
)

// An order being created claims its serials in the "order" namespace of
// lockKey, apart from the "serial" namespace LockSerials waits on: a claim
// is tried, never waited for (pg_try_advisory_xact_lock), so a second order
// for a serial whose order is being committed, on this instance or another,
// is refused at once with rule 12's answer rather than queued behind it.
// The claim is transaction-scoped, so a killed process leaves none behind:
// PostgreSQL drops its locks with its connection.
const lockOrder = "order"

// qClaimLock tries the claims of $1 in the array's order, then, only when
// every one was had, waits for the serial locks of $2 as qLock does. It
// returns the 1-based positions in $1 of the claims another transaction
// holds (empty when all were had). The claims are tried, not waited for,
// so their order cannot deadlock; the waits keep qLock's order.
const qClaimLock = `WITH claim AS (
		SELECT coalesce(array_agg(i ORDER BY i) FILTER (WHERE NOT got), '{}') AS held
		FROM (SELECT i, pg_try_advisory_xact_lock(k) AS got FROM unnest($1::bigint[]) WITH ORDINALITY AS u(k, i)) AS tried)
	SELECT held, (SELECT count(pg_advisory_xact_lock(k)) FROM unnest($2::bigint[]) AS k WHERE cardinality(claim.held) = 0)
	FROM claim`

// ClaimSerials claims serials for the order this transaction creates and
// then locks and reads them as LockSerials does, in the same round trip. It
// fails with CodeConflict (domain.OrderInProgressError naming the first
// serial held) when another transaction holds a claim on one of them; the
// transaction then holds no serial lock. Claims already held by this
// transaction are not tried again. In a View it does nothing.
func (t *tx) ClaimSerials(ctx context.Context, serials ...string) error {
	return t.lockSerials(ctx, true, serials)
}

// claimStep is the claiming part of one ClaimSerials: the claims to try, in
// sorted order, with the serial each is for.
type claimStep struct {
	keys    []int64
	serials []string
	held    []int64
}

// claimStep returns the claims of serials this transaction does not hold
// yet, or nil when it holds them all.
func (t *tx) claimStep(serials []string) *claimStep {
	by := map[int64]string{}
	for _, s := range serials {
		k := domain.SerialKey(s)
		if k == "" {
			continue
		}
		if l := lockKey(t.schema, lockOrder, k); !t.locks[l] {
			if _, ok := by[l]; !ok {
				by[l] = s
			}
		}
	}
	if len(by) == 0 {
		return nil
	}
	c := &claimStep{}
	for l := range by {
		c.keys = append(c.keys, l)
	}
	slices.Sort(c.keys)
	for _, l := range c.keys {
		c.serials = append(c.serials, by[l])
	}
	return c
}

// step is the statement that claims and then waits for locks.
func (c *claimStep) step(locks []int64) step {
	if locks == nil {
		locks = []int64{}
	}
	return step{sql: qClaimLock, args: []any{c.keys, locks}, read: func(br pgx.BatchResults) error {
		var waited int64
		return br.QueryRow().Scan(&c.held, &waited)
	}}
}

// outcome records the claims had, or reports the first one held elsewhere.
func (c *claimStep) outcome(t *tx) error {
	if len(c.held) > 0 {
		return domain.OrderInProgressError("serialNumber", c.serials[c.held[0]-1], 0)
	}
	for _, l := range c.keys {
		t.locks[l] = true
	}
	return nil
}
