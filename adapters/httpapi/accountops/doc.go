// Package accountops serves seed 003's account operations of the GPS-Trace
// partner API over the httpapi kit, at /partner: block and unblock an
// account, schedule its block, change its client plan, list the partner's
// client plans, and read an account (the seed's account object), its premium
// subscriptions, its limits, and the count of the partner's accounts by
// filter.
//
// Every request carries the partner's X-AccessToken, checked before a byte
// of the body is read (an expired one is 401 TOKEN_EXPIRED, an unknown one
// 403 INVALID_TOKEN). A partner reaches only its own accounts: another's
// answers 403 FORBIDDEN, exactly like an id that does not exist. Answers are
// {"data": ...} with the seed's account object; refusals are one envelope,
// {"errors": [{"message", "extensions": {"code", "field"}}]}, with the
// vendor's codes. Whether an account is blocked is computed at the clock's
// instant from its dated block records: a scheduled block shows at its
// instant with no background job. Every choice made where the vendor is
// silent is in OpenAPI.
//
// Decisions are made by rules/accounts; this package only translates. Only
// adapters/cmd wires it; import it to serve the API from your own program.
package accountops
