// Package httpapi is the small kit the seed APIs are served with: a Server
// (method patterns, request ids, structured logs with a Note each handler
// fills, GET /healthz and /readyz, Prometheus Metrics, a body-size limit,
// recovered panics), strict JSON decoding whose errors name the field,
// client credentials with bearer tokens (POST /oauth/token), and
// Idempotency-Key handling for writes. Each seed API is a package beside it
// (tapstore: the TAP store API of seed 001) that registers its native paths.
//
// Only adapters/cmd wires it; import it to serve entitle from your own program.
package httpapi
