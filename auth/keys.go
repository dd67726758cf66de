package auth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"
)

// publicKey is one usable verification key of a JWK Set.
type publicKey struct {
	// alg is the JWK's own alg, empty when the JWK names none.
	alg string
	// key is an *ecdsa.PublicKey (P-256, P-384, P-521) or an
	// *rsa.PublicKey of at least minRSABits.
	key crypto.PublicKey
}

const (
	minRSABits = 2048
	// maxJWKSBytes bounds a fetched key set.
	maxJWKSBytes = 256 << 10
	// maxJWKSKeys bounds the number of keys kept from one set.
	maxJWKSKeys = 100
)

// parseJWKS parses a JWK Set (or a single JWK) into usable signature keys by
// kid. Keys without kid, with use other than "sig", or of other types
// (symmetric, OKP) are skipped; a private key or a weak RSA key is an
// error. When strict is set (configured key sets), skipped keys are errors
// too, since they are configuration mistakes.
func parseJWKS(data []byte, strict bool) (map[string]publicKey, error) {
	set, err := jwk.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("not a valid JWK Set: %w", err)
	}
	keys := make(map[string]publicKey, set.Len())
	for i := range set.Len() {
		k, _ := set.Key(i)
		kid, _ := k.KeyID()
		skip := func(reason string) error {
			if strict {
				return fmt.Errorf("key %d (kid %s): %s", i, logSafe(kid), reason)
			}
			return nil
		}
		if kid == "" {
			if err := skip("no kid"); err != nil {
				return nil, err
			}
			continue
		}
		if use, ok := k.KeyUsage(); ok && use != "sig" {
			if err := skip("use is not sig"); err != nil {
				return nil, err
			}
			continue
		}
		if priv, err := jwk.IsPrivateKey(k); err == nil && priv {
			return nil, fmt.Errorf("key %d (kid %s): private key; configure public keys only", i, logSafe(kid))
		}
		if err := k.Validate(); err != nil {
			return nil, fmt.Errorf("key %d (kid %s): %w", i, logSafe(kid), err)
		}
		var raw any
		if err := jwk.Export(k, &raw); err != nil {
			if err := skip("unsupported key"); err != nil {
				return nil, err
			}
			continue
		}
		pk := publicKey{}
		if alg, ok := k.Algorithm(); ok {
			pk.alg = alg.String()
			if !allowedAlg(pk.alg) {
				if err := skip("alg " + logSafe(pk.alg) + " not allowed"); err != nil {
					return nil, err
				}
				continue
			}
		}
		switch rk := raw.(type) {
		case *ecdsa.PublicKey:
			switch rk.Curve {
			case elliptic.P256(), elliptic.P384(), elliptic.P521():
			default:
				if err := skip("unsupported curve"); err != nil {
					return nil, err
				}
				continue
			}
			pk.key = rk
		case *rsa.PublicKey:
			if rk.N.BitLen() < minRSABits {
				return nil, fmt.Errorf("key %d (kid %s): RSA key of %d bits; at least %d required", i, logSafe(kid), rk.N.BitLen(), minRSABits)
			}
			pk.key = rk
		default:
			if err := skip("not an EC or RSA public key"); err != nil {
				return nil, err
			}
			continue
		}
		if _, dup := keys[kid]; dup {
			return nil, fmt.Errorf("key %d: duplicate kid %s", i, logSafe(kid))
		}
		if len(keys) == maxJWKSKeys {
			return nil, fmt.Errorf("more than %d keys", maxJWKSKeys)
		}
		keys[kid] = pk
	}
	if len(keys) == 0 {
		return nil, errors.New("no usable signature keys (EC P-256/384/521 or RSA with a kid)")
	}
	return keys, nil
}

// fits reports whether key k may verify a signature made with alg.
func (k publicKey) fits(alg string) bool {
	if k.alg != "" && k.alg != alg {
		return false
	}
	switch key := k.key.(type) {
	case *ecdsa.PublicKey:
		switch alg {
		case "ES256":
			return key.Curve == elliptic.P256()
		case "ES384":
			return key.Curve == elliptic.P384()
		case "ES512":
			return key.Curve == elliptic.P521()
		}
	case *rsa.PublicKey:
		switch alg {
		case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512":
			return true
		}
	}
	return false
}

// describe names the key for the log: "EC P-256", "RSA", with the JWK's
// own alg when it has one.
func (k publicKey) describe() string {
	var d string
	switch key := k.key.(type) {
	case *ecdsa.PublicKey:
		d = "EC " + key.Curve.Params().Name
	case *rsa.PublicKey:
		d = "RSA"
	default:
		d = "of another type"
	}
	if k.alg != "" {
		d += " (alg " + logSafe(k.alg) + ")"
	}
	return d
}

// remoteSet is the cached key set behind one URL (an issuer's jwksUrl or an
// allow-listed jku). Lookups of known kids are lock-free; fetches are
// serialized and rate-limited.
type remoteSet struct {
	url  string
	mu   sync.Mutex // held while fetching
	snap atomic.Pointer[keySnapshot]
}

type keySnapshot struct {
	keys      map[string]publicKey // nil until a fetch succeeded
	fetched   time.Time            // last successful fetch
	attempted time.Time            // last fetch attempt
}

// fetcher holds what remote key sets need from the verifier.
type fetcher struct {
	client   *http.Client
	now      func() time.Time
	ttl      time.Duration // refresh a set older than this
	minGap   time.Duration // never fetch one URL more often than this
	timeout  time.Duration
	log      *slog.Logger
	requests atomic.Int64 // fetch attempts, for tests and metrics
}

// lookup returns the key with kid from the set, fetching the set when it
// was never fetched, is older than the TTL, or lacks kid; fetches of one
// URL are at least minGap apart whatever the tokens say.
func (f *fetcher) lookup(ctx context.Context, rs *remoteSet, kid string) (publicKey, error) {
	now := f.now()
	if s := rs.snap.Load(); s != nil && s.keys != nil && now.Sub(s.fetched) < f.ttl {
		if k, ok := s.keys[kid]; ok {
			return k, nil
		}
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	s := rs.snap.Load()
	if s == nil {
		s = &keySnapshot{}
	}
	if s.keys != nil && now.Sub(s.fetched) < f.ttl {
		if k, ok := s.keys[kid]; ok { // fetched meanwhile
			return k, nil
		}
	}
	if !s.attempted.IsZero() && now.Sub(s.attempted) < f.minGap {
		if k, ok := s.keys[kid]; ok { // stale, still trusted
			return k, nil
		}
		if s.keys == nil {
			return publicKey{}, &Error{Kind: ErrKeysUnavailable, Err: errors.New("recent fetch failed; retry is rate-limited")}
		}
		return publicKey{}, &Error{Kind: ErrUnknownKey}
	}
	keys, err := f.fetch(ctx, rs.url)
	next := &keySnapshot{keys: s.keys, fetched: s.fetched, attempted: now}
	if err != nil {
		rs.snap.Store(next)
		f.log.Warn("auth: fetching JWK Set failed", slog.String("url", rs.url), slog.String("error", err.Error()))
		if k, ok := s.keys[kid]; ok {
			return k, nil
		}
		return publicKey{}, &Error{Kind: ErrKeysUnavailable, Err: err}
	}
	next.keys, next.fetched = keys, now
	rs.snap.Store(next)
	if k, ok := keys[kid]; ok {
		return k, nil
	}
	return publicKey{}, &Error{Kind: ErrUnknownKey}
}

// fetch downloads and parses one key set. The request outlives a cancelled
// client request (bounded by the fetch timeout) so that a client hanging up
// cannot leave the cache empty.
func (f *fetcher) fetch(ctx context.Context, url string) (map[string]publicKey, error) {
	f.requests.Add(1)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), f.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: status %d", url, resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", url, err)
	}
	if len(data) > maxJWKSBytes {
		return nil, fmt.Errorf("GET %s: key set larger than %d bytes", url, maxJWKSBytes)
	}
	keys, err := parseJWKS(data, false)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", url, err)
	}
	return keys, nil
}

// defaultHTTPClient fetches key sets with a timeout and without following
// redirects: the configured URL itself must serve the set.
func defaultHTTPClient() *http.Client {
	return &http.Client{
		Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return errors.New("redirects are not followed for key sets")
		},
	}
}
