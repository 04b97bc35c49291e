package ports

import "context"

// idempotencyKey is the context key of WithIdempotencyKey.
type idempotencyKey struct{}

type idempotencyScope struct{ clientID, key string }

// WithIdempotencyKey returns a context that tells a write it runs under
// clientID's Idempotency-Key key, whose reservation the caller holds: the
// write binds what it commits to the key (Idempotency.Bind) in its own
// transaction. An empty key returns ctx unchanged.
func WithIdempotencyKey(ctx context.Context, clientID, key string) context.Context {
	if key == "" {
		return ctx
	}
	return context.WithValue(ctx, idempotencyKey{}, idempotencyScope{clientID, key})
}

// IdempotencyKeyFrom returns the client and Idempotency-Key that
// WithIdempotencyKey put in ctx; ok is false when there is none.
func IdempotencyKeyFrom(ctx context.Context) (clientID, key string, ok bool) {
	s, ok := ctx.Value(idempotencyKey{}).(idempotencyScope)
	return s.clientID, s.key, ok
}
