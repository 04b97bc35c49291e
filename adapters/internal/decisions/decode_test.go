package decisions

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/entitle-rules/entitle/domain"
)

func TestDecodeOrderRequest(t *testing.T) {
	call := `{"ProcName": "TAP_CREATE_ORDER_API", "ProcRequester": "TAP", "request": {"customerPONumber": "PO1", "currencyCode": "USD",
	"billToSiteUseId": "531807", "shipToSiteUseId": 1912956, "billToContactEmail": "a@b.c", "shipToContactEmail": "d@e.f",
	"lines": [{"lineNumber": "1", "serviceStartDate": "2025-04-24", "partNumber": "132001-10", "serialNumber": "1",
	"serviceType": "VRS", "autoRenewal": "Y", "activationType": "IMMEDIATE", "simNumber": 8001002000145236}]}}`
	req, err := DecodeOrderRequest([]byte(call))
	if err != nil {
		t.Fatal(err)
	}
	if req.BillToSiteUseID != 531807 || req.ShipToSiteUseID != 1912956 || req.Lines[0].LineNumber != 1 || req.Lines[0].SimNumber != "8001002000145236" ||
		req.Lines[0].ServiceStartDate.String() != "2025-04-24" {
		t.Errorf("decoded %+v", req)
	}
	bare, err := DecodeOrderRequest([]byte(`{"customerPONumber": "PO1", "lines": []}`))
	if err != nil || bare.CustomerPONumber != "PO1" {
		t.Errorf("a bare request: %+v, %v", bare, err)
	}
	for _, bad := range []string{`{"ProcName": "TAP_GET_ORDER_API", "request": {}}`, `{"request": {}, "x": 1}`, `{"customerPONumber": 3}`,
		`{"lines": [{"serviceStartDate": "24/04/2025"}]}`, `{"nope": 1}`, `[]`, `{"lines": [{"lineNumber": "1a"}]}`, `{} {}`} {
		if _, err := DecodeOrderRequest([]byte(bad)); domain.ErrorCode(err) != domain.CodeInvalid {
			t.Errorf("%s: %v, want invalid", bad, err)
		}
	}
}

// FuzzDecodeOrderRequest: any input is refused with CodeInvalid or decodes
// to a request that encodes and decodes to itself.
func FuzzDecodeOrderRequest(f *testing.F) {
	for _, s := range []string{`{"customerPONumber": "PO1", "billToSiteUseId": "12", "lines": [{"lineNumber": 2, "simNumber": 5}]}`,
		`{"ProcName": "TAP_CREATE_ORDER_API", "request": {"lines": [{"serviceStartDate": "2025-02-29"}]}}`, `{"request": null}`, `1`, `{}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		req, err := DecodeOrderRequest(b)
		if err != nil {
			if domain.ErrorCode(err) != domain.CodeInvalid {
				t.Fatalf("refused with %v, want invalid", err)
			}
			return
		}
		again, err := json.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		req2, err := DecodeOrderRequest(again)
		if err != nil {
			t.Fatalf("%s does not decode again: %v", again, err)
		}
		if !reflect.DeepEqual(req, req2) {
			t.Fatalf("round trip: %+v != %+v", req, req2)
		}
	})
}
