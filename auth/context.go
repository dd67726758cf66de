package auth

import "context"

type principalKey struct{}

// NewContext returns a copy of ctx carrying p.
func NewContext(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the Principal stored by NewContext, if any.
func FromContext(ctx context.Context) (*Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(*Principal)
	return p, ok && p != nil
}

// A Gate bounds how many token checks run at once: it returns when the
// caller may run one, with the function that ends its turn, or an error
// when it may not (the service is at capacity). Verify takes its turn once
// the issuer's key is known and ends it when it returns: the turn covers
// the signature check (CPU: about 1 ms for ES384) and the replay insert
// (with SQLite, one commit per token on the database's single write
// connection), but not a key set fetch from the issuer, which would hold
// every turn while one issuer's endpoint is slow. Bounding the signature
// check alone was measured: at 500 calls/s the replay inserts then queued
// without bound and most calls timed out.
type Gate func(ctx context.Context) (release func(), err error)

type gateKey struct{}

// WithGate returns a copy of ctx whose token checks g bounds.
func WithGate(ctx context.Context, g Gate) context.Context {
	return context.WithValue(ctx, gateKey{}, g)
}

// AcquireGate takes a turn from the Gate of ctx; without one it returns
// at once. Other Authenticator implementations call it around their own
// CPU-heavy checks.
func AcquireGate(ctx context.Context) (release func(), err error) {
	g, _ := ctx.Value(gateKey{}).(Gate)
	if g == nil {
		return func() {}, nil
	}
	return g(ctx)
}
