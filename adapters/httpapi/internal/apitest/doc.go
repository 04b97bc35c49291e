// Package apitest is the test harness the HTTP API packages share: it opens
// every store a test runs on, sends requests to an API served over
// httptest, checks each answer against the package's OpenAPI document, and
// compares answers with expected JSON. Only the tests of
// adapters/httpapi/... import it; it is not part of the library.
package apitest
