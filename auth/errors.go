package auth

import (
	"errors"
	"log/slog"
	"strconv"
	"strings"
)

// Sentinel errors classify why a request was not authenticated. Verify
// returns an *Error whose Kind is one of them, so callers can use errors.Is.
// The text is meant for the service log only; the client gets a bare 401
// with the header from Challenge.
var (
	// ErrNoToken means the request carried no bearer token at all (no
	// Authorization header, an empty one, or another scheme).
	ErrNoToken = errors.New("no bearer token")
	// ErrMalformed means the bearer token is not a well-formed compact JWS
	// (or a claim has the wrong JSON type or an absurd size).
	ErrMalformed = errors.New("malformed bearer token")
	// ErrAlgorithm means the alg header is missing or not an allowed
	// asymmetric algorithm (none and HMAC are always rejected).
	ErrAlgorithm = errors.New("signing algorithm not allowed")
	// ErrHeader means the JOSE header is unacceptable: no kid, a typ other
	// than JWT, or critical extensions.
	ErrHeader = errors.New("unacceptable token header")
	// ErrUnknownIssuer means iss is not a configured trusted issuer.
	ErrUnknownIssuer = errors.New("issuer not trusted")
	// ErrTenant means the issuer is configured with a tenant and the
	// token's tenant claim does not match it.
	ErrTenant = errors.New("tenant does not match the trusted issuer configuration")
	// ErrJKUNotAllowed means the jku header names a URL that is not on the
	// issuer's jkuAllow list; nothing is fetched from it.
	ErrJKUNotAllowed = errors.New("jku not on the issuer's allow-list")
	// ErrUnknownKey means no key with the token's kid is known for the
	// issuer, even after a (rate-limited) refresh of its key set.
	ErrUnknownKey = errors.New("no trusted key with that kid")
	// ErrKeyMismatch means the key found for kid does not fit alg (wrong
	// key type, curve, or the key's own alg differs).
	ErrKeyMismatch = errors.New("key does not fit the signing algorithm")
	// ErrKeysUnavailable means the issuer's key set could not be fetched
	// and no cached copy holds the kid. It is a server-side condition.
	ErrKeysUnavailable = errors.New("key set unavailable")
	// ErrSignature means the signature does not verify.
	ErrSignature = errors.New("signature invalid")
	// ErrMissingClaim means a required claim (iss, aud, exp, iat, jti) is
	// absent; Error.Detail names it.
	ErrMissingClaim = errors.New("required claim missing")
	// ErrAudience means aud does not name this endpoint's URL.
	ErrAudience = errors.New("audience is not this endpoint")
	// ErrExpired means exp has passed (beyond the clock skew).
	ErrExpired = errors.New("token expired")
	// ErrNotYetValid means nbf is in the future (beyond the clock skew).
	ErrNotYetValid = errors.New("token not valid yet")
	// ErrIssuedInFuture means iat is in the future (beyond the clock skew).
	ErrIssuedInFuture = errors.New("token issued in the future")
	// ErrLifetime means exp lies further ahead than Config.MaxTokenLifetime.
	ErrLifetime = errors.New("token lifetime too long")
	// ErrReplay means the (iss, jti) pair was already used.
	ErrReplay = errors.New("token replayed")
	// ErrReplayCheck means the replay cache failed; the token is rejected
	// (fail closed). It is a server-side condition.
	ErrReplayCheck = errors.New("replay check failed")
)

// Error is the error Verify returns. Its text holds the check that failed
// and, when known, the token's iss and kid and what the check expected and
// got (aud, tenant, jku, alg, the time claims), each quoted and truncated as
// it comes from the caller: enough for whoever configures the EHR and the
// service to see the mismatch. It never holds the token, its signature, sub
// or jti.
type Error struct {
	// Kind is one of the sentinel errors of this package.
	Kind error
	// Issuer is the token's iss, when it was read (not necessarily trusted).
	Issuer string
	// KeyID is the token's kid, when it was read.
	KeyID string
	// Detail names the claim or header field concerned (for instance
	// "exp" with ErrMissingClaim) or gives a fixed explanation; it never
	// holds a value from the token.
	Detail string
	// Expected and Got say, for the log, what the check wanted and what
	// the token carried: `aud "https://cds.example/cds-services/x"` and
	// `aud ["https://cds.example/cds-services/x/"]`. Empty when the
	// check has nothing to compare (a bad signature).
	Expected string
	Got      string
	// Err is the underlying cause for server-side failures (key set fetch,
	// replay store); nil otherwise.
	Err error
}

// Error returns the log text.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("auth: ")
	b.WriteString(e.Kind.Error())
	if e.Detail != "" {
		b.WriteString(" (")
		b.WriteString(e.Detail)
		b.WriteString(")")
	}
	if e.Issuer != "" {
		b.WriteString(" iss=")
		b.WriteString(logSafe(e.Issuer))
	}
	if e.KeyID != "" {
		b.WriteString(" kid=")
		b.WriteString(logSafe(e.KeyID))
	}
	if e.Expected != "" {
		b.WriteString("; expected ")
		b.WriteString(e.Expected)
	}
	if e.Got != "" {
		b.WriteString("; got ")
		b.WriteString(e.Got)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap exposes Kind and the cause to errors.Is and errors.As.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

// LogAttrs returns the attributes of a failed authentication for a log
// line: the check that failed, the token's iss and kid, what the check
// expected and what came, and the detail; for a server-side failure the
// cause. Like Error's text, they never hold the token. A non-*Error yields
// only the message.
func LogAttrs(err error) []slog.Attr {
	var e *Error
	if !errors.As(err, &e) {
		return []slog.Attr{slog.String("reason", err.Error())}
	}
	attrs := []slog.Attr{slog.String("check", e.Kind.Error())}
	add := func(k, v string) {
		if v != "" {
			attrs = append(attrs, slog.String(k, v))
		}
	}
	if e.Issuer != "" {
		add("iss", logSafe(e.Issuer))
	}
	if e.KeyID != "" {
		add("kid", logSafe(e.KeyID))
	}
	add("expected", e.Expected)
	add("got", e.Got)
	add("detail", e.Detail)
	if e.Err != nil {
		add("cause", e.Err.Error())
	}
	return attrs
}

// logList quotes up to limit caller- or config-supplied strings for a log
// line: ["a", "b", … (5 more)].
func logList(items []string) string {
	const limit = 5
	var b strings.Builder
	b.WriteByte('[')
	for i, it := range items {
		if i == limit {
			b.WriteString(", … (")
			b.WriteString(strconv.Itoa(len(items) - limit))
			b.WriteString(" more)")
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(logSafe(it))
	}
	b.WriteByte(']')
	return b.String()
}

// logSafe quotes caller-supplied text for a log line: ASCII only, control
// characters escaped, at most 128 bytes of input.
func logSafe(s string) string {
	const limit = 128
	if len(s) > limit {
		s = s[:limit] + "…"
	}
	return strconv.QuoteToASCII(s)
}

// Realm is the realm named in WWW-Authenticate challenges.
const Realm = "labelguard"

// Challenge returns the WWW-Authenticate header value for the 401 answering
// a request that failed with err. Following RFC 6750 it carries no detail
// beyond the error code: none when no token was presented, invalid_token
// otherwise.
func Challenge(err error) string {
	if err == nil || errors.Is(err, ErrNoToken) {
		return `Bearer realm="` + Realm + `"`
	}
	return `Bearer realm="` + Realm + `", error="invalid_token"`
}

// IsServerSide reports whether err comes from a failure of this service's
// dependencies (key set fetch, replay store) rather than from the token, so
// the caller can log it at a higher level. The client still gets a 401.
func IsServerSide(err error) bool {
	return errors.Is(err, ErrKeysUnavailable) || errors.Is(err, ErrReplayCheck)
}
