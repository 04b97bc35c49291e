package dataset_test

import (
	"fmt"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/entitle-rules/entitle/adapters/memory"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules/dataset"
)

// seatsWith is a file stating seats of CoPilot for co, held by users u0..u(held-1).
func seatsWith(seats, held int) string {
	var b strings.Builder
	b.WriteString("clients: [{id: p, apiKey: aaaaaaaaaaaaaaaaaaaa}]\ncompanies: [{alias: co, partner: p}]\nusers:\n")
	for i := range held {
		fmt.Fprintf(&b, "  - {company: co, externalId: u%d}\n", i)
	}
	fmt.Fprintf(&b, "licenses: [{company: co, productId: CoPilot, seats: %d, registered: 2025-01-01, expires: 2025-12-31}]\n", seats)
	if held > 0 {
		b.WriteString("assignments:\n")
	}
	for i := range held {
		fmt.Fprintf(&b, "  - {company: co, productId: CoPilot, externalId: u%d, activationDate: 2025-01-01, deactivationDate: 2025-12-31}\n", i)
	}
	return b.String()
}

// A licenses line states the seats owned, whatever was loaded before: a load
// succeeds exactly when the seats cover the file's assignments, and then the
// company owns that many seats, the same users hold the same seats, and
// seats in use never exceed seats owned. A refused load changes nothing.
func TestSeatsLineStatesSeatsOwned(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		store := memory.New()
		defer store.Close()
		held := rapid.IntRange(0, 4).Draw(rt, "held")
		var holders map[int64]int64
		before := ""
		for i, seats := range rapid.SliceOfN(rapid.IntRange(0, 9), 1, 6).Draw(rt, "seats") {
			err := load(t, store, seatsWith(seats, held))
			if seats < held {
				if domain.ErrorCode(err) != domain.CodeConflict {
					rt.Fatalf("load %d: %d seats for %d holders: %v, want CodeConflict", i, seats, held, err)
				}
				if before != "" && seatState(t, store, "co") != before {
					rt.Fatalf("load %d: a refused load changed the store", i)
				}
				continue
			}
			if err != nil {
				rt.Fatalf("load %d: %d seats for %d holders: %v", i, seats, held, err)
			}
			p := pool(t, store, "co", "CoPilot", "2025-06-01")
			if p.Owned != seats || p.Assigned != held || p.Assigned > p.Owned {
				rt.Fatalf("load %d: %+v, want %d owned and %d assigned", i, p, seats, held)
			}
			if holders != nil && !maps(holders, p.Holder) {
				rt.Fatalf("load %d: holders moved from %v to %v", i, holders, p.Holder)
			}
			holders, before = p.Holder, seatState(t, store, "co")
		}
	})
}

// FuzzLoadSeats: a data file that builds either loads or is refused with
// CodeInvalid or CodeConflict, writing nothing; one that loads loads again
// without changing the store.
func FuzzLoadSeats(f *testing.F) {
	f.Add([]byte(seatsWith(3, 2)))
	f.Add([]byte(seatsWith(1, 2)))
	f.Add([]byte(strings.ReplaceAll(seatsFile, "password: example-password-change-me", "passwordHash: "+strings.Repeat("ab", 32))))
	f.Add([]byte("clients: [{id: p, apiKey: aaaaaaaaaaaaaaaaaaaa}]\ncompanies: [{alias: co, partner: p}]\nusers: [{company: CO, externalId: A}, {company: co, externalId: b}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ds, err := dataset.Parse(data)
		if err != nil {
			return
		}
		if _, err := ds.Build(); err != nil {
			return
		}
		seats := 0
		for _, l := range ds.Licenses {
			seats += l.Seats
		}
		for _, u := range ds.Users {
			if u.Password != "" {
				return // argon2id per user: too slow to fuzz
			}
		}
		if seats > 64 || len(ds.Users)+len(ds.Assignments) > 64 {
			return
		}
		loadTwice(t, ds, func(store ports.Store, aliases []string) string { return seatState(t, store, aliases...) })
	})
}
