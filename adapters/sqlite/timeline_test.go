package sqlite

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// Put's overlap check answered from the timeline the Update read refuses
// what the query refuses: an overlap with a stored subscription, and, once
// the Update wrote one of the serial's, an overlap with what it wrote.
func TestOverlapCheckedAgainstWhatTheUpdateRead(t *testing.T) {
	ctx := t.Context()
	s := openTest(t, filepath.Join(t.TempDir(), "e.db"))
	sub := func(id string, from, to int) domain.Subscription {
		start, _ := domain.NewDate(from, time.January, 1)
		end, _ := domain.NewDate(to, time.December, 31)
		return domain.Subscription{ID: id, Serial: "SN1", PartNumber: "P", ProductLine: "CENTERPOINT", Start: start, End: end}
	}
	if err := s.Update(ctx, func(tx ports.Tx) error { return tx.Subscriptions().Put(ctx, sub("stored", 2020, 2020)) }); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		first domain.Subscription // stored first in the Update, if it has an ID
		put   domain.Subscription
		want  domain.Code
	}{
		{name: "overlaps the stored one", put: sub("a", 2020, 2021), want: domain.CodeConflict},
		{name: "after it", put: sub("a", 2021, 2021)},
		{name: "replaces itself", put: sub("stored", 2020, 2021)},
		{name: "overlaps one the Update wrote", first: sub("a", 2022, 2022), put: sub("b", 2022, 2023), want: domain.CodeConflict},
		{name: "after one the Update wrote", first: sub("a", 2022, 2022), put: sub("b", 2023, 2023)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got error
			_ = s.Update(ctx, func(tx ports.Tx) error {
				if _, err := tx.Subscriptions().BySerial(ctx, "sn1"); err != nil {
					t.Fatal(err)
				}
				if tc.first.ID != "" {
					if err := tx.Subscriptions().Put(ctx, tc.first); err != nil {
						t.Fatal(err)
					}
				}
				got = tx.Subscriptions().Put(ctx, tc.put)
				return errRollBack
			})
			if domain.ErrorCode(got) != tc.want && !(tc.want == "" && got == nil) {
				t.Errorf("Put %s: %v, want code %q", tc.put.ID, got, tc.want)
			}
		})
	}
}

var errRollBack = domain.Errorf(domain.CodeInvalid, "", "rolled back by the test")
