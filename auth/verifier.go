package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Defaults for the zero values of Config.
const (
	DefaultClockSkew          = 60 * time.Second
	DefaultMaxTokenLifetime   = time.Hour
	DefaultKeyRefreshInterval = time.Minute
	DefaultKeyCacheTTL        = time.Hour
	DefaultKeyFetchTimeout    = 10 * time.Second
)

// Limits on what Verify will look at.
const (
	maxTokenBytes = 16 << 10
	maxJTIBytes   = 256
)

// allowedAlgs are the asymmetric JWS algorithms accepted; none and HMAC are
// never accepted (CDS Hooks 2.0, "JWT Signing Algorithm").
var allowedAlgs = []string{"ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}

func allowedAlg(alg string) bool { return slices.Contains(allowedAlgs, alg) }

// Config configures a Verifier.
type Config struct {
	// Issuers are the trusted CDS Clients (see LoadIssuers).
	Issuers []Issuer
	// BaseURL is the service's public URL as clients call it, e.g.
	// https://cds.hospital.org (behind an ingress: the external URL,
	// including any path prefix). A trailing slash is ignored.
	BaseURL string
	// ClockSkew is the tolerance for exp, iat and nbf; zero means
	// DefaultClockSkew.
	ClockSkew time.Duration
	// MaxTokenLifetime rejects tokens whose exp lies further ahead than
	// this (bounding how long a jti must be remembered); zero means
	// DefaultMaxTokenLifetime.
	MaxTokenLifetime time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// HTTPClient fetches JWK Sets (jwksUrl, allow-listed jku). Nil means a
	// client with a 10 s timeout that does not follow redirects.
	HTTPClient *http.Client
	// KeyRefreshInterval is the minimum time between two fetches of one
	// key set URL, so a flood of unknown kids cannot hammer the issuer;
	// zero means DefaultKeyRefreshInterval.
	KeyRefreshInterval time.Duration
	// KeyCacheTTL is how long a fetched key set is used before it is
	// refreshed; zero means DefaultKeyCacheTTL. A set that cannot be
	// refreshed stays in use.
	KeyCacheTTL time.Duration
	// Replay remembers used jti values; nil means an in-memory cache of
	// DefaultReplayCacheSize entries (one replica only).
	Replay ReplayCache
	// Logger receives key set fetch failures; nil discards them.
	Logger *slog.Logger
}

// Principal is the authenticated CDS Client of a request.
type Principal struct {
	// Issuer is the token's iss (a configured trusted issuer).
	Issuer string
	// Tenant is the token's tenant claim, possibly empty.
	Tenant string
	// Subject is the token's sub claim, possibly empty.
	Subject string
	// JTI is the token's unique ID.
	JTI string
	// FHIRServers is the allow-list of FHIR base URLs this client's
	// requests may name as fhirServer.
	FHIRServers []string
	// Conformance is set for an issuer flagged as a conformance tester in
	// the trusted-issuers file (Issuer.Conformance).
	Conformance bool
}

// AllowsFHIRServer reports whether the service may fetch from the FHIR base
// URL rawURL on behalf of this client: the URL must fall under an entry of
// the issuer's (tenant's) allow-list. A nil Principal allows nothing.
func (p *Principal) AllowsFHIRServer(rawURL string) bool {
	if p == nil {
		return false
	}
	return FHIRServerAllowed(p.FHIRServers, rawURL)
}

// Verifier authenticates CDS Clients by their bearer JWT. It is safe for
// concurrent use.
type Verifier struct {
	issuers  map[string][]*issuerEntry
	names    []string // the trusted iss values, sorted, for the log
	baseURL  string
	skew     time.Duration
	maxLife  time.Duration
	now      func() time.Time
	replay   ReplayCache
	fetcher  *fetcher
	parser   *jwt.Parser
	validity []jwt.ParserOption
}

type issuerEntry struct {
	cfg    Issuer
	static map[string]publicKey
	jwks   *remoteSet
	jku    map[string]*remoteSet
	fhir   []string
}

// NewVerifier validates cfg and returns a Verifier. Remote key sets are
// fetched lazily, on the first token that needs them.
func NewVerifier(cfg Config) (*Verifier, error) {
	if err := validateIssuers(cfg.Issuers); err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	base, err := checkBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("auth: base URL: %w", err)
	}
	if cfg.ClockSkew < 0 || cfg.MaxTokenLifetime < 0 || cfg.KeyRefreshInterval < 0 || cfg.KeyCacheTTL < 0 {
		return nil, errors.New("auth: durations must not be negative")
	}
	v := &Verifier{
		issuers: map[string][]*issuerEntry{},
		baseURL: base,
		skew:    orDefault(cfg.ClockSkew, DefaultClockSkew),
		maxLife: orDefault(cfg.MaxTokenLifetime, DefaultMaxTokenLifetime),
		now:     cfg.Now,
		replay:  cfg.Replay,
	}
	if v.now == nil {
		v.now = time.Now
	}
	if v.replay == nil {
		v.replay = NewMemoryReplayCache(DefaultReplayCacheSize, v.now)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	client := cfg.HTTPClient
	if client == nil {
		client = defaultHTTPClient()
	}
	v.fetcher = &fetcher{
		client:  client,
		now:     v.now,
		ttl:     orDefault(cfg.KeyCacheTTL, DefaultKeyCacheTTL),
		minGap:  orDefault(cfg.KeyRefreshInterval, DefaultKeyRefreshInterval),
		timeout: DefaultKeyFetchTimeout,
		log:     log,
	}
	remotes := map[string]*remoteSet{}
	remote := func(u string) *remoteSet {
		if rs, ok := remotes[u]; ok {
			return rs
		}
		rs := &remoteSet{url: u}
		remotes[u] = rs
		return rs
	}
	for _, is := range cfg.Issuers {
		e := &issuerEntry{cfg: is, fhir: slices.Clone(is.FHIRServers)}
		if e.static, err = staticKeys(&is); err != nil {
			return nil, fmt.Errorf("auth: iss %s: %w", logSafe(is.ISS), err)
		}
		if is.JWKSURL != "" {
			e.jwks = remote(is.JWKSURL)
		}
		if len(is.JKUAllow) > 0 {
			e.jku = map[string]*remoteSet{}
			for _, u := range is.JKUAllow {
				e.jku[u] = remote(u)
			}
		}
		if len(v.issuers[is.ISS]) == 0 {
			v.names = append(v.names, is.ISS)
		}
		v.issuers[is.ISS] = append(v.issuers[is.ISS], e)
	}
	slices.Sort(v.names)
	v.parser = jwt.NewParser(
		jwt.WithValidMethods(allowedAlgs),
		jwt.WithoutClaimsValidation(), // done in Verify, with this package's errors
		jwt.WithStrictDecoding(),
	)
	v.validity = []jwt.ParserOption{
		jwt.WithLeeway(v.skew),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
	}
	return v, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// checkBaseURL validates the public base URL and drops a trailing slash.
func checkBaseURL(raw string) (string, error) {
	if raw == "" {
		return "", errors.New("required (the service's public URL, e.g. https://cds.example.org)")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", errors.New("must be an absolute http(s) URL")
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(raw, "?#") {
		return "", errors.New("must not have userinfo, query or fragment")
	}
	return strings.TrimRight(raw, "/"), nil
}

// tokenClaims are the claims Verify reads; others are ignored.
type tokenClaims struct {
	jwt.RegisteredClaims
	Tenant string `json:"tenant,omitempty"`
}

// VerifyRequest verifies the Authorization header of r for the endpoint
// path (see Verify). More than one Authorization header is malformed.
func (v *Verifier) VerifyRequest(r *http.Request, endpointPath string) (*Principal, error) {
	h := r.Header.Values("Authorization")
	switch len(h) {
	case 0:
		return v.Verify(r.Context(), "", endpointPath)
	case 1:
		return v.Verify(r.Context(), h[0], endpointPath)
	}
	return nil, &Error{Kind: ErrMalformed, Detail: "several Authorization headers"}
}

// Verify authenticates a CDS Client from the Authorization header value and
// the path of the endpoint called (e.g. "/cds-services/some-service"; the
// token's aud must equal the base URL followed by this path). On success
// the token's jti has been recorded in the replay cache. On failure the
// error is an *Error for the log; answer the client 401 with Challenge(err).
// The one exception is a refusal by the Gate of ctx (WithGate), returned
// as the gate returned it: the caller decides what that means.
func (v *Verifier) Verify(ctx context.Context, authorization, endpointPath string) (*Principal, error) {
	if !strings.HasPrefix(endpointPath, "/") {
		return nil, fmt.Errorf("auth: endpoint path %s must start with /", logSafe(endpointPath))
	}
	raw, err := bearerToken(authorization)
	if err != nil {
		return nil, err
	}
	var (
		claims  tokenClaims
		entry   *issuerEntry
		kid     string
		release = func() {}
		gateErr error
	)
	// The gate's turn (WithGate) starts once the issuer's key is known and
	// ends when Verify returns: it covers the signature check and the
	// replay insert, not a key set fetch.
	defer func() { release() }()
	tok, err := v.parser.ParseWithClaims(raw, &claims, func(t *jwt.Token) (any, error) {
		var err error
		entry, kid, err = v.resolve(t, &claims)
		if err != nil {
			return nil, err
		}
		key, err := v.key(ctx, t, entry, kid)
		if err != nil {
			return nil, err
		}
		if release, gateErr = AcquireGate(ctx); gateErr != nil {
			release = func() {}
			return nil, gateErr
		}
		return key, nil
	})
	if gateErr != nil {
		return nil, gateErr
	}
	if err != nil {
		return nil, classifyParseError(err, tok, claims.Issuer, kid)
	}
	// The signature is valid: check the claims.
	fail := func(kind error, claim string) (*Principal, error) {
		e := &Error{Kind: kind, Issuer: claims.Issuer, KeyID: kid, Detail: claim}
		if kind == ErrMissingClaim {
			e.Expected = "a " + claim + " claim"
		}
		return nil, e
	}
	switch {
	case claims.Audience == nil:
		return fail(ErrMissingClaim, "aud")
	case claims.ExpiresAt == nil:
		return fail(ErrMissingClaim, "exp")
	case claims.IssuedAt == nil:
		return fail(ErrMissingClaim, "iat")
	case claims.ID == "":
		return fail(ErrMissingClaim, "jti")
	case len(claims.ID) > maxJTIBytes:
		return fail(ErrMalformed, "jti")
	}
	now := v.now()
	aud := v.baseURL + endpointPath
	validator := jwt.NewValidator(append(v.validity, jwt.WithTimeFunc(func() time.Time { return now }), jwt.WithAudience(aud))...)
	if err := validator.Validate(&claims); err != nil {
		e := &Error{Kind: classifyClaimsError(err), Issuer: claims.Issuer, KeyID: kid}
		e.Expected, e.Got = v.claimMismatch(e.Kind, &claims, aud, now)
		return nil, e
	}
	exp := claims.ExpiresAt.Time
	if exp.Sub(now) > v.maxLife+v.skew {
		return nil, &Error{Kind: ErrLifetime, Issuer: claims.Issuer, KeyID: kid,
			Expected: "exp at most " + logTime(now.Add(v.maxLife+v.skew)), Got: "exp " + logTime(exp)}
	}
	// Remember the jti as long as the token could still be accepted.
	seen, err := v.replay.Seen(ctx, claims.Issuer, claims.ID, exp.Add(v.skew))
	if err != nil {
		return nil, &Error{Kind: ErrReplayCheck, Issuer: claims.Issuer, KeyID: kid, Err: err}
	}
	if seen {
		return fail(ErrReplay, "")
	}
	return &Principal{
		Issuer:      claims.Issuer,
		Tenant:      claims.Tenant,
		Subject:     claims.Subject,
		JTI:         claims.ID,
		FHIRServers: slices.Clone(entry.fhir),
		Conformance: entry.cfg.Conformance,
	}, nil
}

// bearerToken extracts the compact JWS from an Authorization header value.
func bearerToken(h string) (string, error) {
	h = strings.TrimSpace(h)
	if h == "" {
		return "", &Error{Kind: ErrNoToken}
	}
	scheme, tok, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", &Error{Kind: ErrNoToken, Detail: "not the Bearer scheme"}
	}
	tok = strings.TrimLeft(tok, " ")
	if tok == "" || len(tok) > maxTokenBytes || strings.Count(tok, ".") != 2 {
		return "", &Error{Kind: ErrMalformed}
	}
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return "", &Error{Kind: ErrMalformed}
		}
	}
	return tok, nil
}

// resolve checks the JOSE header and picks the trusted issuer entry from
// the (not yet verified) claims; the signature check that follows uses only
// that entry's keys.
func (v *Verifier) resolve(t *jwt.Token, c *tokenClaims) (*issuerEntry, string, error) {
	kid, _ := t.Header["kid"].(string)
	if typ, ok := t.Header["typ"]; ok {
		if s, _ := typ.(string); !strings.EqualFold(s, "JWT") {
			return nil, kid, &Error{Kind: ErrHeader, Issuer: c.Issuer, KeyID: kid, Detail: "typ"}
		}
	}
	if _, ok := t.Header["crit"]; ok {
		return nil, kid, &Error{Kind: ErrHeader, Issuer: c.Issuer, KeyID: kid, Detail: "crit"}
	}
	if c.Issuer == "" {
		return nil, kid, &Error{Kind: ErrMissingClaim, KeyID: kid, Detail: "iss", Expected: "an iss claim"}
	}
	entries := v.issuers[c.Issuer]
	if len(entries) == 0 {
		return nil, kid, &Error{Kind: ErrUnknownIssuer, Issuer: c.Issuer, KeyID: kid,
			Expected: "iss in " + logList(v.names), Got: "iss " + logSafe(c.Issuer)}
	}
	if kid == "" {
		return nil, kid, &Error{Kind: ErrHeader, Issuer: c.Issuer, Detail: "kid", Expected: "a kid header"}
	}
	var tenants []string
	for _, e := range entries {
		if e.cfg.Tenant == "" || e.cfg.Tenant == c.Tenant {
			return e, kid, nil
		}
		tenants = append(tenants, e.cfg.Tenant)
	}
	got := "no tenant claim"
	if c.Tenant != "" {
		got = "tenant " + logSafe(c.Tenant)
	}
	return nil, kid, &Error{Kind: ErrTenant, Issuer: c.Issuer, KeyID: kid, Expected: "tenant in " + logList(tenants), Got: got}
}

// key finds the verification key: the issuer's out-of-band keys first,
// then the key set named by an allow-listed jku, or the issuer's jwksUrl.
// A jku that is not on the allow-list is never fetched, but it does not
// refuse the token by itself: Epic, for one, sends a jku with every token,
// and an issuer whose keys are configured (jwksFile, jwks, jwksUrl) is
// verified with the key of that kid there.
func (v *Verifier) key(ctx context.Context, t *jwt.Token, e *issuerEntry, kid string) (any, error) {
	alg := t.Method.Alg()
	fail := func(kind error, expected, got string) (any, error) {
		return nil, &Error{Kind: kind, Issuer: e.cfg.ISS, KeyID: kid, Expected: expected, Got: got}
	}
	rs := e.jwks
	jku, refused := "", false
	if h, ok := t.Header["jku"]; ok {
		jku, _ = h.(string)
		if r := e.jku[jku]; r != nil {
			rs = r
		} else {
			refused = true
		}
	}
	unknown := func() (any, error) {
		if refused {
			return fail(ErrJKUNotAllowed, "jku in "+logList(e.cfg.JKUAllow)+", or a kid of "+e.keySources(), "jku "+logSafe(jku))
		}
		return fail(ErrUnknownKey, "a kid of "+e.keySources(), "")
	}
	k, ok := e.static[kid]
	if !ok {
		if rs == nil {
			return unknown()
		}
		var err error
		if k, err = v.fetcher.lookup(ctx, rs, kid); err != nil {
			if errors.Is(err, ErrUnknownKey) {
				return unknown()
			}
			var ae *Error
			if errors.As(err, &ae) {
				ae.Issuer, ae.KeyID = e.cfg.ISS, kid
			}
			return nil, err
		}
	}
	if !k.fits(alg) {
		return fail(ErrKeyMismatch, "a key for alg "+logSafe(alg), "key "+k.describe())
	}
	return k.key, nil
}

// keySources names, for the log, where the issuer's keys come from.
func (e *issuerEntry) keySources() string {
	var parts []string
	if len(e.static) > 0 {
		kids := slices.Sorted(maps.Keys(e.static))
		parts = append(parts, "the configured keys "+logList(kids))
	}
	if e.jwks != nil {
		parts = append(parts, "the key set at jwksUrl "+logSafe(e.jwks.url))
	}
	if len(parts) == 0 {
		return "no configured key (jkuAllow only)"
	}
	return strings.Join(parts, " or ")
}

// claimMismatch says what a failed claims check expected and what the
// token carried.
func (v *Verifier) claimMismatch(kind error, c *tokenClaims, aud string, now time.Time) (expected, got string) {
	claimTime := func(name string, d *jwt.NumericDate) string {
		if d == nil {
			return "no " + name
		}
		return name + " " + logTime(d.Time)
	}
	switch kind {
	case ErrAudience:
		return "aud " + logSafe(aud), "aud " + logList(c.Audience)
	case ErrExpired:
		return "exp after " + logTime(now.Add(-v.skew)), claimTime("exp", c.ExpiresAt)
	case ErrNotYetValid:
		return "nbf before " + logTime(now.Add(v.skew)), claimTime("nbf", c.NotBefore)
	case ErrIssuedInFuture:
		return "iat before " + logTime(now.Add(v.skew)), claimTime("iat", c.IssuedAt)
	}
	return "", ""
}

func logTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// classifyParseError maps a jwt parse failure to this package's errors.
func classifyParseError(err error, tok *jwt.Token, iss, kid string) error {
	var ae *Error
	if errors.As(err, &ae) {
		return ae
	}
	e := &Error{Issuer: iss, KeyID: kid}
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		e.Kind, e.Issuer, e.KeyID = ErrMalformed, "", ""
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		e.Kind = ErrAlgorithm // alg missing or unknown to the library
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		// Either alg is not on the allowed list (refused before any key
		// lookup, so iss and kid are unread) or the signature is wrong.
		e.Kind = ErrSignature
		if tok == nil || tok.Method == nil || !allowedAlg(tok.Method.Alg()) {
			e.Kind = ErrAlgorithm
		}
	default:
		e.Kind = ErrMalformed
	}
	if e.Kind == ErrAlgorithm {
		e.Expected = "alg in " + logList(allowedAlgs)
		if tok != nil {
			if alg, ok := tok.Header["alg"].(string); ok {
				e.Got = "alg " + logSafe(alg)
			}
		}
	}
	return e
}

// classifyClaimsError maps a jwt claims validation failure to this
// package's errors, most telling first.
func classifyClaimsError(err error) error {
	for _, m := range []struct{ lib, ours error }{
		{jwt.ErrTokenExpired, ErrExpired},
		{jwt.ErrTokenUsedBeforeIssued, ErrIssuedInFuture},
		{jwt.ErrTokenNotValidYet, ErrNotYetValid},
		{jwt.ErrTokenInvalidAudience, ErrAudience},
		{jwt.ErrTokenRequiredClaimMissing, ErrMissingClaim},
	} {
		if errors.Is(err, m.lib) {
			return m.ours
		}
	}
	return ErrMalformed
}
