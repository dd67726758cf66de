package engine_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/labelguard/labelguard/cdshooks"
	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/facts"
)

func ptr[T any](v T) *T { return &v }

func TestLoadRefusesBrokenPolicySets(t *testing.T) {
	t.Parallel()
	noMeta := strings.Replace(tsRuleBody, "# METADATA\n", "", 1)
	noMeta = tsPackage + noMeta[:strings.Index(noMeta, "# title")] + noMeta[strings.Index(noMeta, "findings contains"):]
	noSource := strings.Replace(tsRule, "#     url: https://dailymed.nlm.nih.gov/dailymed/lookup.cfm?setid=2966aec7-2ef0-923c-d8ff-fe1a957bf095\n", "", 1)
	tests := []struct {
		name string
		fs   func() any
		set  map[string]string
		want []string
	}{
		{"syntax error", nil, map[string]string{"rules/upa/upa.rego": "package labelguard.rules.upa\nfindings contains f if {"}, []string{"rules/upa/upa.rego"}},
		{"no metadata", nil, map[string]string{"rules/upa/upa.rego": noMeta}, []string{"rules/upa/upa.rego:", "labelguard.rules.upa.findings", "missing METADATA"}},
		{"incomplete metadata", nil, map[string]string{"rules/upa/upa.rego": noSource}, []string{"rules/upa/upa.rego:", "custom.source.url"}},
		{"network builtin", nil, map[string]string{"rules/upa/net.rego": "package labelguard.rules.upa\nx := http.send({\"method\": \"get\", \"url\": \"http://example.org\"})\n"}, []string{"rules/upa/net.rego", "http.send"}},
		{"clock builtin", nil, map[string]string{"rules/upa/clock.rego": "package labelguard.rules.upa\nnow := time.now_ns()\n"}, []string{"rules/upa/clock.rego", "time.now_ns"}},
		{"undefined reference in strict mode", nil, map[string]string{"rules/upa/x.rego": "package labelguard.rules.upa\nimport data.labelguard.lib\nx := 1 if { y := 2 }\n"}, []string{"rules/upa/x.rego"}},
		{"service naming a query", nil, map[string]string{"services.json": strings.Replace(tsServices, `"title": "T",`, `"title": "T", "query": "data.labelguard.main.findings",`, 1)}, []string{"services.json", "no longer names a query"}},
		{"bad value set", nil, map[string]string{"valuesets/upadacitinib.json": `{"resourceType": "Patient", "id": "x"}`}, []string{"valuesets/upadacitinib.json", "ValueSet"}},
		{"unknown site override", nil, map[string]string{"data/params.json": withParams(`"rules": {"no.such-rule": {"enabled": false}}`)}, []string{"no.such-rule"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fs := testSet()
			for p, c := range tc.set {
				fs = with(fs, p, c)
			}
			_, err := engine.Load(context.Background(), fs, engine.Options{})
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestLoadReadsCatalog(t *testing.T) {
	t.Parallel()
	ps, err := engine.Load(context.Background(), testSet(), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := ps.Catalog["upadacitinib.dose-max"]
	if r == nil {
		t.Fatal("rule upadacitinib.dose-max missing from the catalog")
	}
	if v := r.Variants[0]; r.Title() != "Upadacitinib above the maximum" || v.Source.Section != "2.5" || r.Indicators()[0] != "critical" {
		t.Errorf("catalog entry = %+v", r)
	}
	ps2, err := engine.Load(context.Background(), testSet(), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if ps.Revision != ps2.Revision || !strings.HasPrefix(ps.Revision, "sha256:") {
		t.Errorf("revision not stable: %s vs %s", ps.Revision, ps2.Revision)
	}
	ps3, err := engine.Load(context.Background(), with(testSet(), "data/params.json", strings.Replace(tsParams, `"US"`, `"EU"`, 1)), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if ps3.Revision == ps.Revision {
		t.Error("revision did not change with the content")
	}
}

func input(dose float64) (*facts.Input, map[string]json.RawMessage) {
	in := &facts.Input{
		Version: facts.Version, Service: "svc", Hook: "order-sign", HookInstance: "hi-1", Now: "2026-11-23T00:00:00Z",
		Patient: &facts.Patient{Ref: "Patient/p1"},
		Orders: []facts.Med{{
			Ref: "MedicationRequest/mr1", ResourceType: "MedicationRequest", Target: "upadacitinib",
			Status: "draft", Draft: true, Phase: "initiation", DailyDoseMg: ptr(dose),
		}},
	}
	orders := map[string]json.RawMessage{"MedicationRequest/mr1": json.RawMessage(`{"resourceType": "MedicationRequest", "id": "mr1", "status": "draft", "intent": "order",
	  "medicationCodeableConcept": {"text": "upadacitinib 45 MG Extended Release Oral Tablet"}, "subject": {"reference": "Patient/p1"},
	  "dosageInstruction": [{"route": {"text": "oral"}, "timing": {"code": {"text": "QD"}}, "doseAndRate": [{"doseQuantity": {"value": 1, "unit": "tablet"}}]}]}`)}
	return in, orders
}

func TestEvaluateBuildsCards(t *testing.T) {
	t.Parallel()
	ps, err := engine.Load(context.Background(), testSet(), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	in, orders := input(45)
	res, err := ps.Evaluate(context.Background(), engine.Request{Service: "svc", Input: in, Orders: orders})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Cards) != 1 {
		t.Fatalf("got %d cards, want 1", len(res.Cards))
	}
	c := res.Cards[0]
	if err := c.Validate(); err != nil {
		t.Errorf("card does not validate: %v", err)
	}
	if c.UUID != engine.CardUUID("hi-1", "upadacitinib.dose-max", "MedicationRequest/mr1") {
		t.Errorf("uuid %s is not derived from hookInstance, rule and order", c.UUID)
	}
	if c.Source.Topic == nil || c.Source.Topic.Code != "upadacitinib.dose-max" || c.Source.Topic.System != engine.TopicSystem {
		t.Errorf("source.topic = %+v", c.Source.Topic)
	}
	if c.Source.Label != "Rinvoq (upadacitinib) US Prescribing Information §2.5" {
		t.Errorf("source.label = %q", c.Source.Label)
	}
	if c.SelectionBehavior != "at-most-one" || len(c.OverrideReasons) != 1 {
		t.Errorf("selectionBehavior %q, overrideReasons %v", c.SelectionBehavior, c.OverrideReasons)
	}
	if len(c.Suggestions) != 3 {
		t.Fatalf("got %d suggestions, want 3", len(c.Suggestions))
	}
	// update-dose: switched to the 15 mg product, one tablet once daily.
	upd := c.Suggestions[0].Actions[0]
	var mr map[string]any
	if err := json.Unmarshal(upd.Resource, &mr); err != nil {
		t.Fatal(err)
	}
	mcc := mr["medicationCodeableConcept"].(map[string]any)
	if upd.Type != "update" || mr["id"] != "mr1" || mcc["text"] != "upadacitinib 15 MG Extended Release Oral Tablet" {
		t.Errorf("update action = %s", upd.Resource)
	}
	dose := mr["dosageInstruction"].([]any)[0].(map[string]any)
	dq := dose["doseAndRate"].([]any)[0].(map[string]any)["doseQuantity"].(map[string]any)
	if dq["value"].(float64) != 1 || dose["route"] == nil {
		t.Errorf("dosage = %v", dose)
	}
	if del := c.Suggestions[1].Actions[0]; del.Type != "delete" || del.ResourceID != "MedicationRequest/mr1" {
		t.Errorf("delete action = %+v", del)
	}
	if n := len(c.Suggestions[2].Actions); n != 2 {
		t.Errorf("create-lab made %d ServiceRequests, want one per panel (2)", n)
	}
	ext := c.Extension[engine.ExtensionKey]
	data, _ := json.Marshal(ext)
	for _, w := range []string{`"rule":"upadacitinib.dose-max"`, `"phase":"initiation"`, `"policyRevision":"sha256:`, `"evidence":[`} {
		if !strings.Contains(string(data), w) {
			t.Errorf("extension %s lacks %s", data, w)
		}
	}
	if err := (cdshooks.Response{Cards: res.Cards}).Validate(); err != nil {
		t.Errorf("response does not validate: %v", err)
	}

	in30, orders30 := input(30)
	res, err = ps.Evaluate(context.Background(), engine.Request{Service: "svc", Input: in30, Orders: orders30})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Cards) != 0 {
		t.Errorf("30 mg/day: got %d cards, want none", len(res.Cards))
	}
}

func TestSiteOverrides(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, params string
		wantCards    int
		wantInd      string
		wantErr      string
	}{
		{"disabled", `{"rules": {"upadacitinib.dose-max": {"enabled": false}}}`, 0, "", ""},
		{"lowered", `{"rules": {"upadacitinib.dose-max": {"indicator": "warning"}}}`, 1, "warning", ""},
		{"not an indicator", `{"rules": {"upadacitinib.dose-max": {"indicator": "bogus"}}}`, 0, "", "rules.upadacitinib.dose-max.indicator: value must be one of"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ps, err := engine.Load(context.Background(), testSet(), engine.Options{SiteParams: []byte(tc.params)})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			in, orders := input(45)
			res, err := ps.Evaluate(context.Background(), engine.Request{Service: "svc", Input: in, Orders: orders})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Cards) != tc.wantCards {
				t.Fatalf("got %d cards, want %d", len(res.Cards), tc.wantCards)
			}
			if tc.wantCards > 0 && res.Cards[0].Indicator != tc.wantInd {
				t.Errorf("indicator %s, want %s", res.Cards[0].Indicator, tc.wantInd)
			}
		})
	}
}

func TestRunTestsReportsFailures(t *testing.T) {
	t.Parallel()
	failing := tsRuleTest + "\ntest_wrong if {\n\tcount(upa.findings) == 5 with input as {}\n}\n"
	ps, err := engine.Load(context.Background(), with(testSet(), "rules/upa/upa_test.rego", failing), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := ps.RunTests(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, r := range res {
		got[r.Name] = r.Pass
	}
	want := map[string]bool{"test_fires_above_30": true, "test_silent_at_30": true, "test_wrong": false}
	for k, v := range want {
		if p, ok := got[k]; !ok || p != v {
			t.Errorf("%s: pass=%v present=%v, want pass=%v", k, p, ok, v)
		}
	}
}

// A rule whose source differs by drug declares one METADATA per variant;
// each card cites the variant of its order's drug.
func TestRuleVariantsPickSourceByDrug(t *testing.T) {
	t.Parallel()
	variants := `# METADATA
# scope: package
# custom:
#   hooks: [order-sign]
#   drugs: [upadacitinib, ruxolitinib-cream]
package labelguard.rules.both

# METADATA
# title: Oral JAK inhibitor in pregnancy
# custom:
#   id: jak.pregnancy
#   indicator: critical
#   drugs: [upadacitinib]
#   source:
#     label: Rinvoq (upadacitinib) US Prescribing Information
#     section: "8.1"
#     url: https://dailymed.nlm.nih.gov/dailymed/lookup.cfm?setid=2966aec7-2ef0-923c-d8ff-fe1a957bf095
findings contains {"rule": "jak.pregnancy", "indicator": "critical", "summary": "Upadacitinib in pregnancy", "order": o.ref} if {
	some o in input.orders
	o.target == "upadacitinib"
}

# METADATA
# title: Ruxolitinib cream in pregnancy
# custom:
#   id: jak.pregnancy
#   indicator: warning
#   drugs: [ruxolitinib-cream]
#   source:
#     label: Opzelura (ruxolitinib) cream US Prescribing Information
#     section: "8.1"
#     url: https://dailymed.nlm.nih.gov/dailymed/search.cfm?query=opzelura
findings contains {"rule": "jak.pregnancy", "indicator": "warning", "summary": "Ruxolitinib cream in pregnancy", "order": o.ref} if {
	some o in input.orders
	o.target == "ruxolitinib-cream"
}
`
	set := with(with(testSet(), "rules/both/preg.rego", variants), "data/drugs.json", strings.Replace(tsDrugs, `}}, "interacting"`,
		`}, "ruxolitinib": {"display": "Ruxolitinib", "topicalTarget": "ruxolitinib-cream", "names": ["ruxolitinib"]}}, "interacting"`, 1))
	ps, err := engine.Load(context.Background(), set, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(ps.Catalog["jak.pregnancy"].Variants); n != 2 {
		t.Fatalf("jak.pregnancy has %d variants, want 2", n)
	}
	in := &facts.Input{Version: 1, Hook: "order-sign", HookInstance: "h", Now: "2026-11-23T00:00:00Z", Orders: []facts.Med{
		{Ref: "MedicationRequest/a", ResourceType: "MedicationRequest", Target: "upadacitinib"},
		{Ref: "MedicationRequest/b", ResourceType: "MedicationRequest", Target: "ruxolitinib-cream"},
	}}
	res, err := ps.Evaluate(context.Background(), engine.Request{Service: "svc", Input: in})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, c := range res.Cards {
		got[c.Indicator] = c.Source.Label + " / " + c.Source.Topic.Display
	}
	want := map[string]string{
		"critical": "Rinvoq (upadacitinib) US Prescribing Information §8.1 / Oral JAK inhibitor in pregnancy",
		"warning":  "Opzelura (ruxolitinib) cream US Prescribing Information §8.1 / Ruxolitinib cream in pregnancy",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s card cites %q, want %q", k, got[k], v)
		}
	}
	if res.Cards[0].Indicator != "critical" {
		t.Error("cards are not ordered critical first")
	}
}
