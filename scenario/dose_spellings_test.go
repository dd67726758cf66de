package scenario_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/policies"
	"github.com/labelguard/labelguard/scenario"
)

// TestDoseSpellingsGetTheDoseMaximum: an over-maximum daily dose of each
// oral target, written in each countable unit EHRs send, gets the drug's
// critical dose-max card at order-select and at order-sign, never the
// dose-unverifiable card; the upadacitinib suggestion rewrites the order
// to 15 mg and keeps what identifies it.
func TestDoseSpellingsGetTheDoseMaximum(t *testing.T) {
	ctx := context.Background()
	ps, err := engine.Load(ctx, policies.FS, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// A 40-year-old man with a recent complete work-up: the dose is the
	// only thing wrong with the orders below.
	base, err := scenario.LoadFile(filepath.Join(scenariosDir, "016-upadacitinib-30mg-initiation.json"))
	if err != nil {
		t.Fatal(err)
	}
	drugs := []struct {
		rule, product string
		perDay        float64 // tablets a day, to exceed the maximum
	}{
		{"upadacitinib.dose-max", "upadacitinib 45 MG Extended Release Oral Tablet [Rinvoq]", 1},
		{"abrocitinib.dose-max", "abrocitinib 200 MG Oral Tablet [Cibinqo]", 2},
		{"baricitinib.dose-max", "baricitinib 4 MG Oral Tablet [Olumiant]", 2},
	}
	units := []struct {
		name string
		q    map[string]any
	}{
		{"{pill}", map[string]any{"system": "http://unitsofmeasure.org", "code": "{pill}"}},
		{"{tbl}", map[string]any{"unit": "tbl", "system": "http://unitsofmeasure.org", "code": "{tbl}"}},
		{"{tab}", map[string]any{"system": "http://unitsofmeasure.org", "code": "{tab}"}},
		{"{tablet}", map[string]any{"system": "http://unitsofmeasure.org", "code": "{tablet}"}},
		{"TAB", map[string]any{"unit": "TAB", "code": "TAB"}},
		{"words", map[string]any{"unit": "tablets"}},
		{"unity", map[string]any{"unit": "1", "system": "http://unitsofmeasure.org", "code": "1"}},
		{"bare", map[string]any{}},
		{"SNOMED CT tablet", map[string]any{"system": "http://snomed.info/sct", "code": "732936001"}},
	}
	for _, d := range drugs {
		for _, u := range units {
			for _, hook := range []string{"order-select", "order-sign"} {
				t.Run(strings.Join([]string{d.rule, u.name, hook}, "/"), func(t *testing.T) {
					s := base
					s.Name = d.rule + " " + u.name + " " + hook
					s.Hook = hook
					q := map[string]any{"value": 1}
					for k, v := range u.q {
						q[k] = v
					}
					order := scenario.Resource{
						"resourceType": "MedicationRequest", "id": "order-1", "status": "draft", "intent": "order",
						"authoredOn":                "2026-11-23",
						"medicationCodeableConcept": map[string]any{"text": d.product},
						"dosageInstruction": []any{map[string]any{
							"timing":      map[string]any{"repeat": map[string]any{"frequency": d.perDay, "period": 1, "periodUnit": "d"}},
							"doseAndRate": []any{map[string]any{"doseQuantity": q}},
						}},
					}
					s.Drafts = []scenario.Resource{order}
					s.Expect = nil
					res, err := scenario.Run(ctx, ps, s)
					if err != nil {
						t.Fatal(err)
					}
					got := res.Got["MedicationRequest/order-1"]
					if !slices.Contains(got, d.rule) || slices.Contains(got, "jak.dose-unverifiable") {
						t.Fatalf("rules %v, want %s and no jak.dose-unverifiable", got, d.rule)
					}
					if d.rule == "upadacitinib.dose-max" {
						checkDoseSuggestion(t, res, d.rule)
					}
				})
			}
		}
	}
}

// checkDoseSuggestion: the card's update keeps the order's id, subject,
// status and intent and names the 15 mg product.
func checkDoseSuggestion(t *testing.T, res *scenario.Result, rule string) {
	t.Helper()
	for _, c := range res.Outcome.Cards {
		if c.Source.Topic == nil || c.Source.Topic.Code != rule {
			continue
		}
		if c.Indicator != "critical" || len(c.Suggestions) == 0 || len(c.Suggestions[0].Actions) != 1 {
			t.Fatalf("card %s: indicator %s, suggestions %+v", rule, c.Indicator, c.Suggestions)
		}
		a := c.Suggestions[0].Actions[0]
		var r struct {
			ResourceType string `json:"resourceType"`
			ID           string `json:"id"`
			Status       string `json:"status"`
			Intent       string `json:"intent"`
			Subject      struct {
				Reference string `json:"reference"`
			} `json:"subject"`
			Medication struct {
				Text string `json:"text"`
			} `json:"medicationCodeableConcept"`
		}
		if err := json.Unmarshal(a.Resource, &r); err != nil {
			t.Fatal(err)
		}
		if a.Type != "update" || r.ResourceType != "MedicationRequest" || r.ID != "order-1" || r.Status != "draft" || r.Intent != "order" ||
			r.Subject.Reference != "Patient/synthetic-patient" || !strings.Contains(r.Medication.Text, "15 MG") {
			t.Errorf("update action %s: %s", a.Type, a.Resource)
		}
		return
	}
	t.Fatalf("no %s card", rule)
}
