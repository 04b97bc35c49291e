package decisions

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/entitle-rules/entitle/domain"
)

// MaxRequestBytes bounds a request file or body explain reads.
const MaxRequestBytes = 1 << 20

// DecodeOrderRequest reads a CREATE_ORDER request in the store API's own
// JSON: the whole call ({"ProcName": "TAP_CREATE_ORDER_API",
// "ProcRequester", "request": {...}}) or its request alone. Numbers may be
// sent as numbers or as strings of digits, as the API takes them; an
// unknown field is CodeInvalid naming it.
func DecodeOrderRequest(b []byte) (*domain.OrderRequest, error) {
	if len(b) > MaxRequestBytes {
		return nil, domain.Errorf(domain.CodeInvalid, "request", "the request is over %d bytes", MaxRequestBytes)
	}
	var top map[string]json.RawMessage
	if err := strictJSON(b, &top); err != nil {
		return nil, &domain.Error{Code: domain.CodeInvalid, Field: "request", Message: "the request is not a JSON object: " + err.Error(), Err: err}
	}
	if raw, ok := top["request"]; ok {
		for k := range top {
			if k != "request" && k != "ProcName" && k != "ProcRequester" {
				return nil, domain.Errorf(domain.CodeInvalid, k, "unknown field %q beside the request", k)
			}
		}
		if name, ok := top["ProcName"]; ok && string(bytes.TrimSpace(name)) != `"TAP_CREATE_ORDER_API"` {
			return nil, domain.Errorf(domain.CodeInvalid, "ProcName", "explain takes TAP_CREATE_ORDER_API, not %s", name)
		}
		b = raw
	}
	var m map[string]any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&m); err != nil || m == nil {
		return nil, domain.Errorf(domain.CodeInvalid, "request", "the request is not a JSON object")
	}
	numeric(m, "billToSiteUseId")
	numeric(m, "shipToSiteUseId")
	if lines, ok := m["lines"].([]any); ok {
		for _, l := range lines {
			if lm, ok := l.(map[string]any); ok {
				numeric(lm, "lineNumber")
				if n, ok := lm["simNumber"].(json.Number); ok {
					lm["simNumber"] = n.String()
				}
			}
		}
	}
	norm, err := json.Marshal(m)
	if err != nil {
		return nil, domain.Wrap(err, domain.CodeInvalid, "the request cannot be read")
	}
	var req domain.OrderRequest
	if err := strictJSON(norm, &req); err != nil {
		return nil, &domain.Error{Code: domain.CodeInvalid, Field: fieldOf(err), Message: err.Error(), Err: err}
	}
	return &req, nil
}

// numeric turns a string of digits at m[k] into a number.
func numeric(m map[string]any, k string) {
	if s, ok := m[k].(string); ok && s != "" && strings.Trim(s, "0123456789") == "" {
		m[k] = json.Number(s)
	}
}

// strictJSON decodes one JSON value into v, refusing unknown fields and
// anything after the value.
func strictJSON(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return err
	}
	if _, err := d.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("more than one JSON value")
	}
	return nil
}

// fieldOf names the field of a decoding error, when it says.
func fieldOf(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return te.Field
	}
	if s, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return strings.Trim(s, `"`)
	}
	return "request"
}
