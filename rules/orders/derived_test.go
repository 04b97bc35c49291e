package orders_test

import (
	"reflect"
	"slices"
	"testing"

	"github.com/entitle-rules/entitle/rules/orders"
)

// Lines deriving the same fields by the same rules share one list of
// labels, each still its own: appending to one leaves the others as they
// were.
func TestDerivedLabelsPerLine(t *testing.T) {
	set := loadShipped(t)
	req := benchOrder(4)
	d := orders.Decide(set, snapshotOf(t, benchWorld(t, 4), benchNow, "c1", &req), &req)
	rtx := []string{"serviceStartDate<-line.renewal-start", "serviceEndDate<-line.end-date", "activationDate<-line.immediate-activation"}
	for i, l := range d.Lines {
		if i%2 == 0 && !slices.Equal(l.Derived, rtx) {
			t.Errorf("line %d derived %v, want %v", i, l.Derived, rtx)
		}
		if i%2 == 1 && (len(l.Derived) == 0 || slices.Equal(l.Derived, rtx)) {
			t.Errorf("line %d (VRS) derived %v", i, l.Derived)
		}
	}
	_ = append(d.Lines[0].Derived, "x")
	if !slices.Equal(d.Lines[2].Derived, rtx) || !slices.Equal(d.Lines[1].Derived, d.Lines[3].Derived) {
		t.Errorf("an append to one line's labels changed another's: %v, %v", d.Lines[2].Derived, d.Lines[3].Derived)
	}
}

// TestFillLineSetsEveryField keeps fillLine's field-by-field reset complete:
// a line's facts are the same whatever a pooled evaluator held before.
func TestFillLineSetsEveryField(t *testing.T) {
	if n := reflect.TypeFor[orders.LineFacts]().NumField(); n != 25 {
		t.Fatalf("LineFacts has %d fields: set the new ones in fillLine, then update this count", n)
	}
}
