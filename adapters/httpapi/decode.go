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
	"unicode/utf8"

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
	if err := checkJSON(data); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	// encoding/json matches field names regardless of case; entitle does
	// not: SERIALNUMBER is not serialNumber. v is still filled as far as the
	// decoder gets, so a caller can tell which request it was.
	if path := unknownField(data, reflect.TypeOf(v)); path != "" {
		_ = dec.Decode(v)
		return unknownFieldError(path)
	}
	if err := dec.Decode(v); err != nil {
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

func unknownFieldError(path string) error {
	field, hint, _ := strings.Cut(path, " ")
	if hint != "" {
		return domain.Errorf(domain.CodeInvalid, field, "%s is not a field of this request %s; field names are case-sensitive", field, hint)
	}
	return domain.Errorf(domain.CodeInvalid, field, "%s is not a field of this request", field)
}

// checkJSON walks data's tokens before anything is decoded and refuses, with
// the path of the value: a key given twice in one object (encoding/json would
// keep the last silently), and text that is not valid UTF-8 or holds a
// control character, in any key or string (encoding/json would turn bytes
// that are not UTF-8 into U+FFFD silently). Malformed JSON is left for the
// decoder to describe.
func checkJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	type frame struct {
		obj   bool
		keys  map[string]bool
		path  string
		index int
		key   string // the key whose value comes next, in an object
	}
	var stack []*frame
	here := func() string {
		if len(stack) == 0 {
			return ""
		}
		f := stack[len(stack)-1]
		if f.obj {
			return domain.JoinField(f.path, f.key)
		}
		return f.path + "[" + strconv.Itoa(f.index) + "]"
	}
	// next moves past a value in the innermost container.
	next := func() {
		if len(stack) == 0 {
			return
		}
		f := stack[len(stack)-1]
		if f.obj {
			f.key = ""
		} else {
			f.index++
		}
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil // io.EOF, or malformed JSON the decoder reports
		}
		top := (*frame)(nil)
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				stack = append(stack, &frame{obj: t == '{', keys: map[string]bool{}, path: here()})
			default:
				stack = stack[:len(stack)-1]
				next()
			}
			continue
		case string:
			if top != nil && top.obj && top.key == "" {
				path := domain.JoinField(top.path, t)
				if err := checkString(path, t, "name"); err != nil {
					return err
				}
				if top.keys[t] {
					return domain.Errorf(domain.CodeInvalid, path, "%s is given twice", path)
				}
				top.keys[t], top.key = true, t
				continue
			}
			if err := checkString(here(), t, "value"); err != nil {
				return err
			}
		}
		next()
	}
}

// checkString refuses control characters and U+FFFD in a key or string
// value: encoding/json turns bytes that are not UTF-8, and escapes of lone
// surrogates, into U+FFFD, so that is how text that was not text shows.
func checkString(path, s, what string) error {
	for _, r := range s {
		if r == utf8.RuneError {
			return domain.Errorf(domain.CodeInvalid, path, "the %s of %s is not valid UTF-8 text", what, fieldName(path))
		}
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return domain.Errorf(domain.CodeInvalid, path, "the %s of %s holds a control character (%U); send printable text", what, fieldName(path), r)
		}
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
			if name := jsonName(f); name != k {
				return p + " (write " + name + ")"
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
// name, else the field name, matched case-insensitively as json does (the
// caller then refuses a key not spelt exactly as the field).
func jsonField(t reflect.Type, key string) (reflect.StructField, bool) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() || jsonName(f) == "-" {
			continue
		}
		if strings.EqualFold(jsonName(f), key) {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// jsonName is a field's name in JSON: its tag name, else its Go name.
func jsonName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if name == "" {
		name = f.Name
	}
	return name
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
