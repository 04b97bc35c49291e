package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/entitle-rules/entitle/domain"
)

// DecodeStrict decodes one JSON value from r into v. A field v does not
// have, a value of the wrong type, malformed JSON, trailing data and an
// oversized body each fail with a *domain.Error of CodeInvalid whose Field
// names the field (for the first two) and whose message says what to fix.
func DecodeStrict(r io.Reader, v any) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return decodeError(err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		if path := unknownField(data, reflect.TypeOf(v)); path != "" {
			return domain.Errorf(domain.CodeInvalid, path, "%s is not a field of this request", path)
		}
		derr := decodeError(err)
		var typeErr *json.UnmarshalTypeError
		var de *domain.Error
		if errors.As(err, &typeErr) && errors.As(derr, &de) {
			// encoding/json names lines.deviceKey; find which line.
			if path := indexedPath(data, typeErr.Field, typeErr.Value); path != "" && path != de.Field {
				de.Message = strings.Replace(de.Message, de.Field, path, 1)
				de.Field = path
			}
		}
		return derr
	}
	if dec.More() {
		return domain.Errorf(domain.CodeInvalid, "", "the body holds more than one JSON value")
	}
	if _, err := dec.Token(); err != io.EOF {
		return domain.Errorf(domain.CodeInvalid, "", "the body holds data after its JSON value")
	}
	return nil
}

// DecodeBytes is DecodeStrict over a byte slice.
func DecodeBytes(b []byte, v any) error { return DecodeStrict(bytes.NewReader(b), v) }

func decodeError(err error) error {
	var (
		typeErr *json.UnmarshalTypeError
		syntax  *json.SyntaxError
		maxErr  *http.MaxBytesError
	)
	switch {
	case errors.As(err, &maxErr):
		return &domain.Error{Code: domain.CodeInvalid, Message: "the body is larger than " + strconv.FormatInt(maxErr.Limit, 10) + " bytes", Err: err}
	case errors.As(err, &typeErr):
		want := jsonType(typeErr.Type.Kind().String())
		if typeErr.Type == reflect.TypeFor[json.Number]() {
			want = "a number"
		}
		return domain.Errorf(domain.CodeInvalid, typeErr.Field, "%s must be %s, not %s", fieldName(typeErr.Field), want, typeErr.Value)
	case errors.As(err, &syntax):
		return domain.Errorf(domain.CodeInvalid, "", "malformed JSON at byte %d: %v", syntax.Offset, syntax)
	case errors.Is(err, io.EOF):
		return domain.Errorf(domain.CodeInvalid, "", "the body is empty; send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return domain.Errorf(domain.CodeInvalid, "", "the JSON ends early")
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		f = strings.Trim(f, `"`)
		return domain.Errorf(domain.CodeInvalid, f, "%s is not a field of this request", f)
	}
	return &domain.Error{Code: domain.CodeInvalid, Message: "the body is not valid JSON: " + err.Error(), Err: err}
}

// unknownField returns the path of the first field in data that t (a
// pointer to a struct) does not have, such as lines[2].fooBar, or "".
func unknownField(data []byte, t reflect.Type) string {
	var v any
	if json.Unmarshal(data, &v) != nil {
		return ""
	}
	return walkFields(v, t, "")
}

func walkFields(v any, t reflect.Type, path string) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch x := v.(type) {
	case map[string]any:
		if t.Kind() != reflect.Struct {
			return ""
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			f, ok := jsonField(t, k)
			p := domain.JoinField(path, k)
			if !ok {
				return p
			}
			if bad := walkFields(x[k], f.Type, p); bad != "" {
				return bad
			}
		}
	case []any:
		if t.Kind() != reflect.Slice && t.Kind() != reflect.Array {
			return ""
		}
		for i, e := range x {
			if bad := walkFields(e, t.Elem(), path+"["+strconv.Itoa(i)+"]"); bad != "" {
				return bad
			}
		}
	}
	return ""
}

// jsonField finds the field encoding/json would decode key into: the tag
// name, else the field name, matched case-insensitively as json does.
func jsonField(t reflect.Type, key string) (reflect.StructField, bool) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if strings.EqualFold(name, key) {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// indexedPath turns encoding/json's index-free field path (lines.deviceKey)
// into the path of the first value in data at that path whose JSON kind is
// got (lines[1].deviceKey), or "".
func indexedPath(data []byte, field, got string) string {
	var v any
	if field == "" || json.Unmarshal(data, &v) != nil {
		return ""
	}
	p, _ := findKind(v, strings.Split(field, "."), got, "")
	return p
}

func findKind(v any, segs []string, got, path string) (string, bool) {
	switch x := v.(type) {
	case []any:
		for i, e := range x {
			if p, ok := findKind(e, segs, got, path+"["+strconv.Itoa(i)+"]"); ok {
				return p, true
			}
		}
		return "", false
	case map[string]any:
		if len(segs) == 0 {
			return path, got == "object"
		}
		for k, e := range x {
			if strings.EqualFold(k, segs[0]) {
				return findKind(e, segs[1:], got, domain.JoinField(path, k))
			}
		}
		return "", false
	}
	if len(segs) != 0 {
		return "", false
	}
	return path, jsonKind(v) == got
}

func jsonKind(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "bool"
	case nil:
		return "null"
	}
	return ""
}

func fieldName(path string) string {
	if path == "" {
		return "the body"
	}
	return path
}

func jsonType(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "struct", "map":
		return "an object"
	case "slice", "array":
		return "a list"
	case "bool":
		return "true or false"
	}
	return "a number"
}

// IsTooLarge reports whether err comes from a body over MaxBody.
func IsTooLarge(err error) bool {
	var maxErr *http.MaxBytesError
	return errors.As(err, &maxErr)
}
