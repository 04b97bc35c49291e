package access

import (
	"context"
	"encoding/base64"
	"io"
	"strings"
	"time"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// Options wires a Service. Store, Clock and Random are required.
type Options struct {
	Store ports.Store
	Clock ports.Clock
	// Random is the source of token bytes (crypto/rand.Reader in a server).
	Random io.Reader
	// TokenTTL is how long a bearer token lives; 0 means one hour.
	TokenTTL time.Duration
}

// Service issues and verifies credentials. It is safe for concurrent use.
type Service struct {
	store  ports.Store
	clock  ports.Clock
	random io.Reader
	ttl    time.Duration
}

// New returns a Service; it fails with CodeInvalid when an option is missing.
func New(o Options) (*Service, error) {
	if o.Store == nil || o.Clock == nil || o.Random == nil {
		return nil, domain.Errorf(domain.CodeInvalid, "", "access: a service needs a Store, a Clock and Random")
	}
	if o.TokenTTL == 0 {
		o.TokenTTL = time.Hour
	}
	return &Service{store: o.Store, clock: o.Clock, random: o.Random, ttl: o.TokenTTL}, nil
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
func (s *Service) IssueToken(ctx context.Context, clientID, secret string) (Token, error) {
	if clientID == "" || secret == "" {
		return Token{}, domain.Errorf(domain.CodeUnauthenticated, "client_id", "give client_id and client_secret")
	}
	// Checked before any store sees them: a NUL byte is a 400 on every
	// store, not an error deep in one.
	var p domain.Problems
	domain.CheckText(&p, "client_id", clientID, domain.MaxText)
	domain.CheckText(&p, "client_secret", secret, domain.MaxText)
	if err := p.Err(); err != nil {
		return Token{}, err
	}
	raw := make([]byte, 32)
	if _, err := io.ReadFull(s.random, raw); err != nil {
		return Token{}, domain.Wrap(err, domain.CodeInternal, "access: reading randomness for a token")
	}
	tok := base64.RawURLEncoding.EncodeToString(raw)
	now := s.clock.Now()
	err := s.store.Update(ctx, func(tx ports.Tx) error {
		c, err := tx.Clients().Get(ctx, clientID)
		if domain.ErrorCode(err) == domain.CodeNotFound {
			// Hash anyway, so an unknown client id takes as long as a
			// wrong secret and ids cannot be told apart by timing.
			unknown := domain.Client{SecretHash: domain.HashSecret("")}
			unknown.CheckSecret(secret)
			return errUnknownClient
		}
		if err != nil {
			return err
		}
		if !c.CheckSecret(secret) {
			return errUnknownClient
		}
		return tx.Clients().PutToken(ctx, domain.Token{Hash: domain.HashSecret(tok), ClientID: c.ID, ExpiresAt: now.Add(s.ttl)})
	})
	if err != nil {
		return Token{}, err
	}
	return Token{Value: tok, ExpiresIn: s.ttl}, nil
}

var errUnknownClient = domain.Errorf(domain.CodeUnauthenticated, "client_secret", "unknown client or wrong secret")

// Bearer returns the Principal of a bearer token: the partner (TAP client)
// it was issued to. It fails with CodeUnauthenticated for a missing,
// unknown or expired token.
func (s *Service) Bearer(ctx context.Context, token string) (domain.Principal, error) {
	token = strings.TrimSpace(token)
	if token == "" {
		return domain.Principal{}, errInvalidToken
	}
	var t domain.Token
	err := s.store.View(ctx, func(tx ports.Tx) error {
		var err error
		t, err = tx.Clients().Token(ctx, domain.HashSecret(token))
		return err
	})
	if domain.ErrorCode(err) == domain.CodeNotFound || (err == nil && !t.ValidAt(s.clock.Now())) {
		return domain.Principal{}, errInvalidToken
	}
	if err != nil {
		return domain.Principal{}, err
	}
	return domain.PartnerPrincipal(t.ClientID, domain.ClientCredentials), nil
}

var errInvalidToken = domain.Errorf(domain.CodeUnauthenticated, "Authorization", "the bearer token is missing, unknown or expired")

// PutClient stores a client with a hash of secret; the secret itself is
// never stored.
func (s *Service) PutClient(ctx context.Context, id, name, secret string) error {
	if id == "" || secret == "" {
		return domain.Errorf(domain.CodeInvalid, "id", "a client needs an id and a secret")
	}
	return s.store.Update(ctx, func(tx ports.Tx) error {
		return tx.Clients().Put(ctx, domain.Client{ID: id, Name: name, SecretHash: domain.HashSecret(secret)})
	})
}
