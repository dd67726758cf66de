package scenario_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/policies"
	"github.com/labelguard/labelguard/scenario"
)

// cardTextGolden holds the text of every card of every scenario.
const cardTextGolden = "testdata/card-text.golden.json"

// cardText is what a clinician reads of a card.
type cardText struct {
	Order     string `json:"order,omitempty"`
	Rule      string `json:"rule"`
	Indicator string `json:"indicator"`
	Summary   string `json:"summary"`
	Detail    string `json:"detail,omitempty"`
}

// TestCardTextIsCurrent pins the words of every card every scenario
// gives, in every jurisdiction, so that a change to how card text is
// written (sprintf in Rego, templates in METADATA, a library helper)
// shows each card it changes. Regenerate with -update and read the diff.
func TestCardTextIsCurrent(t *testing.T) {
	base, scenarios := loadCorpus(t)
	got := map[string][]cardText{}
	err := scenario.RunAll(context.Background(), base, scenarios, func(res *scenario.Result) error {
		key := res.Jurisdiction + "/" + strings.TrimSuffix(filepath.Base(res.File), ".json")
		cards := []cardText{}
		if res.Outcome.Result != nil {
			for _, f := range res.Outcome.Findings {
				// a formatting slip (a sprintf with more values than
				// verbs, a null in a template) never reaches a card
				for _, text := range []string{f.Summary, f.Detail} {
					if strings.Contains(text, "%!") || strings.Contains(text, "<no value>") {
						t.Errorf("%s, %s: card text has a formatting error: %q", key, f.Rule, text)
					}
				}
				cards = append(cards, cardText{Order: f.Order, Rule: f.Rule, Indicator: f.Indicator, Summary: f.Summary, Detail: f.Detail})
			}
		}
		got[key] = cards
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		data, err := json.MarshalIndent(got, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(cardTextGolden, append(data, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	data, err := os.ReadFile(cardTextGolden)
	if err != nil {
		t.Fatalf("%v (generate it with -update)", err)
	}
	var want map[string][]cardText
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	for key, w := range want {
		if d := gocmp.Diff(w, got[key]); d != "" {
			t.Errorf("%s: card text differs (-golden +now; regenerate with -update if meant):\n%s", key, d)
		}
	}
	for key := range got {
		if _, ok := want[key]; !ok {
			t.Errorf("%s: not in %s (regenerate with -update)", key, cardTextGolden)
		}
	}
}

// TestEveryCardTemplateIsPinned: each card template (custom.card) of
// each rule variant renders a card in some scenario, so that the golden
// above pins its words and TestCardsInAClinicansWords checks them; a
// template no scenario renders would meet its first values in a
// clinician's EHR. A variant is told apart by the hooks it is for (the
// order rules' neutrophil card and the monitoring service's).
func TestEveryCardTemplateIsPinned(t *testing.T) {
	base, scenarios := loadCorpus(t)
	rendered := map[*engine.Variant]bool{}
	err := scenario.RunAll(context.Background(), base, scenarios, func(res *scenario.Result) error {
		for _, f := range res.Outcome.Findings {
			for _, v := range base.Catalog[f.Rule].Variants {
				if len(v.Hooks) == 0 || slices.Contains(v.Hooks, res.Hook) {
					rendered[v] = true
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for id, r := range base.Catalog {
		for _, v := range r.Variants {
			if v.Card == nil {
				continue
			}
			n++
			if !rendered[v] {
				t.Errorf("rule %s writes its card from a template (%s, hooks %v) and no scenario gives that card: add one", id, v.Locations[0], v.Hooks)
			}
		}
	}
	if n < 40 {
		t.Fatalf("%d rule variants write their card from a template: the test checks less than it says", n)
	}
}

// loadCorpus is the default policy set and the scenario corpus.
func loadCorpus(t *testing.T) (*engine.PolicySet, []scenario.Scenario) {
	t.Helper()
	base, err := engine.Load(context.Background(), policies.FS, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	scenarios, err := scenario.Load(scenariosDir)
	if err != nil {
		t.Fatal(err)
	}
	return base, scenarios
}
