package fhir

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/facts"
	"github.com/labelguard/labelguard/policies"
	"github.com/labelguard/labelguard/terminology"
)

// A site terminology of synthetic codes (terminology/testdata/synthetic
// has the files they would be imported from).
var siteTables = sync.OnceValues(func() (Tables, error) {
	rx, ndc := terminology.SystemRxNorm, terminology.SystemNDC
	site := &terminology.Site{Note: "synthetic", Codes: []terminology.SiteCode{
		{System: rx, Code: "900000303", TTY: "SCD", Name: "24 HR upadacitinib 45 MG Extended Release Oral Tablet", Ingredient: "upadacitinib", Route: "oral", Profile: "upadacitinib",
			Product: "upadacitinib 45 MG Extended Release Oral Tablet [Rinvoq]", StrengthMg: 45, Per: "unit"},
		{System: rx, Code: "900000309", TTY: "SCD", Name: "baricitinib 7 MG Oral Tablet", Ingredient: "baricitinib", Route: "oral", Profile: "baricitinib", StrengthMg: 7, Per: "unit"},
		{System: rx, Code: "900000104", TTY: "IN", Name: "ruxolitinib", Ingredient: "ruxolitinib"},
		{System: rx, Code: "900000408", TTY: "SBD", Name: "ruxolitinib 15 MG Oral Tablet [Jakafi]", Ingredient: "ruxolitinib", Route: "oral", StrengthMg: 15, Per: "unit"},
		{System: ndc, Code: "99901-0045", TTY: "product", Name: "Rinvoq (upadacitinib) 45 mg/1", Ingredient: "upadacitinib", Route: "oral", Profile: "upadacitinib",
			Product: "upadacitinib 45 MG Extended Release Oral Tablet [Rinvoq]", StrengthMg: 45, Per: "unit"},
	}}
	ps, err := engine.Load(context.Background(), policies.FS, engine.Options{Terminology: site})
	if err != nil {
		return Tables{}, err
	}
	vs, labs, drugs := ps.Tables()
	return Tables{ValueSets: vs, Labs: labs, Drugs: drugs}, nil
})

func siteMed(t *testing.T, res string) facts.Med {
	t.Helper()
	tb, err := siteTables()
	if err != nil {
		t.Fatal(err)
	}
	d := parseDrafts(t, drafts(res))
	o := d.Orders[0]
	light := buildMed(tb, o.view, d.medication)
	v, _, err := o.typedView(nil)
	if err != nil {
		t.Fatalf("typed parse: %v", err)
	}
	typed := buildMed(tb, v, d.medication)
	if diff := cmp.Diff(light, typed); diff != "" {
		t.Errorf("light and typed readers disagree (-light +typed):\n%s", diff)
	}
	return typed
}

func TestSiteCodeRecognition(t *testing.T) {
	t.Parallel()
	mr := func(med, route, dose, timing string) string {
		d := `"doseAndRate":[{"doseQuantity":` + dose + `}],"timing":{"code":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation","code":"` + timing + `"}]}}`
		if route != "" {
			d += `,"route":{"text":"` + route + `"}`
		}
		return `{"resourceType":"MedicationRequest","id":"m","status":"draft","intent":"order","medicationCodeableConcept":` + med + `,"dosageInstruction":[{` + d + `}]}`
	}
	coded := func(system, code, text string) string {
		s := `{"coding":[{"system":"` + system + `","code":"` + code + `"}]`
		if text != "" {
			s += `,"text":"` + text + `"`
		}
		return s + "}"
	}
	tab := `{"value":2,"unit":"TAB"}`
	type want struct {
		Ingredients      []string
		Target           string
		Topical          bool
		StrengthMg, Dose float64
		Display          string
		TextHas, TextNot string
	}
	for _, tc := range []struct {
		name string
		res  string
		want want
	}{
		{"SCD, no text: the product's strength", mr(coded(terminology.SystemRxNorm, "900000303", ""), "", tab, "QD"),
			want{[]string{"upadacitinib"}, "upadacitinib", false, 45, 90, "upadacitinib 45 MG Extended Release Oral Tablet [Rinvoq]", " rinvoq ", ""}},
		{"a strength no profile lists: the code's own", mr(coded(terminology.SystemRxNorm, "900000309", ""), "", tab, "BID"),
			want{[]string{"baricitinib"}, "baricitinib", false, 7, 28, "baricitinib 7 MG Oral Tablet", " baricitinib 7 mg ", ""}},
		{"the code wins over a text naming another drug and strength", mr(coded(terminology.SystemRxNorm, "900000303", "abrocitinib 100 MG Oral Tablet"), "", tab, "QD"),
			want{[]string{"upadacitinib"}, "upadacitinib", false, 45, 90, "upadacitinib 45 MG Extended Release Oral Tablet [Rinvoq]", " upadacitinib ", " abrocitinib "}},
		{"Jakafi coded, text and route say cream: oral, no target", mr(coded(terminology.SystemRxNorm, "900000408", "ruxolitinib cream"), "topical", tab, "QD"),
			want{[]string{"ruxolitinib"}, "", false, 15, 30, "ruxolitinib 15 MG Oral Tablet [Jakafi]", " jakafi ", " cream "}},
		{"ruxolitinib ingredient code: the route decides (topical)", mr(coded(terminology.SystemRxNorm, "900000104", ""), "topical", `{"value":2,"unit":"g"}`, "QD"),
			want{[]string{"ruxolitinib"}, "ruxolitinib-cream", true, 0, 2000, "ruxolitinib", " ruxolitinib ", ""}},
		{"NDC, 10 digits without hyphens, read against the list", mr(coded(terminology.SystemNDC, "9990100453", ""), "", tab, "QD"),
			want{[]string{"upadacitinib"}, "upadacitinib", false, 45, 90, "upadacitinib 45 MG Extended Release Oral Tablet [Rinvoq]", "", ""}},
		{"an unknown code: the text decides", mr(coded(terminology.SystemRxNorm, "900000999", "Cibinqo 100 MG Oral Tablet"), "", tab, "QD"),
			want{[]string{"abrocitinib"}, "abrocitinib", false, 100, 200, "Cibinqo 100 MG Oral Tablet", " cibinqo ", ""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := siteMed(t, tc.res)
			got := want{Ingredients: m.Ingredients, Target: m.Target, Topical: m.Topical, Display: m.Display, TextHas: tc.want.TextHas, TextNot: tc.want.TextNot}
			if m.StrengthMg != nil {
				got.StrengthMg = *m.StrengthMg
			}
			if m.DailyDoseMg != nil {
				got.Dose = *m.DailyDoseMg
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s\n(dose note %q)", diff, m.DoseNote)
			}
			if !strings.Contains(m.Text, tc.want.TextHas) || tc.want.TextNot != "" && strings.Contains(m.Text, tc.want.TextNot) {
				t.Errorf("text %q: want %q in it and %q not", m.Text, tc.want.TextHas, tc.want.TextNot)
			}
		})
	}
}
