// Package tapstore serves the TAP store API of seed 001 over the httpapi kit:
// GET /cloud/tapstoreapis/v1?request={...} for TAP_GET_CUSTOMERS_API,
// TAP_GET_MFG_MODELS_API, TAP_GET_PRODUCTS_API, TAP_GET_ORDER_API and
// TAP_GET_ACTIVATION_STATUS_API; POST /cloud/tapstoreapis/v1 with the
// {"ProcName", "ProcRequester", "request"} envelope for TAP_CREATE_ORDER_API
// and TAP_RESEND_ACTIVATION_API. Payloads, field names, messages and date
// formats are the seed's; the stage spelling /cloud/TAPStoreAPIs/v1 is served
// too.
package tapstore
