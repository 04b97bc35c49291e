package apitest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Reply is an answer: status, headers, raw body, and the body decoded.
type Reply struct {
	Status int
	Header http.Header
	Raw    string
	Body   any
}

// Obj returns the body as a JSON object (nil when it is not one).
func (r Reply) Obj() map[string]any { m, _ := r.Body.(map[string]any); return m }

// Request describes a request. A body, or a ContentType, sets Content-Type
// (application/json when ContentType is ""); Header is set after it, so it
// can overwrite it.
type Request struct {
	Method, Path, Body, ContentType string
	Header                          http.Header
}

// Client sends requests to Server, answered with application/json, and
// checks every answer against Spec unless Bare (benchmarks time the
// server, not the checker). Its methods report to the tb they are given,
// so one Client serves a fuzz target's every input.
type Client struct {
	Server *httptest.Server
	Spec   *Spec
	Bare   bool
}

// Do sends r.
func (c *Client) Do(tb testing.TB, r Request) Reply {
	tb.Helper()
	var body io.Reader
	if r.Body != "" {
		body = strings.NewReader(r.Body)
	}
	hr, err := http.NewRequest(r.Method, c.Server.URL+r.Path, body)
	if err != nil {
		tb.Fatal(err)
	}
	if r.Body != "" || r.ContentType != "" {
		ct := r.ContentType
		if ct == "" {
			ct = "application/json"
		}
		hr.Header.Set("Content-Type", ct)
	}
	for k, v := range r.Header {
		hr.Header[k] = v
	}
	return c.Send(tb, hr)
}

// Send sends hr as it is. Every answer must say Content-Type
// application/json; but for HEAD, its body must be JSON and the answer the
// documented one.
func (c *Client) Send(tb testing.TB, hr *http.Request) Reply {
	tb.Helper()
	resp, err := c.Server.Client().Do(hr)
	if err != nil {
		tb.Fatalf("%s %s: %v", hr.Method, hr.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	out := Reply{Status: resp.StatusCode, Header: resp.Header, Raw: string(b)}
	if hr.Method != http.MethodHead {
		if err := json.Unmarshal(b, &out.Body); err != nil {
			tb.Errorf("%s %s: the answer is not JSON (%v): %q", hr.Method, hr.URL, err, b)
		}
		if !c.Bare {
			c.Spec.Check(tb, hr, resp.StatusCode, resp.Header, b)
		}
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		tb.Errorf("%s %s: Content-Type %q", hr.Method, hr.URL, ct)
	}
	return out
}
