// Package assignments serves License Assignments v2 of seed 004 over the
// httpapi kit: GET /api/v2/licenseAssignments (filters license-id, user-id,
// from-activation-date, to-activation-date; offset and limit; sort) and GET
// /api/v2/licenseAssignments/{id}, for an account user who logs in with HTTP
// Basic and holds role USERADMIN or ACCOUNTADMIN. The answer is the seed's:
// a bare JSON array of {licenseId, userId, activationDate, deactivationDate,
// accountId, id, lastChangedDate}, dates YYYY-MM-DD and lastChangedDate
// YYYY-MM-DDTHH:MM:SS.sssZ.
//
// The resource is read-only, as the vendor's page and the seed say: POST,
// PUT and DELETE (and any other method) get 405 with Allow: GET, HEAD and
// "Access Denied. POST, PUT and DELETE methods are not allowed"; assignments
// are made through the Account Manager API (package accountmanager) or the
// Go API (rules/seats). The seed's other spellings of the date filters
// (from-date, to-date, from-registration-date, to-registration-date) are
// aliases of the activation-date filters; a parameter this API does not
// know, one given twice, or a filter given under two of its names is a 400
// naming it, never ignored. Every refusal is the error envelope
// {"error": {"code", "message", "field", "requestId"}} (openapi.yaml).
//
// Only adapters/cmd wires it; import it to serve License Assignments v2 from
// your own program.
package assignments
