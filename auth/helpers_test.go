package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/lestrrat-go/jwx/v3/jwk"
)

const (
	testBase = "https://cds.hospital.org/" // trailing slash on purpose
	testPath = "/cds-services/jak-order-sign"
	testAud  = "https://cds.hospital.org/cds-services/jak-order-sign"
	testISS  = "https://ehr.example.org/"
	testFHIR = "https://ehr.example.org/fhir/r4"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// testKeys are generated once per test binary.
type testKeys struct {
	ec256, ec384, ec521, other256 *ecdsa.PrivateKey
	rsa                           *rsa.PrivateKey
}

var (
	keysOnce sync.Once
	keys     testKeys
)

func getKeys(tb testing.TB) testKeys {
	tb.Helper()
	keysOnce.Do(func() {
		must := func(k *ecdsa.PrivateKey, err error) *ecdsa.PrivateKey {
			if err != nil {
				panic(err)
			}
			return k
		}
		keys.ec256 = must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
		keys.ec384 = must(ecdsa.GenerateKey(elliptic.P384(), rand.Reader))
		keys.ec521 = must(ecdsa.GenerateKey(elliptic.P521(), rand.Reader))
		keys.other256 = must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		keys.rsa = k
	})
	return keys
}

// jwksJSON builds a JWK Set of public keys by kid; alg is set on a key when
// algs names one for its kid.
func jwksJSON(tb testing.TB, pubs map[string]crypto.PublicKey, algs map[string]string) []byte {
	tb.Helper()
	set := jwk.NewSet()
	for kid, pub := range pubs {
		k, err := jwk.Import(pub)
		if err != nil {
			tb.Fatal(err)
		}
		if err := k.Set(jwk.KeyIDKey, kid); err != nil {
			tb.Fatal(err)
		}
		if alg := algs[kid]; alg != "" {
			if err := k.Set(jwk.AlgorithmKey, alg); err != nil {
				tb.Fatal(err)
			}
		}
		if err := set.AddKey(k); err != nil {
			tb.Fatal(err)
		}
	}
	data, err := json.Marshal(set)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// clock is a settable test clock.
type clock struct{ ns atomic.Int64 }

func newClock(t time.Time) *clock    { c := &clock{}; c.set(t); return c }
func (c *clock) set(t time.Time)     { c.ns.Store(t.UnixNano()) }
func (c *clock) add(d time.Duration) { c.ns.Add(int64(d)) }
func (c *clock) now() time.Time      { return time.Unix(0, c.ns.Load()).UTC() }

// tok describes a token to sign.
type tok struct {
	method jwt.SigningMethod
	key    any
	header map[string]any
	claims jwt.MapClaims
}

var jtiSeq atomic.Int64

// baseTok returns a valid ES256 token for the test issuer at time now.
func baseTok(tb testing.TB, now time.Time) tok {
	k := getKeys(tb)
	return tok{
		method: jwt.SigningMethodES256,
		key:    k.ec256,
		header: map[string]any{"kid": "ec256", "typ": "JWT"},
		claims: jwt.MapClaims{
			"iss": testISS,
			"aud": testAud,
			"exp": now.Add(5 * time.Minute).Unix(),
			"iat": now.Unix(),
			"jti": fmt.Sprintf("jti-%d", jtiSeq.Add(1)),
			"sub": "secret-sub-value",
		},
	}
}

func (tk tok) sign(tb testing.TB) string {
	tb.Helper()
	t := jwt.NewWithClaims(tk.method, tk.claims)
	for k, v := range tk.header {
		if v == nil {
			delete(t.Header, k)
			continue
		}
		t.Header[k] = v
	}
	s, err := t.SignedString(tk.key)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// testIssuers configures the main test issuer with inline keys, and a
// multi-tenant issuer.
func testIssuers(tb testing.TB) []Issuer {
	k := getKeys(tb)
	inline := jwksJSON(tb, map[string]crypto.PublicKey{
		"ec256": &k.ec256.PublicKey,
		"ec384": &k.ec384.PublicKey,
		"ec521": &k.ec521.PublicKey,
		"rsa":   &k.rsa.PublicKey,
	}, map[string]string{"ec384": "ES384"})
	return []Issuer{
		{ISS: testISS, JWKS: inline, FHIRServers: []string{testFHIR}},
		{ISS: "https://multi.example.org", JWKS: inline, Tenant: "t1", FHIRServers: []string{"https://t1.example.org/fhir"}},
		{ISS: "https://multi.example.org", JWKS: inline, Tenant: "t2", FHIRServers: []string{"https://t2.example.org/fhir"}},
	}
}

func newTestVerifier(tb testing.TB, c *clock, mod func(*Config)) *Verifier {
	tb.Helper()
	cfg := Config{Issuers: testIssuers(tb), BaseURL: testBase, Now: c.now}
	if mod != nil {
		mod(&cfg)
	}
	v, err := NewVerifier(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return v
}
