package api_test

// Conformance tests: the CDS Hooks 2.0 and hook library 1.0.1 requirements
// of conformance/mapping.json that no other test proves, exercised over
// HTTP against the real handler and the embedded policies. The helpers are
// this file's own (prefixed conf) so that it does not depend on the other
// test files of the package.

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/labelguard/labelguard/api"
	"github.com/labelguard/labelguard/auth"
	"github.com/labelguard/labelguard/cdshooks"
	"github.com/labelguard/labelguard/conformance"
	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/policies"
	"github.com/labelguard/labelguard/prefetch"
)

var confNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

var (
	confOnce sync.Once
	confPS   *engine.PolicySet
	confErr  error
)

func confPolicies(t testing.TB) *engine.PolicySet {
	t.Helper()
	confOnce.Do(func() {
		confPS, confErr = engine.Load(context.Background(), policies.FS, engine.Options{Revision: "conformance"})
	})
	if confErr != nil {
		t.Fatalf("load embedded policies: %v", confErr)
	}
	return confPS
}

func confServer(t testing.TB, mut func(*api.Config)) http.Handler {
	t.Helper()
	cfg := api.Config{
		MaxBodyBytes: 2 << 20,
		CORSOrigins:  []string{"https://sandbox.cds-hooks.org"},
		AuthDisabled: true,
		Now:          func() time.Time { return confNow },
		// A busy machine must not turn a test into a deadline test.
		EvalTimeout: time.Minute,
	}
	if mut != nil {
		mut(&cfg)
	}
	return api.New(cfg, engine.NewActive(confPolicies(t)), nil).Handler()
}

type confCall struct {
	method, path, ctype string
	body                []byte
	header              map[string]string
}

func confDo(t testing.TB, h http.Handler, c confCall) *httptest.ResponseRecorder {
	t.Helper()
	if c.method == "" {
		c.method = http.MethodPost
	}
	req := httptest.NewRequest(c.method, c.path, bytes.NewReader(c.body))
	if c.ctype == "" && c.body != nil {
		c.ctype = "application/json"
	}
	if c.ctype != "" {
		req.Header.Set("Content-Type", c.ctype)
	}
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func confPost(t testing.TB, h http.Handler, path string, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	return confDo(t, h, confCall{path: path, body: body})
}

// confRequests returns the committed whole-patient requests, by name.
func confRequests(t testing.TB) map[string]map[string]any {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "requests", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no committed requests: %v", err)
	}
	out := map[string]map[string]any{}
	for _, f := range files {
		var m map[string]any
		if err := json.Unmarshal(confRead(t, f), &m); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[strings.TrimSuffix(filepath.Base(f), ".json")] = m
	}
	return out
}

func confRead(t testing.TB, path string) []byte {
	t.Helper()
	var buf bytes.Buffer
	f, err := http.Dir(".").Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := io.Copy(&buf, f); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// confClone deep-copies a decoded JSON document.
func confClone(t testing.TB, v map[string]any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func confJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// confMinimalOrder is a valid order-select or order-sign request for one
// draft MedicationRequest of the given text and status, with the patient
// prefetched and every other key of the services prefetched as an empty
// search result.
func confMinimalOrder(hook, hookInstance, medication, status string) map[string]any {
	mr := map[string]any{
		"resourceType": "MedicationRequest", "id": "mr-1", "status": status, "intent": "order",
		"subject":                   map[string]any{"reference": "Patient/p-1"},
		"authoredOn":                "2026-11-23",
		"medicationCodeableConcept": map[string]any{"text": medication},
		"dosageInstruction": []any{map[string]any{
			"text":        "1 tablet once daily",
			"timing":      map[string]any{"code": map[string]any{"coding": []any{map[string]any{"system": "http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation", "code": "QD"}}}},
			"doseAndRate": []any{map[string]any{"doseQuantity": map[string]any{"value": 1, "unit": "tbl", "system": "http://unitsofmeasure.org", "code": "{tbl}"}}},
		}},
	}
	ctx := map[string]any{
		"userId": "Practitioner/u-1", "patientId": "p-1",
		"draftOrders": map[string]any{"resourceType": "Bundle", "type": "collection", "entry": []any{map[string]any{"resource": mr}}},
	}
	if hook == cdshooks.HookOrderSelect {
		ctx["selections"] = []any{"MedicationRequest/mr-1"}
	}
	empty := map[string]any{"resourceType": "Bundle", "type": "searchset", "total": 0}
	return map[string]any{
		"hook": hook, "hookInstance": hookInstance, "context": ctx,
		"prefetch": map[string]any{
			"patient":    map[string]any{"resourceType": "Patient", "id": "p-1", "gender": "female", "birthDate": "1980-04-02"},
			"conditions": empty, "medications": empty, "medicationStatements": empty, "observations": empty,
			"immunizations": empty, "allergies": empty, "labObservations": empty,
		},
	}
}

// confEmptyJSON reports every null and every empty string, array or
// object, by JSON path, with the black-box runner's own checker so that the
// in-process and the deployed checks agree. allow names the paths where an
// empty value is what the specification asks for ("$.cards").
func confEmptyJSON(raw []byte, allow ...string) ([]string, error) {
	return conformance.EmptyValues(raw, allow...)
}

// TestConformanceNoNullOrEmpty sends every kind of call the service answers
// with a body (discovery, every committed whole-patient request, the hook
// library's examples, minimal requests to every service, and every error)
// and checks that no response holds null or an empty string, array or
// object, except the cards array of a response with nothing to say.
func TestConformanceNoNullOrEmpty(t *testing.T) {
	t.Parallel()
	h := confServer(t, func(c *api.Config) { c.MaxBodyBytes = 64 << 10 })
	type call struct {
		name string
		c    confCall
	}
	calls := []call{{"discovery", confCall{method: http.MethodGet, path: "/cds-services"}}}
	for name, req := range confRequests(t) {
		calls = append(calls, call{"golden " + name, confCall{path: "/cds-services/jak-" + req["hook"].(string), body: confJSON(t, req)}})
	}
	for _, f := range []struct{ file, service, hook string }{
		{"order-sign-context-r4.json", "jak-order-sign", "order-sign"},
		{"order-select-context-r4.json", "jak-order-select", "order-select"},
	} {
		var ctx map[string]json.RawMessage
		if err := json.Unmarshal(confRead(t, filepath.Join("testdata", "spec", f.file)), &ctx); err != nil {
			t.Fatal(err)
		}
		calls = append(calls, call{"spec " + f.file, confCall{path: "/cds-services/" + f.service,
			body: confJSON(t, map[string]any{"hook": f.hook, "hookInstance": "h-spec", "context": ctx["context"]})}})
	}
	for _, hook := range []string{"order-select", "order-sign"} {
		calls = append(calls,
			call{"minimal non-target " + hook, confCall{path: "/cds-services/jak-" + hook, body: confJSON(t, confMinimalOrder(hook, "h-1", "Amoxicillin 500 MG Oral Capsule", "draft"))}},
			call{"minimal target " + hook, confCall{path: "/cds-services/jak-" + hook, body: confJSON(t, confMinimalOrder(hook, "h-2", "upadacitinib 45 MG Extended Release Oral Tablet", "draft"))}},
		)
	}
	calls = append(calls, call{"minimal patient-view", confCall{path: "/cds-services/jak-monitoring", body: confJSON(t, map[string]any{
		"hook": "patient-view", "hookInstance": "h-pv", "context": map[string]any{"userId": "Practitioner/u-1", "patientId": "p-1"},
		"prefetch": confMinimalOrder("order-sign", "x", "x", "draft")["prefetch"]})}})
	noPatient := confMinimalOrder("order-sign", "h-412", "upadacitinib 15 MG Extended Release Oral Tablet", "draft")
	delete(noPatient["prefetch"].(map[string]any), "patient")
	calls = append(calls,
		call{"412", confCall{path: "/cds-services/jak-order-sign", body: confJSON(t, noPatient)}},
		call{"400 malformed", confCall{path: "/cds-services/jak-order-sign", body: []byte(`{"hook":`)}},
		call{"400 missing hook", confCall{path: "/cds-services/jak-order-sign", body: []byte(`{"hookInstance":"a","context":{}}`)}},
		call{"404 service", confCall{path: "/cds-services/nope", body: []byte(`{}`)}},
		call{"404 route", confCall{method: http.MethodGet, path: "/nothing"}},
		call{"405", confCall{method: http.MethodGet, path: "/cds-services/jak-order-sign"}},
		call{"413", confCall{path: "/cds-services/jak-order-sign", body: []byte(`{"x":"` + strings.Repeat("a", 70<<10) + `"}`)}},
		call{"415", confCall{path: "/cds-services/jak-order-sign", ctype: "text/plain", body: []byte(`{}`)}},
		call{"feedback 400", confCall{path: "/cds-services/jak-order-sign/feedback", body: []byte(`{"feedback":[]}`)}},
	)
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			rec := confDo(t, h, c.c)
			if rec.Body.Len() == 0 {
				t.Fatalf("status %d with an empty body", rec.Code)
			}
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type %q, want application/json", ct)
			}
			bad, err := confEmptyJSON(rec.Body.Bytes(), "$.cards")
			if err != nil {
				t.Fatalf("status %d, body is not JSON: %v: %s", rec.Code, err, rec.Body)
			}
			if len(bad) > 0 {
				t.Errorf("status %d: %s", rec.Code, strings.Join(bad, "; "))
			}
		})
	}
}

// TestConformanceEmptyCards: with nothing to say, every service answers 200
// with exactly {"cards": []}, never null, an absent member or extra ones.
func TestConformanceEmptyCards(t *testing.T) {
	t.Parallel()
	h := confServer(t, nil)
	for _, hook := range []string{"order-select", "order-sign"} {
		for _, med := range []string{"Amoxicillin 500 MG Oral Capsule", "ibuprofen 200 MG Oral Tablet"} {
			rec := confPost(t, h, "/cds-services/jak-"+hook, confJSON(t, confMinimalOrder(hook, "h-empty", med, "draft")))
			if rec.Code != http.StatusOK || strings.TrimSpace(rec.Body.String()) != `{"cards":[]}` {
				t.Errorf("%s %s: %d %s, want 200 {\"cards\":[]}", hook, med, rec.Code, rec.Body)
			}
		}
	}
	// An order-sign with no draft orders at all.
	req := confMinimalOrder("order-sign", "h-none", "x", "draft")
	req["context"].(map[string]any)["draftOrders"] = map[string]any{"resourceType": "Bundle", "type": "collection"}
	if rec := confPost(t, h, "/cds-services/jak-order-sign", confJSON(t, req)); rec.Code != http.StatusOK || strings.TrimSpace(rec.Body.String()) != `{"cards":[]}` {
		t.Errorf("no draft orders: %d %s", rec.Code, rec.Body)
	}
	// patient-view for a patient on no JAK inhibitor.
	pv := map[string]any{"hook": "patient-view", "hookInstance": "h-pv", "context": map[string]any{"userId": "Practitioner/u-1", "patientId": "p-1"},
		"prefetch": confMinimalOrder("order-sign", "x", "x", "draft")["prefetch"]}
	if rec := confPost(t, h, "/cds-services/jak-monitoring", confJSON(t, pv)); rec.Code != http.StatusOK || strings.TrimSpace(rec.Body.String()) != `{"cards":[]}` {
		t.Errorf("patient-view, no JAK inhibitor: %d %s", rec.Code, rec.Body)
	}
}

var confTokenPattern = regexp.MustCompile(`\{\{\s*([^}]*?)\s*\}\}`)

// TestConformanceDiscoveryFields checks the discovery response field by
// field: 200 JSON with a services array; every service has the required
// hook, description and id strings and the recommended title; every id
// answers at {baseUrl}/cds-services/{id}; prefetch is an object of string
// templates whose tokens are {{context.<root field>}} of a field the hook
// offers as a token, never draftOrders or selections.
func TestConformanceDiscoveryFields(t *testing.T) {
	t.Parallel()
	h := confServer(t, nil)
	rec := confDo(t, h, confCall{method: http.MethodGet, path: "/cds-services"})
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		t.Fatalf("discovery: %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(rec.Body.Bytes(), &top); err != nil {
		t.Fatal(err)
	}
	var services []map[string]json.RawMessage
	if err := json.Unmarshal(top["services"], &services); err != nil || len(services) == 0 {
		t.Fatalf("services is not a non-empty array: %s", top["services"])
	}
	tokenFields := map[string][]string{
		"order-select": {"userId", "patientId", "encounterId"},
		"order-sign":   {"userId", "patientId", "encounterId"},
		"patient-view": {"userId", "patientId", "encounterId"},
	}
	for i, s := range services {
		str := func(name string, required bool) string {
			raw, ok := s[name]
			if !ok {
				if required {
					t.Errorf("services[%d].%s missing", i, name)
				}
				return ""
			}
			var v string
			if err := json.Unmarshal(raw, &v); err != nil || v == "" {
				t.Errorf("services[%d].%s = %s, want a non-empty string", i, name, raw)
			}
			return v
		}
		id, hook := str("id", true), str("hook", true)
		str("description", true)
		str("title", true) // RECOMMENDED; labelguard always sets it
		for name := range s {
			if !slices.Contains([]string{"id", "hook", "title", "description", "prefetch", "usageRequirements", "extension"}, name) {
				t.Errorf("services[%d] has a member %q that discovery does not define", i, name)
			}
		}
		if _, ok := s["usageRequirements"]; ok {
			str("usageRequirements", false)
		}
		// The id is the last path segment of the service URL.
		body := confJSON(t, map[string]any{"hook": hook, "hookInstance": "h-d", "context": map[string]any{}})
		if rec := confPost(t, h, "/cds-services/"+id, body); rec.Code == http.StatusNotFound {
			t.Errorf("service %s: POST /cds-services/%s is 404", id, id)
		}
		if raw, ok := s["prefetch"]; ok {
			var pf map[string]string
			if err := json.Unmarshal(raw, &pf); err != nil || len(pf) == 0 {
				t.Errorf("service %s: prefetch %s is not an object of strings", id, raw)
			}
			for key, tmpl := range pf {
				toks := confTokenPattern.FindAllStringSubmatch(tmpl, -1)
				if strings.Count(tmpl, "{{") != len(toks) || strings.Count(tmpl, "}}") != len(toks) {
					t.Errorf("service %s prefetch %s: unbalanced token delimiters", id, key)
				}
				for _, m := range toks {
					field, ok := strings.CutPrefix(m[1], "context.")
					if !ok || strings.Contains(field, ".") || !slices.Contains(tokenFields[hook], field) {
						t.Errorf("service %s prefetch %s: token {{%s}} is not a root-level token field of %s", id, key, m[1], hook)
					}
				}
				// Recommended query subset: an instance read or a type-level
				// search whose parameters are plain (no chains, no
				// modifiers but :missing, no _include or _has).
				if _, query, ok := strings.Cut(tmpl, "?"); ok {
					for _, kv := range strings.Split(query, "&") {
						name, _, _ := strings.Cut(kv, "=")
						name = strings.TrimSuffix(name, ":missing")
						if strings.ContainsAny(name, ":.") || slices.Contains([]string{"_include", "_revinclude", "_has", "_filter", "_query"}, name) {
							t.Errorf("service %s prefetch %s: parameter %q is outside the recommended subset", id, key, name)
						}
					}
				} else if strings.Count(tmpl, "/") != 1 {
					t.Errorf("service %s prefetch %s is neither a read nor a type-level search: %s", id, key, tmpl)
				}
			}
		}
	}
	var d cdshooks.Discovery
	if err := json.Unmarshal(rec.Body.Bytes(), &d); err != nil || d.Validate() != nil {
		t.Errorf("discovery does not validate: %v %v", err, d.Validate())
	}
}

func confCardUUIDs(t testing.TB, body []byte) []string {
	t.Helper()
	var resp cdshooks.Response
	if err := json.Unmarshal(body, &resp); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range resp.Cards {
		out = append(out, c.UUID)
	}
	return out
}

// TestConformanceHookInstance: hookInstance is required and must be a
// non-empty string; card uuids are unique, stable for a repeated call of the
// same hookInstance (a retried call updates rather than duplicates cards),
// and differ between hook instances.
func TestConformanceHookInstance(t *testing.T) {
	t.Parallel()
	h := confServer(t, nil)
	req := confRequests(t)["upadacitinib-45mg-low-anc"]
	if req == nil {
		t.Fatal("golden request upadacitinib-45mg-low-anc not found")
	}
	call := func(hi any) *httptest.ResponseRecorder {
		r := confClone(t, req)
		if hi == nil {
			delete(r, "hookInstance")
		} else {
			r["hookInstance"] = hi
		}
		return confPost(t, h, "/cds-services/jak-order-sign", confJSON(t, r))
	}
	a1, a2, b := call("11111111-1111-4111-8111-111111111111"), call("11111111-1111-4111-8111-111111111111"), call("22222222-2222-4222-8222-222222222222")
	for _, r := range []*httptest.ResponseRecorder{a1, a2, b} {
		if r.Code != http.StatusOK {
			t.Fatalf("status %d: %s", r.Code, r.Body)
		}
	}
	u1, u2, u3 := confCardUUIDs(t, a1.Body.Bytes()), confCardUUIDs(t, a2.Body.Bytes()), confCardUUIDs(t, b.Body.Bytes())
	if len(u1) == 0 {
		t.Fatal("no cards for the golden case")
	}
	if !slices.Equal(u1, u2) {
		t.Errorf("same hookInstance, different card uuids: %v %v", u1, u2)
	}
	seen := map[string]bool{}
	for _, u := range u1 {
		if seen[u] {
			t.Errorf("card uuid %s repeated in one response", u)
		}
		seen[u] = true
	}
	for _, u := range u3 {
		if seen[u] {
			t.Errorf("card uuid %s reused for another hookInstance", u)
		}
	}
	for name, hi := range map[string]any{"missing": nil, "empty": "", "number": 42, "null": json.RawMessage("null")} {
		if r := call(hi); r.Code != http.StatusBadRequest {
			t.Errorf("hookInstance %s: status %d, want 400", name, r.Code)
		}
	}
}

// confFHIR is a FHIR server that records what it was asked and answers a
// Patient read and empty searches.
type confFHIR struct {
	mu      sync.Mutex
	queries []string
	authz   []string
}

func (f *confFHIR) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.queries = append(f.queries, r.URL.RequestURI())
	f.authz = append(f.authz, r.Header.Get("Authorization"))
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/fhir+json")
	if strings.HasPrefix(r.URL.Path, "/fhir/Patient/") {
		id := strings.TrimPrefix(r.URL.Path, "/fhir/Patient/")
		_, _ = fmt.Fprintf(w, `{"resourceType":"Patient","id":%q,"gender":"male","birthDate":"1970-01-01"}`, id)
		return
	}
	_, _ = io.WriteString(w, `{"resourceType":"Bundle","type":"searchset","total":0}`)
}

// TestConformancePrefetchTokens: a client that sends no prefetch but a
// fhirServer and fhirAuthorization gets every discovery template fetched,
// with {{context.patientId}} replaced by the context value (the tolerated
// Patient/ prefix removed), the access token as a bearer token, and no
// delimiter left in any query. A prefetch key sent as null is not fetched.
func TestConformancePrefetchTokens(t *testing.T) {
	t.Parallel()
	fake := &confFHIR{}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	base := srv.URL + "/fhir"
	h := confServer(t, func(c *api.Config) {
		c.FHIRAllow = []string{base}
		c.Fetcher = prefetch.NewFetcher(prefetch.Config{Timeout: 5 * time.Second, CacheTTL: -1})
	})
	req := confMinimalOrder("order-sign", "h-fetch", "upadacitinib 15 MG Extended Release Oral Tablet", "draft")
	req["context"].(map[string]any)["patientId"] = "Patient/p-7"
	req["prefetch"] = map[string]any{"allergies": nil}
	req["fhirServer"] = base
	req["fhirAuthorization"] = map[string]any{"access_token": "fhir-token-1", "token_type": "Bearer", "expires_in": 300,
		"scope": "patient/*.read", "subject": "labelguard"}
	rec := confPost(t, h, "/cds-services/jak-order-sign", confJSON(t, req))
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	var svc cdshooks.Service
	for _, s := range confPolicies(t).Services {
		if s.ID == "jak-order-sign" {
			svc = s.Service
		}
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	if want := len(svc.Prefetch) - 1; len(fake.queries) != want {
		t.Errorf("%d queries, want %d (every key but the null one): %v", len(fake.queries), want, fake.queries)
	}
	sawPatient := false
	for i, q := range fake.queries {
		if strings.Contains(q, "{{") || strings.Contains(q, "}}") || strings.Contains(q, "%7B%7B") {
			t.Errorf("query %q still holds a token", q)
		}
		if strings.Contains(q, "AllergyIntolerance") {
			t.Errorf("the key sent as null was fetched: %q", q)
		}
		if q == "/fhir/Patient/p-7" {
			sawPatient = true
		} else if !strings.Contains(q, "patient=p-7") {
			t.Errorf("query %q does not carry the patient id", q)
		}
		if fake.authz[i] != "Bearer fhir-token-1" {
			t.Errorf("query %q sent Authorization %q", q, fake.authz[i])
		}
	}
	if !sawPatient {
		t.Errorf("Patient/{{context.patientId}} not rendered as a read: %v", fake.queries)
	}
}

// TestConformancePreconditionFailed: when the patient is needed, neither
// prefetched nor obtainable from a FHIR server, the answer is 412 with a
// JSON error; the same request with a reachable, allowed FHIR server is
// answered 200; a non-target order never needs the patient.
func TestConformancePreconditionFailed(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(&confFHIR{})
	defer srv.Close()
	base := srv.URL + "/fhir"
	h := confServer(t, func(c *api.Config) {
		c.FHIRAllow = []string{base}
		c.Fetcher = prefetch.NewFetcher(prefetch.Config{Timeout: 5 * time.Second, CacheTTL: -1})
	})
	target := "upadacitinib 15 MG Extended Release Oral Tablet"
	fhirAuth := map[string]any{"access_token": "t", "token_type": "Bearer", "expires_in": 300, "scope": "patient/*.read", "subject": "s"}
	tests := []struct {
		name   string
		mod    func(map[string]any)
		status int
	}{
		{"patient key absent, no fhirServer", func(r map[string]any) { delete(r["prefetch"].(map[string]any), "patient") }, 412},
		{"no prefetch at all, no fhirServer", func(r map[string]any) { delete(r, "prefetch") }, 412},
		{"patient null (no data)", func(r map[string]any) { r["prefetch"].(map[string]any)["patient"] = nil }, 412},
		{"fhirServer not allowed", func(r map[string]any) {
			delete(r, "prefetch")
			r["fhirServer"], r["fhirAuthorization"] = "https://fhir.elsewhere.example/r4", fhirAuth
		}, 412},
		{"fhirAuthorization for another patient", func(r map[string]any) {
			delete(r, "prefetch")
			a := confClone(t, fhirAuth)
			a["patient"] = "someone-else"
			r["fhirServer"], r["fhirAuthorization"] = base, a
		}, 412},
		{"fetched from the allowed fhirServer", func(r map[string]any) {
			delete(r, "prefetch")
			r["fhirServer"], r["fhirAuthorization"] = base, fhirAuth
		}, 200},
		{"patient prefetched", func(map[string]any) {}, 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := confMinimalOrder("order-sign", "h-412", target, "draft")
			tc.mod(r)
			rec := confPost(t, h, "/cds-services/jak-order-sign", confJSON(t, r))
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			if tc.status == 412 {
				var e cdshooks.Error
				if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error.Code != "precondition_failed" {
					t.Errorf("412 body %s", rec.Body)
				}
			}
		})
	}
	r := confMinimalOrder("order-sign", "h-412", "Amoxicillin 500 MG Oral Capsule", "draft")
	delete(r, "prefetch")
	if rec := confPost(t, h, "/cds-services/jak-order-sign", confJSON(t, r)); rec.Code != http.StatusOK {
		t.Errorf("non-target order without prefetch: %d, want 200", rec.Code)
	}
}

// TestConformanceFeedback: the feedback endpoint answers 200 to the spec's
// feedback examples (accepted with suggestions, overridden with and without
// a reason, several entries) and 400 with a JSON error to every malformed
// one, 404 for an unknown service.
func TestConformanceFeedback(t *testing.T) {
	t.Parallel()
	h := confServer(t, nil)
	const path = "/cds-services/jak-order-sign/feedback"
	ok := []string{
		`{"feedback":[{"card":"c1","outcome":"accepted","acceptedSuggestions":[{"id":"s1"}],"outcomeTimestamp":"2026-11-23T10:00:00Z"}]}`,
		`{"feedback":[{"card":"c1","outcome":"overridden","outcomeTimestamp":"2026-11-23T10:00:00Z"}]}`,
		`{"feedback":[{"card":"c1","outcome":"overridden","overrideReason":{"reason":{"system":"urn:labelguard:override-reason","code":"other","display":"Other reason"},"userComment":"discussed"},"outcomeTimestamp":"2026-11-23T10:00:00.123+01:00"}]}`,
		`{"feedback":[{"card":"c1","outcome":"overridden","outcomeTimestamp":"2026-11-23T10:00:00Z"},{"card":"c2","outcome":"accepted","acceptedSuggestions":[{"id":"s2"}],"outcomeTimestamp":"2026-11-23T10:00:01Z"}]}`,
	}
	for _, f := range []string{"feedback-accepted.json", "feedback-overridden.json", "feedback-overridden-with-reason.json"} {
		ok = append(ok, string(confRead(t, filepath.Join("testdata", "spec", f))))
	}
	for i, body := range ok {
		if rec := confPost(t, h, path, []byte(body)); rec.Code != http.StatusOK {
			t.Errorf("valid feedback %d: %d %s", i, rec.Code, rec.Body)
		}
	}
	bad := map[string]string{
		"malformed":                  `{"feedback":`,
		"not an object":              `[]`,
		"feedback missing":           `{}`,
		"feedback empty":             `{"feedback":[]}`,
		"feedback not an array":      `{"feedback":{}}`,
		"card missing":               `{"feedback":[{"outcome":"overridden","outcomeTimestamp":"2026-11-23T10:00:00Z"}]}`,
		"outcome unknown":            `{"feedback":[{"card":"c","outcome":"ignored","outcomeTimestamp":"2026-11-23T10:00:00Z"}]}`,
		"timestamp missing":          `{"feedback":[{"card":"c","outcome":"overridden"}]}`,
		"timestamp not a date-time":  `{"feedback":[{"card":"c","outcome":"overridden","outcomeTimestamp":"yesterday"}]}`,
		"accepted without suggested": `{"feedback":[{"card":"c","outcome":"accepted","outcomeTimestamp":"2026-11-23T10:00:00Z"}]}`,
		"accepted suggestion no id":  `{"feedback":[{"card":"c","outcome":"accepted","acceptedSuggestions":[{}],"outcomeTimestamp":"2026-11-23T10:00:00Z"}]}`,
		"overridden with suggestion": `{"feedback":[{"card":"c","outcome":"overridden","acceptedSuggestions":[{"id":"s"}],"outcomeTimestamp":"2026-11-23T10:00:00Z"}]}`,
		"reason coding without code": `{"feedback":[{"card":"c","outcome":"overridden","overrideReason":{"reason":{"system":"s"}},"outcomeTimestamp":"2026-11-23T10:00:00Z"}]}`,
	}
	for name, body := range bad {
		rec := confPost(t, h, path, []byte(body))
		var e cdshooks.Error
		if rec.Code != http.StatusBadRequest || json.Unmarshal(rec.Body.Bytes(), &e) != nil || e.Error.Code == "" {
			t.Errorf("%s: %d %s, want 400 with a JSON error", name, rec.Code, rec.Body)
		}
	}
	if rec := confPost(t, h, "/cds-services/nope/feedback", []byte(ok[0])); rec.Code != http.StatusNotFound {
		t.Errorf("feedback to an unknown service: %d", rec.Code)
	}
}

// confSigner signs CDS client JWTs with an ES384 key (a recommended
// algorithm) for a verifier that trusts it.
type confSigner struct {
	key *ecdsa.PrivateKey
	iss string
	n   atomic.Int64
}

func newConfSigner(t testing.TB) (*confSigner, *auth.Verifier) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pad := func(b *big.Int) string {
		buf := make([]byte, 48)
		b.FillBytes(buf)
		return base64.RawURLEncoding.EncodeToString(buf)
	}
	jwks := confJSON(t, map[string]any{"keys": []any{map[string]any{
		"kty": "EC", "crv": "P-384", "kid": "conf-1", "alg": "ES384", "use": "sig",
		"x": pad(key.PublicKey.X), "y": pad(key.PublicKey.Y),
	}}})
	s := &confSigner{key: key, iss: "https://ehr.conformance.example"}
	v, err := auth.NewVerifier(auth.Config{
		Issuers: []auth.Issuer{{ISS: s.iss, JWKS: jwks}},
		BaseURL: "https://cds.conformance.example",
		Now:     func() time.Time { return confNow },
	})
	if err != nil {
		t.Fatal(err)
	}
	return s, v
}

func (s *confSigner) claims(aud string) jwt.MapClaims {
	return jwt.MapClaims{
		"iss": s.iss, "aud": aud, "jti": fmt.Sprintf("jti-%d", s.n.Add(1)),
		"iat": confNow.Add(-time.Second).Unix(), "exp": confNow.Add(5 * time.Minute).Unix(),
	}
}

func (s *confSigner) sign(t testing.TB, method jwt.SigningMethod, key any, header map[string]any, c jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, c)
	tok.Header["kid"] = "conf-1"
	for k, v := range header {
		if v == nil {
			delete(tok.Header, k)
		} else {
			tok.Header[k] = v
		}
	}
	out, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestConformanceJWT exercises the JWT rules of "Trusting CDS Clients" at the
// HTTP boundary: each required claim (iss, aud, exp, iat, jti) must be
// there; aud must be the exact endpoint URL; a reused jti, an expired token,
// the none algorithm and HMAC are refused with 401 and a Bearer challenge;
// tenant, sub, nbf and unknown claims are accepted; discovery stays open.
func TestConformanceJWT(t *testing.T) {
	t.Parallel()
	s, v := newConfSigner(t)
	h := confServer(t, func(c *api.Config) { c.Auth = v; c.AuthDisabled = false })
	const aud = "https://cds.conformance.example/cds-services/jak-order-sign"
	body := confJSON(t, confMinimalOrder("order-sign", "h-jwt", "Amoxicillin 500 MG Oral Capsule", "draft"))
	call := func(tok string) *httptest.ResponseRecorder {
		hdr := map[string]string{}
		if tok != "" {
			hdr["Authorization"] = "Bearer " + tok
		}
		return confDo(t, h, confCall{path: "/cds-services/jak-order-sign", body: body, header: hdr})
	}
	without := func(claim string) string {
		c := s.claims(aud)
		delete(c, claim)
		return s.sign(t, jwt.SigningMethodES384, s.key, nil, c)
	}
	with := func(mod func(jwt.MapClaims)) string {
		c := s.claims(aud)
		mod(c)
		return s.sign(t, jwt.SigningMethodES384, s.key, nil, c)
	}
	reused := with(func(jwt.MapClaims) {})
	none, err := jwt.NewWithClaims(jwt.SigningMethodNone, s.claims(aud)).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		tok    string
		status int
	}{
		{"no token", "", 401},
		{"valid ES384", with(func(jwt.MapClaims) {}), 200},
		{"sub, nbf, tenant and unknown claims accepted", with(func(c jwt.MapClaims) {
			c["sub"], c["nbf"], c["tenant"], c["x-vendor"] = "user-1", confNow.Add(-time.Minute).Unix(), "t-1", map[string]any{"a": 1}
		}), 200},
		{"aud array holding the endpoint", with(func(c jwt.MapClaims) { c["aud"] = []string{"https://other.example", aud} }), 200},
		{"missing iss", without("iss"), 401},
		{"missing aud", without("aud"), 401},
		{"missing exp", without("exp"), 401},
		{"missing iat", without("iat"), 401},
		{"missing jti", without("jti"), 401},
		{"aud of another service", with(func(c jwt.MapClaims) { c["aud"] = "https://cds.conformance.example/cds-services/jak-order-select" }), 401},
		{"aud of the base URL only", with(func(c jwt.MapClaims) { c["aud"] = "https://cds.conformance.example" }), 401},
		{"expired", with(func(c jwt.MapClaims) {
			c["iat"], c["exp"] = confNow.Add(-20*time.Minute).Unix(), confNow.Add(-10*time.Minute).Unix()
		}), 401},
		{"unknown issuer", with(func(c jwt.MapClaims) { c["iss"] = "https://evil.example" }), 401},
		{"alg none", none, 401},
		{"HS256", s.sign(t, jwt.SigningMethodHS256, []byte("shared-secret-shared-secret-32by"), nil, s.claims(aud)), 401},
		// A jku not on the allow-list is never fetched: the configured key
		// of the kid verifies (Epic sends a jku on every token), and a kid
		// the configuration lacks is refused.
		{"jku not allow-listed, kid configured", s.sign(t, jwt.SigningMethodES384, s.key, map[string]any{"jku": "https://evil.example/jwks"}, s.claims(aud)), 200},
		{"jku not allow-listed, kid unknown", s.sign(t, jwt.SigningMethodES384, s.key, map[string]any{"jku": "https://evil.example/jwks", "kid": "evil-1"}, s.claims(aud)), 401},
		{"first use", reused, 200},
		{"replayed jti", reused, 401},
	}
	for _, tc := range tests {
		rec := call(tc.tok)
		if rec.Code != tc.status {
			t.Errorf("%s: status %d, want %d: %s", tc.name, rec.Code, tc.status, rec.Body)
			continue
		}
		if tc.status == 401 && !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s: no Bearer challenge", tc.name)
		}
	}
	// Feedback is authenticated against its own URL.
	fb := []byte(`{"feedback":[{"card":"c1","outcome":"overridden","outcomeTimestamp":"2026-11-23T10:00:00Z"}]}`)
	fbURL := aud + "/feedback"
	if rec := confDo(t, h, confCall{path: "/cds-services/jak-order-sign/feedback", body: fb}); rec.Code != 401 {
		t.Errorf("feedback without a token: %d", rec.Code)
	}
	if rec := confDo(t, h, confCall{path: "/cds-services/jak-order-sign/feedback", body: fb,
		header: map[string]string{"Authorization": "Bearer " + with(func(c jwt.MapClaims) { c["aud"] = fbURL })}}); rec.Code != 200 {
		t.Errorf("feedback with a token for its URL: %d %s", rec.Code, rec.Body)
	}
	if rec := confDo(t, h, confCall{method: http.MethodGet, path: "/cds-services"}); rec.Code != 200 {
		t.Errorf("discovery with authentication on: %d", rec.Code)
	}
}

// TestConformanceCORS: a browser client gets CORS on discovery, service and
// feedback endpoints, including a preflight that needs no token even when
// authentication is on; "*" allows any origin; an unlisted origin gets no
// Access-Control-Allow-Origin.
func TestConformanceCORS(t *testing.T) {
	t.Parallel()
	_, v := newConfSigner(t)
	const origin = "https://sandbox.cds-hooks.org"
	h := confServer(t, func(c *api.Config) { c.Auth = v; c.AuthDisabled = false })
	for _, tc := range []struct{ path, method string }{
		{"/cds-services", "GET"}, {"/cds-services/jak-order-sign", "POST"}, {"/cds-services/jak-order-select/feedback", "POST"},
	} {
		rec := confDo(t, h, confCall{method: http.MethodOptions, path: tc.path, header: map[string]string{
			"Origin": origin, "Access-Control-Request-Method": tc.method, "Access-Control-Request-Headers": "authorization, content-type",
		}})
		hdr := rec.Header()
		if rec.Code < 200 || rec.Code > 299 || hdr.Get("Access-Control-Allow-Origin") != origin ||
			!strings.Contains(hdr.Get("Access-Control-Allow-Methods"), tc.method) ||
			!strings.Contains(strings.ToLower(hdr.Get("Access-Control-Allow-Headers")), "authorization") ||
			!strings.Contains(strings.ToLower(hdr.Get("Access-Control-Allow-Headers")), "content-type") {
			t.Errorf("preflight %s %s: %d %v", tc.method, tc.path, rec.Code, hdr)
		}
	}
	rec := confDo(t, h, confCall{method: http.MethodGet, path: "/cds-services", header: map[string]string{"Origin": origin}})
	if rec.Header().Get("Access-Control-Allow-Origin") != origin {
		t.Errorf("discovery GET lacks Access-Control-Allow-Origin: %v", rec.Header())
	}
	// A 401 still carries CORS headers, so the browser can show the error.
	rec = confDo(t, h, confCall{path: "/cds-services/jak-order-sign", body: []byte(`{}`), header: map[string]string{"Origin": origin}})
	if rec.Code != 401 || rec.Header().Get("Access-Control-Allow-Origin") != origin {
		t.Errorf("401 without CORS headers: %d %v", rec.Code, rec.Header())
	}
	rec = confDo(t, h, confCall{method: http.MethodOptions, path: "/cds-services/jak-order-sign", header: map[string]string{
		"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}})
	if rec.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("unlisted origin allowed: %v", rec.Header())
	}
	anyOrigin := confServer(t, func(c *api.Config) { c.CORSOrigins = []string{"*"} })
	rec = confDo(t, anyOrigin, confCall{method: http.MethodOptions, path: "/cds-services/jak-order-sign", header: map[string]string{
		"Origin": "https://ehr.example", "Access-Control-Request-Method": "POST"}})
	if rec.Code != http.StatusNoContent || rec.Header().Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("origin * : %d %v", rec.Code, rec.Header())
	}
}

// TestConformanceErrorStatus: every failure is a 4xx or 5xx with a JSON
// error body; client mistakes are never 5xx.
func TestConformanceErrorStatus(t *testing.T) {
	t.Parallel()
	h := confServer(t, func(c *api.Config) { c.MaxBodyBytes = 64 << 10 })
	valid := confMinimalOrder("order-sign", "h-err", "Amoxicillin 500 MG Oral Capsule", "draft")
	mismatch := confClone(t, valid)
	mismatch["hook"] = "order-select"
	unknownHook := confClone(t, valid)
	unknownHook["hook"] = "org.example.unknown"
	tests := []struct {
		name   string
		c      confCall
		status int
	}{
		{"malformed JSON", confCall{path: "/cds-services/jak-order-sign", body: []byte(`{"hook":`)}, 400},
		{"empty body", confCall{path: "/cds-services/jak-order-sign", body: []byte{}}, 400},
		{"array body", confCall{path: "/cds-services/jak-order-sign", body: []byte(`[]`)}, 400},
		{"missing hook", confCall{path: "/cds-services/jak-order-sign", body: []byte(`{"hookInstance":"a","context":{}}`)}, 400},
		{"hook of another service", confCall{path: "/cds-services/jak-order-sign", body: confJSON(t, mismatch)}, 400},
		{"unknown hook", confCall{path: "/cds-services/jak-order-sign", body: confJSON(t, unknownHook)}, 400},
		{"context not an object", confCall{path: "/cds-services/jak-order-sign", body: []byte(`{"hook":"order-sign","hookInstance":"a","context":[]}`)}, 400},
		{"context without patientId", confCall{path: "/cds-services/jak-order-sign", body: []byte(`{"hook":"order-sign","hookInstance":"a","context":{"draftOrders":{"resourceType":"Bundle"}}}`)}, 400},
		{"fhirAuthorization without fhirServer", confCall{path: "/cds-services/jak-order-sign", body: []byte(`{"hook":"order-sign","hookInstance":"a","context":{},"fhirAuthorization":{"access_token":"x","token_type":"Bearer"}}`)}, 400},
		{"unknown service", confCall{path: "/cds-services/no-such", body: confJSON(t, valid)}, 404},
		{"unknown route", confCall{method: http.MethodGet, path: "/cds-services/jak-order-sign/nothing"}, 404},
		{"GET on a service", confCall{method: http.MethodGet, path: "/cds-services/jak-order-sign"}, 405},
		{"POST on discovery", confCall{path: "/cds-services", body: []byte(`{}`)}, 405},
		{"too large", confCall{path: "/cds-services/jak-order-sign", body: []byte(`{"x":"` + strings.Repeat("a", 70<<10) + `"}`)}, 413},
		{"not JSON content type", confCall{path: "/cds-services/jak-order-sign", ctype: "application/xml", body: []byte(`<a/>`)}, 415},
	}
	for _, tc := range tests {
		rec := confDo(t, h, tc.c)
		var e cdshooks.Error
		if rec.Code != tc.status || json.Unmarshal(rec.Body.Bytes(), &e) != nil || e.Error.Code == "" || e.Error.Message == "" {
			t.Errorf("%s: %d %s, want %d with a JSON error", tc.name, rec.Code, rec.Body, tc.status)
		}
	}
	notLoaded := api.New(api.Config{}, engine.NewActive(nil), nil).Handler()
	for _, c := range []confCall{{method: http.MethodGet, path: "/cds-services"}, {path: "/cds-services/jak-order-sign", body: confJSON(t, valid)}} {
		if rec := confDo(t, notLoaded, c); rec.Code != http.StatusServiceUnavailable {
			t.Errorf("%s %s without policies: %d, want 503", c.method, c.path, rec.Code)
		}
	}
}

// TestConformanceOrderSelectSelections: selections must name draft orders
// of the same request (400 otherwise), and only the selected orders are
// checked: a JAK inhibitor that is in draftOrders but not selected yields
// no card on order-select.
func TestConformanceOrderSelectSelections(t *testing.T) {
	t.Parallel()
	h := confServer(t, nil)
	req := confRequests(t)["upadacitinib-15mg-normal-cbc"]
	if req == nil || req["hook"] != "order-select" {
		t.Fatal("golden order-select request not found")
	}
	ctx := req["context"].(map[string]any)
	sel := ctx["selections"].([]any)
	if len(sel) != 1 {
		t.Fatalf("selections %v", sel)
	}
	rec := confPost(t, h, "/cds-services/jak-order-select", confJSON(t, req))
	if rec.Code != http.StatusOK || len(confCardUUIDs(t, rec.Body.Bytes())) == 0 {
		t.Fatalf("selected JAK inhibitor: %d %s, want cards", rec.Code, rec.Body)
	}
	// Add a second draft order and select only it.
	withOther := func(selections any) map[string]any {
		r := confClone(t, req)
		c := r["context"].(map[string]any)
		d := c["draftOrders"].(map[string]any)
		d["entry"] = append(d["entry"].([]any), map[string]any{"resource": map[string]any{
			"resourceType": "MedicationRequest", "id": "amox-9", "status": "draft", "intent": "order",
			"medicationCodeableConcept": map[string]any{"text": "Amoxicillin 500 MG Oral Capsule"},
			"subject":                   map[string]any{"reference": "Patient/" + c["patientId"].(string)},
		}})
		if selections == nil {
			delete(c, "selections")
		} else {
			c["selections"] = selections
		}
		return r
	}
	rec = confPost(t, h, "/cds-services/jak-order-select", confJSON(t, withOther([]any{"MedicationRequest/amox-9"})))
	if rec.Code != http.StatusOK || strings.TrimSpace(rec.Body.String()) != `{"cards":[]}` {
		t.Errorf("JAK inhibitor drafted but not selected: %d %s, want {\"cards\":[]}", rec.Code, rec.Body)
	}
	rec = confPost(t, h, "/cds-services/jak-order-select", confJSON(t, withOther([]any{sel[0], "MedicationRequest/amox-9"})))
	if rec.Code != http.StatusOK || len(confCardUUIDs(t, rec.Body.Bytes())) == 0 {
		t.Errorf("both selected: %d, want cards", rec.Code)
	}
	for name, s := range map[string]any{
		"missing":                nil,
		"empty":                  []any{},
		"not in draftOrders":     []any{"MedicationRequest/not-drafted"},
		"bare id":                []any{"amox-9"},
		"not a string":           []any{42},
		"one of two not drafted": []any{"MedicationRequest/amox-9", "MedicationRequest/other"},
	} {
		if rec := confPost(t, h, "/cds-services/jak-order-select", confJSON(t, withOther(s))); rec.Code != http.StatusBadRequest {
			t.Errorf("selections %s: %d, want 400", name, rec.Code)
		}
	}
}

// TestConformanceOrderSignResigned: order-sign may carry orders that are not
// drafts, such as a re-signed (renewed) order whose status is active. The
// service still checks it and answers with valid cards rather than
// rejecting the request or skipping the order.
func TestConformanceOrderSignResigned(t *testing.T) {
	t.Parallel()
	h := confServer(t, nil)
	req := confRequests(t)["abrocitinib-with-clopidogrel"]
	if req == nil {
		t.Fatal("golden request abrocitinib-with-clopidogrel not found")
	}
	draft := confPost(t, h, "/cds-services/jak-order-sign", confJSON(t, req))
	r := confClone(t, req)
	for _, e := range r["context"].(map[string]any)["draftOrders"].(map[string]any)["entry"].([]any) {
		e.(map[string]any)["resource"].(map[string]any)["status"] = "active"
	}
	resigned := confPost(t, h, "/cds-services/jak-order-sign", confJSON(t, r))
	if draft.Code != http.StatusOK || resigned.Code != http.StatusOK {
		t.Fatalf("draft %d, re-signed %d: %s", draft.Code, resigned.Code, resigned.Body)
	}
	var resp cdshooks.Response
	if err := json.Unmarshal(resigned.Body.Bytes(), &resp); err != nil {
		t.Fatal(err)
	}
	if len(resp.Cards) == 0 {
		t.Fatalf("re-signed JAK inhibitor order with clopidogrel: no cards")
	}
	if err := resp.Validate(); err != nil {
		t.Errorf("response does not validate: %v", err)
	}
	found := false
	for _, c := range resp.Cards {
		if c.Source.Topic != nil && strings.Contains(c.Source.Topic.Code, "clopidogrel") || strings.Contains(strings.ToLower(c.Summary), "clopidogrel") {
			found = true
		}
	}
	if !found {
		t.Errorf("the interaction was not reported for the re-signed order: %s", resigned.Body)
	}
}

// TestConformanceEmptyJSONWalker checks the checker: it must see nulls and
// empty values at any depth and honour the allowed paths.
func TestConformanceEmptyJSONWalker(t *testing.T) {
	t.Parallel()
	bad, err := confEmptyJSON([]byte(`{"cards":[],"a":null,"b":{"c":[{"d":""},{}]},"e":[],"f":0,"g":false}`), "$.cards")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"$.a is null", "$.b.c[0].d is empty", "$.b.c[1] is empty", "$.e is empty"}
	if !slices.Equal(bad, want) {
		t.Errorf("confEmptyJSON = %q, want %q", bad, want)
	}
}

var (
	confHTMLTag      = regexp.MustCompile(`</?[a-zA-Z][a-zA-Z0-9]*[\s/>]`)
	confMarkdownLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)
)

// TestConformanceCardContent checks what the golden requests produce beyond
// Response.Validate: detail is Markdown (no HTML tags, every Markdown link
// absolute https), source and link URLs are absolute, card drill-downs are
// links while source.url names the source, override reasons carry display,
// an update action holds the whole resource (every member of the draft
// order it replaces), a delete names resourceId and no resource, and card
// extensions are objects under a reverse-domain key.
func TestConformanceCardContent(t *testing.T) {
	t.Parallel()
	h := confServer(t, nil)
	cards := 0
	for name, req := range confRequests(t) {
		drafts := map[string]map[string]any{}
		for _, e := range req["context"].(map[string]any)["draftOrders"].(map[string]any)["entry"].([]any) {
			r := e.(map[string]any)["resource"].(map[string]any)
			drafts[r["resourceType"].(string)+"/"+fmt.Sprint(r["id"])] = r
		}
		rec := confPost(t, h, "/cds-services/jak-"+req["hook"].(string), confJSON(t, req))
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: %d", name, rec.Code)
		}
		var resp cdshooks.Response
		if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
			t.Fatal(err)
		}
		if err := resp.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		for i, c := range resp.Cards {
			cards++
			where := fmt.Sprintf("%s cards[%d]", name, i)
			if confHTMLTag.MatchString(c.Detail) {
				t.Errorf("%s: detail holds HTML, want Markdown: %q", where, c.Detail)
			}
			for _, m := range confMarkdownLink.FindAllStringSubmatch(c.Detail, -1) {
				if !strings.HasPrefix(m[1], "https://") {
					t.Errorf("%s: Markdown link %q is not absolute https", where, m[1])
				}
			}
			if c.Source.URL != "" && !strings.HasPrefix(c.Source.URL, "https://") {
				t.Errorf("%s: source.url %q", where, c.Source.URL)
			}
			// source.url names the source, not a drill-down into this
			// patient or order.
			for _, private := range []string{req["context"].(map[string]any)["patientId"].(string), "upa-", "abro-"} {
				if strings.Contains(c.Source.URL, private) {
					t.Errorf("%s: source.url %q is context-specific", where, c.Source.URL)
				}
			}
			if c.Source.Icon != "" && !strings.HasPrefix(c.Source.Icon, "https://") {
				t.Errorf("%s: source.icon %q", where, c.Source.Icon)
			}
			for _, l := range c.Links {
				if !strings.HasPrefix(l.URL, "https://") || (l.Type == cdshooks.LinkAbsolute && l.AppContext != "") {
					t.Errorf("%s: link %+v", where, l)
				}
			}
			for _, r := range c.OverrideReasons {
				if r.Display == "" || r.Code == "" || r.System == "" {
					t.Errorf("%s: override reason %+v", where, r)
				}
			}
			for k, v := range c.Extension {
				if _, ok := v.(map[string]any); !ok || strings.Count(k, ".") == 0 {
					t.Errorf("%s: extension %q is not an object under a reverse-domain key", where, k)
				}
			}
			for _, s := range c.Suggestions {
				for _, a := range s.Actions {
					switch a.Type {
					case cdshooks.ActionUpdate:
						var r map[string]any
						if err := json.Unmarshal(a.Resource, &r); err != nil {
							t.Fatal(err)
						}
						orig := drafts[fmt.Sprintf("%v/%v", r["resourceType"], r["id"])]
						if orig == nil {
							t.Errorf("%s: update of %v/%v, not a draft order of the request", where, r["resourceType"], r["id"])
							continue
						}
						for k := range orig {
							if _, ok := r[k]; !ok {
								t.Errorf("%s: update drops %q of the draft order: not the whole resource", where, k)
							}
						}
					case cdshooks.ActionDelete:
						if len(a.Resource) != 0 || drafts[a.ResourceID] == nil {
							t.Errorf("%s: delete %+v", where, a)
						}
					case cdshooks.ActionCreate:
						var r map[string]any
						if err := json.Unmarshal(a.Resource, &r); err != nil || r["resourceType"] == nil {
							t.Errorf("%s: create without a resource: %s", where, a.Resource)
						}
					}
				}
			}
		}
	}
	if cards == 0 {
		t.Fatal("the golden requests produced no cards")
	}
}
