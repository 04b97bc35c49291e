package sqlite

import (
	"time"

	"github.com/entitle-rules/entitle/adapters/internal/sqlrow"
	"github.com/entitle-rules/entitle/ports"
)

// decisionLog is the decision log as this store keeps it: at is instant's
// text.
var decisionLog = sqlrow.NewDecisionLog(sqlrow.SQLite, instant,
	func(s string) (time.Time, error) { return parseInstant(s, "at") })

func (t *tx) Decisions() ports.Decisions { return decisionLog.In(t, &t.Guard, t.exec) }
