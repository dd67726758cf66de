package pipeline_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/labelguard/labelguard/cdshooks"
	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/internal/testpolicies"
	"github.com/labelguard/labelguard/pipeline"
	"github.com/labelguard/labelguard/policies"
	"github.com/labelguard/labelguard/scenario"
)

var (
	defaultOnce sync.Once
	defaultPS   *engine.PolicySet
	defaultErr  error
)

// defaultSet is the embedded policy set, loaded once for the tests that
// share it (a PolicySet is immutable and safe for concurrent use).
func defaultSet(t *testing.T) *engine.PolicySet {
	t.Helper()
	defaultOnce.Do(func() {
		defaultPS, defaultErr = engine.Load(context.Background(), policies.FS, engine.Options{})
	})
	if defaultErr != nil {
		t.Fatal(defaultErr)
	}
	return defaultPS
}

func loadSet(t *testing.T, files map[string]string, siteParams string) *engine.PolicySet {
	t.Helper()
	opts := engine.Options{}
	if siteParams != "" {
		opts.SiteParams = []byte(siteParams)
	}
	ps, err := engine.Load(context.Background(), testpolicies.With(t, files), opts)
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

// lowANC is the committed order-sign request: upadacitinib 45 mg for a
// patient whose ANC is 0.8 (several cards, one critical).
func lowANC(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "api", "testdata", "requests", "upadacitinib-45mg-low-anc.json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const lowANCPatient = "1f456f0a-acb1-4728-82af-01ca57083c7b"

var t0 = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// edit decodes a request body, changes it and encodes it again (compact).
func edit(t *testing.T, body []byte, change func(req map[string]any)) []byte {
	t.Helper()
	var req map[string]any
	if err := json.Unmarshal(body, &req); err != nil {
		t.Fatal(err)
	}
	change(req)
	out, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func instance(id string) func(map[string]any) {
	return func(req map[string]any) { req["hookInstance"] = id }
}

// draft is the first draft order of a request.
func draft(req map[string]any) map[string]any {
	ctx := req["context"].(map[string]any)
	entries := ctx["draftOrders"].(map[string]any)["entry"].([]any)
	return entries[0].(map[string]any)["resource"].(map[string]any)
}

// run answers one call as the service does, with the pipeline pl.
func run(t *testing.T, pl *pipeline.Pipeline, ps *engine.PolicySet, body []byte, now time.Time) *pipeline.Outcome {
	t.Helper()
	out, err := runErr(pl, ps, body, now)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func runErr(pl *pipeline.Pipeline, ps *engine.PolicySet, body []byte, now time.Time) (*pipeline.Outcome, error) {
	req, err := cdshooks.DecodeRequest(bytes.NewReader(body), cdshooks.Limits{})
	if err != nil {
		return nil, err
	}
	hc, err := cdshooks.DecodeContext(req.Hook, req.Context)
	if err != nil {
		return nil, err
	}
	id := "jak-order-sign"
	switch req.Hook {
	case "order-select":
		id = "jak-order-select"
	case "patient-view":
		id = "jak-monitoring"
	}
	svc, ok := ps.Service(id)
	if !ok {
		return nil, fmt.Errorf("no service %s", id)
	}
	return pl.Run(context.Background(), pipeline.Call{Policies: ps, Service: svc, Request: req, Context: hc, Now: now})
}

// answer is what the EHR gets, as JSON, for comparisons.
func answer(t *testing.T, out *pipeline.Outcome) string {
	t.Helper()
	b, err := cdshooks.Response{Cards: out.Cards}.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func rules(out *pipeline.Outcome) string {
	var ids []string
	for _, f := range out.Findings {
		ids = append(ids, f.Rule+"@"+f.Order)
	}
	return strings.Join(ids, " ")
}

// TestDecisionCacheAnswersTheSameInput: a second call the rules read as the
// first (another hookInstance, a moment later) is answered from the cache,
// with the answer an evaluation would give and card UUIDs of its own
// hookInstance, so that feedback and the audit join as without the cache.
func TestDecisionCacheAnswersTheSameInput(t *testing.T) {
	t.Parallel()
	ps := defaultSet(t)
	// Both bodies encoded alike: the derived facts are reused only for
	// byte-identical request data.
	body := edit(t, lowANC(t), func(map[string]any) {})
	second := edit(t, body, instance("0c4c1c52-9d1f-4a4e-8d52-6a3f9f7e2b10"))
	cached := &pipeline.Pipeline{Decisions: pipeline.NewDecisionCache(2*time.Minute, 1<<20)}

	first := run(t, cached, ps, body, t0)
	if first.DecisionCached || len(first.Cards) == 0 {
		t.Fatalf("first call: cached %v, %d cards; want an evaluation with cards", first.DecisionCached, len(first.Cards))
	}
	got := run(t, cached, ps, second, t0.Add(30*time.Second))
	if !got.DecisionCached || !got.DerivedCached {
		t.Fatalf("the same input 30 s later: decision cached %v, derived cached %v; want both from the cache", got.DecisionCached, got.DerivedCached)
	}
	want := run(t, &pipeline.Pipeline{}, ps, second, t0)
	if a, b := answer(t, got), answer(t, want); a != b {
		t.Errorf("cached answer differs from an evaluation:\ncached:    %.600s\nevaluated: %.600s", a, b)
	}
	for i, c := range got.Cards {
		if c.UUID == first.Cards[i].UUID {
			t.Errorf("card %d has the first call's UUID %s: UUIDs must come from each call's hookInstance", i, c.UUID)
		}
	}
	if got.Input == nil || got.Input.Input.HookInstance != "0c4c1c52-9d1f-4a4e-8d52-6a3f9f7e2b10" {
		t.Errorf("the outcome's input is not the call's own (shadow evaluation and the audit read it)")
	}
	if h, m := cached.Decisions.Stats(); h != 1 || m != 1 {
		t.Errorf("stats: %d hits, %d misses; want 1 and 1", h, m)
	}
}

// TestDecisionCacheNeverServesAcross: each change the rules can see is a
// miss answered by a fresh evaluation; changes they cannot see (a note on
// the order, the prefetch's spacing) are hits that answer what an
// evaluation would.
func TestDecisionCacheNeverServesAcross(t *testing.T) {
	t.Parallel()
	ps := defaultSet(t)
	body := lowANC(t)
	otherRevision := loadSet(t, map[string]string{
		// The same reasons, spaced otherwise: another revision, the same rules.
		"data/override-reasons.json": strings.ReplaceAll(readPolicyFile(t, "data/override-reasons.json"), "\n", "\n "),
	}, "")
	otherParams := loadSet(t, nil, `{"labWindowDays": 120}`)
	sameAgain := loadSet(t, nil, "")
	if otherRevision.Revision == ps.Revision || otherParams.Revision != ps.Revision || sameAgain.Revision != ps.Revision {
		t.Fatalf("revisions %s / %s / %s / %s: not what the cases assume", ps.Revision, otherRevision.Revision, otherParams.Revision, sameAgain.Revision)
	}
	// The first call is at 23:59 unless a case says otherwise; the second
	// 10 s later unless it says otherwise.
	lateEvening := time.Date(2026, 11, 23, 23, 59, 0, 0, time.UTC)
	tests := []struct {
		name       string
		ps         *engine.PolicySet
		body       []byte
		first, now time.Time
		hit        bool
	}{
		{name: "another patient (the same record under another id)", body: bytes.ReplaceAll(body, []byte(lowANCPatient), []byte("7d0c2a5e-0000-4000-8000-000000000001"))},
		{name: "another dose", body: edit(t, body, func(req map[string]any) {
			draft(req)["medicationCodeableConcept"] = map[string]any{"text": "upadacitinib 15 MG Extended Release Oral Tablet"}
		})},
		{name: "another draft order id", body: edit(t, body, func(req map[string]any) {
			draft(req)["id"] = "upa-2"
		})},
		{name: "another ANC in the prefetch", body: bytes.ReplaceAll(body, []byte(`"value": 0.8`), []byte(`"value": 1.5`))},
		{name: "a prefetch key missing", body: edit(t, body, func(req map[string]any) {
			delete(req["prefetch"].(map[string]any), "allergies")
		})},
		{name: "another policy revision", ps: otherRevision, body: body},
		{name: "other site parameters", ps: otherParams, body: body},
		{name: "the same files loaded again (another policy set)", ps: sameAgain, body: body},
		{name: "the next UTC day", body: body, now: time.Date(2026, 11, 24, 0, 0, 30, 0, time.UTC)},
		{name: "past the TTL", body: body, first: t0, now: t0.Add(2*time.Minute + time.Second)},
		{name: "a note on the order (not read by the rules)", hit: true, body: edit(t, body, func(req map[string]any) {
			draft(req)["note"] = []any{map[string]any{"text": "take with food"}}
		})},
		{name: "a dispense on the oral order (read by the cream's rules only)", hit: true, body: edit(t, body, func(req map[string]any) {
			draft(req)["dispenseRequest"] = map[string]any{"quantity": map[string]any{"value": 30, "unit": "tablet"},
				"expectedSupplyDuration": map[string]any{"value": 30, "unit": "days", "system": "http://unitsofmeasure.org", "code": "d"}}
		})},
		{name: "the prefetch spaced otherwise", hit: true, body: edit(t, body, instance("1c4c1c52-9d1f-4a4e-8d52-6a3f9f7e2b10"))},
		{name: "within the TTL", hit: true, body: body, first: t0, now: t0.Add(2 * time.Minute)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pl := &pipeline.Pipeline{Decisions: pipeline.NewDecisionCache(2*time.Minute, 1<<20)}
			if tc.first.IsZero() {
				tc.first = lateEvening
			}
			if tc.now.IsZero() {
				tc.now = tc.first.Add(10 * time.Second)
			}
			if tc.ps == nil {
				tc.ps = ps
			}
			run(t, pl, ps, body, tc.first)
			got := run(t, pl, tc.ps, tc.body, tc.now)
			if got.DecisionCached != tc.hit {
				t.Fatalf("answered from the cache: %v, want %v", got.DecisionCached, tc.hit)
			}
			want := run(t, &pipeline.Pipeline{}, tc.ps, tc.body, tc.now)
			if a, b := answer(t, got), answer(t, want); a != b {
				t.Errorf("answer differs from an evaluation:\ngot:  %.600s\nwant: %.600s", a, b)
			}
		})
	}
}

func readPolicyFile(t *testing.T, name string) string {
	t.Helper()
	b, err := policies.FS.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestDecisionCacheKeepsNoFailedCheck: a decision in which a rule failed is
// evaluated again on every call, so that the failure is seen (and logged)
// each time, never replayed.
func TestDecisionCacheKeepsNoFailedCheck(t *testing.T) {
	t.Parallel()
	ps := loadSet(t, map[string]string{"rules/jak/typo.rego": testpolicies.TypoRule}, "")
	pl := &pipeline.Pipeline{Decisions: pipeline.NewDecisionCache(time.Minute, 1<<20)}
	body := lowANC(t)
	for i := range 2 {
		out := run(t, pl, ps, body, t0)
		if out.DecisionCached || len(out.Failures) == 0 {
			t.Fatalf("call %d: cached %v, %d failures; want an evaluation with the typo's failure", i, out.DecisionCached, len(out.Failures))
		}
	}
	if n, _ := pl.Decisions.Size(); n != 0 {
		t.Errorf("%d decisions held, want none", n)
	}
}

// TestDecisionCacheBoundsItsSize: decisions beyond maxBytes push the
// oldest out.
func TestDecisionCacheBoundsItsSize(t *testing.T) {
	t.Parallel()
	ps := defaultSet(t)
	body := lowANC(t)
	probe := &pipeline.Pipeline{Decisions: pipeline.NewDecisionCache(time.Minute, 1<<20)}
	run(t, probe, ps, body, t0)
	_, one := probe.Decisions.Size()
	limit := one*2 + one/2
	pl := &pipeline.Pipeline{Decisions: pipeline.NewDecisionCache(time.Minute, limit)}
	for i := range 4 {
		b := edit(t, body, func(req map[string]any) { draft(req)["id"] = fmt.Sprintf("upa-%d", i) })
		run(t, pl, ps, b, t0)
		if n, size := pl.Decisions.Size(); size > limit || n > 2 {
			t.Fatalf("after %d decisions: %d held, %d bytes; limit %d bytes (2 decisions)", i+1, n, size, limit)
		}
	}
	if out := run(t, pl, ps, body, t0); out.DecisionCached {
		t.Error("the oldest decision is still answered after two newer ones filled the cache")
	}
	if out := run(t, pl, ps, edit(t, body, func(req map[string]any) { draft(req)["id"] = "upa-3" }), t0); !out.DecisionCached {
		t.Error("the newest decision was dropped")
	}
	// The derived facts are bounded by the same number of bytes, apart:
	// a derived input is larger than a decision, so fewer are held.
	_, oneDerived := probe.Decisions.DerivedSize()
	if oneDerived == 0 {
		t.Fatal("the probe kept no derived facts")
	}
	derivedLimit := oneDerived*2 + oneDerived/2
	dl := &pipeline.Pipeline{Decisions: pipeline.NewDecisionCache(time.Minute, derivedLimit)}
	for i := range 4 {
		run(t, dl, ps, edit(t, body, func(req map[string]any) { draft(req)["id"] = fmt.Sprintf("upa-%d", i) }), t0)
		if n, size := dl.Decisions.DerivedSize(); size > derivedLimit || n > 2 {
			t.Fatalf("after %d calls: %d derived inputs held, %d bytes; limit %d bytes (2 inputs)", i+1, n, size, derivedLimit)
		}
	}
	if out := run(t, dl, ps, edit(t, body, func(req map[string]any) { draft(req)["id"] = "upa-0" }), t0); out.DerivedCached {
		t.Error("the oldest derived input is still used after two newer ones filled the cache")
	}
}

// TestDecisionCacheOverTheScenarios runs every scenario through one shared
// cache, twice (the second time with another hookInstance), and requires
// each answer to be the one an evaluation gives: no scenario is answered
// with another's decision, and every repeat without a failed check is a
// hit.
func TestDecisionCacheOverTheScenarios(t *testing.T) {
	t.Parallel()
	ps := defaultSet(t)
	scenarios, err := scenario.Load(filepath.Join("..", "policies", "testdata", "scenarios"))
	if err != nil {
		t.Fatal(err)
	}
	pl := &pipeline.Pipeline{Decisions: pipeline.NewDecisionCache(time.Hour, 1<<30)}
	evaluated := 0
	for round := range 2 {
		for _, s := range scenarios {
			svc, ok := ps.Service(s.ServiceID())
			if !ok {
				t.Fatalf("%s: no service %s", s.Name, s.ServiceID())
			}
			req, hc, now, err := s.RequestFor(svc.Service)
			if err != nil {
				t.Fatal(err)
			}
			if round == 1 {
				req.HookInstance = "5e0f1f5e-1111-4aaa-8bbb-" + fmt.Sprintf("%012d", evaluated)
			}
			call := pipeline.Call{Policies: ps, Service: svc, Request: req, Context: hc, Now: now}
			got, err := pl.Run(context.Background(), call)
			if err != nil {
				t.Fatalf("%s: %v", s.Name, err)
			}
			want, err := (&pipeline.Pipeline{}).Run(context.Background(), call)
			if err != nil {
				t.Fatal(err)
			}
			if want.Input == nil {
				continue // no order of interest: answered before any decision
			}
			evaluated++
			if a, b := answer(t, got), answer(t, want); a != b {
				t.Errorf("%s (round %d, cached %v): answer differs from an evaluation:\ngot:  %s\nwant: %s", s.Name, round+1, got.DecisionCached, rules(got), rules(want))
			}
			if round == 1 && len(want.Failures) == 0 && !got.DecisionCached {
				t.Errorf("%s: the repeat was evaluated again, not answered from the cache", s.Name)
			}
		}
	}
	t.Logf("%d scenario calls of %d scenarios reached the rules", evaluated, len(scenarios))
	if evaluated < 100 {
		t.Errorf("only %d scenario calls reached the rules; the test lost its corpus", evaluated)
	}
}

// TestDecisionCacheUnderConcurrency: calls on a few inputs from many
// goroutines (run with -race) each get the answer an evaluation gives.
func TestDecisionCacheUnderConcurrency(t *testing.T) {
	t.Parallel()
	ps := defaultSet(t)
	body := lowANC(t)
	bodies := [][]byte{
		body,
		bytes.ReplaceAll(body, []byte(`"value": 0.8`), []byte(`"value": 1.5`)),
		edit(t, body, func(req map[string]any) {
			draft(req)["medicationCodeableConcept"] = map[string]any{"text": "upadacitinib 15 MG Extended Release Oral Tablet"}
		}),
	}
	// Each also as its order-select, which shares its evaluation with the
	// order-sign (cross-hook) while each hook gets its own cards.
	for _, b := range bodies[:3] {
		bodies = append(bodies, edit(t, b, asSelect))
	}
	var want []string
	for i, b := range bodies {
		want = append(want, answer(t, run(t, &pipeline.Pipeline{}, ps, edit(t, b, instance(fmt.Sprintf("9d0e6a7c-0000-4000-8000-%012d", i))), t0)))
	}
	// A small cache, so that entries are also evicted while others read.
	pl := &pipeline.Pipeline{Decisions: pipeline.NewDecisionCache(time.Minute, 40<<10)}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 6 {
		wg.Go(func() {
			for i := range 8 {
				k := (g + i) % len(bodies)
				b := edit(t, bodies[k], instance(fmt.Sprintf("9d0e6a7c-0000-4000-8000-%012d", k)))
				out, err := runErr(pl, ps, b, t0)
				if err != nil {
					errs <- err
					return
				}
				enc, err := cdshooks.Response{Cards: out.Cards}.Encode()
				if err != nil {
					errs <- err
					return
				}
				if string(enc) != want[k] {
					errs <- fmt.Errorf("goroutine %d call %d (input %d, cached %v): answer differs from an evaluation", g, i, k, out.DecisionCached)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if h, _ := pl.Decisions.Stats(); h == 0 {
		t.Error("no call was answered from the cache")
	}
}

// asSelect makes an order-sign body the order-select of its first draft
// order, as the EHR sends it while the order is built.
func asSelect(req map[string]any) {
	req["hook"] = "order-select"
	req["context"].(map[string]any)["selections"] = []any{"MedicationRequest/" + draft(req)["id"].(string)}
}

// TestDecisionCacheAcrossHooks: on the served (cross-hook) policy set the
// order-sign that follows an order-select of the same orders is answered
// from what the order-select evaluated, with the cards an evaluation of
// the order-sign gives (an order-sign-only card included); a selection of
// some of the drafts, or a policy set whose rules read the hook, is
// evaluated again.
func TestDecisionCacheAcrossHooks(t *testing.T) {
	t.Parallel()
	ps := defaultSet(t)
	if ok, where := ps.CrossHook(); !ok {
		t.Fatalf("the served policy set is hook-bound (%s): the case this test is for is gone", where)
	}
	hookBound := loadSet(t, map[string]string{"lib/zz_probe.rego": "package labelguard.lib\n\nprobe := input.hook\n"}, "")
	sign := lowANC(t)
	noDose := edit(t, sign, func(req map[string]any) { delete(draft(req), "dosageInstruction") })
	twoDrafts := edit(t, sign, func(req map[string]any) {
		entries := req["context"].(map[string]any)["draftOrders"].(map[string]any)["entry"].([]any)
		second := map[string]any{}
		for k, v := range draft(req) {
			second[k] = v
		}
		second["id"] = "upa-2"
		second["medicationCodeableConcept"] = map[string]any{"text": "upadacitinib 15 MG Extended Release Oral Tablet"}
		req["context"].(map[string]any)["draftOrders"].(map[string]any)["entry"] = append(entries, map[string]any{"resource": second})
	})
	tests := []struct {
		name string
		ps   *engine.PolicySet
		sign []byte
		hit  bool
		card string // a card order-sign must have (from the cache too)
	}{
		{name: "the same order", ps: ps, sign: sign, hit: true, card: "upadacitinib.dose-max"},
		{name: "an order without a dose: order-sign's own card", ps: ps, sign: noDose, hit: true, card: "jak.dose-unverifiable"},
		{name: "one of two drafts selected", ps: ps, sign: twoDrafts},
		{name: "rules that read the hook", ps: hookBound, sign: sign},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pl := &pipeline.Pipeline{Decisions: pipeline.NewDecisionCache(2*time.Minute, 1<<20)}
			sel := run(t, pl, tc.ps, edit(t, tc.sign, asSelect), t0)
			if sel.DecisionCached {
				t.Fatal("the first call was answered from an empty cache")
			}
			if tc.card == "jak.dose-unverifiable" && strings.Contains(rules(sel), tc.card) {
				t.Errorf("order-select got the order-sign-only card %s: %s", tc.card, rules(sel))
			}
			got := run(t, pl, tc.ps, edit(t, tc.sign, instance("2c4c1c52-9d1f-4a4e-8d52-6a3f9f7e2b10")), t0.Add(20*time.Second))
			if got.DecisionCached != tc.hit {
				t.Fatalf("order-sign answered from order-select's evaluation: %v, want %v", got.DecisionCached, tc.hit)
			}
			want := run(t, &pipeline.Pipeline{}, tc.ps, edit(t, tc.sign, instance("2c4c1c52-9d1f-4a4e-8d52-6a3f9f7e2b10")), t0.Add(20*time.Second))
			if a, b := answer(t, got), answer(t, want); a != b {
				t.Errorf("order-sign's answer differs from an evaluation:\ngot:  %s\nwant: %s", rules(got), rules(want))
			}
			if tc.card != "" && !strings.Contains(rules(got), tc.card) {
				t.Errorf("order-sign lacks %s: %s", tc.card, rules(got))
			}
			// The same request data: order-sign takes the facts order-select
			// derived, as its own derivation would give them.
			if !got.DerivedCached {
				t.Error("order-sign derived again the facts order-select derived from the same data")
			}
			if diff := cmp.Diff(want.Input.Input, got.Input.Input); diff != "" {
				t.Errorf("order-sign's input differs from a derivation (-derived +reused):\n%s", diff)
			}
		})
	}
}

// TestDecisionCacheDispenseOfTheCream: the cream's rules read
// input.dispense, so on a cream order an edit of the dispense is
// evaluated, and its card is the one an evaluation gives.
func TestDecisionCacheDispenseOfTheCream(t *testing.T) {
	t.Parallel()
	ps := defaultSet(t)
	cream := func(dispense map[string]any) func(map[string]any) {
		return func(req map[string]any) {
			d := draft(req)
			d["medicationCodeableConcept"] = map[string]any{"text": "Opzelura 1.5% cream"}
			d["dosageInstruction"] = []any{map[string]any{"text": "apply twice daily",
				"route": map[string]any{"coding": []any{map[string]any{"system": "http://snomed.info/sct", "code": "6064005", "display": "Topical route"}}}}}
			if dispense != nil {
				d["dispenseRequest"] = dispense
			}
		}
	}
	body := lowANC(t)
	first := edit(t, body, cream(map[string]any{"quantity": map[string]any{"value": 60, "unit": "g"},
		"expectedSupplyDuration": map[string]any{"value": 7, "unit": "days", "system": "http://unitsofmeasure.org", "code": "d"}}))
	more := edit(t, body, cream(map[string]any{"quantity": map[string]any{"value": 200, "unit": "g"},
		"expectedSupplyDuration": map[string]any{"value": 7, "unit": "days", "system": "http://unitsofmeasure.org", "code": "d"}}))
	pl := &pipeline.Pipeline{Decisions: pipeline.NewDecisionCache(2*time.Minute, 1<<20)}
	if out := run(t, pl, ps, first, t0); strings.Contains(rules(out), "ruxolitinib-cream.quantity-max") {
		t.Fatalf("60 g a week: %s", rules(out))
	}
	got := run(t, pl, ps, more, t0.Add(10*time.Second))
	if got.DecisionCached {
		t.Fatal("an edit of the cream's dispense was answered from the decision before it")
	}
	if !strings.Contains(rules(got), "ruxolitinib-cream.quantity-max") {
		t.Errorf("200 g a week: %s; want ruxolitinib-cream.quantity-max", rules(got))
	}
	want := run(t, &pipeline.Pipeline{}, ps, more, t0.Add(10*time.Second))
	if a, b := answer(t, got), answer(t, want); a != b {
		t.Errorf("answer differs from an evaluation:\ngot:  %.600s\nwant: %.600s", a, b)
	}
}

// TestDerivedFactsReused: a call on the same request data takes the facts
// the first call derived, re-timed to its own time and hookInstance, and
// answers as a fresh derivation would; until a result that was still to
// come has arrived, after which it derives them again.
func TestDerivedFactsReused(t *testing.T) {
	t.Parallel()
	ps := defaultSet(t)
	body := lowANC(t)
	// An ANC of 3.0 resulted a minute after the first call: from then on
	// it is the latest, and the low-ANC card goes.
	later := edit(t, body, func(req map[string]any) {
		bundle := req["prefetch"].(map[string]any)["labObservations"].(map[string]any)
		bundle["entry"] = append(bundle["entry"].([]any), map[string]any{"resource": map[string]any{
			"resourceType": "Observation", "id": "anc-2", "status": "final",
			"subject":           map[string]any{"reference": "Patient/" + lowANCPatient},
			"code":              map[string]any{"coding": []any{map[string]any{"system": "http://loinc.org", "code": "751-8"}}},
			"effectiveDateTime": t0.Add(time.Minute).Format(time.RFC3339),
			"valueQuantity":     map[string]any{"value": 3.0, "unit": "10*3/uL", "system": "http://unitsofmeasure.org", "code": "10*3/uL"},
		}})
	})
	pl := &pipeline.Pipeline{Decisions: pipeline.NewDecisionCache(2*time.Minute, 1<<20)}
	first := run(t, pl, ps, later, t0)
	if first.DerivedCached || !strings.Contains(rules(first), "jak.lab-anc-low") {
		t.Fatalf("first call: derived cached %v, rules %s; want a derivation and the low ANC", first.DerivedCached, rules(first))
	}
	second := edit(t, later, instance("2c4c1c52-9d1f-4a4e-8d52-6a3f9f7e2b10"))
	got := run(t, pl, ps, second, t0.Add(30*time.Second))
	if !got.DerivedCached {
		t.Fatal("the same request data 30 s later was derived again")
	}
	if got.Input.Input.HookInstance != "2c4c1c52-9d1f-4a4e-8d52-6a3f9f7e2b10" || got.Input.Input.Now != t0.Add(30*time.Second).Format(time.RFC3339) {
		t.Errorf("the reused input is not re-timed to the call: %s %s", got.Input.Input.HookInstance, got.Input.Input.Now)
	}
	fresh := run(t, &pipeline.Pipeline{}, ps, second, t0.Add(30*time.Second))
	if diff := cmp.Diff(fresh.Input.Input, got.Input.Input); diff != "" {
		t.Errorf("reused input differs from a derivation (-derived +reused):\n%s", diff)
	}
	after := run(t, pl, ps, second, t0.Add(90*time.Second))
	if after.DerivedCached || after.DecisionCached {
		t.Fatalf("after the new result arrived: derived cached %v, decision cached %v; want both evaluated afresh", after.DerivedCached, after.DecisionCached)
	}
	if strings.Contains(rules(after), "jak.lab-anc-low") {
		t.Errorf("after the ANC of 3.0: %s", rules(after))
	}
	want := run(t, &pipeline.Pipeline{}, ps, second, t0.Add(90*time.Second))
	if a, b := answer(t, after), answer(t, want); a != b {
		t.Errorf("answer differs from an evaluation:\ngot:  %.600s\nwant: %.600s", a, b)
	}
	if h, m := pl.Decisions.DerivedStats(); h != 1 || m != 2 {
		t.Errorf("derived stats: %d hits, %d misses; want 1 and 2", h, m)
	}
}
