package engine

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/labelguard/labelguard/policies"
)

// FuzzCardRender renders the served lab card from any JSON values: a
// card comes out whole or the finding fails with an error, never a panic
// or a template's own syntax (a null is refused: TestCardNullRefused).
func FuzzCardRender(f *testing.F) {
	ps, err := Load(context.Background(), policies.FS, Options{})
	if err != nil {
		f.Fatal(err)
	}
	var card *CardTemplate
	for _, v := range ps.Catalog["jak.lab-anc-low"].Variants {
		if v.Card != nil {
			card = v.Card
		}
	}
	if card == nil {
		f.Fatal("jak.lab-anc-low has no card template")
	}
	for _, seed := range []string{
		`{"drug": "upadacitinib", "analyte": "anc", "lab": {"value": 0.8, "unit": "10*9/L", "time": "2026-11-16T09:00:00Z"}, "limit": 1, "phase": "initiation"}`,
		`{"drug": "abrocitinib", "analyte": "hgb", "lab": {"value": 7.89, "unit": "g/dL", "time": "2026-11-16"}, "limit": 8, "phase": "continuation"}`,
		`{"drug": "upadacitinib", "analyte": "anc", "lab": {"value": 1e308, "time": ""}, "limit": -0.0005, "phase": null}`,
		`{"drug": "nobody", "analyte": "", "lab": "0.8", "limit": "1", "phase": 3}`,
		`{"drug": "upadacitinib", "analyte": "anc", "lab": {"value": 0.8, "time": "2026-11-16"}, "limit": null, "phase": "initiation"}`,
		`{}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var values map[string]any
		d := json.NewDecoder(strings.NewReader(string(data)))
		d.UseNumber() // as OPA gives them
		if d.Decode(&values) != nil || values == nil {
			return
		}
		numbersAsFloats(values)
		s, detail, err := card.render(values)
		if err != nil {
			return
		}
		for _, text := range []string{s, detail} {
			if strings.Contains(text, "{{") {
				t.Fatalf("rendered %q / %q", s, detail)
			}
		}
		if s == "" || strings.Contains(s, "\n") {
			t.Fatalf("summary %q", s)
		}
	})
}
