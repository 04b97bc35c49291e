// Package managedbilling serves seed 002's managed (aggregated) billing API
// over the httpapi kit, at the vendor's paths: a ThingSpace OAuth bearer
// (POST /api/ts/v1/oauth2/token, HTTP Basic key:secret,
// grant_type=client_credentials), a UWS session (POST
// /api/m2m/v1/session/login {username, password} -> {sessionToken}, which
// expires after 20 idle minutes; 5 wrong passwords in a row lock the login),
// and under /api/subsc/v1 a primary account's add of managed accounts, a
// managed account's provision and cancel with the add's TxId, and the
// primary's list of its managed accounts by status.
//
// Every request under /api/subsc/v1 carries both credentials, checked
// before a byte of the body is read: Authorization: Bearer (a bad one is the
// API gateway's 401 {"fault": ...}) and VZ-M2M-Token (a bad or expired one
// is 400 "UWS verification failure (...)"). Every other refusal is the
// vendor's {"errorCode", "errorMessage"} with status 400; an account that
// cannot be added is a "Fail" item of the answer with the reason, not an
// error. Every choice made where the vendor is silent is in OpenAPI.
//
// Decisions are made by rules/accounts; this package only translates. Only
// adapters/cmd wires it; import it to serve the API from your own program.
package managedbilling
