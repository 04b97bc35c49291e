package fuzz

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"pgregory.net/rapid"

	"github.com/entitle-rules/entitle/domain"
)

// Op names an operation of a history.
type Op string

// The operations a history is made of.
const (
	StepOrder       Op = "order"       // a one-line order: Serial, Part, Days after today (PT) requested as start
	StepResend      Op = "resend"      // resend a serial's activations: Serial
	StepAdvance     Op = "advance"     // move the clock Seconds on
	StepLoad        Op = "load"        // load the catalog part of the world again
	StepAddUser     Op = "addUser"     // add the company's user User, spelled Spell
	StepDeleteUser  Op = "deleteUser"  // delete user User, spelled Spell
	StepAssign      Op = "assign"      // assign a seat of Product to User
	StepRelease     Op = "release"     // release User's seat of Product
	StepAssignBulk  Op = "assignBulk"  // assign seats of Product to Users
	StepReleaseBulk Op = "releaseBulk" // release Users' seats of Product
	StepSetSeats    Op = "setSeats"    // the partner sets the company's seats of Product to Seats
	StepBlock       Op = "block"       // block the Forguard account now
	StepUnblock     Op = "unblock"     // unblock it now
	StepSchedule    Op = "schedule"    // schedule its block Seconds from now (negative: in the past)
	StepPlan        Op = "plan"        // change its client plan to Plans[Plan]
	StepAdd         Op = "add"         // the primary adds Managed for managed billing
	StepProvision   Op = "provision"   // ManagedAccounts[Managed[0]] provisions with the Tx-th TxId (-1: a wrong one)
	StepCancel      Op = "cancel"      // ManagedAccounts[Managed[0]] cancels its Tx-th TxId link
	StepReload      Op = "reload"      // load the rule files again and build the services over them
	StepRestart     Op = "restart"     // close the stores and open them again
)

// Step is one operation of a history, with its arguments (which of them
// matter depends on Op). Steps are plain data, so a history prints as Go
// source (GoSource) and replays (Machine.Replay).
type Step struct {
	Op      Op
	Serial  int    `json:",omitempty"`
	Part    string `json:",omitempty"`
	Days    int    `json:",omitempty"`
	Seconds int64  `json:",omitempty"`
	User    int    `json:",omitempty"`
	Spell   int    `json:",omitempty"`
	Users   []int  `json:",omitempty"`
	Product int    `json:",omitempty"`
	Seats   int    `json:",omitempty"`
	Plan    int    `json:",omitempty"`
	Managed []int  `json:",omitempty"`
	Tx      int    `json:",omitempty"`
}

// GoString is the step as a Go composite literal, naming only the fields
// that are set.
func (s Step) GoString() string {
	parts := []string{"Op: " + strconv.Quote(string(s.Op))}
	add := func(name string, v int64) {
		if v != 0 {
			parts = append(parts, name+": "+strconv.FormatInt(v, 10))
		}
	}
	ints := func(name string, vs []int) {
		if len(vs) > 0 {
			s := make([]string, len(vs))
			for i, v := range vs {
				s[i] = strconv.Itoa(v)
			}
			parts = append(parts, name+": []int{"+strings.Join(s, ", ")+"}")
		}
	}
	add("Serial", int64(s.Serial))
	if s.Part != "" {
		parts = append(parts, "Part: "+strconv.Quote(s.Part))
	}
	add("Days", int64(s.Days))
	add("Seconds", s.Seconds)
	add("User", int64(s.User))
	add("Spell", int64(s.Spell))
	ints("Users", s.Users)
	add("Product", int64(s.Product))
	add("Seats", int64(s.Seats))
	add("Plan", int64(s.Plan))
	ints("Managed", s.Managed)
	add("Tx", int64(s.Tx))
	return "{" + strings.Join(parts, ", ") + "}"
}

// GoSource is a Go test named name that replays steps on the Machine's
// Targets (an expression of type []fuzz.Target, e.g. a package variable of
// the test file it is pasted into).
func GoSource(name, targets string, steps []Step) string {
	var b strings.Builder
	fmt.Fprintf(&b, "func %s(t *testing.T) {\n\tm := &fuzz.Machine{Targets: %s, Strict: true}\n\tm.Replay(t, []fuzz.Step{\n", name, targets)
	for _, s := range steps {
		fmt.Fprintf(&b, "\t\t%#v,\n", s)
	}
	b.WriteString("\t})\n}\n")
	return b.String()
}

// spell writes an externalId as lower case (0), upper case (1) or with a
// capital (2): one user to the stores.
func spellAs(ext string, how int) string {
	switch how % 3 {
	case 1:
		return strings.ToUpper(ext)
	case 2:
		return strings.ToUpper(ext[:1]) + ext[1:]
	}
	return ext
}

// drawers draw each kind of step; rapid picks among them.
var drawers = map[string]func(*rapid.T, *Model) Step{
	"order":  orderOf(PaidPart),
	"trial":  orderOf(TrialPart),
	"bundle": orderOf(BundlePart),
	"resend": func(t *rapid.T, m *Model) Step {
		return Step{Op: StepResend, Serial: rapid.IntRange(0, len(Serials)-1).Draw(t, "serial")}
	},
	"advance": func(t *rapid.T, m *Model) Step {
		var d time.Duration
		switch rapid.IntRange(0, 4).Draw(t, "how") {
		case 0:
			d = time.Duration(rapid.IntRange(1, 59).Draw(t, "minutes")) * time.Minute
		case 1:
			d = time.Duration(rapid.IntRange(1, 23).Draw(t, "hours")) * time.Hour
		case 2:
			d = time.Duration(rapid.IntRange(1, 45).Draw(t, "days")) * 24 * time.Hour
		case 3:
			// to a quarter of an hour before the month's last Pacific midnight
			pt := m.Now.In(domain.Pacific.Location())
			next := time.Date(pt.Year(), pt.Month()+1, 1, 0, 0, 0, 0, pt.Location()).Add(-15 * time.Minute)
			d = next.Sub(m.Now)
		default:
			// across the next change of the Pacific offset
			d = nextOffsetChange(m.Now).Sub(m.Now) + time.Duration(rapid.IntRange(-90, 90).Draw(t, "around"))*time.Minute
		}
		if d <= 0 {
			d = time.Minute
		}
		return Step{Op: StepAdvance, Seconds: int64(d / time.Second)}
	},
	"load": func(t *rapid.T, m *Model) Step { return Step{Op: StepLoad} },
	"addUser": func(t *rapid.T, m *Model) Step {
		return Step{Op: StepAddUser, User: rapid.IntRange(0, len(ExternalIDs)-1).Draw(t, "user"), Spell: rapid.IntRange(0, 2).Draw(t, "spell")}
	},
	"deleteUser": func(t *rapid.T, m *Model) Step {
		return Step{Op: StepDeleteUser, User: rapid.IntRange(0, len(ExternalIDs)-1).Draw(t, "user"), Spell: rapid.IntRange(0, 2).Draw(t, "spell")}
	},
	"assign": func(t *rapid.T, m *Model) Step {
		return Step{Op: StepAssign, Product: rapid.IntRange(0, 1).Draw(t, "product"), User: rapid.IntRange(0, len(ExternalIDs)-1).Draw(t, "user"), Spell: rapid.IntRange(0, 2).Draw(t, "spell")}
	},
	"release": func(t *rapid.T, m *Model) Step {
		return Step{Op: StepRelease, Product: rapid.IntRange(0, 1).Draw(t, "product"), User: rapid.IntRange(0, len(ExternalIDs)-1).Draw(t, "user"), Spell: rapid.IntRange(0, 2).Draw(t, "spell")}
	},
	"assignBulk": func(t *rapid.T, m *Model) Step {
		return Step{Op: StepAssignBulk, Product: rapid.IntRange(0, 1).Draw(t, "product"), Users: distinct(t, len(ExternalIDs))}
	},
	"releaseBulk": func(t *rapid.T, m *Model) Step {
		return Step{Op: StepReleaseBulk, Product: rapid.IntRange(0, 1).Draw(t, "product"), Users: distinct(t, len(ExternalIDs))}
	},
	"setSeats": func(t *rapid.T, m *Model) Step {
		return Step{Op: StepSetSeats, Product: rapid.IntRange(0, 1).Draw(t, "product"), Seats: rapid.IntRange(1, 5).Draw(t, "seats")}
	},
	"block":   func(t *rapid.T, m *Model) Step { return Step{Op: StepBlock} },
	"unblock": func(t *rapid.T, m *Model) Step { return Step{Op: StepUnblock} },
	"schedule": func(t *rapid.T, m *Model) Step {
		return Step{Op: StepSchedule, Seconds: int64(rapid.IntRange(-3600, 3*86400).Draw(t, "seconds"))}
	},
	"plan": func(t *rapid.T, m *Model) Step {
		return Step{Op: StepPlan, Plan: rapid.IntRange(0, len(Plans)-1).Draw(t, "plan")}
	},
	"add": func(t *rapid.T, m *Model) Step {
		return Step{Op: StepAdd, Managed: distinct(t, len(ManagedAccounts))}
	},
	"provision": func(t *rapid.T, m *Model) Step {
		return Step{Op: StepProvision, Managed: []int{rapid.IntRange(0, len(ManagedAccounts)-1).Draw(t, "managed")},
			Tx: rapid.IntRange(-1, len(m.TxIDs)-1).Draw(t, "tx")}
	},
	"cancel": func(t *rapid.T, m *Model) Step {
		return Step{Op: StepCancel, Managed: []int{rapid.IntRange(0, len(ManagedAccounts)-1).Draw(t, "managed")},
			Tx: rapid.IntRange(-1, len(m.TxIDs)-1).Draw(t, "tx")}
	},
	"reload":  func(t *rapid.T, m *Model) Step { return Step{Op: StepReload} },
	"restart": func(t *rapid.T, m *Model) Step { return Step{Op: StepRestart} },
}

// orderOf draws a one-line order of part.
func orderOf(part string) func(*rapid.T, *Model) Step {
	return func(t *rapid.T, m *Model) Step {
		return Step{Op: StepOrder, Serial: rapid.IntRange(0, len(Serials)-1).Draw(t, "serial"), Part: part,
			Days: rapid.IntRange(-1, 5).Draw(t, "days")}
	}
}

// distinct draws 1 to n distinct indexes below n, in drawn order.
func distinct(t *rapid.T, n int) []int {
	return rapid.SliceOfNDistinct(rapid.IntRange(0, n-1), 1, n, rapid.ID[int]).Draw(t, "which")
}

// nextOffsetChange is the next instant after now when Los Angeles changes
// between PST and PDT.
func nextOffsetChange(now time.Time) time.Time {
	loc := domain.Pacific.Location()
	_, off := now.In(loc).Zone()
	t := now
	for range 400 {
		t = t.Add(24 * time.Hour)
		if _, o := t.In(loc).Zone(); o != off {
			lo := t.Add(-24 * time.Hour)
			for t.Sub(lo) > time.Minute {
				mid := lo.Add(t.Sub(lo) / 2)
				if _, o := mid.In(loc).Zone(); o != off {
					t = mid
				} else {
					lo = mid
				}
			}
			return t.Truncate(time.Minute)
		}
	}
	return now.Add(24 * time.Hour)
}

// do applies s to every System and the model, then checks every read and
// every store.
func (h *history) do(s Step) {
	h.t.Helper()
	h.steps = append(h.steps, s)
	h.m.steps.Add(1)
	m := h.model
	switch s.Op {
	case StepOrder:
		h.order(s)
	case StepResend:
		rp := h.tap(http.MethodPost, "TAP_RESEND_ACTIVATION_API", map[string]any{"serialNumber": Serials[s.Serial%len(Serials)]})
		if h.m.Strict && len(m.Subs[Serials[s.Serial%len(Serials)]]) == 0 && rp.status == http.StatusOK {
			h.fail("resending the activations of a serial with none answered %s", rp)
		}
		h.no5xx("resend", rp)
	case StepAdvance:
		h.setNow(m.Now.Add(time.Duration(s.Seconds) * time.Second))
	case StepLoad:
		h.load()
	case StepAddUser:
		ext := spellAs(ExternalIDs[s.User%len(ExternalIDs)], s.Spell)
		rp := h.send(request{method: http.MethodPost, path: "/api/v1/users", body: jsonBody(map[string]string{"externalId": ext}), auth: authAccount})
		h.expect("adding user "+ext, rp, map[bool]int{true: http.StatusCreated, false: http.StatusConflict}[m.AddUser(ext)])
	case StepDeleteUser:
		ext := spellAs(ExternalIDs[s.User%len(ExternalIDs)], s.Spell)
		rp := h.send(request{method: http.MethodDelete, path: "/api/v1/users/" + pathEscape(ext), auth: authAccount})
		h.expect("deleting user "+ext, rp, map[bool]int{true: http.StatusOK, false: http.StatusNotFound}[m.DeleteUser(ext)])
	case StepAssign, StepRelease:
		p, ext := SeatProductIDs[s.Product%2], spellAs(ExternalIDs[s.User%len(ExternalIDs)], s.Spell)
		method, what, status := http.MethodPost, "assigning", map[string]int{"ok": 200, "held": 200, "full": 409, "not_found": 404}
		var got string
		if s.Op == StepRelease {
			method, what = http.MethodDelete, "releasing"
			got = m.Release(p, ext)
			status["none"] = 200
		} else {
			got = m.Assign(p, ext)
		}
		rp := h.send(request{method: method, path: "/api/v1/license/" + p, body: jsonBody(map[string]string{"externalId": ext}), auth: authAccount})
		h.expect(what+" "+p+" of "+ext+" ("+got+")", rp, status[got])
	case StepAssignBulk, StepReleaseBulk:
		h.bulk(s)
	case StepSetSeats:
		h.setSeats(s)
	case StepBlock, StepUnblock:
		rp := h.send(request{method: http.MethodPatch, path: fmt.Sprintf("/partner/accounts/%d/set-blocked", ForguardID),
			body: jsonBody(map[string]bool{"blocked": s.Op == StepBlock}), auth: authOps})
		h.expect(string(s.Op), rp, http.StatusOK)
		m.Block(s.Op == StepBlock)
	case StepSchedule:
		at := m.Now.Add(time.Duration(s.Seconds) * time.Second).Truncate(time.Second)
		rp := h.send(request{method: http.MethodPatch, path: fmt.Sprintf("/partner/accounts/%d/set-blocked-at", ForguardID),
			body: jsonBody(map[string]int64{"blocked_at": at.Unix()}), auth: authOps})
		h.expect("scheduling a block at "+at.Format(time.RFC3339), rp, map[bool]int{true: http.StatusOK, false: http.StatusBadRequest}[m.Schedule(at)])
	case StepPlan:
		plan := Plans[s.Plan%len(Plans)]
		rp := h.send(request{method: http.MethodPut, path: fmt.Sprintf("/partner/accounts/%d/client-plan", ForguardID),
			body: jsonBody(map[string]string{"tariff_plan_id": plan, "app_id": ForguardApp}), auth: authOps})
		h.expect("changing the plan to "+plan, rp, http.StatusOK)
		m.Plan = plan
	case StepAdd:
		h.add(s)
	case StepProvision, StepCancel:
		h.link(s)
	case StepReload, StepRestart:
		for _, r := range h.systems {
			var err error
			if s.Op == StepReload {
				err = r.sys.Reload()
			} else {
				err = r.sys.Restart()
			}
			if err != nil {
				h.fail("%s of %s: %v", s.Op, r.name, err)
			}
		}
	default:
		h.fail("no operation %q", s.Op)
	}
	h.checkReads()
	h.checkStores()
}

func pathEscape(s string) string { return strings.ReplaceAll(s, " ", "%20") }

// expect fails the history unless rp has status.
func (h *history) expect(what string, rp reply, status int) {
	h.t.Helper()
	if rp.status != status {
		h.fail("%s: answered %s, the model says %d", what, rp, status)
	}
}

// no5xx fails the history on a server error: a refusal is a 4xx.
func (h *history) no5xx(what string, rp reply) {
	h.t.Helper()
	if rp.status >= 500 {
		h.fail("%s: a server error: %s", what, rp)
	}
}

func (h *history) order(s Step) {
	h.t.Helper()
	m := h.model
	serial := Serials[s.Serial%len(Serials)]
	requested := m.Today().AddDays(s.Days)
	pred := m.PredictOrder(serial, s.Part, requested)
	line := map[string]any{"lineNumber": 1, "serviceStartDate": requested.String(), "partNumber": s.Part, "serialNumber": serial,
		"serviceType": "RTX", "manufacturerModel": DeviceModel, "autoRenewal": "N", "activationType": "IMMEDIATE"}
	rp := h.tap(http.MethodPost, "TAP_CREATE_ORDER_API", map[string]any{"customerPONumber": fmt.Sprintf("PO-%d", len(h.steps)),
		"customerOrderRef": "machine", "currencyCode": "USD", "billToSiteUseId": 531807, "shipToSiteUseId": 1912956,
		"billToContactEmail": "bill@example.com", "shipToContactEmail": "ship@example.com", "lines": []any{line}})
	h.no5xx("an order", rp)
	accepted := rp.status == http.StatusOK
	what := fmt.Sprintf("an order of %s for %s starting %s (today %s)", s.Part, serial, requested, m.Today())
	if h.m.Strict && pred.Known && pred.Allowed != accepted {
		h.fail("%s: answered %s; the model says allowed=%v", what, rp, pred.Allowed)
	}
	if !accepted {
		return
	}
	got := h.tap(http.MethodGet, "TAP_GET_ORDER_API", map[string]any{"serialNumber": serial})
	lines, _ := got.obj()["orderLine"].([]any)
	if got.status != http.StatusOK || len(lines) != 1 {
		h.fail("%s was accepted (%s), but the order reads %s", what, rp, got)
	}
	l, _ := lines[0].(map[string]any)
	start, err1 := domain.ParseDate(fmt.Sprint(l["serviceStartDate"]))
	end, err2 := domain.ParseDate(fmt.Sprint(l["serviceEndDate"]))
	if err1 != nil || err2 != nil {
		h.fail("%s: the order reads %s", what, got)
	}
	sub := Sub{Part: s.Part, Kind: kindOf(s.Part), Start: start, End: end}
	if msg := m.CheckGrant(serial, sub); msg != "" {
		h.fail("%s was granted %s..%s: %s", what, start, end, msg)
	}
	if h.m.Strict && pred.Known && (start != pred.Start || end != pred.End) {
		h.fail("%s was granted %s..%s; the model says %s..%s", what, start, end, pred.Start, pred.End)
	}
	m.Grant(serial, sub)
}

func (h *history) bulk(s Step) {
	h.t.Helper()
	m := h.model
	p := SeatProductIDs[s.Product%2]
	exts := make([]string, len(s.Users))
	for i, u := range s.Users {
		exts[i] = ExternalIDs[u%len(ExternalIDs)]
	}
	method := http.MethodPost
	if s.Op == StepReleaseBulk {
		method = http.MethodDelete
	}
	rp := h.send(request{method: method, path: "/api/v1/license/" + p + "/bulk", body: jsonBody(map[string]any{"externalIds": exts}), auth: authAccount})
	h.expect(string(s.Op), rp, http.StatusOK)
	results, _ := rp.obj()["results"].([]any)
	if len(results) != len(exts) {
		h.fail("%s of %q answered %s", s.Op, exts, rp)
	}
	for i, ext := range exts {
		var got string
		if s.Op == StepReleaseBulk {
			got = m.Release(p, ext)
		} else {
			got = m.Assign(p, ext)
		}
		want := "Fail"
		if got == "ok" || got == "held" || got == "none" {
			want = "Success"
		}
		r, _ := results[i].(map[string]any)
		if r["status"] != want || r["externalId"] != ext {
			h.fail("%s of %q: result %d is %v; the model says %s (%s)", s.Op, exts, i, r, want, got)
		}
	}
}

func (h *history) setSeats(s Step) {
	h.t.Helper()
	m := h.model
	p := SeatProductIDs[s.Product%2]
	rp := h.send(request{method: http.MethodPut, path: "/api/v1/companies/" + Company + "/license/" + p,
		body: jsonBody(map[string]any{"seats": s.Seats, "expires": SeatsExpire}), auth: authPartner})
	what := fmt.Sprintf("setting %d seats of %s with %d in use", s.Seats, p, len(m.Holders[p]))
	if s.Seats < len(m.Holders[p]) && (h.m.Strict || rp.status != http.StatusOK) {
		// The shipped rules take no seat from its user (SEATS_IN_USE).
		h.expect(what, rp, http.StatusConflict)
		return
	}
	h.expect(what, rp, http.StatusOK)
	released, _ := rp.obj()["released"].([]any)
	if want := max(0, len(m.Holders[p])-s.Seats); len(released) != want {
		h.fail("lowering %s to %d seats with %d in use released %d: %s", p, s.Seats, len(m.Holders[p]), len(released), rp)
	}
	for _, r := range released {
		ext, _ := r.(map[string]any)["externalId"].(string)
		if !m.Holders[p][userKey(ext)] {
			h.fail("lowering %s released %q, who held no seat: %s", p, ext, rp)
		}
		delete(m.Holders[p], userKey(ext))
	}
	m.Owned[p] = s.Seats
}

func (h *history) add(s Step) {
	h.t.Helper()
	m := h.model
	list := make([]string, len(s.Managed))
	for i, k := range s.Managed {
		list[i] = ManagedAccounts[k%len(ManagedAccounts)]
	}
	rp := h.send(request{method: http.MethodPost, path: "/api/subsc/v1/managedaccounts/actions/add", auth: authSession + PrimaryAccount,
		body: jsonBody(map[string]any{"accountName": PrimaryAccount, "serviceName": Service, "type": SKU, "managedAccList": list})})
	h.expect("adding "+strings.Join(list, ", "), rp, http.StatusOK)
	tx, _ := rp.obj()["TxId"].(string)
	statuses, _ := rp.obj()["statusList"].([]any)
	if tx == "" || len(statuses) != len(list) {
		h.fail("adding %q answered %s", list, rp)
	}
	m.TxIDs = append(m.TxIDs, tx)
	for i, acc := range list {
		st, _ := statuses[i].(map[string]any)
		if st["status"] != "Success" {
			h.fail("adding %s (no other primary exists) answered %v", acc, st)
		}
		if _, live := m.Links[acc]; !live {
			m.Links[acc] = Link{TxID: tx}
		}
	}
}

func (h *history) link(s Step) {
	h.t.Helper()
	m := h.model
	acc := ManagedAccounts[s.Managed[0]%len(ManagedAccounts)]
	tx := "00000000-0000-4000-8000-999999999999"
	if s.Tx >= 0 && s.Tx < len(m.TxIDs) {
		tx = m.TxIDs[s.Tx]
	}
	action := "provision"
	if s.Op == StepCancel {
		action = "cancel"
	}
	rp := h.send(request{method: http.MethodPost, path: "/api/subsc/v1/managedaccounts/actions/" + action, auth: authSession + acc,
		body: jsonBody(map[string]any{"accountName": acc, "paccountName": PrimaryAccount, "serviceName": Service, "type": SKU, "TxId": tx})})
	h.no5xx(action, rp)
	ok := rp.status == http.StatusOK && rp.obj()["status"] == "Success"
	l, live := m.Links[acc]
	right := live && l.TxID == tx
	if s.Op == StepProvision {
		if ok != right {
			h.fail("provisioning %s with TxId %s answered %s; the model's link: %+v (live %v)", acc, tx, rp, l, live)
		}
		if ok {
			l.Provisioned = true
			m.Links[acc] = l
		}
		return
	}
	if ok && !right {
		h.fail("cancelling %s with TxId %s answered %s; the model's link: %+v (live %v)", acc, tx, rp, l, live)
	}
	if ok {
		delete(m.Links, acc)
	}
}

// sortedKeys returns a map's keys sorted.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
