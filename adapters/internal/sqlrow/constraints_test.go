package sqlrow_test

import (
	"errors"
	"testing"

	"github.com/entitle-rules/entitle/adapters/internal/sqlrow"
	"github.com/entitle-rules/entitle/domain"
)

func TestConstraintError(t *testing.T) {
	cause := errors.New("driver says no")
	for _, c := range []struct {
		v              sqlrow.Violation
		constraint     string
		code           domain.Code
		field, message string
	}{
		{sqlrow.Unique, "order_serials_one_in_progress", domain.CodeConflict, "serialNumber",
			"Order creation is in progress for the serialNumber, please try after some time"},
		{sqlrow.Unique, "customer_sites_pkey", domain.CodeConflict, "sites",
			"a site with this siteUseId and use already belongs to another customer"},
		{sqlrow.Exclusion, "subscriptions_no_overlap", domain.CodeConflict, "serviceStartDate",
			"the subscription overlaps a live subscription of the same serial and product line"},
		{sqlrow.Check, "subscriptions_period_valid", domain.CodeInvalid, "serviceEndDate", "a subscription cannot end before it starts"},
		{sqlrow.Unique, "orders_order_number_key", domain.CodeConflict, "", "store an order: the write conflicts with stored data"},
		{sqlrow.Check, "", domain.CodeInvalid, "", "store an order: a value breaks a rule of the schema"},
	} {
		e := sqlrow.ConstraintError(c.v, c.constraint, "store an order", cause)
		if e.Code != c.code || e.Field != c.field || e.Message != c.message || !errors.Is(e, cause) {
			t.Errorf("ConstraintError(%d, %q) = %q %q %q (cause %v); want %q %q %q with the driver's error",
				c.v, c.constraint, e.Code, e.Field, e.Message, e.Err, c.code, c.field, c.message)
		}
	}
}
