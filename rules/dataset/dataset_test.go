package dataset_test

import (
	"context"
	"strings"
	"testing"

	"github.com/entitle-rules/entitle/adapters/memory"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules/dataset"
)

const small = `
customers:
  - id: reseller-1
    clientId: tap-client
    name: Trimble Reseller Americas
    region: AMERICA
    country: US
    sites:
      - {siteUseId: 531807, use: BILL_TO, address: "Westminster CO"}
parts:
  - {partNumber: 132001-10, partDescription: "CenterPoint RTX 1 Year", serviceType: RTX, productLine: CENTERPOINT, duration: 1 YEAR}
subscriptions:
  - {serialNumber: "1234567890", partNumber: 132001-10, start: 2024-06-01}
`

func TestParseIsStrict(t *testing.T) {
	for name, tc := range map[string]struct{ data, want string }{
		"an unknown field names its line": {"parts:\n  - {partNumber: A, colour: red}\n", "[2:21] unknown field \"colour\""},
		"a duplicate key":                 {"parts: []\nparts: []\n", "[2:1] mapping key \"parts\" already defined"},
		"a value of the wrong type":       {"customers:\n  - {id: a, sites: 3}\n", "[2:20] int was used where sequence is expected"},
		"not a mapping":                   {"- a\n", "[1:1]"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := dataset.Parse([]byte(tc.data))
			if err == nil || !strings.Contains(err.Error(), tc.want) || domain.ErrorCode(err) != domain.CodeInvalid {
				t.Errorf("Parse: %v, want CodeInvalid containing %q", err, tc.want)
			}
		})
	}
	ds, err := dataset.Parse([]byte(small))
	if err != nil {
		t.Fatal(err)
	}
	if len(ds.Customers) != 1 || len(ds.Parts) != 1 || len(ds.Subscriptions) != 1 {
		t.Errorf("parsed %+v", ds)
	}
	// JSON is YAML.
	if _, err := dataset.Parse([]byte(`{"parts": [{"partNumber": "A", "partDescription": "x", "serviceType": "RTX", "productLine": "P", "duration": "1 YEAR"}]}`)); err != nil {
		t.Errorf("JSON: %v", err)
	}
}

func TestBuildNamesEveryBadField(t *testing.T) {
	ds := &dataset.Dataset{Parts: []dataset.PartData{
		{PartNumber: "", ServiceType: "RTX", ProductLine: "P", Duration: "1 YEAR"},
		{PartNumber: "B", ServiceType: "GPS", ProductLine: "P", Duration: "soon"},
	}}
	_, err := ds.Build()
	var de *domain.Error
	if !asError(err, &de) || de.Code != domain.CodeInvalid {
		t.Fatalf("Build: %v, want CodeInvalid", err)
	}
	var fields []string
	for _, v := range de.Violations {
		fields = append(fields, v.Field)
	}
	got := strings.Join(fields, " ")
	for _, want := range []string{"parts[0].partNumber", "parts[1].serviceType", "parts[1].duration"} {
		if !strings.Contains(got, want) {
			t.Errorf("violations on %s, want one on %s", got, want)
		}
	}
}

func asError(err error, de **domain.Error) bool {
	e, ok := err.(*domain.Error)
	*de = e
	return ok
}

// Loading is all or nothing and repeatable: a bad data set writes nothing,
// and loading a good one twice leaves the store as after the first time.
func TestLoadIsAllOrNothingAndRepeatable(t *testing.T) {
	ctx := context.Background()
	store := memory.New()
	bad := &dataset.Dataset{
		Customers: []dataset.CustomerData{{ID: "c", ClientID: "x", Name: "n", Region: "AMERICA", Sites: []dataset.SiteData{{SiteUseID: 1, Use: "BILL_TO", Address: "a"}}}},
		Parts:     []dataset.PartData{{PartNumber: "B", ServiceType: "GPS"}},
	}
	if _, err := bad.Load(ctx, store); domain.ErrorCode(err) != domain.CodeInvalid {
		t.Fatalf("Load of a bad data set: %v, want CodeInvalid", err)
	}
	count := func() (int, int) {
		var customers, subs int
		_ = store.View(ctx, func(tx ports.Tx) error {
			cs, _ := tx.Customers().ByClient(ctx, "tap-client")
			tl, _ := tx.Subscriptions().BySerial(ctx, "1234567890")
			customers, subs = len(cs), len(tl)
			return nil
		})
		return customers, subs
	}
	if c, s := count(); c != 0 || s != 0 {
		t.Fatalf("a refused load wrote %d customers, %d subscriptions", c, s)
	}
	ds, err := dataset.Parse([]byte(small))
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := ds.Load(ctx, store); err != nil {
			t.Fatal(err)
		}
		if c, s := count(); c != 1 || s != 1 {
			t.Fatalf("after loading: %d customers, %d subscriptions, want 1 and 1", c, s)
		}
	}
}

func TestMergeKeepsOrder(t *testing.T) {
	a := &dataset.Dataset{Parts: []dataset.PartData{{PartNumber: "A"}}, InProgress: []string{"1"}}
	b := &dataset.Dataset{Parts: []dataset.PartData{{PartNumber: "B"}}, InProgress: []string{"2"}}
	m := a.Merge(b)
	if len(m.Parts) != 2 || m.Parts[0].PartNumber != "A" || m.Parts[1].PartNumber != "B" || strings.Join(m.InProgress, ",") != "1,2" {
		t.Errorf("Merge = %+v", m)
	}
	m.Parts[0].PartNumber = "changed"
	if a.Parts[0].PartNumber != "A" {
		t.Error("Merge shares its first argument's slices")
	}
}

// FuzzParse: any bytes either parse or are refused with CodeInvalid; what
// parses builds or is refused with CodeInvalid; nothing panics.
func FuzzParse(f *testing.F) {
	f.Add([]byte(small))
	f.Add([]byte("parts:\n  - {partNumber: A, colour: red}\n"))
	f.Add([]byte(`{"devices": [{"serialNumber": "x\u0000y"}]}`))
	f.Add([]byte("subscriptions: [{serialNumber: a, partNumber: b, start: 0001-01-01}]"))
	f.Add([]byte(seatsFile))
	f.Add([]byte("companies: [{alias: a, partner: p, limits: {app: {users: -1}}}]\nusers: [{company: a, externalId: u, roles: [ROOT]}]"))
	f.Add([]byte("licenses: [{company: a, productId: P, seats: 9999999999, registered: 2025-01-01, expires: 2024-01-01}]"))
	f.Add([]byte("assignments: [{company: a, productId: P, externalId: u, activationDate: 2018-06-11, deactivationDate: 2018-06-09}]"))
	f.Add([]byte(accountsFile))
	f.Add([]byte("companies: [{alias: a, partner: p, type: 30, regApps: [x, x], plans: {y: ''}, blocks: [{blocked: true}], premium: [{type: bitcoin}]}]"))
	f.Add([]byte("clientPlans: [{id: c, partner: p, app: x, name: n, quotas: {units: -5}, modules: [teleport]}]"))
	f.Add([]byte("accessTokens: [{partner: p, tokenHash: zz, expires: 0001-01-01T00:00:00Z}]"))
	f.Add([]byte("managedLinks: [{primary: 1234567890-00001, managed: 1234567890-00001, service: '', sku: s, txId: t, state: GONE}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ds, err := dataset.Parse(data)
		if err != nil {
			if domain.ErrorCode(err) != domain.CodeInvalid {
				t.Fatalf("Parse: %v, want CodeInvalid", err)
			}
			return
		}
		if _, err := ds.Build(); err != nil && domain.ErrorCode(err) != domain.CodeInvalid {
			t.Fatalf("Build: %v, want CodeInvalid", err)
		}
	})
}
