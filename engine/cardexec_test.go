package engine_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/policies"
	"github.com/labelguard/labelguard/scenario"
)

// scenarioTexts are the text values of every finding with a card template
// that the scenario corpus gives, in both jurisdictions, with the card
// each is rendered by (the raw findings, from the rules themselves).
func scenarioTexts(t testing.TB) (cards []*engine.CardTemplate, texts []map[string]any) {
	ctx := context.Background()
	base, err := engine.Load(ctx, policies.FS, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	scenarios, err := scenario.Load("../policies/testdata/scenarios")
	if err != nil {
		t.Fatal(err)
	}
	sets := map[string]*engine.PolicySet{}
	err = scenario.RunAll(ctx, base, scenarios, func(res *scenario.Result) error {
		if res.Outcome.Input == nil {
			return nil
		}
		ps := sets[res.Jurisdiction]
		if ps == nil {
			if ps, err = base.InJurisdiction(ctx, res.Jurisdiction); err != nil {
				return err
			}
			sets[res.Jurisdiction] = ps
		}
		for name, p := range ps.Packages {
			if !slices.Contains(p.Hooks, res.Hook) {
				continue
			}
			raw, err := ps.Query(ctx, `[f | some f in data.labelguard.rules.`+name+`.findings; f.text]`, &res.Outcome.Input.Input)
			if err != nil {
				return err
			}
			for _, f := range raw.([]any) {
				m := f.(map[string]any)
				c := cardOf(ps, m["rule"].(string), res.Hook)
				if c == nil {
					continue // a rule not for this hook: the engine drops its finding
				}
				cards = append(cards, c)
				texts = append(texts, m["text"].(map[string]any))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return cards, texts
}

// cardOf is the card template of a rule (or rule ID template) on a hook.
func cardOf(ps *engine.PolicySet, id, hook string) *engine.CardTemplate {
	for _, r := range ps.Catalog {
		if r.ID != id && r.Template != id {
			continue
		}
		for _, v := range r.Variants {
			if v.Card != nil && (len(v.Hooks) == 0 || slices.Contains(v.Hooks, hook)) {
				return v.Card
			}
		}
	}
	return nil
}

// The card executor writes every scenario card exactly as text/template
// would from the same template and values.
func TestCardExecMatchesTextTemplate(t *testing.T) {
	cards, texts := scenarioTexts(t)
	if len(texts) < 200 {
		t.Fatalf("%d findings with text values: the test checks less than it says", len(texts))
	}
	for i, c := range cards {
		fast, ref, fastErr, refErr := c.RenderBoth(texts[i])
		if fastErr != nil || !engine.AgreesWithTextTemplate(fast, ref, fastErr, refErr) {
			t.Errorf("%q: executor %q (%v), text/template %q (%v)", c.Summary, fast, fastErr, ref, refErr)
		}
	}
}

// FuzzCardExec mutates the scenarios' values and renders each with every
// served card template: the executor and text/template give the same
// text, or both an error.
func FuzzCardExec(f *testing.F) {
	cards, texts := scenarioTexts(f)
	var templates []*engine.CardTemplate
	seen := map[*engine.CardTemplate]bool{}
	for i, c := range cards {
		if !seen[c] {
			seen[c] = true
			templates = append(templates, c)
			data, err := json.Marshal(texts[i])
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, c := range templates {
			var values map[string]any
			d := json.NewDecoder(strings.NewReader(string(data)))
			d.UseNumber()
			if d.Decode(&values) != nil || values == nil {
				return
			}
			fast, ref, fastErr, refErr := c.RenderBoth(values)
			if !engine.AgreesWithTextTemplate(fast, ref, fastErr, refErr) {
				t.Fatalf("%q with %s: executor %q (%v), text/template %q (%v)", c.Summary, data, fast, fastErr, ref, refErr)
			}
		}
	})
}
