package api_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labelguard/labelguard/api"
	"github.com/labelguard/labelguard/cdshooks"
	"github.com/labelguard/labelguard/internal/fhirtest"
	tp "github.com/labelguard/labelguard/internal/testpatient"
	"github.com/labelguard/labelguard/prefetch"
)

// The replay tests send requests captured from real CDS clients
// (testdata/replay, see its README for where each comes from) to the
// service as those clients sent them, with one change: the FHIR server
// they name (the capture's loopback port, or a placeholder) becomes a test
// FHIR server holding the same patients, so that what the service fetches
// (the next pages of a one-page prefetch, the keys a peer's request lacks)
// is really fetched. They assert the cards, not just the status.

const replayToken = "replay-token-5d1c"

var (
	replayOnce sync.Once
	replayFHIR *fhirtest.Server
	replayErr  error
	// replayPeers is the Bundle file of the peers' patients.
	replayPeers string
)

func TestMain(m *testing.M) {
	code := m.Run()
	replayFHIR.Stop()
	if replayPeers != "" {
		_ = os.Remove(replayPeers)
	}
	os.Exit(code)
}

// replayServer starts the test FHIR server with the Synthea patients of the
// Sandbox captures and the peers' patients, once for the package.
func replayServer(t *testing.T) string {
	t.Helper()
	replayOnce.Do(func() {
		peers, err := peerBundle(filepath.Join(os.TempDir(), fmt.Sprintf("labelguard-replay-peers-%d.json", os.Getpid())))
		if err != nil {
			replayErr = err
			return
		}
		replayPeers = peers
		replayFHIR, replayErr = fhirtest.Start([]string{replayToken}, []string{
			tp.SamplePath("Kermit_Trantow_f1a650a5.json"), tp.SamplePath("Reuben_Lind_1d03714f.json"), peers,
		})
	})
	if errors.Is(replayErr, fhirtest.ErrSkip) {
		t.Skip(replayErr)
	}
	if replayErr != nil {
		t.Fatalf("test FHIR server: %v", replayErr)
	}
	return replayFHIR.Origin + "/fhir"
}

// peerBundle writes the resources of every peer request's prefetch as one
// Bundle the test FHIR server loads (urn:uuid references resolved), so that
// the keys our services declare and the peer did not send can be fetched.
func peerBundle(path string) (string, error) {
	files, err := filepath.Glob("testdata/replay/peer-requests/*/*.json")
	if err != nil {
		return "", err
	}
	var entries []any
	for _, f := range files {
		var req struct {
			Prefetch map[string]json.RawMessage `json:"prefetch"`
		}
		b, err := os.ReadFile(f)
		if err != nil {
			return "", err
		}
		if err := json.Unmarshal(b, &req); err != nil {
			return "", fmt.Errorf("%s: %w", f, err)
		}
		for _, v := range req.Prefetch {
			var head struct {
				ResourceType string `json:"resourceType"`
				ID           string `json:"id"`
				Entry        []struct {
					Resource json.RawMessage `json:"resource"`
				} `json:"entry"`
			}
			if json.Unmarshal(v, &head) != nil {
				continue
			}
			add := func(r json.RawMessage) {
				var id struct {
					ID string `json:"id"`
				}
				_ = json.Unmarshal(r, &id)
				entries = append(entries, map[string]any{"fullUrl": "urn:uuid:" + id.ID, "resource": r})
			}
			if head.ResourceType != "Bundle" {
				add(v)
				continue
			}
			for _, e := range head.Entry {
				add(e.Resource)
			}
		}
	}
	b, err := json.Marshal(map[string]any{"resourceType": "Bundle", "type": "collection", "entry": entries})
	if err != nil {
		return "", err
	}
	return path, os.WriteFile(path, b, 0o600)
}

// loopbackFHIR matches the FHIR bases of a capture: the Sandbox's loopback
// server (fhirServer and the links' base differ in port) and a peer's
// placeholder.
var loopbackFHIR = regexp.MustCompile(`http://127\.0\.0\.1:[0-9]+/fhir|http://example\.org`)

// replayRequest reads a captured request and points it at base, with the
// fhirAuthorization the capture had removed.
func replayRequest(t *testing.T, path, base string, edit func(map[string]any)) []byte {
	t.Helper()
	raw := loopbackFHIR.ReplaceAllString(string(readFile(t, path)), base)
	var req map[string]any
	if err := json.Unmarshal([]byte(raw), &req); err != nil {
		t.Fatal(err)
	}
	ctx, _ := req["context"].(map[string]any)
	req["fhirAuthorization"] = map[string]any{
		"access_token": replayToken, "token_type": "Bearer", "expires_in": 300,
		"scope": "user/*.read", "subject": "cds-service", "patient": ctx["patientId"],
	}
	if edit != nil {
		edit(req)
	}
	b, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// asOrderSelect turns an order-sign capture into the order-select call the
// Sandbox makes for the same order.
func asOrderSelect(req map[string]any) {
	req["hook"] = "order-select"
	ctx := req["context"].(map[string]any)
	var sel []any
	for _, e := range ctx["draftOrders"].(map[string]any)["entry"].([]any) {
		r := e.(map[string]any)["resource"].(map[string]any)
		sel = append(sel, fmt.Sprint(r["resourceType"], "/", r["id"]))
	}
	ctx["selections"] = sel
}

// recordingTransport records the URLs the service fetches.
type recordingTransport struct {
	mu   sync.Mutex
	urls []string
}

func (r *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.urls = append(r.urls, req.URL.String())
	r.mu.Unlock()
	return http.DefaultTransport.RoundTrip(req)
}

func (r *recordingTransport) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.urls
	r.urls = nil
	sort.Strings(out)
	return out
}

// newReplayServer is the service as deployed without authentication: it
// fetches from the FHIR servers of allow, and records what it fetches.
func newReplayServer(t *testing.T, allow ...string) (http.Handler, *recordingTransport) {
	t.Helper()
	rt := &recordingTransport{}
	h, _ := newServer(t, func(c *api.Config) {
		c.FHIRAllow = allow
		c.Fetcher = prefetch.NewFetcher(prefetch.Config{
			Client:   &http.Client{Transport: rt},
			CacheTTL: -1, // every case fetches for itself
			// Medplum's in-memory search is slow on a loaded machine; the
			// test is not about the deadline.
			Timeout: time.Minute,
		})
	})
	return h, rt
}

// replay posts body to the service and decodes the cards of a 200.
func replay(t *testing.T, h http.Handler, service string, body []byte, wantStatus int) []cdshooks.Card {
	t.Helper()
	rec := do(t, h, http.MethodPost, "/cds-services/"+service, "application/json", body)
	if rec.Code != wantStatus {
		t.Fatalf("status %d, want %d: %s", rec.Code, wantStatus, rec.Body)
	}
	if rec.Code != http.StatusOK {
		return nil
	}
	var resp cdshooks.Response
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
		t.Fatal(err)
	}
	if resp.Cards == nil {
		t.Fatalf("no cards member: %s", rec.Body)
	}
	return resp.Cards
}

// rulesOf returns the rule IDs of the cards, sorted.
func rulesOf(cards []cdshooks.Card) []string {
	var out []string
	for _, c := range cards {
		if c.Source.Topic != nil {
			out = append(out, c.Source.Topic.Code)
		}
	}
	sort.Strings(out)
	return out
}

func TestReplaySandbox(t *testing.T) {
	base := replayServer(t)
	h, fetched := newReplayServer(t, base)
	dir := filepath.Join("testdata", "replay", "sandbox-requests")
	// Kermit Trantow (33, former smoker, labs last taken in 2019) and
	// Reuben Lind (52): no recent work-up and no zoster vaccine.
	workup := []string{"jak.pretreatment-incomplete", "jak.risk-factors", "jak.zoster-vaccine-missing"}
	for _, tc := range []struct {
		name, file, service string
		edit                func(map[string]any)
		want                []string
		fetches             [][]string // per URL fetched, the parts it holds
		check               func(t *testing.T, cards []cdshooks.Card)
	}{
		{
			name: "45 mg as 1 {pill} at order-sign", file: "order-sign-upadacitinib-45mg.json", service: "jak-order-sign",
			// No monitoring plan: a critical card concerns the order.
			want:  append(slices.Clone(workup), "upadacitinib.dose-max"),
			check: doseMaxWithSuggestion,
		},
		{
			name: "45 mg as 1 {pill} at order-select", file: "order-sign-upadacitinib-45mg.json", service: "jak-order-select", edit: asOrderSelect,
			want:  append(slices.Clone(workup), "upadacitinib.dose-max"),
			check: doseMaxWithSuggestion,
		},
		{
			name: "one page prefetched: the next pages are fetched", file: "order-sign-upadacitinib-15mg-paged-prefetch.json", service: "jak-order-sign",
			want: append([]string{"jak.monitoring-plan"}, workup...),
			// labObservations: 70 results in pages of 20; observations: 33.
			fetches: [][]string{
				{"category=laboratory", "_offset=20"}, {"category=laboratory", "_offset=40"}, {"category=laboratory", "_offset=60"},
				{"code=http%3A%2F%2Floinc.org%7C751-8", "_sort=-date", "_offset=20"},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := replayRequest(t, filepath.Join(dir, tc.file), base, tc.edit)
			cards := replay(t, h, tc.service, body, http.StatusOK)
			sort.Strings(tc.want)
			if got := rulesOf(cards); !slices.Equal(got, tc.want) {
				t.Fatalf("rules %q, want %q", got, tc.want)
			}
			if tc.check != nil {
				tc.check(t, cards)
			}
			got := fetched.take()
			if len(got) != len(tc.fetches) {
				t.Fatalf("fetched %q, want %d pages", got, len(tc.fetches))
			}
			for _, parts := range tc.fetches {
				if !slices.ContainsFunc(got, func(u string) bool {
					return strings.HasPrefix(u, base+"/Observation?") && !slices.ContainsFunc(parts, func(p string) bool { return !strings.Contains(u, p) })
				}) {
					t.Errorf("no fetch with %q in %q", parts, got)
				}
			}
		})
	}
}

// TestReplaySandboxPagingRefused: the paged capture where the service may
// not fetch the rest (its fhirServer not allowed, or a next link on
// another origin) is answered with the cards it could compute and the
// data.incomplete card naming the keys cut short.
func TestReplaySandboxPagingRefused(t *testing.T) {
	base := replayServer(t)
	file := filepath.Join("testdata", "replay", "sandbox-requests", "order-sign-upadacitinib-15mg-paged-prefetch.json")
	for _, tc := range []struct {
		name   string
		allow  []string
		body   func() []byte
		detail string
	}{
		{"fhirServer not allowed", []string{"https://fhir.other.example/r4"},
			func() []byte { return replayRequest(t, file, base, nil) }, "the search was cut short by the paging limit"},
		{"next links on another origin", []string{base},
			func() []byte {
				// As captured, the links' port differs from the fhirServer's:
				// point only the fhirServer at the test server.
				return replayRequest(t, file, base, func(req map[string]any) {
					b, _ := json.Marshal(req["prefetch"])
					var pf map[string]any
					_ = json.Unmarshal([]byte(strings.ReplaceAll(string(b), base, "http://127.0.0.1:46867/fhir")), &pf)
					req["prefetch"] = pf
				})
			}, "the fetch failed (partial: next-link-refused)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, fetched := newReplayServer(t, tc.allow...)
			cards := replay(t, h, "jak-order-sign", tc.body(), http.StatusOK)
			want := []string{"data.incomplete", "jak.monitoring-plan", "jak.pretreatment-incomplete", "jak.risk-factors", "jak.zoster-vaccine-missing"}
			if got := rulesOf(cards); !slices.Equal(got, want) {
				t.Fatalf("rules %q, want %q", got, want)
			}
			if got := fetched.take(); len(got) != 0 {
				t.Fatalf("fetched %q", got)
			}
			for _, c := range cards {
				if c.Source.Topic.Code == "data.incomplete" && (!strings.Contains(c.Detail, "`labObservations`: "+tc.detail) || !strings.Contains(c.Detail, "`observations`: "+tc.detail)) {
					t.Fatalf("data.incomplete detail:\n%s", c.Detail)
				}
			}
		})
	}
}

// doseMaxWithSuggestion: the critical upadacitinib.dose-max card, whose
// update keeps the order's id, subject, status and intent and names a
// 15 mg product.
func doseMaxWithSuggestion(t *testing.T, cards []cdshooks.Card) {
	t.Helper()
	i := slices.IndexFunc(cards, func(c cdshooks.Card) bool {
		return c.Source.Topic != nil && c.Source.Topic.Code == "upadacitinib.dose-max"
	})
	if i < 0 {
		t.Fatalf("no upadacitinib.dose-max card: %q", rulesOf(cards))
	}
	c := cards[i]
	if c.Indicator != "critical" || len(c.Suggestions) != 1 || len(c.Suggestions[0].Actions) != 1 {
		t.Fatalf("card %+v", c)
	}
	a := c.Suggestions[0].Actions[0]
	var r struct {
		ID, Status, Intent string
		Subject            struct{ Reference string }
		Medication         struct{ Text string } `json:"medicationCodeableConcept"`
		Dosage             []struct {
			DoseAndRate []struct {
				DoseQuantity struct{ Value float64 }
			}
		} `json:"dosageInstruction"`
	}
	if err := json.Unmarshal(a.Resource, &r); err != nil {
		t.Fatal(err)
	}
	if a.Type != "update" || r.ID != "request-123" || r.Status != "draft" || r.Intent != "order" ||
		r.Subject.Reference != "Patient/1f456f0a-acb1-4728-82af-01ca57083c7b" ||
		!strings.Contains(r.Medication.Text, "15 MG") || len(r.Dosage) != 1 || r.Dosage[0].DoseAndRate[0].DoseQuantity.Value != 1 {
		t.Fatalf("update: %s", a.Resource)
	}
}

// TestReplayPeers replays the requests another CDS Hooks service (AHRQ
// CDS Connect's CQL services) receives: patient-view calls for Synthea
// patients on no JAK inhibitor, whose prefetch keys are not ours, so the
// service fetches its own from the FHIR server they name. No target drug is
// named: 200 and no cards. Four of them name in context.patientId ("2-1")
// another patient than the one their prefetch holds: as captured they are
// refused with 412 (the patient cannot be obtained, and another patient's
// data are never used), and with the id made consistent they get no cards.
func TestReplayPeers(t *testing.T) {
	base := replayServer(t)
	h, fetched := newReplayServer(t, base)
	files, err := filepath.Glob(filepath.Join("testdata", "replay", "peer-requests", "*", "*.json"))
	if err != nil || len(files) != 6 {
		t.Fatalf("peer requests: %v %v", files, err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		if name == "feedback.json" {
			t.Run(name, func(t *testing.T) {
				if rec := do(t, h, http.MethodPost, "/cds-services/jak-monitoring/feedback", "application/json", readFile(t, f)); rec.Code != http.StatusOK {
					t.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
			})
			continue
		}
		var captured struct {
			Context  struct{ PatientID string }
			Prefetch struct{ Patient struct{ ID string } }
		}
		if err := json.Unmarshal(readFile(t, f), &captured); err != nil {
			t.Fatal(err)
		}
		consistent := captured.Context.PatientID == captured.Prefetch.Patient.ID
		t.Run(name+"/as captured", func(t *testing.T) {
			want := http.StatusOK
			if !consistent {
				want = http.StatusPreconditionFailed
			}
			cards := replay(t, h, "jak-monitoring", replayRequest(t, f, base, nil), want)
			if len(cards) != 0 {
				t.Fatalf("cards %q", rulesOf(cards))
			}
			// Every key of jak-monitoring was fetched: the peer's keys
			// (Patient, Condition...) are not the service's.
			if got := fetched.take(); len(got) != 8 {
				t.Fatalf("fetched %d keys: %q", len(got), got)
			}
		})
		if consistent {
			continue
		}
		t.Run(name+"/patient id consistent", func(t *testing.T) {
			body := replayRequest(t, f, base, func(req map[string]any) {
				id := captured.Prefetch.Patient.ID
				req["context"].(map[string]any)["patientId"] = id
				req["fhirAuthorization"].(map[string]any)["patient"] = id
			})
			if cards := replay(t, h, "jak-monitoring", body, http.StatusOK); len(cards) != 0 {
				t.Fatalf("cards %q", rulesOf(cards))
			}
			fetched.take()
		})
	}
}
