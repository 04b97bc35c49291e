package postgres

import (
	"time"

	"github.com/entitle-rules/entitle/adapters/internal/sqlrow"
	"github.com/entitle-rules/entitle/ports"
)

// decisionLog is the decision log as this store keeps it: at is a
// timestamptz, in UTC.
var decisionLog = sqlrow.NewDecisionLog(sqlrow.Postgres, utc,
	func(t time.Time) (time.Time, error) { return t.UTC(), nil })

// qAppendDecision is queued, not sent at once (queuedElsewhere).
var qAppendDecision = decisionLog.AppendQuery()

func (t *tx) Decisions() ports.Decisions { return decisionLog.In(t, &t.Guard, t.exec) }
