package domain

import (
	"errors"
	"fmt"
	"strings"
)

// Code is the stable, machine-readable class of an Error. Programs act on an
// error's code, never on its message.
type Code string

// The error codes.
const (
	CodeInvalid         Code = "invalid"         // the request is malformed or breaks a rule
	CodeNotFound        Code = "not_found"       // nothing matches the request
	CodeConflict        Code = "conflict"        // the request races or repeats another one
	CodeForbidden       Code = "forbidden"       // the caller may not do this
	CodeUnauthenticated Code = "unauthenticated" // the caller is not known
	CodeUnavailable     Code = "unavailable"     // a dependency is down; retrying may help
	CodeRateLimited     Code = "rate_limited"    // the caller sent too much too fast; retry later
	CodeInternal        Code = "internal"        // a bug or an unexpected failure
)

// Error is entitle's one error type: a code, the path of the field at fault
// (lines[3].serviceStartDate), a message a person can act on, the rule
// violations when a ruleset refused the request, and the cause.
type Error struct {
	Code       Code
	Field      string
	Message    string
	Violations []Violation
	Err        error
}

// Errorf returns an *Error with a formatted message.
func Errorf(code Code, field, format string, args ...any) *Error {
	return &Error{Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an *Error of code whose cause is err.
func Wrap(err error, code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: err}
}

// Error implements error: "field: message", then each violation, then the cause.
func (e *Error) Error() string {
	var b strings.Builder
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	for i, v := range e.Violations {
		if i == 0 && e.Message != "" {
			b.WriteString(": ")
		} else if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(v.String())
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// WithField returns a copy of e whose field path is field (prefixed to any path
// e already had, as in lines[2] + serviceStartDate).
func (e *Error) WithField(field string) *Error {
	c := *e
	switch {
	case c.Field == "":
		c.Field = field
	case field != "":
		c.Field = JoinField(field, c.Field)
	}
	return &c
}

// JoinField joins two field paths: ("lines[2]", "serviceStartDate") is
// "lines[2].serviceStartDate" and ("lines", "[2]") is "lines[2]".
func JoinField(parent, child string) string {
	switch {
	case parent == "":
		return child
	case child == "":
		return parent
	case strings.HasPrefix(child, "["):
		return parent + child
	}
	return parent + "." + child
}

// ErrorCode returns the code of the first *Error in err's chain, CodeInternal
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// Problems collects validation problems so every one is reported, not only the
// first. The zero value is ready to use.
type Problems struct {
	list []Violation
}

// Add records a problem with field and a formatted message.
func (p *Problems) Add(code, field, format string, args ...any) {
	p.list = append(p.list, Violation{Code: code, Field: field, Message: fmt.Sprintf(format, args...)})
}

// Len returns the number of problems recorded.
func (p *Problems) Len() int { return len(p.list) }

// Err returns nil when nothing was recorded, else an *Error of CodeInvalid
// carrying every problem as a Violation.
func (p *Problems) Err() error {
	if len(p.list) == 0 {
		return nil
	}
	return &Error{Code: CodeInvalid, Message: "the request is invalid", Violations: p.list}
}
