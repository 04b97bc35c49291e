package seats_test

import (
	"slices"
	"testing"
	"time"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules/seats"
)

// PreviewSeats answers what SetSeats then does, and changes nothing: the
// same users named, no seat retired, no assignment ended, no audit event.
func TestPreviewSeatsIsSetSeatsWithoutTheChange(t *testing.T) {
	w := newWorld(t, 3, "shrink_policy", "release_most_recent")
	w.addUsers(t, w.admin, "first", "second", "third")
	for _, u := range []string{"first", "second", "third"} {
		must(w.svc.Assign(ctx, w.admin, "CoPilot", []string{u}))(t)
		w.clock.add(24 * time.Hour)
	}
	log := func() []domain.AuditEvent {
		var es []domain.AuditEvent
		if err := w.store.View(ctx, func(tx ports.Tx) (err error) { es, err = tx.Audit().List(ctx, ""); return err }); err != nil {
			t.Fatal(err)
		}
		return es
	}
	before := log()
	r := seats.SeatsRequest{Alias: "acme-fleet", ProductID: "CoPilot", Seats: 1}
	preview := must(w.svc.PreviewSeats(ctx, w.partner, r))(t)
	if p := must(w.svc.Pool(ctx, w.admin, "CoPilot"))(t); p.Owned != 3 || p.Assigned != 3 {
		t.Errorf("the pool after a preview: %+v", p)
	}
	if after := log(); len(after) != len(before) {
		t.Errorf("a preview wrote %d audit events", len(after)-len(before))
	}
	change := must(w.svc.SetSeats(ctx, w.partner, r))(t)
	names := func(rs []seats.Released) (out []string) {
		for _, r := range rs {
			out = append(out, r.ExternalID)
		}
		return out
	}
	if got, want := names(preview.Released), names(change.Released); !slices.Equal(got, want) || !slices.Equal(want, []string{"third", "second"}) {
		t.Errorf("the preview named %v, SetSeats released %v; want third, second", got, want)
	}
	if !slices.Equal(preview.Company.Products, change.Company.Products) {
		t.Errorf("the preview's company %+v, SetSeats's %+v", preview.Company, change.Company)
	}
	// A preview is refused as SetSeats is: another principal, another
	// partner's company.
	_, err := w.svc.PreviewSeats(ctx, w.admin, r)
	if domain.ErrorCode(err) != domain.CodeForbidden {
		t.Errorf("an account token's preview: %v, want forbidden", err)
	}
	_, err = w.svc.PreviewSeats(ctx, domain.Principal{Partner: "rival", Credential: domain.APIKey}, r)
	if domain.ErrorCode(err) != domain.CodeNotFound {
		t.Errorf("another partner's preview: %v, want not_found", err)
	}
}

// AuditTrail lists the company's events newest first, each filed under its
// account, and only for the company's own principals.
func TestAuditTrail(t *testing.T) {
	w := newWorld(t, 2)
	w.addUsers(t, w.admin, "first")
	must(w.svc.Assign(ctx, w.admin, "CoPilot", []string{"first"}))(t)
	must(w.svc.DeleteUser(ctx, w.admin, "first"))(t)
	es, total, err := w.svc.AuditTrail(ctx, w.admin, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var cmds []string
	for _, e := range es {
		cmds = append(cmds, e.Command)
		if e.AccountID != w.acct.ID {
			t.Errorf("event %+v is filed under account %d, want %d", e, e.AccountID, w.acct.ID)
		}
	}
	// The world's partner created the company and set its seats first.
	if want := []string{"DeleteUser", "Assign", "AddUser", "SetSeats", "CreateCompany"}; total != 5 || !slices.Equal(cmds, want) {
		t.Errorf("the trail: %v (total %d), want %v", cmds, total, want)
	}
	if _, _, err := w.svc.AuditTrail(ctx, w.partner, 0, 0); domain.ErrorCode(err) != domain.CodeForbidden {
		t.Errorf("a partner token's trail: %v, want forbidden", err)
	}
	if _, _, err := w.svc.AuditTrail(ctx, w.admin, -1, 0); domain.ErrorCode(err) != domain.CodeInvalid {
		t.Errorf("offset -1: %v, want invalid", err)
	}
}
