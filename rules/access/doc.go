// Package access turns credentials into a domain.Principal: it issues and
// verifies the credentials of the five APIs. Today it serves the store API's
// OAuth client_credentials grant (seed 001): a client id and secret buy a
// bearer token that expires, and a bearer token names its client, a partner.
// Secrets and tokens are stored by hash only and compared in constant time.
//
// The HTTP kit (adapters/httpapi) calls it to authenticate every request and
// puts the Principal in the request's context; use cases take the Principal
// and never see a credential.
package access
