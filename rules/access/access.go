package access

import (
	"context"
	"io"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules/internal/secret"
)

// Options wires a Service. Store, Clock and Random are required.
type Options struct {
	Store ports.Store
	Clock ports.Clock
	// Random is the source of token bytes and salts (crypto/rand.Reader in
	// a server).
	Random io.Reader
	// TokenTTL is how long a bearer token lives; 0 means one hour.
	TokenTTL time.Duration
	// Hashing is argon2id's cost for new secrets; the zero value is
	// secret.Default (19 MiB, 2 passes).
	Hashing Params
	// MaxHashing bounds the secrets checked at once (each check holds
	// Hashing.Memory); 0 means 4. Others wait their turn.
	MaxHashing int
	// KeepExpired is how long PurgeTokens keeps a token after it expired,
	// so that an expired X-AccessToken is still told apart from an unknown
	// one (TOKEN_EXPIRED, not INVALID_TOKEN) for that long; 0 purges at
	// expiry. An expired token never works, kept or not.
	KeepExpired time.Duration
}

// Params are argon2id's costs: memory in KiB, passes, threads.
type Params = secret.Params

// Service issues and verifies credentials. It is safe for concurrent use.
type Service struct {
	store   ports.Store
	clock   ports.Clock
	random  io.Reader
	ttl     time.Duration
	params  secret.Params
	hashing chan struct{}
	keep    time.Duration
	decoy   func() string // a stored form checked for unknown client ids and usernames
	checks  atomic.Int64  // secrets checked, decoys included (tests read it)
}

// New returns a Service; it fails with CodeInvalid when an option is missing.
func New(o Options) (*Service, error) {
	if o.KeepExpired < 0 {
		return nil, domain.Errorf(domain.CodeInvalid, "KeepExpired", "access: KeepExpired %v is negative", o.KeepExpired)
	}
	if o.Store == nil || o.Clock == nil || o.Random == nil {
		return nil, domain.Errorf(domain.CodeInvalid, "", "access: a service needs a Store, a Clock and Random")
	}
	if o.TokenTTL == 0 {
		o.TokenTTL = time.Hour
	}
	if o.Hashing == (Params{}) {
		o.Hashing = secret.Default
	}
	if o.MaxHashing == 0 {
		o.MaxHashing = 4
	}
	s := &Service{store: o.Store, clock: o.Clock, random: o.Random, ttl: o.TokenTTL, params: o.Hashing,
		hashing: make(chan struct{}, o.MaxHashing), keep: o.KeepExpired}
	s.decoy = sync.OnceValue(func() string {
		h, _ := secret.Hash("no client has this secret", o.Random, o.Hashing)
		return h
	})
	return s, nil
}

// check checks a secret against its stored form, at most MaxHashing at once.
func (s *Service) check(ctx context.Context, stored, plain string) (ok, legacy bool, err error) {
	select {
	case s.hashing <- struct{}{}:
		defer func() { <-s.hashing }()
	case <-ctx.Done():
		return false, false, domain.Wrap(ctx.Err(), domain.CodeUnavailable, "access: the request ended while waiting to check a secret")
	}
	s.checks.Add(1)
	ok, legacy = secret.Check(stored, plain)
	return ok, legacy, nil
}

// TokenTTL returns how long the tokens the service issues live.
func (s *Service) TokenTTL() time.Duration { return s.ttl }

// Token is an issued bearer token: its value, shown once and never stored,
// and how long it lives.
type Token struct {
	Value     string
	ExpiresIn time.Duration
}

// IssueToken checks a client's id and secret and issues a bearer token (the
// client_credentials grant, RFC 6749 4.4). An unknown client and a wrong
// secret fail alike with CodeUnauthenticated and take as long; an id or
// secret that is not printable text of at most domain.MaxText characters is
// CodeInvalid.
func (s *Service) IssueToken(ctx context.Context, clientID, plain string) (Token, error) {
	tok, _, err := s.clientToken(ctx, clientID, plain, domain.ClientCredentials, s.ttl)
	if err != nil {
		return Token{}, err
	}
	return Token{Value: tok, ExpiresIn: s.ttl}, nil
}

// clientToken checks a client's id and secret and issues a token of kind
// that lives ttl (IssueToken, IssueBillingBearer).
func (s *Service) clientToken(ctx context.Context, clientID, plain string, kind domain.CredentialKind, ttl time.Duration) (string, time.Time, error) {
	if clientID == "" || plain == "" {
		return "", time.Time{}, domain.Errorf(domain.CodeUnauthenticated, "client_id", "give client_id and client_secret")
	}
	// Checked before any store sees them: a NUL byte is a 400 on every
	// store, not an error deep in one.
	var p domain.Problems
	domain.CheckText(&p, "client_id", clientID, domain.MaxText)
	domain.CheckText(&p, "client_secret", plain, domain.MaxText)
	if err := p.Err(); err != nil {
		return "", time.Time{}, err
	}
	tok, err := s.newToken()
	if err != nil {
		return "", time.Time{}, err
	}
	var c domain.Client
	err = s.store.View(ctx, func(tx ports.Tx) error {
		var err error
		c, err = tx.Clients().Get(ctx, clientID)
		return err
	})
	switch {
	case domain.ErrorCode(err) == domain.CodeNotFound:
		// Check anyway, so an unknown client id takes as long as a wrong
		// secret and ids cannot be told apart by timing.
		_, _, _ = s.check(ctx, s.decoy(), plain)
		return "", time.Time{}, errUnknownClient
	case err != nil:
		return "", time.Time{}, err
	}
	ok, legacy, err := s.check(ctx, c.SecretHash, plain)
	if err != nil {
		return "", time.Time{}, err
	}
	if !ok {
		return "", time.Time{}, errUnknownClient
	}
	expires := s.clock.Now().Add(ttl)
	err = s.store.Update(ctx, func(tx ports.Tx) error {
		if legacy {
			// A secret stored as a bare SHA-256 by an older version is
			// stored again with argon2id now that it is known to be right.
			h, err := secret.Hash(plain, s.random, s.params)
			if err != nil {
				return domain.Wrap(err, domain.CodeInternal, "access: hashing a secret")
			}
			c.SecretHash = h
			if err := tx.Clients().Put(ctx, c); err != nil {
				return err
			}
		}
		return tx.Clients().PutToken(ctx, domain.Token{Hash: domain.HashSecret(tok), ClientID: c.ID, Kind: kind, ExpiresAt: expires})
	})
	if err != nil {
		return "", time.Time{}, err
	}
	return tok, expires, nil
}

var errUnknownClient = domain.Errorf(domain.CodeUnauthenticated, "client_secret", "unknown client or wrong secret")

// Bearer returns the Principal of a bearer token: the partner (client) it
// was issued to, the account it is narrowed to ("" for partner scope, else
// the decimal account id) and Credential, the kind it was issued for (a
// token stored before tokens had a kind is ClientCredentials). Which kinds
// an API accepts is the HTTP kit's question (httpapi.AuthenticateBearer).
// It fails with CodeUnauthenticated for a missing, unknown or expired token
// (or one of an account deleted since), and with ErrAccountBlocked
// (CodeForbidden) for a token narrowed to an account that is blocked now.
func (s *Service) Bearer(ctx context.Context, token string) (domain.Principal, error) {
	token = strings.TrimSpace(token)
	if token == "" {
		return domain.Principal{}, errInvalidToken
	}
	var (
		t    domain.Token
		acct domain.Account
	)
	now := s.clock.Now()
	err := s.store.View(ctx, func(tx ports.Tx) error {
		var err error
		if t, err = tx.Clients().Token(ctx, domain.HashSecret(token)); err != nil || t.AccountID == 0 || !t.ValidAt(now) {
			return err
		}
		// An account's token stops working while the account is blocked,
		// whenever it was issued: checked on every use.
		acct, err = tx.Accounts().Get(ctx, t.AccountID)
		return err
	})
	if domain.ErrorCode(err) == domain.CodeNotFound || (err == nil && !t.ValidAt(now)) {
		return domain.Principal{}, errInvalidToken
	}
	if err != nil {
		return domain.Principal{}, err
	}
	if t.AccountID != 0 && acct.BlockedAt(now) {
		return domain.Principal{}, ErrAccountBlocked
	}
	p := domain.PartnerPrincipal(t.ClientID, t.Kind)
	if p.Credential == 0 {
		p.Credential = domain.ClientCredentials
	}
	if t.AccountID != 0 {
		p.Account = strconv.FormatInt(t.AccountID, 10)
	}
	return p, nil
}

var errInvalidToken = domain.Errorf(domain.CodeUnauthenticated, "Authorization", "the bearer token is missing, unknown or expired")

// PutClient stores a client with an argon2id hash of its secret; the secret
// itself is never stored.
func (s *Service) PutClient(ctx context.Context, id, name, plain string) error {
	var p domain.Problems
	domain.CheckText(&p, "id", id, domain.MaxText)
	domain.CheckText(&p, "secret", plain, domain.MaxText)
	if id == "" || plain == "" {
		p.Add("REQUIRED", "id", "a client needs an id and a secret")
	}
	if err := p.Err(); err != nil {
		return err
	}
	h, err := secret.Hash(plain, s.random, s.params)
	if err != nil {
		return domain.Wrap(err, domain.CodeInternal, "access: hashing a secret")
	}
	return s.store.Update(ctx, func(tx ports.Tx) error {
		return tx.Clients().Put(ctx, domain.Client{ID: id, Name: name, SecretHash: h})
	})
}

// PurgeTokens deletes the tokens that expired more than Options.KeepExpired
// before now and returns how many; `entitle serve` calls it hourly.
func (s *Service) PurgeTokens(ctx context.Context) (int, error) {
	n := 0
	err := s.store.Update(ctx, func(tx ports.Tx) error {
		var err error
		n, err = tx.Clients().PurgeTokens(ctx, s.clock.Now().Add(-s.keep))
		return err
	})
	return n, err
}
