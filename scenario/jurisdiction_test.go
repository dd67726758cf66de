package scenario_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/policies"
	"github.com/labelguard/labelguard/scenario"
)

// The pregnancy card on abrocitinib follows the label of the jurisdiction
// in force: the EU SmPC contraindicates use in pregnancy (a critical card
// citing the Cibinqo SmPC); the US label says the data are not sufficient
// to establish a drug-associated risk (the card says so, citing the PI).
func TestPregnancyCardPerJurisdiction(t *testing.T) {
	ctx := context.Background()
	s, err := scenario.LoadFile(filepath.Join(scenariosDir, "071-woman-30-positive-hcg.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		jurisdiction, indicator, label, section string
		says                                    []string
		not                                     string
	}{
		{"EU", "critical", "Cibinqo (abrocitinib) EU Summary of Product Characteristics", "4.3, 4.6",
			[]string{"contraindicated", "during pregnancy"}, "not sufficient to establish"},
		{"US", "warning", "Cibinqo (abrocitinib) US Prescribing Information", "8.1",
			[]string{"not sufficient to establish a drug-associated risk for major birth defects, miscarriage, or other adverse maternal or fetal outcomes", "1-877-311-3770"}, "embryo-fetal toxicity"},
	} {
		ps, err := engine.Load(ctx, policies.FS, engine.Options{SiteParams: []byte(`{"jurisdiction": "` + tc.jurisdiction + `"}`)})
		if err != nil {
			t.Fatal(err)
		}
		res, err := scenario.Run(ctx, ps, s)
		if err != nil {
			t.Fatal(err)
		}
		if !res.Passed() {
			t.Fatal(res.String())
		}
		found := false
		for _, c := range res.Outcome.Cards {
			if !strings.Contains(c.Summary, "during pregnancy") {
				continue
			}
			found = true
			text := c.Summary + "\n" + c.Detail
			if string(c.Indicator) != tc.indicator {
				t.Errorf("%s: indicator %s, want %s", tc.jurisdiction, c.Indicator, tc.indicator)
			}
			if !strings.HasPrefix(c.Source.Label, tc.label) || !strings.Contains(c.Source.Label, tc.section) {
				t.Errorf("%s: source %q, want %s §%s", tc.jurisdiction, c.Source.Label, tc.label, tc.section)
			}
			for _, w := range tc.says {
				if !strings.Contains(text, w) {
					t.Errorf("%s: card does not say %q:\n%s", tc.jurisdiction, w, text)
				}
			}
			if strings.Contains(text, tc.not) {
				t.Errorf("%s: card says %q:\n%s", tc.jurisdiction, tc.not, text)
			}
		}
		if !found {
			t.Errorf("%s: no pregnancy card", tc.jurisdiction)
		}
	}
}
