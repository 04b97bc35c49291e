// Package webui is the web tool `entitle serve` answers at /ui/: seed 000's
// Account Manager for people (a partner's companies and their seats, an
// account's users, seats and assignment history, a partner's block of an
// account and its X-AccessTokens) and a ruleset playground for rule authors.
//
// It is a client of the same HTTP APIs the programs use, called in process:
// every page is built from answers of the *httpapi.Server handler it is
// given (Options.API), with the credentials the person signed in with kept
// in a server-side session and never sent to the browser. It reads no store.
// The one thing it does beside the HTTP APIs is issue a partner's
// X-AccessToken (seed 003: tokens are made by hand), through the access
// context (rules/access), as the data file and the Go API do.
//
// Pages are rendered on the server with html/template; the stylesheet and a
// small script (progressive enhancement only: every page works without it)
// are embedded in the binary. Only adapters/cmd/entitle imports it, to mount
// it with one line.
package webui
