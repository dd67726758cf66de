package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/labelguard/labelguard/cdshooks"
)

// Result statuses.
const (
	Pass = "pass"
	Fail = "fail"
	Skip = "skip"
)

// Config says which instance Run checks and how.
type Config struct {
	// BaseURL is the instance's public base URL, as clients call it (the
	// JWT aud is BaseURL + endpoint path), e.g. https://cds.hospital.org.
	BaseURL string
	// Token, when set, signs a JWT for the given aud; every service and
	// feedback call then carries it, and the authentication checks that
	// need a signed token run.
	Token func(aud string) (string, error)
	// HTTPClient sends the requests; nil uses a client with a 30 s timeout.
	HTTPClient *http.Client
	// Origin is the browser origin of the CORS checks; empty means
	// https://sandbox.cds-hooks.org.
	Origin string
	// HugeBodyBytes is the body size of the 413 check; zero means 16 MiB,
	// twice labelguard's default limit.
	HugeBodyBytes int64
}

// Result is the outcome of one check.
type Result struct {
	// Check names the check, e.g. "discovery" or "service/jak-order-sign".
	Check string `json:"check"`
	// Title says what is checked.
	Title string `json:"title"`
	// Requirements are the requirement IDs the check exercises, as
	// "2.0#4" (CDS Hooks 2.0) or "lib#89" (hook library).
	Requirements []string `json:"requirements,omitempty"`
	Status       string   `json:"status"`
	Detail       string   `json:"detail,omitempty"`
}

// Failed reports whether any result failed.
func Failed(results []Result) bool {
	return slices.ContainsFunc(results, func(r Result) bool { return r.Status == Fail })
}

type runner struct {
	cfg     Config
	base    string
	client  *http.Client
	mu      sync.Mutex
	results []Result
	// empties collects null and empty values found in any JSON answer.
	empties []string
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

// Run checks the black-box requirements against the instance at
// cfg.BaseURL and returns one result per check, in a stable order.
func Run(ctx context.Context, cfg Config) []Result {
	r := &runner{cfg: cfg, base: strings.TrimRight(cfg.BaseURL, "/"), client: cfg.HTTPClient}
	if r.client == nil {
		r.client = &http.Client{Timeout: 30 * time.Second}
	}
	if r.cfg.Origin == "" {
		r.cfg.Origin = "https://sandbox.cds-hooks.org"
	}
	if r.cfg.HugeBodyBytes <= 0 {
		r.cfg.HugeBodyBytes = 16 << 20
	}
	services := r.discovery(ctx)
	var order, first *cdshooks.Service
	for i := range services {
		s := &services[i]
		if first == nil {
			first = s
		}
		if order == nil && (s.Hook == cdshooks.HookOrderSign || s.Hook == cdshooks.HookOrderSelect) {
			order = s
		}
		r.service(ctx, s)
	}
	if first == nil {
		r.add(Result{Check: "services", Title: "service checks", Status: Skip, Detail: "discovery listed no usable service"})
		return r.results
	}
	r.authentication(ctx, first)
	r.errors(ctx, first)
	if order != nil {
		r.preconditionFailed(ctx, order)
		r.selections(ctx, services)
	}
	r.cors(ctx, first)
	r.feedback(ctx, first)
	r.noEmpty()
	return r.results
}

func (r *runner) add(res Result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.results = append(r.results, res)
}

// do sends one request. sign adds the bearer token when Config.Token is
// set. JSON answers are scanned for null and empty values; allowCards
// permits an empty top-level cards array.
func (r *runner) do(ctx context.Context, method, path string, body []byte, hdr map[string]string, sign bool) (*answer, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, r.base+path, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	// Marks the calls as a tester's, kept out of the decision audit where
	// the instance runs without authentication; with authentication the
	// instance's trusted-issuers file flags the tester's issuer.
	req.Header.Set(cdshooks.ConformanceHeader, "true")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	if sign && r.cfg.Token != nil {
		tok, err := r.cfg.Token(r.base + path)
		if err != nil {
			return nil, fmt.Errorf("signing a token: %w", err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return nil, err
	}
	a := &answer{status: resp.StatusCode, header: resp.Header, body: b}
	if len(bytes.TrimSpace(b)) > 0 && strings.Contains(resp.Header.Get("Content-Type"), "json") {
		bad, err := EmptyValues(b, "$.cards")
		r.mu.Lock()
		if err != nil {
			r.empties = append(r.empties, fmt.Sprintf("%s %s: %d answer is not JSON", method, path, a.status))
		}
		for _, v := range bad {
			r.empties = append(r.empties, fmt.Sprintf("%s %s (%d): %s", method, path, a.status, v))
		}
		r.mu.Unlock()
	}
	return a, nil
}

// authSkip turns a 401 into a skipped result when no token can be signed.
func (r *runner) authSkip(res *Result, a *answer) bool {
	if a.status == http.StatusUnauthorized && r.cfg.Token == nil {
		res.Status, res.Detail = Skip, "401: the instance requires authentication; give a signing key (--token-key) to run this check"
		return true
	}
	return false
}

func snippet(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return s
}

func isJSON(a *answer) bool {
	mt := a.header.Get("Content-Type")
	return strings.HasPrefix(mt, "application/json") || strings.Contains(mt, "+json")
}

var tokenRE = regexp.MustCompile(`\{\{\s*([^}]*?)\s*\}\}`)

var userTokens = []string{"userPractitionerId", "userPractitionerRoleId", "userPatientId", "userRelatedPersonId"}

// tokenFields are the context fields the hook library offers as prefetch
// tokens, for the hooks the runner knows.
var tokenFields = map[string][]string{
	cdshooks.HookOrderSelect: {"userId", "patientId", "encounterId"},
	cdshooks.HookOrderSign:   {"userId", "patientId", "encounterId"},
	cdshooks.HookPatientView: {"userId", "patientId", "encounterId"},
}

func (r *runner) discovery(ctx context.Context) []cdshooks.Service {
	res := Result{Check: "discovery", Title: "GET {base}/cds-services: 200 JSON, services with hook, id, description (title), valid prefetch templates",
		Requirements: []string{"2.0#4", "2.0#5", "2.0#6", "2.0#7", "2.0#8", "2.0#9", "2.0#10", "2.0#11", "2.0#13", "2.0#29", "2.0#36", "2.0#55", "2.0#56", "2.0#57", "2.0#59", "lib#16", "lib#89", "lib#93"}}
	defer func() { r.add(res) }()
	a, err := r.do(ctx, http.MethodGet, "/cds-services", nil, nil, false)
	if err != nil {
		res.Status, res.Detail = Fail, err.Error()
		return nil
	}
	if a.status != http.StatusOK || !isJSON(a) {
		res.Status, res.Detail = Fail, fmt.Sprintf("status %d, Content-Type %q", a.status, a.header.Get("Content-Type"))
		return nil
	}
	var raw struct {
		Services []map[string]json.RawMessage `json:"services"`
	}
	if err := json.Unmarshal(a.body, &raw); err != nil || raw.Services == nil {
		res.Status, res.Detail = Fail, "body is not an object with a services array"
		return nil
	}
	var problems []string
	var services []cdshooks.Service
	for i, m := range raw.Services {
		var s cdshooks.Service
		b, _ := json.Marshal(m)
		if err := json.Unmarshal(b, &s); err != nil {
			problems = append(problems, fmt.Sprintf("services[%d]: %v", i, err))
			continue
		}
		for _, f := range []string{"hook", "id", "description"} {
			if _, ok := m[f]; !ok {
				problems = append(problems, fmt.Sprintf("services[%d].%s missing", i, f))
			}
		}
		if s.Title == "" {
			problems = append(problems, fmt.Sprintf("services[%d].title missing (RECOMMENDED)", i))
		}
		if err := s.Validate(); err != nil {
			problems = append(problems, fmt.Sprintf("services[%d]: %v", i, err))
		}
		for key, tmpl := range s.Prefetch {
			for _, tok := range tokenRE.FindAllStringSubmatch(tmpl, -1) {
				if slices.Contains(userTokens, tok[1]) {
					continue
				}
				field, ok := strings.CutPrefix(tok[1], "context.")
				allowed, known := tokenFields[s.Hook]
				if !ok || known && !slices.Contains(allowed, field) {
					problems = append(problems, fmt.Sprintf("services[%d].prefetch.%s: token {{%s}} not allowed for %s", i, key, tok[1], s.Hook))
				}
			}
		}
		services = append(services, s)
	}
	if len(services) == 0 && len(problems) == 0 {
		problems = append(problems, "no services")
	}
	if len(problems) > 0 {
		res.Status, res.Detail = Fail, strings.Join(problems, "; ")
		return services
	}
	res.Status, res.Detail = Pass, fmt.Sprintf("%d services", len(services))
	return services
}

const confPatientID = "conformance-patient-1"

// minimalRequest is a valid request for svc: the patient prefetched as a
// bare Patient, every other key as an empty search result, and for the
// order hooks one draft order for medication.
func minimalRequest(svc *cdshooks.Service, medication string, withPatient bool) map[string]any {
	prefetch := map[string]any{}
	for key, tmpl := range svc.Prefetch {
		if strings.HasPrefix(tmpl, "Patient/") && !strings.Contains(tmpl, "?") {
			if withPatient {
				prefetch[key] = map[string]any{"resourceType": "Patient", "id": confPatientID, "gender": "female", "birthDate": "1980-04-02"}
			}
			continue
		}
		prefetch[key] = map[string]any{"resourceType": "Bundle", "type": "searchset", "total": 0}
	}
	ctx := map[string]any{"userId": "Practitioner/conformance-user", "patientId": confPatientID}
	if svc.Hook == cdshooks.HookOrderSelect || svc.Hook == cdshooks.HookOrderSign {
		ctx["draftOrders"] = map[string]any{"resourceType": "Bundle", "type": "collection", "entry": []any{
			map[string]any{"resource": medicationRequest("conformance-mr-1", medication)},
		}}
		if svc.Hook == cdshooks.HookOrderSelect {
			ctx["selections"] = []any{"MedicationRequest/conformance-mr-1"}
		}
	}
	out := map[string]any{"hook": svc.Hook, "hookInstance": "7c2b7f2e-0d7c-4d0e-9a53-" + fmt.Sprintf("%012x", time.Now().UnixNano()&0xffffffffffff), "context": ctx}
	if len(prefetch) > 0 {
		out["prefetch"] = prefetch
	}
	return out
}

func medicationRequest(id, text string) map[string]any {
	return map[string]any{
		"resourceType": "MedicationRequest", "id": id, "status": "draft", "intent": "order",
		"subject":                   map[string]any{"reference": "Patient/" + confPatientID},
		"authoredOn":                time.Now().UTC().Format("2006-01-02"),
		"medicationCodeableConcept": map[string]any{"text": text},
		"dosageInstruction": []any{map[string]any{
			"text":        "1 tablet once daily",
			"timing":      map[string]any{"code": map[string]any{"coding": []any{map[string]any{"system": "http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation", "code": "QD"}}}},
			"doseAndRate": []any{map[string]any{"doseQuantity": map[string]any{"value": 1, "unit": "tbl", "system": "http://unitsofmeasure.org", "code": "{tbl}"}}},
		}},
	}
}

const (
	nonTarget = "Amoxicillin 500 MG Oral Capsule"
	target    = "upadacitinib 15 MG Extended Release Oral Tablet"
)

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// checkResponse checks a 200 service answer against CDS Hooks: an object
// with a cards array of valid cards. Card and suggestion uuids are optional
// in the specification, so they are not required here.
func checkResponse(body []byte) (*cdshooks.Response, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return nil, fmt.Errorf("not a JSON object")
	}
	if c, ok := top["cards"]; !ok || !bytes.HasPrefix(bytes.TrimSpace(c), []byte("[")) {
		return nil, fmt.Errorf("no cards array")
	}
	var resp cdshooks.Response
	if err := json.Unmarshal(body, &resp); err != nil {
		return nil, err
	}
	check := resp
	check.Cards = slices.Clone(resp.Cards)
	for i := range check.Cards {
		c := &check.Cards[i]
		if c.UUID == "" {
			c.UUID = fmt.Sprintf("runner-card-%d", i)
		}
		c.Suggestions = slices.Clone(c.Suggestions)
		for j := range c.Suggestions {
			if c.Suggestions[j].UUID == "" {
				c.Suggestions[j].UUID = fmt.Sprintf("runner-suggestion-%d", j)
			}
		}
	}
	if err := check.Validate(); err != nil {
		return nil, err
	}
	return &resp, nil
}

func (r *runner) service(ctx context.Context, svc *cdshooks.Service) {
	path := "/cds-services/" + svc.ID
	res := Result{Check: "service/" + svc.ID, Title: "POST " + path + " (" + svc.Hook + "), minimal valid request: 200 with a valid cards array",
		Requirements: []string{"2.0#1", "2.0#16", "2.0#74", "2.0#80", "2.0#83", "2.0#87", "2.0#88", "2.0#90", "2.0#93"}}
	empty := Result{Check: "empty/" + svc.ID, Title: "nothing to say: exactly {\"cards\": []}", Requirements: []string{"2.0#77", "2.0#3"}}
	defer func() { r.add(res); r.add(empty) }()
	if _, known := tokenFields[svc.Hook]; !known {
		res.Status, res.Detail = Skip, "hook "+svc.Hook+" unknown to the runner"
		empty.Status, empty.Detail = Skip, res.Detail
		return
	}
	a, err := r.do(ctx, http.MethodPost, path, mustJSON(minimalRequest(svc, nonTarget, true)), nil, true)
	if err != nil {
		res.Status, res.Detail = Fail, err.Error()
		empty.Status, empty.Detail = Skip, "no answer"
		return
	}
	if r.authSkip(&res, a) {
		empty.Status, empty.Detail = res.Status, res.Detail
		return
	}
	if a.status != http.StatusOK || !isJSON(a) {
		res.Status, res.Detail = Fail, fmt.Sprintf("status %d %q: %s", a.status, a.header.Get("Content-Type"), snippet(a.body))
		empty.Status, empty.Detail = Skip, "no 200 answer"
		return
	}
	resp, err := checkResponse(a.body)
	if err != nil {
		res.Status, res.Detail = Fail, err.Error()
	} else {
		res.Status, res.Detail = Pass, fmt.Sprintf("%d cards", len(resp.Cards))
	}
	var compact bytes.Buffer
	if json.Compact(&compact, a.body) == nil && compact.String() == `{"cards":[]}` {
		empty.Status = Pass
	} else {
		empty.Status, empty.Detail = Fail, "got "+snippet(a.body)
	}
}

// authentication: without a token the instance answers 401 with a Bearer
// challenge, unless it says (on /readyz) that authentication is disabled;
// with a signer, a token for another endpoint and a replayed token are
// refused.
func (r *runner) authentication(ctx context.Context, svc *cdshooks.Service) {
	path := "/cds-services/" + svc.ID
	body := mustJSON(minimalRequest(svc, nonTarget, true))
	res := Result{Check: "auth/no-token", Title: "service call without a token: 401 with WWW-Authenticate: Bearer",
		Requirements: []string{"2.0#176", "2.0#177"}}
	a, err := r.do(ctx, http.MethodPost, path, body, nil, false)
	switch {
	case err != nil:
		res.Status, res.Detail = Fail, err.Error()
	case a.status == http.StatusUnauthorized:
		if strings.HasPrefix(a.header.Get("WWW-Authenticate"), "Bearer") {
			res.Status = Pass
		} else {
			res.Status, res.Detail = Fail, "401 without a Bearer challenge"
		}
	case r.cfg.Token != nil:
		res.Status, res.Detail = Fail, fmt.Sprintf("status %d: a token was configured but the instance accepts calls without one", a.status)
	case r.authDisabled(ctx):
		res.Status, res.Detail = Skip, fmt.Sprintf("status %d: /readyz says authentication is disabled (local development only)", a.status)
	default:
		res.Status, res.Detail = Fail, fmt.Sprintf("status %d: the instance accepts unauthenticated calls", a.status)
	}
	r.add(res)
	if r.cfg.Token == nil {
		return
	}
	wrong := Result{Check: "auth/wrong-aud", Title: "token whose aud is another endpoint: 401", Requirements: []string{"2.0#176"}}
	other := r.base + "/cds-services/" + svc.ID + "-not-this-one"
	if tok, err := r.cfg.Token(other); err != nil {
		wrong.Status, wrong.Detail = Fail, err.Error()
	} else if a, err := r.do(ctx, http.MethodPost, path, body, map[string]string{"Authorization": "Bearer " + tok}, false); err != nil {
		wrong.Status, wrong.Detail = Fail, err.Error()
	} else if a.status != http.StatusUnauthorized {
		wrong.Status, wrong.Detail = Fail, fmt.Sprintf("status %d", a.status)
	} else {
		wrong.Status = Pass
	}
	r.add(wrong)
	replay := Result{Check: "auth/replay", Title: "the same token twice: 200, then 401 (jti)", Requirements: []string{"2.0#176"}}
	tok, err := r.cfg.Token(r.base + path)
	if err != nil {
		replay.Status, replay.Detail = Fail, err.Error()
		r.add(replay)
		return
	}
	h := map[string]string{"Authorization": "Bearer " + tok}
	a1, err1 := r.do(ctx, http.MethodPost, path, body, h, false)
	a2, err2 := r.do(ctx, http.MethodPost, path, body, h, false)
	switch {
	case err1 != nil || err2 != nil:
		replay.Status, replay.Detail = Fail, fmt.Sprint(err1, err2)
	case a1.status != http.StatusOK || a2.status != http.StatusUnauthorized:
		replay.Status, replay.Detail = Fail, fmt.Sprintf("statuses %d, %d", a1.status, a2.status)
	default:
		replay.Status = Pass
	}
	r.add(replay)
}

func (r *runner) authDisabled(ctx context.Context) bool {
	a, err := r.do(ctx, http.MethodGet, "/readyz", nil, nil, false)
	if err != nil || a.status != http.StatusOK {
		return false
	}
	var ready struct {
		Checks map[string]struct {
			Status string `json:"status"`
		} `json:"checks"`
	}
	return json.Unmarshal(a.body, &ready) == nil && ready.Checks["authentication"].Status == "disabled"
}

// wantError checks a 4xx answer with a JSON error body.
func (r *runner) wantError(ctx context.Context, res Result, method, path string, body []byte, want int) {
	defer func() { r.add(res) }()
	a, err := r.do(ctx, method, path, body, nil, true)
	if err != nil {
		res.Status, res.Detail = Fail, err.Error()
		return
	}
	if r.authSkip(&res, a) {
		return
	}
	var e cdshooks.Error
	switch {
	case a.status != want:
		res.Status, res.Detail = Fail, fmt.Sprintf("status %d, want %d: %s", a.status, want, snippet(a.body))
	case !isJSON(a) || json.Unmarshal(a.body, &e) != nil || e.Error.Code == "":
		res.Status, res.Detail = Fail, "no JSON error body: "+snippet(a.body)
	default:
		res.Status, res.Detail = Pass, e.Error.Code
	}
}

func (r *runner) errors(ctx context.Context, svc *cdshooks.Service) {
	path := "/cds-services/" + svc.ID
	r.wantError(ctx, Result{Check: "error/malformed-json", Title: "malformed JSON: 400", Requirements: []string{"2.0#1", "2.0#76"}},
		http.MethodPost, path, []byte(`{"hook":`), http.StatusBadRequest)
	r.wantError(ctx, Result{Check: "error/missing-hook", Title: "request without hook: 400", Requirements: []string{"2.0#76"}},
		http.MethodPost, path, []byte(`{"hookInstance":"a","context":{}}`), http.StatusBadRequest)
	req := minimalRequest(svc, nonTarget, true)
	delete(req, "hookInstance")
	r.wantError(ctx, Result{Check: "error/missing-hookInstance", Title: "request without hookInstance: 400", Requirements: []string{"2.0#76"}},
		http.MethodPost, path, mustJSON(req), http.StatusBadRequest)
	r.wantError(ctx, Result{Check: "error/unknown-service", Title: "POST to an unknown service id: 404", Requirements: []string{"2.0#16", "2.0#76"}},
		http.MethodPost, "/cds-services/conformance-no-such-service", mustJSON(minimalRequest(svc, nonTarget, true)), http.StatusNotFound)
	huge := make([]byte, 0, r.cfg.HugeBodyBytes+64)
	huge = append(huge, `{"hook":"`+svc.Hook+`","x":"`...)
	huge = append(huge, bytes.Repeat([]byte("a"), int(r.cfg.HugeBodyBytes))...)
	huge = append(huge, `"}`...)
	r.wantError(ctx, Result{Check: "error/too-large", Title: fmt.Sprintf("%d MiB body: 413", r.cfg.HugeBodyBytes>>20), Requirements: []string{"2.0#76"}},
		http.MethodPost, path, huge, http.StatusRequestEntityTooLarge)
}

// preconditionFailed: an order the service checks, with the patient
// neither prefetched nor obtainable (no fhirServer), is answered 412.
func (r *runner) preconditionFailed(ctx context.Context, svc *cdshooks.Service) {
	r.wantError(ctx, Result{Check: "error/412", Title: "order of interest, patient neither prefetched nor obtainable: 412", Requirements: []string{"2.0#54"}},
		http.MethodPost, "/cds-services/"+svc.ID, mustJSON(minimalRequest(svc, target, false)), http.StatusPreconditionFailed)
}

// selections: order-select selections must name draft orders.
func (r *runner) selections(ctx context.Context, services []cdshooks.Service) {
	for i := range services {
		svc := &services[i]
		if svc.Hook != cdshooks.HookOrderSelect {
			continue
		}
		req := minimalRequest(svc, nonTarget, true)
		req["context"].(map[string]any)["selections"] = []any{"MedicationRequest/not-in-draftOrders"}
		r.wantError(ctx, Result{Check: "order-select/selections", Title: "order-select whose selections name no draft order: 400", Requirements: []string{"2.0#76"}},
			http.MethodPost, "/cds-services/"+svc.ID, mustJSON(req), http.StatusBadRequest)
		return
	}
}

func (r *runner) cors(ctx context.Context, svc *cdshooks.Service) {
	res := Result{Check: "cors/preflight", Title: "CORS preflight for a service call from " + r.cfg.Origin, Requirements: []string{"2.0#208"}}
	defer func() { r.add(res) }()
	a, err := r.do(ctx, http.MethodOptions, "/cds-services/"+svc.ID, nil, map[string]string{
		"Origin": r.cfg.Origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type",
	}, false)
	if err != nil {
		res.Status, res.Detail = Fail, err.Error()
		return
	}
	h := a.header
	origin := h.Get("Access-Control-Allow-Origin")
	headers := strings.ToLower(h.Get("Access-Control-Allow-Headers"))
	switch {
	case a.status < 200 || a.status > 299:
		res.Status, res.Detail = Fail, fmt.Sprintf("status %d", a.status)
	case origin != r.cfg.Origin && origin != "*":
		res.Status, res.Detail = Fail, fmt.Sprintf("Access-Control-Allow-Origin %q", origin)
	case !strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST"):
		res.Status, res.Detail = Fail, "Access-Control-Allow-Methods lacks POST"
	case !strings.Contains(headers, "authorization") || !strings.Contains(headers, "content-type"):
		res.Status, res.Detail = Fail, fmt.Sprintf("Access-Control-Allow-Headers %q", headers)
	default:
		res.Status = Pass
	}
}

func (r *runner) feedback(ctx context.Context, svc *cdshooks.Service) {
	path := "/cds-services/" + svc.ID + "/feedback"
	res := Result{Check: "feedback/valid", Title: "valid feedback (overridden with a reason): 200", Requirements: []string{"2.0#148"}}
	body := []byte(`{"feedback":[{"card":"conformance-card","outcome":"overridden","overrideReason":{"userComment":"conformance run"},"outcomeTimestamp":"` +
		time.Now().UTC().Format(time.RFC3339) + `"}]}`)
	if a, err := r.do(ctx, http.MethodPost, path, body, nil, true); err != nil {
		res.Status, res.Detail = Fail, err.Error()
	} else if !r.authSkip(&res, a) {
		if a.status == http.StatusOK {
			res.Status = Pass
		} else {
			res.Status, res.Detail = Fail, fmt.Sprintf("status %d: %s", a.status, snippet(a.body))
		}
	}
	r.add(res)
	r.wantError(ctx, Result{Check: "feedback/invalid", Title: "feedback with an unknown outcome: 400", Requirements: []string{"2.0#148"}},
		http.MethodPost, path, []byte(`{"feedback":[{"card":"c","outcome":"ignored","outcomeTimestamp":"2026-01-01T00:00:00Z"}]}`), http.StatusBadRequest)
}

func (r *runner) noEmpty() {
	res := Result{Check: "json/no-null-or-empty", Title: "no null or empty string, array or object in any JSON answer (but cards: [])", Requirements: []string{"2.0#3"}}
	r.mu.Lock()
	found := slices.Clone(r.empties)
	r.mu.Unlock()
	if len(found) == 0 {
		res.Status = Pass
	} else {
		res.Status, res.Detail = Fail, strings.Join(found, "; ")
	}
	r.add(res)
}

// EmptyValues walks a JSON document and returns every null and every empty
// string, array or object, by JSON path ("$.a.b[0]"), sorted. allow names
// the paths where an empty value is what the specification asks for.
func EmptyValues(raw []byte, allow ...string) ([]string, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	var bad []string
	var walk func(path string, v any)
	walk = func(path string, v any) {
		empty := false
		switch x := v.(type) {
		case nil:
			bad = append(bad, path+" is null")
			return
		case string:
			empty = x == ""
		case []any:
			empty = len(x) == 0
			for i, e := range x {
				walk(fmt.Sprintf("%s[%d]", path, i), e)
			}
		case map[string]any:
			empty = len(x) == 0
			for k, e := range x {
				walk(path+"."+k, e)
			}
		}
		if empty && !slices.Contains(allow, path) {
			bad = append(bad, path+" is empty")
		}
	}
	walk("$", v)
	slices.Sort(bad)
	return bad, nil
}
