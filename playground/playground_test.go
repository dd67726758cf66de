package playground_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/labelguard/labelguard/cdshooks"
	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/playground"
	"github.com/labelguard/labelguard/policies"
)

const kermit = "synthea:Kermit_Trantow_f1a650a5"

// upa45 is the order that must yield the critical upadacitinib.dose-max
// card: 45 mg once daily is above the atopic dermatitis maximum.
func upa45(sample string) map[string]any {
	return map[string]any{
		"sample": sample, "hook": "order-sign",
		"drugName": "upadacitinib 45 MG Extended Release Oral Tablet [Rinvoq]",
		"dose":     45, "unit": "mg", "frequency": "QD",
	}
}

func TestPageAndAssets(t *testing.T) {
	e := newEnv(t, nil)
	r := e.get(t, "/playground/")
	wantStatus(t, r, http.StatusOK)
	if !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || !bytes.Contains(r.body, []byte("<h1>labelguard policy playground</h1>")) {
		t.Fatalf("page: %s %s", r.header.Get("Content-Type"), truncate(string(r.body), 200))
	}
	if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("CSP %q", csp)
	}
	for _, a := range []struct{ path, ct string }{
		{"/playground/static/app.js", "javascript"},
		{"/playground/static/markdown.js", "javascript"},
		{"/playground/static/style.css", "text/css"},
	} {
		r := e.get(t, a.path)
		wantStatus(t, r, http.StatusOK)
		if !strings.Contains(r.header.Get("Content-Type"), a.ct) {
			t.Errorf("%s: Content-Type %q", a.path, r.header.Get("Content-Type"))
		}
	}
	for _, p := range []string{"/playground/static/nope.js", "/playground/static/../doc.go", "/playground/static/"} {
		r := e.get(t, p)
		if r.status != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", p, r.status)
		}
	}
	// /playground redirects to the page.
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/playground", nil)
	res, err := (&http.Transport{}).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMovedPermanently || res.Header.Get("Location") != "/playground/" {
		t.Errorf("/playground: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
}

func TestInfo(t *testing.T) {
	e := newEnv(t, nil)
	r := e.get(t, "/playground/api/info")
	wantStatus(t, r, http.StatusOK)
	if cc := r.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q", cc)
	}
	var in playground.Info
	r.json(t, &in)
	if in.Revision != defaultPolicies(t).Revision {
		t.Errorf("revision %q, want %q", in.Revision, defaultPolicies(t).Revision)
	}
	var targets []string
	for _, d := range in.Drugs {
		targets = append(targets, d.Target)
	}
	for _, want := range []string{"upadacitinib", "abrocitinib", "baricitinib", "ruxolitinib-cream"} {
		if !slices.Contains(targets, want) {
			t.Errorf("drugs: no target %s in %v", want, targets)
		}
	}
	if len(in.Rules) == 0 || len(in.Services) != 3 || in.Samples == 0 {
		t.Errorf("rules %d, services %d, samples %d", len(in.Rules), len(in.Services), in.Samples)
	}
}

// TestInfoFollowsHotReload swaps the active set as a reload does: the next
// call shows the new revision, with no restart.
func TestInfoFollowsHotReload(t *testing.T) {
	e := newEnv(t, nil)
	ps2, err := engine.Load(context.Background(), policies.FS, engine.Options{Revision: "test-reloaded"})
	if err != nil {
		t.Fatal(err)
	}
	e.active.Store(ps2)
	var in playground.Info
	e.get(t, "/playground/api/info").json(t, &in)
	if in.Revision != "test-reloaded" {
		t.Errorf("revision after reload %q", in.Revision)
	}
	r := e.post(t, "/playground/api/request", upa45(kermit))
	wantStatus(t, r, http.StatusOK)
	var ex playground.Explanation
	var built playground.BuiltRequest
	r.json(t, &built)
	e.post(t, "/playground/api/explain", map[string]any{"serviceId": built.ServiceID, "request": built.Request}).json(t, &ex)
	if ex.Revision != "test-reloaded" {
		t.Errorf("explain revision %q", ex.Revision)
	}
}

func TestSamples(t *testing.T) {
	e := newEnv(t, nil)
	ids := e.samples(t)
	if _, ok := ids[kermit]; !ok {
		t.Fatalf("no %s in %d samples", kermit, len(ids))
	}
	sc, ok := ids["scenario:010-kermit-upadacitinib-45mg-low-anc-hgb"]
	if !ok {
		t.Fatalf("scenario 010 missing")
	}
	if sc.Order == nil || sc.Order.Hook != "order-sign" || sc.Order.Frequency != "QD" || sc.Order.Unit != "tablet" || sc.Order.Dose != 1 {
		t.Errorf("scenario order %+v", sc.Order)
	}
	if sc.Sex != "male" {
		t.Errorf("scenario sex %q", sc.Sex)
	}
}

func TestSampleSummary(t *testing.T) {
	e := newEnv(t, nil)
	r := e.get(t, "/playground/api/samples/scenario:010-kermit-upadacitinib-45mg-low-anc-hgb")
	wantStatus(t, r, http.StatusOK)
	var got struct {
		Sample  playground.SampleInfo
		Summary playground.Summary
	}
	r.json(t, &got)
	s := got.Summary
	if s.Sex != "male" || s.AgeYears == nil || *s.AgeYears != 33 || s.Name == "" {
		t.Errorf("demographics: %+v", s)
	}
	var anc *playground.Lab
	for i := range s.Labs {
		if s.Labs[i].Analyte == "anc" {
			anc = &s.Labs[i]
		}
	}
	if anc == nil || !strings.HasPrefix(anc.Value, "0.8") || !strings.HasPrefix(anc.Time, "2026-11-16") || anc.AgeDays < 7 || anc.AgeDays > 7.2 {
		t.Errorf("ANC: %+v (labs %+v)", anc, s.Labs)
	}
	if len(s.Conditions) == 0 || s.Resources["Patient"] != 1 {
		t.Errorf("conditions %d, resources %v", len(s.Conditions), s.Resources)
	}
	// A Synthea bundle too.
	wantStatus(t, e.get(t, "/playground/api/samples/"+kermit), http.StatusOK)

	// A coded result is shown as recorded, not as the text normalised for
	// matching (" poor metabolizer 2 2 ").
	r = e.get(t, "/playground/api/samples/scenario:052-abrocitinib-cyp2c19-poor-metabolizer")
	wantStatus(t, r, http.StatusOK)
	r.json(t, &got)
	var cyp string
	for _, l := range got.Summary.Labs {
		if l.Analyte == "cyp2c19" {
			cyp = l.Value
		}
	}
	if cyp != "Poor metabolizer (*2/*2)" {
		t.Errorf("CYP2C19 shown as %q, want it as recorded", cyp)
	}
}

func TestUnknownSample(t *testing.T) {
	e := newEnv(t, nil)
	for _, id := range []string{"synthea:nobody", "..%2F..%2Fetc%2Fpasswd", "scenario:999-none"} {
		r := e.get(t, "/playground/api/samples/"+id)
		wantStatus(t, r, http.StatusNotFound)
		if c := r.errorCode(t); c != "unknown_sample" && !strings.Contains(id, "%2F") {
			t.Errorf("%s: code %q", id, c)
		}
	}
	r := e.post(t, "/playground/api/request", upa45("synthea:nobody"))
	wantStatus(t, r, http.StatusNotFound)
}

func TestUploadSummary(t *testing.T) {
	e := newEnv(t, nil)
	bundle, err := os.ReadFile("testdata/tiny-bundle.json")
	if err != nil {
		t.Fatal(err)
	}
	r := e.do(t, http.MethodPost, "/playground/api/summary", "application/fhir+json", bytes.NewReader(bundle))
	wantStatus(t, r, http.StatusOK)
	var got struct{ Summary playground.Summary }
	r.json(t, &got)
	s := got.Summary
	if s.PatientID != "tiny-1" || s.Sex != "female" || s.AgeYears == nil || *s.AgeYears != 46 || s.Name != "Zelda Quux-Sentinel" {
		t.Errorf("demographics %+v", s)
	}
	if len(s.Conditions) != 1 || s.Conditions[0].Display != "Multiple sclerosis" || s.Conditions[0].Since != "2015-03-01" {
		t.Errorf("conditions %+v", s.Conditions)
	}
	if len(s.Medications) != 1 || !strings.Contains(s.Medications[0].Display, "atorvastatin") {
		t.Errorf("medications %+v", s.Medications)
	}
	// The urn:uuid subject references were rewritten, so the lab counts.
	if len(s.Labs) != 1 || s.Labs[0].Analyte != "anc" || s.Labs[0].Time != "2026-11-01T09:00:00Z" {
		t.Errorf("labs %+v", s.Labs)
	}
	// Nothing of the upload reaches the log.
	if strings.Contains(e.logs.String(), "Quux") {
		t.Errorf("the log holds patient data:\n%s", e.logs.String())
	}
}

func TestUploadBadInput(t *testing.T) {
	e := newEnv(t, func(c *playground.Config) { c.MaxUploadBytes = 4096 })
	big := `{"resourceType":"Bundle","entry":[],"pad":"` + strings.Repeat("x", 5000) + `"}`
	cases := []struct {
		name, ct, body string
		status         int
		code           string
	}{
		{"oversized", "application/json", big, http.StatusRequestEntityTooLarge, "request_too_large"},
		{"not JSON", "application/json", "<Bundle/>", http.StatusBadRequest, "invalid_bundle"},
		{"truncated", "application/json", `{"resourceType":"Bundle","entry":[`, http.StatusBadRequest, "invalid_bundle"},
		{"not a Bundle", "application/json", `{"resourceType":"Patient","id":"p"}`, http.StatusUnprocessableEntity, "not_a_bundle"},
		{"array", "application/json", `[1,2]`, http.StatusBadRequest, "invalid_bundle"},
		{"no patient", "application/json", `{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Condition","id":"c"}}]}`, http.StatusUnprocessableEntity, "no_patient"},
		{"two patients", "application/json", `{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Patient","id":"a"}},{"resource":{"resourceType":"Patient","id":"b"}}]}`, http.StatusUnprocessableEntity, "several_patients"},
		{"wrong type", "text/plain", `{}`, http.StatusUnsupportedMediaType, "unsupported_media_type"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.do(t, http.MethodPost, "/playground/api/summary", c.ct, strings.NewReader(c.body))
			wantStatus(t, r, c.status)
			if got := r.errorCode(t); got != c.code {
				t.Errorf("code %q, want %q", got, c.code)
			}
		})
	}
}

// TestRequestAndServiceCall builds the request as the page does, sends it
// to the real CDS Hooks endpoint and finds the critical dose card.
func TestRequestAndServiceCall(t *testing.T) {
	e := newEnv(t, nil)
	r := e.post(t, "/playground/api/request", upa45(kermit))
	wantStatus(t, r, http.StatusOK)
	var built playground.BuiltRequest
	r.json(t, &built)
	if built.ServiceID != "jak-order-sign" || built.URL != "/cds-services/jak-order-sign" {
		t.Fatalf("service %q url %q", built.ServiceID, built.URL)
	}
	raw, _ := json.Marshal(built.Request)
	req, err := cdshooks.DecodeRequest(bytes.NewReader(raw), cdshooks.Limits{})
	if err != nil {
		t.Fatalf("the built request does not decode: %v", err)
	}
	if req.FHIRServer != "" {
		t.Errorf("fhirServer %q: the prefetch must be the whole record", req.FHIRServer)
	}
	for _, k := range []string{"patient", "conditions", "medications", "observations", "labObservations", "immunizations", "allergies", "medicationStatements"} {
		if _, ok := req.Prefetch[k]; !ok {
			t.Errorf("prefetch key %s missing", k)
		}
	}
	cr := e.post(t, built.URL, built.Request)
	wantStatus(t, cr, http.StatusOK)
	var resp cdshooks.Response
	cr.json(t, &resp)
	card := findCard(resp.Cards, "upadacitinib.dose-max")
	if card == nil {
		t.Fatalf("no upadacitinib.dose-max card in %s", truncate(string(cr.body), 800))
	}
	if card.Indicator != "critical" || len(card.Suggestions) == 0 {
		t.Fatalf("card %+v", card)
	}
	var upd map[string]any
	for _, s := range card.Suggestions {
		for _, a := range s.Actions {
			if a.Type == "update" {
				_ = json.Unmarshal(a.Resource, &upd)
			}
		}
	}
	if upd == nil || upd["id"] != playground.DraftOrderID || !strings.Contains(string(mustJSON(t, upd)), "15 MG") {
		t.Errorf("update action %v", upd)
	}

	// patient-view needs no order.
	pv := e.post(t, "/playground/api/request", map[string]any{"sample": kermit, "hook": "patient-view"})
	wantStatus(t, pv, http.StatusOK)
	pv.json(t, &built)
	if built.ServiceID != "jak-monitoring" {
		t.Errorf("patient-view service %q", built.ServiceID)
	}
	wantStatus(t, e.post(t, built.URL, built.Request), http.StatusOK)

	// An uploaded bundle instead of a sample.
	bundle, _ := os.ReadFile("testdata/tiny-bundle.json")
	body := upa45("")
	delete(body, "sample")
	body["bundle"] = json.RawMessage(bundle)
	body["rxnorm"] = "2196092"
	ur := e.post(t, "/playground/api/request", body)
	wantStatus(t, ur, http.StatusOK)
	ur.json(t, &built)
	if !strings.Contains(string(mustJSON(t, built.Request)), `"code":"2196092"`) {
		t.Errorf("RxNorm coding missing")
	}
	wantStatus(t, e.post(t, built.URL, built.Request), http.StatusOK)
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func findCard(cards []cdshooks.Card, rule string) *cdshooks.Card {
	for i := range cards {
		if cards[i].Source.Topic != nil && cards[i].Source.Topic.Code == rule {
			return &cards[i]
		}
	}
	return nil
}

func TestRequestBadInput(t *testing.T) {
	e := newEnv(t, nil)
	with := func(k string, v any) map[string]any {
		b := upa45(kermit)
		if v == nil {
			delete(b, k)
		} else {
			b[k] = v
		}
		return b
	}
	cases := []struct {
		name   string
		body   any
		status int
		code   string
	}{
		{"bad hook", with("hook", "order-dispatch"), 400, "invalid_order"},
		{"no drug", with("drugName", nil), 400, "invalid_order"},
		{"zero dose", with("dose", 0), 400, "invalid_order"},
		{"bad unit", with("unit", "pints"), 400, "invalid_order"},
		{"bad frequency", with("frequency", "hourly"), 400, "invalid_order"},
		{"bad rxnorm", with("rxnorm", "12a"), 400, "invalid_order"},
		{"unknown field", with("colour", "red"), 400, "invalid_request"},
		{"no patient", with("sample", nil), 400, "invalid_request"},
		{"both", with("bundle", map[string]any{"resourceType": "Bundle"}), 400, "invalid_request"},
		{"not a bundle", map[string]any{"bundle": map[string]any{"resourceType": "Patient"}, "hook": "patient-view"}, 422, "not_a_bundle"},
		{"not JSON", "hook=order-sign", 400, "invalid_request"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.post(t, "/playground/api/request", c.body)
			wantStatus(t, r, c.status)
			if got := r.errorCode(t); got != c.code {
				t.Errorf("code %q, want %q", got, c.code)
			}
		})
	}
}

func TestExplain(t *testing.T) {
	e := newEnv(t, nil)
	var built playground.BuiltRequest
	e.post(t, "/playground/api/request", upa45("scenario:010-kermit-upadacitinib-45mg-low-anc-hgb")).json(t, &built)
	r := e.post(t, "/playground/api/explain", map[string]any{"serviceId": built.ServiceID, "request": built.Request})
	wantStatus(t, r, http.StatusOK)
	var ex playground.Explanation
	r.json(t, &ex)
	if ex.Revision != defaultPolicies(t).Revision || ex.Input == nil || len(ex.Input.Orders) != 1 {
		t.Fatalf("explanation: revision %q input %v", ex.Revision, ex.Input != nil)
	}
	rules := map[string]playground.FiredRule{}
	for _, f := range ex.Fired {
		rules[f.Rule] = f
	}
	dm, ok := rules["upadacitinib.dose-max"]
	if !ok || dm.Indicator != "critical" || dm.Source.URL == "" || dm.Title == "" || len(dm.Locations) == 0 {
		t.Fatalf("dose-max: %+v (fired %v)", dm, ex.Fired)
	}
	anc, ok := rules["jak.lab-anc-low"]
	if !ok || len(anc.Evidence) == 0 {
		t.Fatalf("jak.lab-anc-low: %+v", anc)
	}
	if _, ok := ex.Resources[anc.Evidence[0].Reference]; !ok {
		t.Errorf("evidence resource %s not returned (have %d)", anc.Evidence[0].Reference, len(ex.Resources))
	}
	if _, ok := ex.Resources["MedicationRequest/"+playground.DraftOrderID]; !ok {
		t.Errorf("the draft order is not among the resources")
	}
}

func TestExplainBadInput(t *testing.T) {
	e := newEnv(t, nil)
	var built playground.BuiltRequest
	e.post(t, "/playground/api/request", upa45(kermit)).json(t, &built)
	noPatient := map[string]any{"hook": "patient-view", "hookInstance": "d5b1a1f4-6d0e-4f4b-9d7a-1c2e3f4a5b6c",
		"context": map[string]any{"userId": "Practitioner/x", "patientId": "p"}, "prefetch": map[string]any{"patient": nil}}
	cases := []struct {
		name   string
		body   any
		status int
		code   string
	}{
		{"unknown service", map[string]any{"serviceId": "nope", "request": built.Request}, 404, "unknown_service"},
		{"hook mismatch", map[string]any{"serviceId": "jak-monitoring", "request": built.Request}, 400, cdshooks.CodeInvalidRequest},
		{"no request", map[string]any{"serviceId": "jak-order-sign"}, 400, "invalid_request"},
		{"request not an object", map[string]any{"serviceId": "jak-order-sign", "request": []int{1}}, 400, ""},
		{"no patient", map[string]any{"serviceId": "jak-monitoring", "request": noPatient}, 412, "precondition_failed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.post(t, "/playground/api/explain", c.body)
			wantStatus(t, r, c.status)
			if got := r.errorCode(t); c.code != "" && got != c.code {
				t.Errorf("code %q, want %q", got, c.code)
			}
		})
	}
}

// TestGuard: the operator's guard protects the data endpoints, not the
// page, which holds no data.
func TestGuard(t *testing.T) {
	e := newEnv(t, func(c *playground.Config) {
		c.Guard = func(c *gin.Context) {
			c.AbortWithStatusJSON(http.StatusUnauthorized, cdshooks.NewError("unauthorized", "guarded"))
		}
	})
	wantStatus(t, e.get(t, "/playground/"), http.StatusOK)
	for _, p := range []string{"/playground/api/info", "/playground/api/samples", "/playground/api/samples/" + kermit} {
		wantStatus(t, e.get(t, p), http.StatusUnauthorized)
	}
	wantStatus(t, e.post(t, "/playground/api/request", upa45(kermit)), http.StatusUnauthorized)
}

func TestNoSamplesDir(t *testing.T) {
	e := newEnv(t, func(c *playground.Config) { c.SamplesDir = t.TempDir() })
	var list struct{ Samples []playground.SampleInfo }
	e.get(t, "/playground/api/samples").json(t, &list)
	if len(list.Samples) != 0 {
		t.Errorf("samples %d", len(list.Samples))
	}
}

func TestPoliciesNotLoaded(t *testing.T) {
	e := newEnv(t, func(c *playground.Config) { c.Policies = &engine.Active{} })
	r := e.get(t, "/playground/api/info")
	wantStatus(t, r, http.StatusServiceUnavailable)
}
