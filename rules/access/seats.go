package access

import (
	"context"
	"encoding/base64"
	"io"
	"strconv"
	"time"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules/internal/secret"
)

// The credentials of the seats APIs: the Account Manager's apiKey (seed 000),
// alone for a partner-scope token or with a company's alias for an
// account-scope one, and License Assignments v2's HTTP Basic login of an
// account user (seed 004).

// InvalidAPIKey is the message of every refused apiKey, whatever the reason
// (an unknown key, an alias that is not the key's partner's company): the
// sibling Trimble MAPS APIs' "Invalid apiKey value sent".
const InvalidAPIKey = "Invalid apiKey value sent"

var errInvalidAPIKey = domain.Errorf(domain.CodeUnauthenticated, "apiKey", InvalidAPIKey)

// IssueAPIKeyToken exchanges an Account Manager apiKey for a bearer token of
// kind domain.APIKey (seed 000's authToken). With alias "" the token has
// partner scope; with an alias it has the scope of that company, which must
// belong to the key's partner. It returns the token, shown once and stored
// only as its hash, and the instant it expires (now + the TTL).
//
// An unknown key, and an alias that names no company or another partner's
// company, fail alike with CodeUnauthenticated and InvalidAPIKey, after the
// same store reads: the answer and the work never tell whether an alias
// exists. An alias that is not printable text of at most domain.MaxText
// characters is CodeInvalid naming "alias". The alias of the partner's own
// company that is blocked now is ErrAccountBlocked (CodeForbidden); a token
// issued before the block stops working while it lasts (Bearer).
func (s *Service) IssueAPIKeyToken(ctx context.Context, apiKey, alias string) (token string, expires time.Time, err error) {
	var p domain.Problems
	if domain.CheckText(&p, "apiKey", apiKey, domain.MaxText); apiKey == "" || p.Len() > 0 {
		return "", time.Time{}, errInvalidAPIKey
	}
	if domain.CheckText(&p, "alias", alias, domain.MaxText); p.Len() > 0 {
		return "", time.Time{}, p.Err()
	}
	tok, err := s.newToken()
	if err != nil {
		return "", time.Time{}, err
	}
	var (
		c                domain.Client
		acct             domain.Account
		keyErr, aliasErr error
	)
	err = s.store.View(ctx, func(tx ports.Tx) error {
		c, keyErr = tx.Clients().ByAPIKey(ctx, domain.HashSecret(apiKey))
		// The alias is read whether or not the key is known, so an unknown
		// key costs what a known one does.
		if alias != "" {
			acct, aliasErr = tx.Accounts().ByAlias(ctx, alias)
		}
		for _, e := range []error{keyErr, aliasErr} {
			if e != nil && !notFound(e) {
				return e
			}
		}
		return nil
	})
	switch {
	case err != nil:
		return "", time.Time{}, err
	case keyErr != nil, aliasErr != nil, alias != "" && acct.PartnerID != c.ID:
		return "", time.Time{}, errInvalidAPIKey
	}
	now := s.clock.Now()
	if alias != "" && acct.BlockedAt(now) {
		return "", time.Time{}, ErrAccountBlocked
	}
	expires = now.Add(s.ttl)
	err = s.store.Update(ctx, func(tx ports.Tx) error {
		return tx.Clients().PutToken(ctx, domain.Token{Hash: domain.HashSecret(tok), ClientID: c.ID, Kind: domain.APIKey,
			AccountID: acct.ID, ExpiresAt: expires})
	})
	if err != nil {
		return "", time.Time{}, err
	}
	return tok, expires, nil
}

// newToken returns a fresh 256-bit random token, base64url without padding.
func (s *Service) newToken() (string, error) {
	raw := make([]byte, 32)
	if _, err := io.ReadFull(s.random, raw); err != nil {
		return "", domain.Wrap(err, domain.CodeInternal, "access: reading randomness for a token")
	}
	return base64.RawURLEncoding.EncodeToString(raw), nil
}

var errBasic = domain.Errorf(domain.CodeUnauthenticated, "Authorization", "unknown username or wrong password")

// BasicUser checks an account user's HTTP Basic username and password
// (License Assignments v2, seed 004) and returns the user's Principal: the
// account's partner, the account and the user (decimal ids), the user's
// roles, Credential domain.BasicUser. Whether the roles allow a request is
// the use case's question, not this one's.
//
// An unknown username, a deleted user and a wrong password fail alike with
// CodeUnauthenticated and cost one argon2id check each (an unknown username
// is checked against a decoy), so usernames cannot be told apart by the
// answer or by timing. A username or password that is not printable text of
// at most domain.MaxText characters is CodeUnauthenticated without a check.
// A password stored as a bare SHA-256 by a data file is stored again with
// argon2id once it is known to be right. A right password of a user whose
// account is blocked now is ErrAccountBlocked (CodeForbidden): only a
// caller who knows the password learns the block. CodeUnavailable when ctx
// ends while waiting for a check.
func (s *Service) BasicUser(ctx context.Context, username, password string) (domain.Principal, error) {
	var p domain.Problems
	domain.CheckText(&p, "username", username, domain.MaxText)
	domain.CheckText(&p, "password", password, domain.MaxText)
	if username == "" || password == "" || p.Len() > 0 {
		return domain.Principal{}, errBasic
	}
	var (
		u    domain.User
		acct domain.Account
	)
	err := s.store.View(ctx, func(tx ports.Tx) error {
		var err error
		if u, err = tx.Users().ByUsername(ctx, username); err != nil {
			return err
		}
		acct, err = tx.Accounts().Get(ctx, u.AccountID)
		return err
	})
	switch {
	case notFound(err) || (err == nil && (!u.Live() || u.PasswordHash == "")):
		// Check anyway, so an unknown username takes as long as a wrong
		// password.
		if _, _, err := s.check(ctx, s.decoy(), password); err != nil {
			return domain.Principal{}, err
		}
		return domain.Principal{}, errBasic
	case err != nil:
		return domain.Principal{}, err
	}
	ok, legacy, err := s.check(ctx, u.PasswordHash, password)
	if err != nil {
		return domain.Principal{}, err
	}
	if !ok {
		return domain.Principal{}, errBasic
	}
	if acct.BlockedAt(s.clock.Now()) {
		return domain.Principal{}, ErrAccountBlocked
	}
	if legacy {
		if err := s.rehashPassword(ctx, u, password); err != nil {
			return domain.Principal{}, err
		}
	}
	return domain.Principal{Partner: acct.PartnerID, Account: strconv.FormatInt(acct.ID, 10), User: strconv.FormatInt(u.ID, 10),
		Roles: append([]domain.Role(nil), u.Roles...), Credential: domain.BasicUser}, nil
}

// rehashPassword stores a legacy (bare SHA-256) password with argon2id, if
// the stored hash is still the one just checked.
func (s *Service) rehashPassword(ctx context.Context, u domain.User, plain string) error {
	h, err := s.HashPassword(plain)
	if err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx ports.Tx) error {
		now, err := tx.Users().Get(ctx, u.AccountID, u.ID)
		if err != nil || now.PasswordHash != u.PasswordHash {
			return err // changed meanwhile: keep the newer one
		}
		now.PasswordHash = h
		return tx.Users().Put(ctx, now)
	})
}

// MinPassword is the shortest password HashPassword accepts.
const MinPassword = 12

// HashPassword returns the stored form of an account user's password:
// argon2id with the service's costs and a fresh salt. A password shorter than
// MinPassword characters or not printable text of at most domain.MaxText is
// CodeInvalid naming "password".
func (s *Service) HashPassword(plain string) (string, error) {
	if err := CheckPassword("password", plain); err != nil {
		return "", err
	}
	h, err := secret.Hash(plain, s.random, s.params)
	if err != nil {
		return "", domain.Wrap(err, domain.CodeInternal, "access: hashing a password")
	}
	return h, nil
}

// CheckPassword returns CodeInvalid naming field when plain is shorter than
// MinPassword characters or not printable text of at most domain.MaxText.
func CheckPassword(field, plain string) error {
	var p domain.Problems
	domain.CheckText(&p, field, plain, domain.MaxText)
	if p.Len() == 0 && len([]rune(plain)) < MinPassword {
		p.Add("TOO_SHORT", field, "a password needs at least %d characters", MinPassword)
	}
	return p.Err()
}

func notFound(err error) bool { return domain.ErrorCode(err) == domain.CodeNotFound }
