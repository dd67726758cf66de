package prefetch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/internal/fhirtest"
	"github.com/labelguard/labelguard/internal/hang"
)

// These tests run against a real FHIR REST implementation: Medplum's FHIR
// router over its in-memory repository, behind testdata/fhirserver/server.js,
// loaded with the Synthea patients of policies/testdata/patients. Expected
// results are computed from the same Synthea files, so the tests check real
// search semantics (reference, token and status search, _count, paging).

const (
	tokenA = "token-a-1f2e3d"
	tokenB = "token-b-9c8b7a"
)

var (
	fhirOnce sync.Once
	fhirBase string // http://127.0.0.1:PORT (without /fhir)
	fhirErr  error
	fhirSkip string
	fhirStop func()
)

func TestMain(m *testing.M) {
	code := m.Run()
	if fhirStop != nil {
		fhirStop()
	}
	os.Exit(code)
}

// fhirServer returns the origin of the shared test FHIR server, starting it
// on first use (see internal/fhirtest: it skips without Node or the
// server's packages, except under CI).
func fhirServer(t *testing.T) string {
	t.Helper()
	fhirOnce.Do(startFHIRServer)
	if fhirSkip != "" {
		t.Skip(fhirSkip)
	}
	if fhirErr != nil {
		t.Fatalf("test FHIR server: %v", fhirErr)
	}
	return fhirBase
}

func startFHIRServer() {
	files, err := filepath.Glob("../policies/testdata/patients/*.json")
	if err != nil || len(files) == 0 {
		fhirErr = fmt.Errorf("no Synthea patients found: %v", err)
		return
	}
	srv, err := fhirtest.Start([]string{tokenA, tokenB}, files)
	switch {
	case errors.Is(err, fhirtest.ErrSkip):
		fhirSkip = err.Error()
	case err != nil:
		fhirErr = err
	default:
		fhirBase = srv.Origin
		fhirStop = srv.Stop
	}
}

// synthea is one Synthea patient file, reduced to what expectations need.
type synthea struct {
	name      string
	patientID string
	byType    map[string][]map[string]any
	raw       map[string]json.RawMessage // "Type/id" → resource
}

func loadSynthea(t *testing.T) []synthea {
	t.Helper()
	files, _ := filepath.Glob("../policies/testdata/patients/*.json")
	var out []synthea
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var b struct {
			Entry []struct {
				Resource json.RawMessage `json:"resource"`
			} `json:"entry"`
		}
		if err := json.Unmarshal(data, &b); err != nil {
			t.Fatal(err)
		}
		s := synthea{name: strings.TrimSuffix(filepath.Base(f), ".json"), byType: map[string][]map[string]any{}, raw: map[string]json.RawMessage{}}
		for _, e := range b.Entry {
			var r map[string]any
			if err := json.Unmarshal(e.Resource, &r); err != nil {
				t.Fatal(err)
			}
			typ, id := r["resourceType"].(string), r["id"].(string)
			if typ == "Patient" {
				s.patientID = id
			}
			s.byType[typ] = append(s.byType[typ], r)
			s.raw[typ+"/"+id] = e.Resource
		}
		out = append(out, s)
	}
	return out
}

// orderSignTemplates returns the prefetch templates of jak-order-sign as
// discovery publishes them (the shared templates, the lab codes filled in).
func orderSignTemplates(t *testing.T) map[string]string {
	t.Helper()
	svcs, err := engine.LoadServices(os.DirFS("../policies"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range svcs {
		if s.ID == "jak-order-sign" {
			return s.Prefetch
		}
	}
	t.Fatal("jak-order-sign not in services.json")
	return nil
}

// expectedCount counts the resources a key's template should find for s,
// computed from the Synthea file with the template's own filters.
func expectedCount(t *testing.T, s synthea, key, template string) int {
	t.Helper()
	typ, query, _ := strings.Cut(template, "?")
	var statuses, codes, categories []string
	for p := range strings.SplitSeq(query, "&") {
		k, v, _ := strings.Cut(p, "=")
		switch k {
		case "status":
			statuses = strings.Split(v, ",")
		case "code":
			codes = strings.Split(v, ",")
		case "category":
			categories = strings.Split(v, ",")
		case "patient", "_sort", "_count":
		default:
			t.Fatalf("%s: expectedCount does not know search parameter %q", key, k)
		}
	}
	n := 0
	for _, r := range s.byType[typ] {
		if statuses != nil && !slices.Contains(statuses, fmt.Sprint(r["status"])) {
			continue
		}
		if codes != nil && !hasCoding(r["code"], codes) {
			continue
		}
		if categories != nil && !hasCategory(r["category"], categories) {
			continue
		}
		n++
	}
	return n
}

// hasCategory matches a token without system against any coding of a list
// of CodeableConcepts.
func hasCategory(v any, codes []string) bool {
	list, _ := v.([]any)
	for _, cc := range list {
		m, _ := cc.(map[string]any)
		cs, _ := m["coding"].([]any)
		for _, c := range cs {
			if m, _ := c.(map[string]any); slices.Contains(codes, fmt.Sprint(m["code"])) {
				return true
			}
		}
	}
	return false
}

// hasCoding matches system|code tokens against a CodeableConcept.
func hasCoding(v any, codes []string) bool {
	cc, _ := v.(map[string]any)
	list, _ := cc["coding"].([]any)
	for _, c := range list {
		m, _ := c.(map[string]any)
		if slices.Contains(codes, fmt.Sprint(m["system"])+"|"+fmt.Sprint(m["code"])) {
			return true
		}
	}
	return false
}

func fillReq(base string, s synthea, templates map[string]string, token string) FillRequest {
	return FillRequest{
		FHIRServer:    base + "/fhir",
		Authorization: auth(token, s.patientID),
		PatientID:     s.patientID,
		Tokens:        Tokens{Context: map[string]string{"patientId": s.patientID, "userId": "Practitioner/dr-1"}},
		Templates:     templates,
	}
}

func TestFHIRServerEveryKeyAbsent(t *testing.T) {
	base := fhirServer(t)
	templates := orderSignTemplates(t)
	for _, s := range loadSynthea(t) {
		t.Run(s.name, func(t *testing.T) {
			f, ct, logs := newTestFetcher(t, Config{})
			res := fill(t, f, fillReq(base, s, templates, tokenA))
			if len(res.Issues) != 0 {
				t.Fatalf("issues: %+v", res.Issues)
			}
			if len(res.Fetched) != len(templates) || ct.count() != len(templates) {
				t.Fatalf("fetched %v with %d requests", res.Fetched, ct.count())
			}
			var p map[string]any
			if err := json.Unmarshal(res.Prefetch["patient"], &p); err != nil || p["resourceType"] != "Patient" || p["id"] != s.patientID {
				t.Fatalf("patient = %s", truncate(res.Prefetch["patient"]))
			}
			for k, tmpl := range templates {
				if k == "patient" {
					continue
				}
				got := entries(t, res.Prefetch[k])
				if want := expectedCount(t, s, k, tmpl); len(got) != want {
					t.Errorf("%s: %d entries, Synthea file has %d", k, len(got), want)
				}
				for _, r := range got {
					ref := r["subject"]
					if ref == nil {
						ref = r["patient"]
					}
					if m, _ := ref.(map[string]any); m["reference"] != "Patient/"+s.patientID {
						t.Errorf("%s: %s/%s references %v", k, r["resourceType"], r["id"], ref)
					}
				}
			}
			if strings.Contains(logs.String(), tokenA) {
				t.Fatal("token logged")
			}
		})
	}
}

func kermit(t *testing.T) synthea {
	t.Helper()
	for _, s := range loadSynthea(t) {
		if strings.HasPrefix(s.name, "Kermit") {
			return s
		}
	}
	t.Fatal("Kermit_Trantow not found")
	return synthea{}
}

func TestFHIRServerSomeAbsent(t *testing.T) {
	base := fhirServer(t)
	s := kermit(t)
	templates := orderSignTemplates(t)
	f, ct, _ := newTestFetcher(t, Config{})
	req := fillReq(base, s, templates, tokenA)
	patient := s.raw["Patient/"+s.patientID]
	req.Prefetch = map[string]json.RawMessage{
		"patient":    patient,
		"conditions": json.RawMessage(`{"resourceType":"Bundle","type":"searchset"}`),
		"allergies":  json.RawMessage("null"),
	}
	res := fill(t, f, req)
	var want []string
	for k := range templates {
		if _, sent := req.Prefetch[k]; !sent {
			want = append(want, k)
		}
	}
	slices.Sort(want)
	if !slices.Equal(res.Fetched, want) || ct.count() != len(want) || len(res.Issues) != 0 {
		t.Fatalf("fetched %v with %d requests, issues %+v", res.Fetched, ct.count(), res.Issues)
	}
	if string(res.Prefetch["patient"]) != string(patient) || string(res.Prefetch["allergies"]) != "null" ||
		string(res.Prefetch["conditions"]) != `{"resourceType":"Bundle","type":"searchset"}` {
		t.Fatal("the client's values were not kept as sent")
	}
}

func TestFHIRServerAllNull(t *testing.T) {
	base := fhirServer(t)
	s := kermit(t)
	templates := orderSignTemplates(t)
	f, ct, _ := newTestFetcher(t, Config{})
	req := fillReq(base, s, templates, tokenA)
	req.Prefetch = map[string]json.RawMessage{}
	for k := range templates {
		req.Prefetch[k] = json.RawMessage("null")
	}
	res := fill(t, f, req)
	if ct.count() != 0 || len(res.Fetched) != 0 || len(res.Issues) != 0 || len(res.Prefetch) != len(templates) {
		t.Fatalf("requests=%d res=%+v", ct.count(), res)
	}
}

func TestFHIRServerPaging(t *testing.T) {
	base := fhirServer(t)
	s := kermit(t)
	all := len(s.byType["Observation"]) // 44: pages of 20, 20 and 4
	tmpl := map[string]string{"observations": "Observation?patient={{context.patientId}}"}

	f, ct, _ := newTestFetcher(t, Config{PageSize: 20})
	res := fill(t, f, fillReq(base, s, tmpl, tokenA))
	got := entries(t, res.Prefetch["observations"])
	if len(got) != all || ct.count() != 3 || len(res.Issues) != 0 {
		t.Fatalf("%d of %d entries in %d requests, issues %+v", len(got), all, ct.count(), res.Issues)
	}
	ids := map[any]bool{}
	for _, r := range got {
		ids[r["id"]] = true
	}
	if len(ids) != all {
		t.Fatalf("%d distinct ids across pages, want %d", len(ids), all)
	}
	// The pages after the first come from the server's own next links.
	if !strings.Contains(ct.paths[2], "_offset=40") {
		t.Fatalf("third request %s", ct.paths[2])
	}

	f, _, _ = newTestFetcher(t, Config{PageSize: 20, MaxPages: 2})
	res = fill(t, f, fillReq(base, s, tmpl, tokenA))
	if d, ok := issue(res, "paging-capped", "observations"); !ok || d.Count != 40 || len(entries(t, res.Prefetch["observations"])) != 40 {
		t.Fatalf("issues %+v", res.Issues)
	}
}

// TestFHIRServerSlowKeyPastDeadline: the Observation searches, which the
// server holds far past the test, are reported as timed out at the
// fill's deadline, and every other key is fetched. The deadline leaves
// the other keys ample time on a busy machine (Node answers one search at
// a time); the fill returning at all shows that it holds.
func TestFHIRServerSlowKeyPastDeadline(t *testing.T) {
	base := fhirServer(t)
	s := kermit(t)
	f, _, _ := newTestFetcher(t, Config{Timeout: 10 * time.Second})
	templates := orderSignTemplates(t)
	res := hang.Within(t, "Fill with the Observation searches held", func() Result {
		return fill(t, f, fillReq(base+"/slowtype/Observation/300000", s, templates, tokenA))
	})
	slow := 0
	for k, tmpl := range templates {
		if !strings.HasPrefix(tmpl, "Observation?") {
			continue
		}
		slow++
		if d, ok := issue(res, "fetch-failed", k); !ok || d.Detail != ReasonTimeout {
			t.Errorf("%s: issue %+v", k, d)
		}
		if _, ok := res.Prefetch[k]; ok {
			t.Errorf("%s present after a timeout", k)
		}
	}
	if slow == 0 || len(res.Issues) != slow || len(res.Fetched) != len(templates)-slow {
		t.Fatalf("fetched %v, issues %+v", res.Fetched, res.Issues)
	}
}

// TestFHIRServerFailures covers the failures that hit every key alike.
func TestFHIRServerFailures(t *testing.T) {
	base := fhirServer(t)
	s := kermit(t)
	templates := orderSignTemplates(t)
	for _, tc := range []struct {
		name, base, token, reason string
	}{
		{"bad token", base, "wrong-token", ReasonUnauthorized},
		{"garbage body", base + "/garbage", tokenA, ReasonMalformed},
		{"server error", base + "/status/503", tokenA, ReasonServerError},
		{"forbidden", base + "/status/403", tokenA, ReasonForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, _, logs := newTestFetcher(t, Config{})
			res := fill(t, f, fillReq(tc.base, s, templates, tc.token))
			if len(res.Fetched) != 0 || len(res.Issues) != len(templates) {
				t.Fatalf("fetched %v, issues %+v", res.Fetched, res.Issues)
			}
			for k := range templates {
				if d, ok := issue(res, "fetch-failed", k); !ok || d.Detail != tc.reason {
					t.Errorf("%s: %+v, want %s", k, d, tc.reason)
				}
			}
			if _, ok := res.Prefetch["patient"]; ok {
				t.Fatal("patient present after a failed fetch")
			}
			if strings.Contains(logs.String(), tc.token) {
				t.Fatal("token logged")
			}
		})
	}
}

func TestFHIRServerNotFoundAndNotBundle(t *testing.T) {
	base := fhirServer(t)
	templates := orderSignTemplates(t)
	f, _, _ := newTestFetcher(t, Config{})
	unknown := synthea{patientID: "no-such-patient"}
	res := fill(t, f, fillReq(base, unknown, templates, tokenA))
	if d, ok := issue(res, "fetch-failed", "patient"); !ok || d.Detail != ReasonNotFound || len(res.Issues) != 1 {
		t.Fatalf("issues %+v", res.Issues)
	}
	if got := entries(t, res.Prefetch["conditions"]); len(got) != 0 {
		t.Fatalf("conditions of an unknown patient: %d", len(got))
	}

	// A search answered with a bare resource is malformed; the read is not
	// affected.
	s := kermit(t)
	res = fill(t, f, fillReq(base+"/notbundle", s, templates, tokenA))
	if !slices.Equal(res.Fetched, []string{"patient"}) {
		t.Fatalf("fetched %v", res.Fetched)
	}
	if d, ok := issue(res, "fetch-failed", "conditions"); !ok || d.Detail != ReasonMalformed {
		t.Fatalf("issues %+v", res.Issues)
	}
}

func TestFHIRServerForeignNextLink(t *testing.T) {
	base := fhirServer(t)
	s := kermit(t)
	f, ct, _ := newTestFetcher(t, Config{PageSize: 20})
	res := fill(t, f, fillReq(base+"/foreign-next", s, map[string]string{"observations": "Observation?patient={{context.patientId}}"}, tokenA))
	if d, ok := issue(res, "fetch-failed", "observations"); !ok || d.Detail != "partial: "+ReasonForeignNext {
		t.Fatalf("issues %+v", res.Issues)
	}
	if len(entries(t, res.Prefetch["observations"])) != 20 || ct.count() != 1 || !strings.HasPrefix(ct.hosts[0], "127.0.0.1:") {
		t.Fatalf("requests to %v", ct.hosts)
	}
}

func TestFHIRServerPatientScopeMismatch(t *testing.T) {
	base := fhirServer(t)
	s := kermit(t)
	f, ct, _ := newTestFetcher(t, Config{})
	req := fillReq(base, s, orderSignTemplates(t), tokenA)
	req.Authorization.Patient = "Patient/someone-else"
	res, err := f.Fill(context.Background(), req)
	if !errors.Is(err, ErrPatientScopeMismatch) || ct.count() != 0 || len(res.Fetched) != 0 {
		t.Fatalf("err=%v requests=%d", err, ct.count())
	}
	req.Authorization.Patient = "Patient/" + s.patientID // same patient, prefixed
	if res := fill(t, f, req); len(res.Fetched) != len(req.Templates) {
		t.Fatalf("fetched %v", res.Fetched)
	}
}

func TestFHIRServerCache(t *testing.T) {
	base := fhirServer(t)
	s := kermit(t)
	templates := orderSignTemplates(t)
	f, ct, _ := newTestFetcher(t, Config{})
	first := fill(t, f, fillReq(base, s, templates, tokenA))
	n := ct.count()
	second := fill(t, f, fillReq(base, s, templates, tokenA)) // order-sign right after order-select
	if ct.count() != n || len(second.FromCache) != len(templates) {
		t.Fatalf("second Fill sent %d requests", ct.count()-n)
	}
	for k := range templates {
		if string(first.Prefetch[k]) != string(second.Prefetch[k]) {
			t.Fatalf("%s differs from cache", k)
		}
	}
	third := fill(t, f, fillReq(base, s, templates, tokenB))
	if ct.count() != 2*n || len(third.FromCache) != 0 || len(third.Fetched) != len(templates) {
		t.Fatalf("another token reused cached data: %d requests", ct.count()-n)
	}
}
