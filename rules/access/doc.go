// Package access turns credentials into a domain.Principal: it issues and
// verifies the credentials of the APIs. Secrets and tokens are stored by
// hash only and compared in constant time.
//
//   - The store API's OAuth client_credentials grant (seed 001): IssueToken
//     checks a client id and secret (argon2id) and issues a bearer token of
//     kind domain.ClientCredentials.
//   - The Account Manager's apiKey (seed 000): IssueAPIKeyToken finds the
//     partner by the SHA-256 of its key and issues a bearer token of kind
//     domain.APIKey, of partner scope, or, with the alias of one of the
//     partner's companies, of that account's scope. Every refusal reads
//     "Invalid apiKey value sent" and never tells whether an alias exists.
//   - License Assignments v2's HTTP Basic login (seed 004): BasicUser checks
//     an account user's username and password (argon2id; unknown usernames
//     are checked against a decoy) and names the account, the user and its
//     roles.
//   - Managed billing (seed 002): IssueBillingBearer is the ThingSpace OAuth
//     client_credentials grant (a bearer of kind domain.BillingBearer, one
//     hour); SessionLogin checks a UWS login of one of the bearer's
//     partner's accounts and issues a VZ-M2M session token (kind
//     domain.Session) that expires after 20 idle minutes; Session checks it
//     with the bearer and slides its expiry. Five wrong passwords in a row
//     lock the login (User.FailedLogins, LockedAt) until UnlockLogin.
//   - Account operations (seed 003): IssueAccessToken issues a partner's
//     X-AccessToken with an expiry; AccessToken tells an expired one
//     (ErrTokenExpired) from an unknown one (ErrTokenInvalid).
//
// A blocked account (domain.Account.BlockedAt at the clock's instant) is
// refused with ErrAccountBlocked wherever one of its credentials is used:
// an apiKey + alias token request, a token narrowed to it (checked on every
// use, so tokens issued before the block stop working), an HTTP Basic user,
// a session login and a session. The refusals callers must tell apart are
// exported (ErrLogin, ErrLoginLocked, ErrSessionExpired, ...) and returned
// as they are, for errors.Is.
//
// Bearer turns any token back into its Principal, with the kind it was
// issued for and its account scope; which kinds an API accepts is the HTTP
// kit's question (adapters/httpapi: Authenticate, AuthenticateBearer,
// AuthenticateBasic), which also slows guessing. Use cases take the
// Principal and never see a credential.
package access
