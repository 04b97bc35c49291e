package access

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// The credentials of the accounts APIs: managed billing's ThingSpace OAuth
// bearer and VZ-M2M session (seed 002), and account operations'
// X-AccessToken (seed 003).

// BillingBearerTTL is how long a managed-billing OAuth bearer token lives:
// a ThingSpace OAuth token lives one hour.
const BillingBearerTTL = time.Hour

// SessionIdle is how long a VZ-M2M session token lives without being used
// (seed 002's session: "expires after 20 minutes of inactivity"). Each use
// moves its expiry to SessionIdle after that use.
const SessionIdle = 20 * time.Minute

// SessionTouchStep is how far a use must move a session's expiry for
// Session to store it: a session expires SessionIdle after its last use, to
// within this step (never later).
const SessionTouchStep = time.Second

// MaxFailedLogins is how many wrong passwords in a row lock a login (seed
// 002: "5 consecutive failed logins lock the contact record").
const MaxFailedLogins = 5

// The refusals of the accounts credentials. They are returned as they are,
// so callers tell them apart with errors.Is (or ==); the HTTP packages turn
// them into their seeds' wire answers.
var (
	// ErrBillingBearer refuses a session login or a session whose bearer
	// is not a managed-billing bearer (domain.BillingBearer).
	ErrBillingBearer = domain.Errorf(domain.CodeUnauthenticated, "Authorization",
		"a ThingSpace OAuth bearer token from POST /api/ts/v1/oauth2/token is required")
	// ErrLogin refuses a session login with an unknown username, a wrong
	// password, or a login of an account that is not the bearer's
	// partner's: one answer for all of them.
	ErrLogin = domain.Errorf(domain.CodeUnauthenticated, "password", "unknown username or wrong password")
	// ErrLoginLocked refuses every login of a username locked by
	// MaxFailedLogins wrong passwords in a row, right or wrong (the fifth
	// wrong one included), until it is unlocked (UnlockLogin).
	ErrLoginLocked = domain.Errorf(domain.CodeForbidden, "username",
		"the login is locked after %d wrong passwords in a row; ask the account's administrator to unlock it", MaxFailedLogins)
	// ErrSessionInvalid refuses a VZ-M2M token that is unknown, of another
	// partner, of a deleted login, or not a session token.
	ErrSessionInvalid = domain.Errorf(domain.CodeUnauthenticated, "VZ-M2M-Token", "the session token is unknown; log in with POST /api/m2m/v1/session/login")
	// ErrSessionExpired refuses a session unused for SessionIdle (seed 002's
	// family answers "UWS verification failure (The Session has expired.)").
	ErrSessionExpired = domain.Errorf(domain.CodeUnauthenticated, "VZ-M2M-Token", "the session has expired; log in again")
	// ErrTokenInvalid refuses an X-AccessToken that is missing, unknown or
	// not an access token (seed 003's INVALID_TOKEN, 403).
	ErrTokenInvalid = domain.Errorf(domain.CodeUnauthenticated, "X-AccessToken", "the access token is invalid")
	// ErrTokenExpired refuses a known X-AccessToken past its expiry (seed
	// 003's TOKEN_EXPIRED, 401).
	ErrTokenExpired = domain.Errorf(domain.CodeUnauthenticated, "X-AccessToken", "the access token has expired; ask the partner for a new one")
	// ErrAccountBlocked refuses every credential of an account that is
	// blocked at the clock's instant (domain.Account.BlockedAt): apiKey and
	// alias tokens, HTTP Basic users, session logins and sessions, whether
	// issued before or during the block.
	ErrAccountBlocked = domain.Errorf(domain.CodeForbidden, "account", "the account is blocked")
)

// IssueBillingBearer checks a managed-billing client's id and secret (the
// ThingSpace OAuth client_credentials grant, POST /api/ts/v1/oauth2/token
// with HTTP Basic key:secret) and issues a bearer token of kind
// domain.BillingBearer that lives BillingBearerTTL. It returns the token,
// shown once and stored only as its hash, and when it expires.
//
// Any client with a secret may get one; what it reaches is its own
// accounts' logins (SessionLogin). An unknown client and a wrong secret
// fail alike with CodeUnauthenticated after one argon2id check each (an
// unknown id is checked against a decoy); an id or secret that is not
// printable text of at most domain.MaxText characters is CodeInvalid;
// CodeUnavailable when ctx ends while waiting for a check.
func (s *Service) IssueBillingBearer(ctx context.Context, clientID, secret string) (token string, expires time.Time, err error) {
	return s.clientToken(ctx, clientID, secret, domain.BillingBearer, BillingBearerTTL)
}

// SessionLogin is POST /api/m2m/v1/session/login {username, password} with
// a managed-billing bearer (seed 002): it checks a UWS login, an account
// user's username and password, and issues a session token of kind
// domain.Session for the user's account and the user, expiring SessionIdle
// after its last use (Session slides it). The token is shown once and
// stored only as its hash.
//
// The login must be a live user with a password whose account belongs to
// the bearer's partner (the client the bearer was issued to). Refusals:
//   - ErrBillingBearer when bearer is not a BillingBearer principal;
//   - ErrLogin (CodeUnauthenticated) for an unknown username, a wrong
//     password, a user of another partner's account, or text that is not
//     printable: alike, and each (but unprintable text) costs one argon2id
//     check, against a decoy when there is no such login of the partner;
//   - a wrong password adds one to the user's FailedLogins; the
//     MaxFailedLogins-th in a row sets LockedAt and is refused with
//     ErrLoginLocked (CodeForbidden), as is every later try, right or
//     wrong, without a check, until UnlockLogin; a right password sets
//     FailedLogins back to 0;
//   - ErrAccountBlocked (CodeForbidden) for a right password of an account
//     blocked now: only a caller who knows the password learns the block.
//
// CodeUnavailable when ctx ends while waiting for a check.
func (s *Service) SessionLogin(ctx context.Context, bearer domain.Principal, username, password string) (sessionToken string, err error) {
	if bearer.Credential != domain.BillingBearer || bearer.Partner == "" {
		return "", ErrBillingBearer
	}
	var p domain.Problems
	domain.CheckText(&p, "username", username, domain.MaxText)
	domain.CheckText(&p, "password", password, domain.MaxText)
	if username == "" || password == "" || p.Len() > 0 {
		return "", ErrLogin
	}
	tok, err := s.newToken()
	if err != nil {
		return "", err
	}
	var (
		u    domain.User
		acct domain.Account
	)
	err = s.store.View(ctx, func(tx ports.Tx) error {
		var err error
		if u, err = tx.Users().ByUsername(ctx, username); err != nil {
			return err
		}
		acct, err = tx.Accounts().Get(ctx, u.AccountID)
		return err
	})
	switch {
	case notFound(err) || (err == nil && (!u.Live() || u.PasswordHash == "" || acct.PartnerID != bearer.Partner)):
		// Another partner's login is no login of this bearer's: refused as
		// an unknown one is, after the same work.
		if _, _, err := s.check(ctx, s.decoy(), password); err != nil {
			return "", err
		}
		return "", ErrLogin
	case err != nil:
		return "", err
	case !u.LockedAt.IsZero():
		return "", ErrLoginLocked
	}
	ok, legacy, err := s.check(ctx, u.PasswordHash, password)
	if err != nil {
		return "", err
	}
	var rehashed string
	if ok && legacy {
		if rehashed, err = s.HashPassword(password); err != nil {
			return "", err
		}
	}
	now := s.clock.Now()
	var refused error
	err = s.store.Update(ctx, func(tx ports.Tx) error {
		refused = nil // a store may run the function more than once
		// The account's lock serializes the logins of its users, so racing
		// wrong passwords each count.
		if err := tx.LockAccount(ctx, u.AccountID); err != nil {
			return err
		}
		cur, err := tx.Users().Get(ctx, u.AccountID, u.ID)
		if err != nil {
			return err
		}
		switch {
		case !cur.Live() || cur.PasswordHash != u.PasswordHash:
			// Deleted, or given a new password, since it was checked.
			refused = ErrLogin
			return nil
		case !cur.LockedAt.IsZero():
			refused = ErrLoginLocked
			return nil
		case !ok:
			cur.FailedLogins++
			refused = ErrLogin
			if cur.FailedLogins >= MaxFailedLogins {
				cur.LockedAt, refused = now, ErrLoginLocked
			}
			return tx.Users().Put(ctx, cur)
		}
		a, err := tx.Accounts().Get(ctx, cur.AccountID)
		if err != nil {
			return err
		}
		if a.PartnerID != bearer.Partner {
			refused = ErrLogin // the account moved to another partner since
			return nil
		}
		if cur.FailedLogins != 0 || rehashed != "" {
			cur.FailedLogins = 0
			if rehashed != "" {
				cur.PasswordHash = rehashed
			}
			if err := tx.Users().Put(ctx, cur); err != nil {
				return err
			}
		}
		if a.BlockedAt(now) {
			refused = ErrAccountBlocked
			return nil
		}
		return tx.Clients().PutToken(ctx, domain.Token{Hash: domain.HashSecret(tok), ClientID: bearer.Partner, Kind: domain.Session,
			AccountID: cur.AccountID, UserID: cur.ID, ExpiresAt: now.Add(SessionIdle)})
	})
	if err != nil {
		return "", err
	}
	if refused != nil {
		return "", refused
	}
	return tok, nil
}

// Session is a managed-billing request's VZ-M2M-Token, checked with the
// request's bearer (seed 002 sends both): it returns the session's
// Principal (Partner the account's partner, Account and User the decimal
// ids of the logged-in account and user, the user's Roles, Credential
// domain.Session) and moves the session's expiry to SessionIdle after now
// (ports.Clients.TouchToken; skipped when that moves it by less than
// SessionTouchStep), so a session in use lives on.
//
// Refusals: ErrBillingBearer when bearer is not a BillingBearer principal;
// ErrSessionInvalid (CodeUnauthenticated) for a missing or unknown token, a
// token that is not a session, a session of another partner's bearer, or of
// a login deleted since; ErrSessionExpired (CodeUnauthenticated) for a
// session unused for SessionIdle; ErrAccountBlocked (CodeForbidden) while
// the session's account is blocked.
func (s *Service) Session(ctx context.Context, bearer domain.Principal, sessionToken string) (domain.Principal, error) {
	if bearer.Credential != domain.BillingBearer || bearer.Partner == "" {
		return domain.Principal{}, ErrBillingBearer
	}
	sessionToken = strings.TrimSpace(sessionToken)
	if sessionToken == "" {
		return domain.Principal{}, ErrSessionInvalid
	}
	hash := domain.HashSecret(sessionToken)
	now := s.clock.Now()
	var (
		t       domain.Token
		u       domain.User
		acct    domain.Account
		tokErr  error
		userErr error
	)
	// Read first and write only for a good session: refused tokens never
	// take the store's writer.
	err := s.store.View(ctx, func(tx ports.Tx) error {
		if t, tokErr = tx.Clients().Token(ctx, hash); tokErr != nil || t.Kind != domain.Session || t.AccountID == 0 {
			return ignoreNotFound(tokErr)
		}
		var err error
		if acct, err = tx.Accounts().Get(ctx, t.AccountID); err != nil {
			return ignoreNotFound(err)
		}
		u, userErr = tx.Users().Get(ctx, t.AccountID, t.UserID)
		return ignoreNotFound(userErr)
	})
	switch {
	case err != nil:
		return domain.Principal{}, err
	case tokErr != nil, t.Kind != domain.Session, t.ClientID != bearer.Partner, t.AccountID == 0:
		return domain.Principal{}, ErrSessionInvalid
	case !t.ValidAt(now):
		return domain.Principal{}, ErrSessionExpired
	case userErr != nil, !u.Live(), acct.ID != t.AccountID, acct.PartnerID != bearer.Partner:
		return domain.Principal{}, ErrSessionInvalid
	case acct.BlockedAt(now):
		return domain.Principal{}, ErrAccountBlocked
	}
	// Uses within SessionTouchStep of the last slide write nothing: a busy
	// session costs a write a second at most, not one a request.
	if next := now.Add(SessionIdle); next.Sub(t.ExpiresAt) >= SessionTouchStep {
		err = s.store.Update(ctx, func(tx ports.Tx) error { return tx.Clients().TouchToken(ctx, hash, next) })
		if notFound(err) {
			// Purged since it was read: it had expired.
			return domain.Principal{}, ErrSessionExpired
		}
		if err != nil {
			return domain.Principal{}, err
		}
	}
	return domain.Principal{Partner: acct.PartnerID, Account: strconv.FormatInt(acct.ID, 10), User: strconv.FormatInt(u.ID, 10),
		Roles: append([]domain.Role(nil), u.Roles...), Credential: domain.Session}, nil
}

func ignoreNotFound(err error) error {
	if notFound(err) {
		return nil
	}
	return err
}

// UnlockLogin clears the failed logins and the lock of the live user with
// username (matched case-insensitively), so it can log in again. It fails
// with CodeNotFound when there is no such user.
func (s *Service) UnlockLogin(ctx context.Context, username string) error {
	return s.store.Update(ctx, func(tx ports.Tx) error {
		u, err := tx.Users().ByUsername(ctx, username)
		if err != nil {
			return err
		}
		if err := tx.LockAccount(ctx, u.AccountID); err != nil {
			return err
		}
		if u, err = tx.Users().Get(ctx, u.AccountID, u.ID); err != nil {
			return err
		}
		if u.FailedLogins == 0 && u.LockedAt.IsZero() {
			return nil
		}
		u.FailedLogins, u.LockedAt = 0, time.Time{}
		return tx.Users().Put(ctx, u)
	})
}

// IssueAccessToken issues a GPS-Trace partner's X-AccessToken (seed 003: a
// partner makes its tokens by hand, with an expiry): a token of kind
// domain.AccessToken for partnerID, a client, that works until expires. It
// returns the token, shown once and stored only as its hash.
//
// It fails with CodeInvalid naming "partner" for an empty or unprintable
// id and naming "expires" for an expiry not after now, and CodeNotFound
// naming "partner" when no client has id partnerID.
func (s *Service) IssueAccessToken(ctx context.Context, partnerID string, expires time.Time) (token string, err error) {
	var p domain.Problems
	if partnerID == "" {
		p.Add("REQUIRED", "partner", "a token needs the partner it is issued to")
	}
	domain.CheckText(&p, "partner", partnerID, domain.MaxText)
	if now := s.clock.Now(); !expires.After(now) {
		p.Add("INVALID", "expires", "expires %s is not after now (%s)", expires.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	if err := p.Err(); err != nil {
		return "", err
	}
	tok, err := s.newToken()
	if err != nil {
		return "", err
	}
	err = s.store.Update(ctx, func(tx ports.Tx) error {
		if _, err := tx.Clients().Get(ctx, partnerID); notFound(err) {
			return domain.Errorf(domain.CodeNotFound, "partner", "no client has id %q; a partner is a client", partnerID)
		} else if err != nil {
			return err
		}
		return tx.Clients().PutToken(ctx, domain.Token{Hash: domain.HashSecret(tok), ClientID: partnerID, Kind: domain.AccessToken, ExpiresAt: expires})
	})
	if err != nil {
		return "", err
	}
	return tok, nil
}

// AccessToken returns the Principal of a partner's X-AccessToken: the
// partner, Credential domain.AccessToken, no account (a partner reaches its
// own accounts). It fails with ErrTokenInvalid for a missing or unknown
// token or one of another kind, and ErrTokenExpired for a known access
// token at or past its expiry (until `PurgeTokens` deletes it: see
// Options.KeepExpired); both are CodeUnauthenticated.
func (s *Service) AccessToken(ctx context.Context, token string) (domain.Principal, error) {
	token = strings.TrimSpace(token)
	if token == "" {
		return domain.Principal{}, ErrTokenInvalid
	}
	var t domain.Token
	err := s.store.View(ctx, func(tx ports.Tx) error {
		var err error
		t, err = tx.Clients().Token(ctx, domain.HashSecret(token))
		return err
	})
	switch {
	case notFound(err) || (err == nil && t.Kind != domain.AccessToken):
		return domain.Principal{}, ErrTokenInvalid
	case err != nil:
		return domain.Principal{}, err
	case !t.ValidAt(s.clock.Now()):
		return domain.Principal{}, ErrTokenExpired
	}
	return domain.PartnerPrincipal(t.ClientID, domain.AccessToken), nil
}
