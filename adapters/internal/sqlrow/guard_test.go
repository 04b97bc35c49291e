package sqlrow_test

import (
	"errors"
	"testing"
	"time"

	"github.com/entitle-rules/entitle/adapters/internal/sqlrow"
	"github.com/entitle-rules/entitle/domain"
)

func asError(err error, de **domain.Error) bool { return errors.As(err, de) }

func TestGuard(t *testing.T) {
	boom := errors.New("boom")
	key := sqlrow.Required("partNumber", "88213-10")
	noKey := sqlrow.Required("partNumber", "")
	for _, c := range []struct {
		name            string
		guard           func() *sqlrow.Guard
		read, write     domain.Code
		message, cause  string
		writeWithoutKey domain.Code
	}{
		{"an Update", func() *sqlrow.Guard { return &sqlrow.Guard{Writable: true} }, "", "", "", "", domain.CodeInvalid},
		{"a View", func() *sqlrow.Guard { return &sqlrow.Guard{Store: "sqlite"} }, "", domain.CodeInternal,
			"sqlite: a View is read-only: write inside Update", "", domain.CodeInternal},
		{"an ended Update", func() *sqlrow.Guard {
			g := &sqlrow.Guard{Store: "postgres", Writable: true}
			g.End()
			return g
		}, domain.CodeInternal, domain.CodeInternal,
			"postgres: the transaction is over: use a Tx only inside the function given to View or Update", "", domain.CodeInternal},
		{"a failed Update", func() *sqlrow.Guard {
			g := &sqlrow.Guard{Writable: true}
			g.Abort(boom)
			g.Abort(errors.New("later"))
			return g
		}, domain.CodeInternal, domain.CodeInternal, "an earlier statement of this transaction failed: end the transaction", "boom", domain.CodeInternal},
	} {
		t.Run(c.name, func(t *testing.T) {
			g := c.guard()
			if got := domain.ErrorCode(g.Read()); got != c.read {
				t.Errorf("Read: %q, want %q", got, c.read)
			}
			err := g.Write(key)
			if got := domain.ErrorCode(err); got != c.write {
				t.Errorf("Write: %q, want %q", got, c.write)
			}
			var de *domain.Error
			if c.message != "" && (!asError(err, &de) || de.Message != c.message) {
				t.Errorf("Write: %v, want the message %q", err, c.message)
			}
			if c.cause != "" && (de == nil || de.Err == nil || de.Err.Error() != c.cause) {
				t.Errorf("Write: %v, want the first failure %q as the cause", err, c.cause)
			}
			if got := domain.ErrorCode(g.Write(key, noKey)); got != c.writeWithoutKey {
				t.Errorf("Write without a key: %q, want %q", got, c.writeWithoutKey)
			}
		})
	}
	err := (&sqlrow.Guard{Writable: true}).Write(sqlrow.Required("id", "S1"), sqlrow.Required("serialNumber", ""))
	var de *domain.Error
	if !asError(err, &de) || de.Code != domain.CodeInvalid || de.Field != "serialNumber" || de.Message != "serialNumber is required" {
		t.Errorf("Write of a row without its serial = %v, want %q on serialNumber: serialNumber is required", err, domain.CodeInvalid)
	}
}

// CheckClaim refuses n below one and a lease that is not positive, each on
// its own field, and passes anything else.
func TestCheckClaim(t *testing.T) {
	for _, c := range []struct {
		lease time.Duration
		n     int
		field string
	}{{time.Minute, 0, "n"}, {time.Minute, -1, "n"}, {0, 1, "lease"}, {-time.Second, 1, "lease"}, {time.Minute, 1, ""}} {
		err := sqlrow.CheckClaim(c.lease, c.n)
		var de *domain.Error
		if c.field == "" && err != nil || c.field != "" && (!errors.As(err, &de) || de.Code != domain.CodeInvalid || de.Field != c.field) {
			t.Errorf("CheckClaim(%v, %d) = %v, want CodeInvalid on %q (none for \"\")", c.lease, c.n, err, c.field)
		}
	}
}
