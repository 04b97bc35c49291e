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
//
// Bearer turns any token back into its Principal, with the kind it was
// issued for and its account scope; which kinds an API accepts is the HTTP
// kit's question (adapters/httpapi: Authenticate, AuthenticateBearer,
// AuthenticateBasic), which also slows guessing. Use cases take the
// Principal and never see a credential.
package access
