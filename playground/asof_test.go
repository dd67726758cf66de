package playground_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/labelguard/labelguard/api"
	"github.com/labelguard/labelguard/cdshooks"
	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/internal/timeshift"
	"github.com/labelguard/labelguard/playground"
	"github.com/labelguard/labelguard/scenario"
)

// newEnvAt is newEnv with the API's and the playground's clock at now.
func newEnvAt(t testing.TB, now time.Time) *env {
	t.Helper()
	active := engine.NewActive(defaultPolicies(t))
	clock := func() time.Time { return now }
	log := slog.New(slog.DiscardHandler)
	cds := api.New(api.Config{Now: clock, AuthDisabled: true, EvalTimeout: time.Minute}, active, log).Handler()
	pg := playground.New(playground.Config{Policies: active, SamplesDir: samplesDir, Now: clock, Logger: log, EvalTimeout: time.Minute})
	mux := http.NewServeMux()
	mux.Handle("/playground/", pg.Handler())
	mux.Handle("/", cds)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &env{srv: srv, active: active}
}

func (e *env) samples(t testing.TB) map[string]playground.SampleInfo {
	t.Helper()
	var list struct{ Samples []playground.SampleInfo }
	r := e.get(t, "/playground/api/samples")
	wantStatus(t, r, http.StatusOK)
	r.json(t, &list)
	out := map[string]playground.SampleInfo{}
	for _, s := range list.Samples {
		out[s.ID] = s
	}
	return out
}

// TestSamplesMovedToToday: a sample is served with its dates moved so that
// the time it was written for falls on the playground's day, and its
// summary reads as it did then.
func TestSamplesMovedToToday(t *testing.T) {
	clock := testNow.AddDate(0, 0, 400).Add(5 * time.Hour)
	e := newEnvAt(t, clock)
	ss := e.samples(t)
	sc := ss["scenario:010-kermit-upadacitinib-45mg-low-anc-hgb"]
	wantAsOf := testNow.AddDate(0, 0, 400).Format(time.RFC3339)
	if sc.WrittenFor != "2026-11-23T12:00:00Z" || sc.MovedDays != 400 || sc.AsOf != wantAsOf {
		t.Errorf("scenario 010: writtenFor %q movedDays %d asOf %q, want 2026-11-23T12:00:00Z 400 %s", sc.WrittenFor, sc.MovedDays, sc.AsOf, wantAsOf)
	}
	// A Synthea patient is dated for the scenarios built on it.
	if k := ss[kermit]; k.WrittenFor != "2026-11-23T12:00:00Z" || k.MovedDays != 400 || k.BirthDate == "" {
		t.Errorf("%s: %+v", kermit, k)
	}

	var got struct {
		Sample  playground.SampleInfo
		Summary playground.Summary
	}
	r := e.get(t, "/playground/api/samples/scenario:010-kermit-upadacitinib-45mg-low-anc-hgb")
	wantStatus(t, r, http.StatusOK)
	r.json(t, &got)
	anc := lab(got.Summary, "anc")
	wantTime := time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC).AddDate(0, 0, 400).Format(time.RFC3339)
	if anc == nil || anc.Time != wantTime || anc.AgeDays < 7.1 || anc.AgeDays > 7.2 {
		t.Errorf("ANC %+v, want at %s, 7.1 days old", anc, wantTime)
	}
	if got.Summary.AsOf != wantAsOf || got.Summary.AgeYears == nil || *got.Summary.AgeYears != 33 {
		t.Errorf("summary as of %q, age %v; want %s, 33", got.Summary.AsOf, got.Summary.AgeYears, wantAsOf)
	}

	// Another as-of time: the same record, read 90 days later.
	r = e.get(t, "/playground/api/samples/scenario:010-kermit-upadacitinib-45mg-low-anc-hgb?asOf="+testNow.AddDate(0, 0, 490).Format("2006-01-02"))
	wantStatus(t, r, http.StatusOK)
	r.json(t, &got)
	if anc := lab(got.Summary, "anc"); anc == nil || anc.Time != wantTime || anc.AgeDays < 97 || anc.AgeDays > 97.2 {
		t.Errorf("ANC as of 90 days later: %+v", anc)
	}
	for _, bad := range []string{"tomorrow", "2026-02-30", "1492-10-12"} {
		r := e.get(t, "/playground/api/samples/scenario:010-kermit-upadacitinib-45mg-low-anc-hgb?asOf="+bad)
		wantStatus(t, r, http.StatusBadRequest)
		if c := r.errorCode(t); c != "invalid_as_of" || strings.Contains(string(r.body), bad) {
			t.Errorf("asOf %q: %s", bad, r.body)
		}
	}
}

func lab(s playground.Summary, analyte string) *playground.Lab {
	for i := range s.Labs {
		if s.Labs[i].Analyte == analyte {
			return &s.Labs[i]
		}
	}
	return nil
}

// defaultOrder is the form's order for a sample that prefills none, or
// the fields the sample leaves empty.
var defaultOrder = playground.OrderForm{Hook: "order-sign", DrugName: "upadacitinib 15 MG Extended Release Oral Tablet [Rinvoq]", Dose: 15, Unit: "mg", Frequency: "QD"}

func orderOf(s playground.SampleInfo) playground.OrderForm {
	o := defaultOrder
	if s.Order == nil {
		return o
	}
	o.Hook = s.Order.Hook
	if s.Order.DrugName != "" {
		o.DrugName, o.RxNorm = s.Order.DrugName, s.Order.RxNorm
	}
	if s.Order.Dose > 0 && s.Order.Unit != "" {
		o.Dose, o.Unit = s.Order.Dose, s.Order.Unit
	}
	if s.Order.Frequency != "" {
		o.Frequency = s.Order.Frequency
	}
	return o
}

// runSample is what the page does for a sample at its own as-of time:
// build the request, evaluate it as of then.
func (e *env) runSample(t testing.TB, s playground.SampleInfo) *playground.Explanation {
	t.Helper()
	o := orderOf(s)
	body := map[string]any{"sample": s.ID, "hook": o.Hook}
	if o.Hook != "patient-view" {
		body["drugName"], body["rxnorm"], body["dose"], body["unit"], body["frequency"] = o.DrugName, o.RxNorm, o.Dose, o.Unit, o.Frequency
	}
	r := e.post(t, "/playground/api/request", body)
	wantStatus(t, r, http.StatusOK)
	var built playground.BuiltRequest
	r.json(t, &built)
	r = e.post(t, "/playground/api/explain", map[string]any{"serviceId": built.ServiceID, "request": built.Request, "asOf": s.AsOf})
	wantStatus(t, r, http.StatusOK)
	var ex playground.Explanation
	r.json(t, &ex)
	return &ex
}

// cardKeys are the cards as a clinician tells them apart: rule, order,
// indicator and summary, its dates moved back by movedDays to the time the
// sample was written for (the detail is left out: it names more dates).
func cardKeys(cards []cdshooks.Card, movedDays int) []string {
	back := timeshift.Move{Days: -movedDays}
	var out []string
	for _, c := range cards {
		ext, _ := c.Extension[engine.ExtensionKey].(map[string]any)
		summary := dateInText.ReplaceAllStringFunc(c.Summary, func(d string) string {
			s, _ := back.String("date", d)
			return s
		})
		out = append(out, fmt.Sprintf("%v %v [%s] %s", ext["rule"], ext["order"], c.Indicator, summary))
	}
	sort.Strings(out)
	return out
}

var dateInText = regexp.MustCompile(`\b[0-9]{4}-[0-9]{2}-[0-9]{2}\b`)

// TestEverySampleSameCardsTwoYearsAhead: every sample, run as the page runs
// it, gives the same cards today, two years from today, and at the end of
// a day (its as-of time then lies almost a day before the clock).
func TestEverySampleSameCardsTwoYearsAhead(t *testing.T) {
	if testing.Short() {
		t.Skip("evaluates every sample three times; run without -short")
	}
	today := time.Now().UTC()
	clocks := []time.Time{today, today.AddDate(2, 0, 0), time.Date(today.Year()+2, today.Month(), today.Day(), 11, 59, 59, 0, time.UTC)}
	var want map[string][]string
	for i, clock := range clocks {
		e := newEnvAt(t, clock)
		got := map[string][]string{}
		for id, s := range e.samples(t) {
			got[id] = cardKeys(e.runSample(t, s).Cards, s.MovedDays)
		}
		if i == 0 {
			want = got
			continue
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("cards at %s differ from those at %s (-then +now):\n%s", clock.Format(time.RFC3339), today.Format(time.RFC3339), d)
		}
	}
	// The samples do give cards (a comparison of nothing passes).
	n := 0
	for _, cs := range want {
		n += len(cs)
	}
	if len(want) < 100 || n < 200 {
		t.Errorf("%d samples gave %d cards", len(want), n)
	}
}

// TestScenarioSampleHonoursNow: a scenario sample run at its as-of time
// gives the cards its scenario expects, whatever the date today.
func TestScenarioSampleHonoursNow(t *testing.T) {
	sc, err := scenario.LoadFile("../policies/testdata/scenarios/010-kermit-upadacitinib-45mg-low-anc-hgb.json")
	if err != nil {
		t.Fatal(err)
	}
	want := append([]string(nil), sc.Expect["MedicationRequest/upa-1"]...)
	sort.Strings(want)
	for _, clock := range []time.Time{testNow, time.Now().UTC(), time.Now().UTC().AddDate(2, 0, 0)} {
		e := newEnvAt(t, clock)
		s := e.samples(t)["scenario:010-kermit-upadacitinib-45mg-low-anc-hgb"]
		var got []string
		for _, c := range e.runSample(t, s).Cards {
			got = append(got, c.Source.Topic.Code)
		}
		sort.Strings(got)
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("clock %s: rules (-scenario +playground):\n%s", clock.Format(time.RFC3339), d)
		}
	}
}

// TestExplainCardsAreTheServiceCards: at the service's clock, the cards
// the playground evaluates are those the CDS Hooks endpoint answers.
func TestExplainCardsAreTheServiceCards(t *testing.T) {
	e := newEnv(t, nil)
	r := e.post(t, "/playground/api/request", upa45("scenario:010-kermit-upadacitinib-45mg-low-anc-hgb"))
	wantStatus(t, r, http.StatusOK)
	var built playground.BuiltRequest
	r.json(t, &built)
	var ex playground.Explanation
	e.post(t, "/playground/api/explain", map[string]any{"serviceId": built.ServiceID, "request": built.Request}).json(t, &ex)
	var resp cdshooks.Response
	e.post(t, built.URL, built.Request).json(t, &resp)
	if len(resp.Cards) < 3 {
		t.Fatalf("the service answered %d cards", len(resp.Cards))
	}
	if d := cmp.Diff(resp.Cards, ex.Cards); d != "" {
		t.Errorf("cards (-service +playground):\n%s", d)
	}
	// As of 120 days later the labs are outside their window: other cards.
	var later playground.Explanation
	r = e.post(t, "/playground/api/explain", map[string]any{"serviceId": built.ServiceID, "request": built.Request, "asOf": "2027-03-23"})
	wantStatus(t, r, http.StatusOK)
	r.json(t, &later)
	if later.Now != "2027-03-23T12:00:00Z" {
		t.Errorf("explain as of 2027-03-23 evaluated at %s", later.Now)
	}
	if findCard(later.Cards, "jak.lab-anc-low") != nil || findCard(ex.Cards, "jak.lab-anc-low") == nil {
		t.Errorf("the ANC card should fire now and not 120 days later: now %v, later %v", cardKeys(ex.Cards, 0), cardKeys(later.Cards, 0))
	}
	r = e.post(t, "/playground/api/explain", map[string]any{"serviceId": built.ServiceID, "request": built.Request, "asOf": "soon"})
	wantStatus(t, r, http.StatusBadRequest)
	if c := r.errorCode(t); c != "invalid_as_of" {
		t.Errorf("bad asOf: code %q", c)
	}
}
