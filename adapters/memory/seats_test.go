package memory_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/entitle-rules/entitle/adapters/memory"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// ByProduct and ByUser read holding lists whose floor is the last day an
// Update asked for; whatever the order of writes and of days asked (later,
// earlier, in Updates and in Views, of two accounts), they answer what the
// whole history, read plainly, says.
func TestSeatHoldingListsAgreeWithHistory(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		ctx := t.Context()
		s := memory.New()
		first := domain.DateOf(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
		var (
			accts [2]domain.Account
			users [2][3]domain.User
			lics  [2][]domain.License
		)
		err := s.Update(ctx, func(tx ports.Tx) (err error) {
			for i := range accts {
				accts[i] = domain.Account{PartnerID: "p", Alias: fmt.Sprintf("a%d", i)}
				if err := tx.Accounts().Create(ctx, &accts[i]); err != nil {
					return err
				}
				for j := range users[i] {
					users[i][j] = domain.User{AccountID: accts[i].ID, ExternalID: fmt.Sprintf("u%d", j)}
					if err := tx.Users().Create(ctx, &users[i][j]); err != nil {
						return err
					}
				}
				ls := make([]domain.License, 4)
				for j := range ls {
					ls[j] = domain.License{AccountID: accts[i].ID, ProductID: []string{"CoPilot", "MileOn"}[j%2],
						Registered: first, Expires: first.AddDays(60)}
				}
				if lics[i], err = tx.Licenses().Create(ctx, ls); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			rt.Fatal(err)
		}
		var ids []int64
		for range rapid.IntRange(1, 40).Draw(rt, "steps") {
			i := rapid.IntRange(0, 1).Draw(rt, "account")
			a, day := accts[i], first.AddDays(rapid.IntRange(-2, 62).Draw(rt, "day"))
			switch rapid.IntRange(0, 3).Draw(rt, "op") {
			case 0: // assign
				l := lics[i][rapid.IntRange(0, 3).Draw(rt, "license")]
				u := users[i][rapid.IntRange(0, 2).Draw(rt, "user")]
				as := domain.Assignment{AccountID: a.ID, LicenseID: l.ID, UserID: u.ID, ProductID: l.ProductID,
					ActivationDate: day, DeactivationDate: day.AddDays(rapid.IntRange(-1, 30).Draw(rt, "length"))}
				if s.Update(ctx, func(tx ports.Tx) error { return tx.Assignments().Create(ctx, &as) }) == nil {
					ids = append(ids, as.ID)
				}
			case 1: // end or extend one
				if len(ids) == 0 {
					continue
				}
				id := rapid.SampledFrom(ids).Draw(rt, "assignment")
				_ = s.Update(ctx, func(tx ports.Tx) error {
					for _, acct := range accts {
						if as, err := tx.Assignments().Get(ctx, acct.ID, id); err == nil {
							end := as.ActivationDate.AddDays(rapid.IntRange(-1, 30).Draw(rt, "end"))
							return tx.Assignments().SetDeactivation(ctx, acct.ID, id, end, time.Unix(0, 0))
						}
					}
					return nil
				})
			default: // read, in an Update (moving the floor) or a View
				u := users[rapid.IntRange(0, 1).Draw(rt, "user account")][rapid.IntRange(0, 2).Draw(rt, "user")]
				product := rapid.SampledFrom([]string{"CoPilot", "MileOn"}).Draw(rt, "product")
				fn := func(tx ports.Tx) error {
					all, err := tx.Assignments().Find(ctx, domain.AssignmentQuery{AccountID: a.ID})
					if err != nil {
						return err
					}
					want := func(keep func(*domain.Assignment) bool) []domain.Assignment {
						return slices.DeleteFunc(slices.Clone(all), func(x domain.Assignment) bool {
							return !keep(&x) || x.Cancelled() || x.DeactivationDate.Before(day)
						})
					}
					got, err := tx.Assignments().ByProduct(ctx, a.ID, product, day)
					if err != nil {
						return err
					}
					if w := want(func(x *domain.Assignment) bool { return x.ProductID == product }); !slices.Equal(got, w) {
						return fmt.Errorf("ByProduct(%d, %s, %s) = %+v, the history says %+v", a.ID, product, day, got, w)
					}
					got, err = tx.Assignments().ByUser(ctx, a.ID, u.ID, day)
					if err != nil {
						return err
					}
					if w := want(func(x *domain.Assignment) bool { return x.UserID == u.ID }); !slices.Equal(got, w) {
						return fmt.Errorf("ByUser(%d, %d, %s) = %+v, the history says %+v", a.ID, u.ID, day, got, w)
					}
					return nil
				}
				do := s.View
				if rapid.Bool().Draw(rt, "in an Update") {
					do = s.Update
				}
				if err := do(ctx, fn); err != nil {
					rt.Fatal(err)
				}
			}
		}
	})
}
