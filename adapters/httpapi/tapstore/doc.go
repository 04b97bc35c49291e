// Package tapstore serves the TAP store API of seed 001 over the httpapi kit:
// GET /cloud/tapstoreapis/v1?request={...} for TAP_GET_CUSTOMERS_API,
// TAP_GET_MFG_MODELS_API, TAP_GET_PRODUCTS_API, TAP_GET_ORDER_API and
// TAP_GET_ACTIVATION_STATUS_API; POST /cloud/tapstoreapis/v1 with the
// {"ProcName", "ProcRequester", "request"} envelope for TAP_CREATE_ORDER_API
// and TAP_RESEND_ACTIVATION_API. Payloads, field names, messages and date
// formats are the seed's; the stage spelling /cloud/TAPStoreAPIs/v1 is served
// too.
//
// Every answer under /cloud/ is a seed envelope with a uniqueId: another
// method at the API's paths is 405, another path 404, and the kit's
// Idempotency-Key refusals come in the proc's error payload. A POST is
// authenticated before a byte of its body is read, and must be
// application/json (else 415). POSTs run under the Idempotency-Key
// (httpapi.RunIdempotent); a created order is bound to the key, so a key
// whose server died is answered from the order it committed.
// TAP_CREATE_ORDER_API answers the order's own status (ORDER_ON_HOLD for a
// held order).
//
// openapi.yaml (OpenAPI) is the API's reference: every proc's request and
// answer, each error payload and status, and the choices made where the
// seed is silent; the tests check every answer they get against it.
package tapstore
