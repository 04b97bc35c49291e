package orders

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules"
)

// TesterOptions wires the Tester of the store API's rule-file tests.
type TesterOptions struct {
	// Open returns a new, empty store for one test (a memory store).
	Open func() ports.Store
	// Load writes data parts of a rule file into store, merged into one data
	// set in the order given: a fixture's data, then a test's `with`. A data
	// part is in the format `entitle load` reads.
	Load func(ctx context.Context, store ports.Store, data ...rules.Doc) error
}

// Tester returns the rules.Tester of the store API ("orders"). A fixture
// holds data (customers, catalog, devices, history), the instant its tests
// run at (now), the calling client (clientId) and a base order; a test may
// give now, with (more data), order (overrides of the base order: header
// fields replace, lines replace the base lines, each starting from the base's
// first line), repeatLines and repeatSerial, and expect, beside the
// language's expectations, activationCountry and lines (per line: field ->
// value). Each test loads its world into a new store and decides through the
// same snapshot loading CreateOrder uses.
func Tester(o TesterOptions) rules.Tester { return tester{o} }

type tester struct{ o TesterOptions }

func (tester) Context() string { return "orders" }

// fixtureHead is what a fixture holds besides data.
type fixtureHead struct {
	Now      time.Time           `json:"now"`
	ClientID string              `json:"clientId"`
	Order    domain.OrderRequest `json:"order"`
}

var fixtureKeys = []string{"now", "clientId", "order"}

type fixture struct {
	o    TesterOptions
	head fixtureHead
	data rules.Doc
}

func (t tester) Fixture(ctx context.Context, doc rules.Doc) (rules.Fixture, error) {
	fx := &fixture{o: t.o, data: doc.Without(fixtureKeys...)}
	if err := doc.Without(fx.data.Keys()...).Decode(&fx.head); err != nil {
		return nil, err
	}
	// Load it once now, so a mistake in the data is reported at the fixture.
	if err := t.o.Load(ctx, t.o.Open(), fx.data); err != nil {
		return nil, err
	}
	return fx, nil
}

// testGiven is what a test gives besides its data (with) and its order.
type testGiven struct {
	Now time.Time `json:"now,omitzero"`
	// RepeatLines, when > 0, makes the order that many copies of its first
	// line, numbered 1..N. Each copy's serial is RepeatSerial formatted with
	// its number (a printf format such as "12345678%02d"), else the first
	// line's serial with "-N" appended.
	RepeatLines  int    `json:"repeatLines,omitempty"`
	RepeatSerial string `json:"repeatSerial,omitempty"`
}

// testExpect is what a test may expect beside the language's expectations.
type testExpect struct {
	// ActivationCountry is the order's activation country after the rules.
	ActivationCountry *string          `json:"activationCountry"`
	Lines             []map[string]any `json:"lines"` // per line: field -> expected value
}

type testCase struct {
	fx     *fixture
	with   rules.Doc
	now    time.Time
	req    domain.OrderRequest
	expect testExpect
}

func (fx *fixture) Test(ctx context.Context, given, expect rules.Doc) (rules.Case, error) {
	c := &testCase{fx: fx, with: given.Field("with"), now: fx.head.Now}
	var g testGiven
	if err := given.Without("with", "order").Decode(&g); err != nil {
		return nil, err
	}
	if !g.Now.IsZero() {
		c.now = g.Now
	}
	if err := expect.Decode(&c.expect); err != nil {
		return nil, err
	}
	// The overrides are checked against the request's fields where they are
	// written, so a misspelt field is reported at its own line and column.
	over := given.Field("order")
	var check domain.OrderRequest
	if err := over.Decode(&check); err != nil {
		return nil, err
	}
	var m map[string]any
	if err := over.Decode(&m); err != nil {
		return nil, err
	}
	req, err := overrideOrder(fx.head.Order, m)
	if err != nil {
		return nil, err
	}
	if g.RepeatLines > 0 {
		if len(req.Lines) == 0 {
			return nil, fmt.Errorf("repeatLines needs an order with a line")
		}
		base := req.Lines[0]
		req.Lines = make([]domain.LineRequest, g.RepeatLines)
		for i := range req.Lines {
			req.Lines[i] = base
			req.Lines[i].LineNumber = i + 1
			if g.RepeatSerial != "" {
				req.Lines[i].SerialNumber = fmt.Sprintf(g.RepeatSerial, i+1)
			} else {
				req.Lines[i].SerialNumber = base.SerialNumber + "-" + strconv.Itoa(i+1)
			}
		}
	}
	c.req = req
	return c, nil
}

// Decide loads the test's world into a new store and decides its order as
// CreateOrder would, without writing.
func (c *testCase) Decide(ctx context.Context, set *rules.Set) (domain.Decision, error) {
	if !set.Has(orderScope) {
		return domain.Decision{}, fmt.Errorf("the rule set has no order scope")
	}
	store := c.fx.o.Open()
	defer store.Close()
	data := []rules.Doc{c.fx.data}
	if !c.with.Empty() {
		data = append(data, c.with)
	}
	if err := c.fx.o.Load(ctx, store, data...); err != nil {
		return domain.Decision{}, fmt.Errorf("with: %w", err)
	}
	var d domain.Decision
	err := store.View(ctx, func(tx ports.Tx) error {
		snap, err := LoadSnapshot(ctx, tx, domain.PartnerPrincipal(c.fx.head.ClientID, domain.ClientCredentials), &c.req, c.now.UTC())
		if err != nil {
			return err
		}
		d = Decide(set, snap, &c.req)
		return nil
	})
	return d, err
}

func (c *testCase) Check(d *domain.Decision) []string {
	var fails []string
	e := c.expect
	if e.ActivationCountry != nil && d.ActivationCountry != *e.ActivationCountry {
		fails = append(fails, fmt.Sprintf("activationCountry: got %q, want %q", d.ActivationCountry, *e.ActivationCountry))
	}
	for i, want := range e.Lines {
		if i >= len(d.Lines) {
			fails = append(fails, fmt.Sprintf("lines[%d]: the order has %d lines", i, len(d.Lines)))
			continue
		}
		for k, v := range want {
			got, ok := lineField(&d.Lines[i], k)
			if !ok {
				fails = append(fails, fmt.Sprintf("lines[%d].%s: not a line field", i, k))
				continue
			}
			if w := fmt.Sprint(v); got != w {
				fails = append(fails, fmt.Sprintf("lines[%d].%s: got %q, want %q", i, k, got, w))
			}
		}
	}
	return fails
}

// overrideOrder applies a test's order overrides to the fixture's request by
// round-tripping through YAML, so overrides use the seed's field names.
func overrideOrder(base domain.OrderRequest, over map[string]any) (domain.OrderRequest, error) {
	if len(over) == 0 {
		base.Lines = slices.Clone(base.Lines)
		return base, nil
	}
	b, err := yaml.Marshal(base)
	if err != nil {
		return base, err
	}
	var m map[string]any
	if err := yaml.Unmarshal(b, &m); err != nil {
		return base, err
	}
	var baseLine map[string]any
	if ls, ok := m["lines"].([]any); ok && len(ls) > 0 {
		baseLine, _ = ls[0].(map[string]any)
	}
	for k, v := range over {
		if k != "lines" {
			m[k] = v
			continue
		}
		ls, ok := v.([]any)
		if !ok {
			return base, fmt.Errorf("order.lines: want a list")
		}
		lines := make([]any, len(ls))
		for i, l := range ls {
			lm, ok := l.(map[string]any)
			if !ok {
				return base, fmt.Errorf("order.lines[%d]: want a mapping", i)
			}
			merged := map[string]any{}
			for bk, bv := range baseLine {
				merged[bk] = bv
			}
			for lk, lv := range lm {
				merged[lk] = lv
			}
			lines[i] = merged
		}
		m["lines"] = lines
	}
	b, err = yaml.Marshal(m)
	if err != nil {
		return base, err
	}
	var out domain.OrderRequest
	if err := yaml.UnmarshalWithOptions(b, &out, yaml.Strict()); err != nil {
		return base, fmt.Errorf("order: %s", yaml.FormatError(err, false, false))
	}
	return out, nil
}

func lineField(l *domain.LineOutcome, name string) (string, bool) {
	switch name {
	case "serviceStartDate":
		return l.ServiceStartDate.String(), true
	case "serviceEndDate":
		return l.ServiceEndDate.String(), true
	case "activationDate":
		return l.ActivationDate.String(), true
	case "activationType":
		return string(l.ActivationType), true
	case "autoRenewal":
		return domain.YN(l.AutoRenewal), true
	case "serialNumber":
		return l.SerialNumber, true
	case "carrierName":
		return l.CarrierName, true
	case "ssoUserEmailAddress":
		return l.SSOUserEmailAddress, true
	case "simIncludedFlag":
		return l.SimIncludedFlag, true
	case "kind":
		return string(l.Kind), true
	}
	return "", false
}
