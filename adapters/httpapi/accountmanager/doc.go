// Package accountmanager serves the Account Manager API of seed 000 at
// /api/v1 over the httpapi kit: a partner exchanges its apiKey for a token
// (POST /authenticate), creates its customers' companies and sets their
// seats (the Company API, /companies), and an account token (apiKey + a
// company's alias) adds users (/users) and gives them seats of a product
// (/license/{productId}, one user or up to the rule files' bulk maximum per
// call).
//
// The vendor's reference pages were not found (see OpenAPI for every choice
// made where they are silent): the paths of the Company API, the request and
// answer bodies, paging, and one error envelope for every refusal,
// {"error": {"code", "message", "field", "violations", "requestId"}}.
//
// A partner token reaches only the company paths, and only its own
// companies; an account token reaches only the users and license paths of
// its own account; a store API token reaches neither. Writes are
// authenticated before a byte of their body is read, must be
// application/json, and run under the Idempotency-Key
// (httpapi.RunIdempotent). Decisions are made by rules/seats; this package
// only translates.
//
// Only adapters/cmd wires it; import it to serve the Account Manager API
// from your own program.
package accountmanager
