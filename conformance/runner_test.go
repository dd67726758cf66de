package conformance_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labelguard/labelguard/api"
	"github.com/labelguard/labelguard/auth"
	"github.com/labelguard/labelguard/conformance"
	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/policies"
	"github.com/labelguard/labelguard/store"
)

var (
	psOnce sync.Once
	ps     *engine.PolicySet
	psErr  error
)

func embedded(t *testing.T) *engine.PolicySet {
	t.Helper()
	psOnce.Do(func() { ps, psErr = engine.Load(context.Background(), policies.FS, engine.Options{}) })
	if psErr != nil {
		t.Fatal(psErr)
	}
	return ps
}

// local starts the real handler on the embedded policies.
func local(t *testing.T, mut func(*api.Config)) *httptest.Server {
	t.Helper()
	cfg := api.Config{MaxBodyBytes: 2 << 20, CORSOrigins: []string{"*"}, AuthDisabled: true, EvalTimeout: time.Minute}
	if mut != nil {
		mut(&cfg)
	}
	srv := httptest.NewServer(api.New(cfg, engine.NewActive(embedded(t)), nil).Handler())
	t.Cleanup(srv.Close)
	return srv
}

func report(t *testing.T, results []conformance.Result) map[string]conformance.Result {
	t.Helper()
	byCheck := map[string]conformance.Result{}
	for _, r := range results {
		t.Logf("%-32s %-4s %s", r.Check, r.Status, r.Detail)
		byCheck[r.Check] = r
	}
	return byCheck
}

// TestRunnerLocal runs the black-box runner against a local server with
// authentication disabled: every check passes, but the 401 check, which is
// skipped because /readyz says authentication is disabled.
func TestRunnerLocal(t *testing.T) {
	audit := &auditCount{}
	srv := local(t, func(c *api.Config) { c.Audit = audit })
	results := conformance.Run(context.Background(), conformance.Config{BaseURL: srv.URL, HugeBodyBytes: 3 << 20})
	byCheck := report(t, results)
	for _, r := range results {
		if r.Status == conformance.Fail || r.Status == conformance.Skip && r.Check != "auth/no-token" {
			t.Errorf("%s: %s %s", r.Check, r.Status, r.Detail)
		}
	}
	for _, want := range []string{"discovery", "service/jak-order-select", "service/jak-order-sign", "service/jak-monitoring",
		"empty/jak-order-sign", "error/412", "error/too-large", "error/unknown-service", "cors/preflight",
		"feedback/valid", "feedback/invalid", "order-select/selections", "json/no-null-or-empty"} {
		if _, ok := byCheck[want]; !ok {
			t.Errorf("check %s did not run", want)
		}
	}
	if conformance.Failed(results) {
		t.Error("Failed reports a failure")
	}
	if n := audit.n.Load(); n != 0 {
		t.Errorf("%d of the runner's calls landed in the decision audit", n)
	}
}

// auditCount counts the decisions offered to the audit.
type auditCount struct{ n atomic.Int64 }

func (a *auditCount) Enqueue(store.Decision) bool { a.n.Add(1); return true }

// TestRunnerLocalWithAuth runs the runner with a signing key against a
// local server that requires tokens from that key: every check passes,
// including 401 without a token, for another aud and for a replay.
func TestRunnerLocalWithAuth(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pad := func(b *big.Int) string {
		buf := make([]byte, 48)
		b.FillBytes(buf)
		return base64.RawURLEncoding.EncodeToString(buf)
	}
	jwks, _ := json.Marshal(map[string]any{"keys": []any{map[string]any{
		"kty": "EC", "crv": "P-384", "kid": "runner", "alg": "ES384", "use": "sig", "x": pad(key.PublicKey.X), "y": pad(key.PublicKey.Y)}}})
	const iss = "https://ehr.runner.example"
	var v *auth.Verifier
	audit := &auditCount{}
	srv := local(t, func(c *api.Config) {
		c.AuthDisabled = false
		c.Auth = authFunc(func() *auth.Verifier { return v })
		// With authentication "*" allows no origin: the CORS check's
		// origin is listed, as an operator would list the Sandbox's.
		c.CORSOrigins = []string{"https://sandbox.cds-hooks.org"}
		c.Audit = audit
	})
	// The runner's issuer is flagged as a conformance tester.
	v, err = auth.NewVerifier(auth.Config{Issuers: []auth.Issuer{{ISS: iss, JWKS: jwks, Conformance: true}}, BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	sign, err := conformance.Signer(key, iss, "runner")
	if err != nil {
		t.Fatal(err)
	}
	results := conformance.Run(context.Background(), conformance.Config{BaseURL: srv.URL, Token: sign, HugeBodyBytes: 3 << 20})
	byCheck := report(t, results)
	for _, r := range results {
		if r.Status != conformance.Pass {
			t.Errorf("%s: %s %s", r.Check, r.Status, r.Detail)
		}
	}
	for _, want := range []string{"auth/no-token", "auth/wrong-aud", "auth/replay"} {
		if byCheck[want].Status != conformance.Pass {
			t.Errorf("%s did not pass", want)
		}
	}
	// The runner's authenticated calls are kept out of the audit; those
	// refused with 401 never reach it.
	if n := audit.n.Load(); n != 0 {
		t.Errorf("%d of the runner's calls landed in the decision audit", n)
	}
	// Without the key, the checks that need a token are skipped, not failed.
	results = conformance.Run(context.Background(), conformance.Config{BaseURL: srv.URL, HugeBodyBytes: 3 << 20})
	byCheck = report(t, results)
	if conformance.Failed(results) || byCheck["auth/no-token"].Status != conformance.Pass || byCheck["error/412"].Status != conformance.Skip {
		t.Error("without a key: want no failure, 401 check passed, token checks skipped")
	}
}

// authFunc defers to a verifier created once the server's URL (its aud)
// is known.
type authFunc func() *auth.Verifier

func (f authFunc) VerifyRequest(r *http.Request, path string) (*auth.Principal, error) {
	return f().VerifyRequest(r, path)
}
