package fhir

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/labelguard/labelguard/facts"
)

type doseWant struct {
	Strength, Dose, Freq, Daily *float64
	Note                        string
	AsNeeded                    bool
}

// medFromDraft derives the medication fact of a draft MedicationRequest
// through both readers (light decode and typed R4) and checks they agree.
func medFromDraft(t *testing.T, res string) facts.Med {
	t.Helper()
	d := parseDrafts(t, drafts(res))
	o := d.Orders[0]
	light := buildMed(tables(t), o.view, d.medication)
	v, notes, err := o.typedView(nil)
	if err != nil {
		t.Fatalf("typed parse: %v", err)
	}
	if len(notes) > 0 {
		t.Fatalf("typed parse notes: %q", notes)
	}
	typed := buildMed(tables(t), v, d.medication)
	if diff := cmp.Diff(light, typed); diff != "" {
		t.Errorf("light and typed readers disagree (-light +typed):\n%s", diff)
	}
	return typed
}

func TestDailyDose(t *testing.T) {
	t.Parallel()
	const rx = `"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"%s","display":"%s"}]`
	timingQD := `"timing":{"code":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation","code":"QD"}]}}`
	timingBID := `"timing":{"code":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation","code":"bid"}]}}`
	dose := func(v, unit, code string) string {
		return `"doseAndRate":[{"doseQuantity":{"value":` + v + `,"unit":"` + unit + `","system":"http://unitsofmeasure.org","code":"` + code + `"}}]`
	}
	mr := func(med string, dosage ...string) string {
		s := `{"resourceType":"MedicationRequest","id":"m","status":"draft","intent":"order","medicationCodeableConcept":` + med
		if len(dosage) > 0 {
			s += `,"dosageInstruction":[{` + strings.Join(dosage, ",") + `}]`
		}
		return s + "}"
	}
	text := func(s string) string { return `{"text":"` + s + `"}` }
	tests := []struct {
		name string
		res  string
		want doseWant
	}{
		{"mg QD", mr(text("Rinvoq"), timingQD, dose("15", "mg", "mg")),
			doseWant{Dose: f64(15), Freq: f64(1), Daily: f64(15)}},
		{"mg BID (code in lower case)", mr(text("abrocitinib"), timingBID, dose("100", "mg", "mg")),
			doseWant{Dose: f64(100), Freq: f64(2), Daily: f64(200)}},
		{"tablets x product strength by code", mr(`{` + fmt.Sprintf(rx, "2196098", "upadacitinib 15 MG Extended Release Oral Tablet") + `}`),
			doseWant{Strength: f64(15), Note: noteNoDosage}},
		{"tablets x product strength by code, QD", mr(`{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"2588966"}],"text":"Rinvoq"}`,
			timingQD, dose("1", "tablet", "{tbl}")),
			doseWant{Strength: f64(30), Dose: f64(30), Freq: f64(1), Daily: f64(30)}},
		{"tablets x 30 MG in the name", mr(text("upadacitinib 30 MG Extended Release Oral Tablet"),
			`"timing":{"repeat":{"frequency":1,"period":1,"periodUnit":"d"}}`, dose("2", "TAB", "TAB")),
			doseWant{Strength: f64(30), Dose: f64(60), Freq: f64(1), Daily: f64(60)}},
		{"capsules x name", mr(text("baricitinib 2 MG Oral Capsule"), timingQD, dose("1", "capsule", "{capsule}")),
			doseWant{Strength: f64(2), Dose: f64(2), Freq: f64(1), Daily: f64(2)}},
		{"mL x 1 MG/ML", mr(text("upadacitinib 1 MG/ML Oral Solution"), timingBID, dose("6", "mL", "mL")),
			doseWant{Strength: f64(1), Dose: f64(6), Freq: f64(2), Daily: f64(12)}},
		{"mL x product strength by code (per mL from its display)", mr(`{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"9999901"}]}`,
			timingQD, dose("15", "mL", "mL")),
			doseWant{Strength: f64(1), Dose: f64(15), Freq: f64(1), Daily: f64(15)}},
		{"tablets of a solution: not convertible", mr(text("upadacitinib 1 MG/ML Oral Solution"), timingQD, dose("1", "tablet", "{tbl}")),
			doseWant{Strength: f64(1), Note: noteUnit, Freq: f64(1)}},
		{"1 per 12 h", mr(text("abrocitinib 100 MG Oral Tablet"), `"timing":{"repeat":{"frequency":1,"period":12,"periodUnit":"h"}}`, dose("1", "tablet", "{tbl}")),
			doseWant{Strength: f64(100), Dose: f64(100), Freq: f64(2), Daily: f64(200)}},
		{"3 per week", mr(text("baricitinib"), `"timing":{"repeat":{"frequency":3,"period":1,"periodUnit":"wk"}}`, dose("7", "mg", "mg")),
			doseWant{Dose: f64(7), Freq: f64(3.0 / 7), Daily: f64(3)}},
		{"period without frequency is once", mr(text("baricitinib"), `"timing":{"repeat":{"period":1,"periodUnit":"d"}}`, dose("2", "mg", "mg")),
			doseWant{Dose: f64(2), Freq: f64(1), Daily: f64(2)}},
		{"grams to mg", mr(text("baricitinib"), timingQD, dose("0.004", "g", "g")),
			doseWant{Dose: f64(4), Freq: f64(1), Daily: f64(4)}},
		{"as needed", mr(text("Aspirin 81 MG Oral Tablet"), `"asNeededBoolean":true`, dose("1", "tablet", "{tbl}")),
			doseWant{Strength: f64(81), Dose: f64(81), Note: noteAsNeeded, AsNeeded: true}},
		{"as needed with a frequency", mr(text("Aspirin 325 MG Oral Tablet"), `"asNeededBoolean":true`, timingQD, dose("1", "tablet", "{tbl}")),
			doseWant{Strength: f64(325), Dose: f64(325), Freq: f64(1), Note: noteAsNeeded, AsNeeded: true}},
		{"no timing", mr(text("Rinvoq"), dose("15", "mg", "mg")),
			doseWant{Dose: f64(15), Note: noteNoFrequency}},
		{"no dose", mr(text("Rinvoq"), timingQD),
			doseWant{Freq: f64(1), Note: noteNoDose}},
		{"tablets without strength", mr(text("Rinvoq"), timingQD, dose("1", "tablet", "{tbl}")),
			doseWant{Freq: f64(1), Note: "dose in tablets, and the order names no strength per tablet; upadacitinib comes in 15 or 30 mg"}},
		{"capsules without strength, several strengths", mr(text("abrocitinib capsule"), timingQD, dose("1", "capsule", "{capsule}")),
			doseWant{Freq: f64(1), Note: "dose in capsules, and the order names no strength per capsule; abrocitinib comes in 100 or 200 mg"}},
		{"tablets without strength: the drug's only tablet strength", mr(text("Olumiant tablets"), timingBID, dose("1", "tablet", "{tbl}")),
			doseWant{Strength: f64(2), Dose: f64(2), Freq: f64(2), Daily: f64(4)}},
		{"mL without strength: the drug's only strength per mL", mr(text("Rinvoq LQ"), timingBID, dose("6", "mL", "mL")),
			doseWant{Strength: f64(1), Dose: f64(6), Freq: f64(2), Daily: f64(12)}},
		{"no strength for an unknown drug", mr(text("Frobnicate ER"), timingQD, dose("1", "tablet", "{tbl}")),
			doseWant{Freq: f64(1), Note: "dose in tablets, and the order names no strength per tablet"}},
		{"unknown unit", mr(text("Rinvoq"), timingQD, dose("1", "scoop", "scoop")),
			doseWant{Freq: f64(1), Note: noteUnit}},
		{"dose range", mr(text("Rinvoq"), timingQD, `"doseAndRate":[{"doseRange":{"low":{"value":15},"high":{"value":30}}}]`),
			doseWant{Freq: f64(1), Note: noteDoseRange}},
		{"period unit not convertible", mr(text("Rinvoq"), `"timing":{"repeat":{"frequency":1,"period":1}}`, dose("15", "mg", "mg")),
			doseWant{Dose: f64(15), Note: notePeriodUnit}},
		{"puffs x MG/ACTUAT", mr(text("Nitroglycerin 0.4 MG/ACTUAT Mucosal Spray"), `"timing":{"repeat":{"frequency":3,"period":1,"periodUnit":"d"}}`, dose("2", "puff", "{puff}")),
			doseWant{Strength: f64(0.4), Dose: f64(0.8), Freq: f64(3), Daily: f64(2.4)}},
		{"multi-ingredient name: the ingredient's segment", mr(text("Aspirin 25 MG / Dipyridamole 200 MG Extended Release Oral Capsule"), timingBID, dose("1", "capsule", "{capsule}")),
			doseWant{Strength: f64(25), Dose: f64(25), Freq: f64(2), Daily: f64(50)}},
		{"STU3 dose on the dosage (repaired)", `{"resourceType":"MedicationRequest","id":"m","status":"draft","intent":"order","medicationCodeableConcept":{"text":"Rinvoq"},"dosageInstruction":[{` + timingQD + `,"doseQuantity":{"value":15,"unit":"mg"}}]}`,
			doseWant{Dose: f64(15), Freq: f64(1), Daily: f64(15)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var m facts.Med
			if tc.name == "STU3 dose on the dosage (repaired)" {
				d := parseDrafts(t, drafts(tc.res))
				v, _, err := d.Orders[0].typedView(nil)
				if err != nil {
					t.Fatal(err)
				}
				m = buildMed(tables(t), v, nil)
			} else {
				m = medFromDraft(t, tc.res)
			}
			got := doseWant{Strength: m.StrengthMg, Dose: m.DoseMg, Freq: m.FrequencyPerDay, Daily: m.DailyDoseMg, Note: m.DoseNote, AsNeeded: m.AsNeeded}
			if diff := cmp.Diff(tc.want, got, cmp.Comparer(func(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 })); diff != "" {
				t.Errorf("dose facts (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPerDayTimingCodes(t *testing.T) {
	t.Parallel()
	for code, want := range map[string]float64{"QD": 1, "bid": 2, "Tid": 3, "QID": 4, "Q8H": 3} {
		d := dosage{Timing: &timing{Code: &codeableConcept{Coding: codingList{{Code: code}}}}}
		if got, note := perDay(&d); got != want || note != "" {
			t.Errorf("perDay(%s) = %v %q, want %v", code, got, note, want)
		}
	}
	d := dosage{Timing: &timing{Code: &codeableConcept{Text: "BID"}}}
	if got, _ := perDay(&d); got != 2 {
		t.Errorf("perDay(text BID) = %v, want 2", got)
	}
}

func TestSupplyAndDispense(t *testing.T) {
	t.Parallel()
	const res = `{"resourceType":"MedicationRequest","id":"m","status":"draft","intent":"order",
		"medicationCodeableConcept":{"text":"Opzelura 1.5% cream"},
		"dosageInstruction":[{"route":{"coding":[{"system":"http://snomed.info/sct","code":"6064005","display":"Topical route"}]}}],
		"dispenseRequest":{"quantity":{"value":100,"unit":"g"},"expectedSupplyDuration":{"value":2,"unit":"weeks","code":"wk"}}}`
	m := medFromDraft(t, res)
	d := parseDrafts(t, drafts(res))
	light, lok := dispenseOf(d.Orders[0].view)
	v, _, err := d.Orders[0].typedView(nil)
	if err != nil {
		t.Fatal(err)
	}
	typed, tok := dispenseOf(v)
	days := 14.0
	want := facts.Dispense{Quantity: &facts.Quantity{Value: 100, Unit: "g"}, SupplyDurationDays: &days}
	for name, got := range map[string]facts.Dispense{"light": light, "typed": typed} {
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s dispense (-want +got):\n%s", name, diff)
		}
	}
	if !lok || !tok {
		t.Errorf("dispenseOf ok = %v, %v; want true", lok, tok)
	}
	if _, ok := dispenseOf(&medView{}); ok {
		t.Error("dispenseOf of an order without dispenseRequest: ok")
	}
	if m.Target != "ruxolitinib-cream" || !m.Topical || m.Route != "topical route" {
		t.Errorf("target %q topical %v route %q; want ruxolitinib-cream, topical", m.Target, m.Topical, m.Route)
	}
}

// TestDoseUnitSpellings: one tablet (or capsule) written the ways EHRs write
// it, times the strength from each source (the name in its spellings, a
// coded product, the drug's only strength), and the doses that must stay
// unverifiable rather than be guessed.
func TestDoseUnitSpellings(t *testing.T) {
	t.Parallel()
	const qd = `"timing":{"repeat":{"frequency":1,"period":1,"periodUnit":"d"}}`
	q := func(members string) string { return `"doseAndRate":[{"doseQuantity":{` + members + `}}]` }
	mr := func(med, doseQ string) string {
		return `{"resourceType":"MedicationRequest","id":"m","status":"draft","intent":"order","medicationCodeableConcept":` + med +
			`,"dosageInstruction":[{` + qd + `,` + doseQ + `}]}`
	}
	text := func(s string) string { return `{"text":"` + s + `"}` }
	const sandbox = "upadacitinib 45 MG Extended Release Oral Tablet [Rinvoq]"
	units := []struct{ name, members string }{
		{"UCUM {pill} without unit (CDS Hooks Sandbox)", `"value":1,"system":"http://unitsofmeasure.org","code":"{pill}"`},
		{"UCUM {tbl}", `"value":1,"unit":"tbl","system":"http://unitsofmeasure.org","code":"{tbl}"`},
		{"UCUM {tab}", `"value":1,"system":"http://unitsofmeasure.org","code":"{tab}"`},
		{"UCUM {tablet}", `"value":1,"unit":"tablet","system":"http://unitsofmeasure.org","code":"{tablet}"`},
		{"UCUM {cap}", `"value":1,"system":"http://unitsofmeasure.org","code":"{cap}"`},
		{"TAB", `"value":1,"unit":"TAB","code":"TAB"`},
		{"CAP", `"value":1,"code":"CAP"`},
		{"word Tablet(s)", `"value":1,"unit":"Tablet(s)"`},
		{"word pills", `"value":1,"unit":"pills"`},
		{"word in a phrase", `"value":1,"unit":"Extended-release tablet"`},
		{"UCUM unity 1", `"value":1,"unit":"1","system":"http://unitsofmeasure.org","code":"1"`},
		{"bare number", `"value":1`},
		{"SNOMED CT tablet (unit of presentation)", `"value":1,"unit":"Tablet (unit of presentation)","system":"http://snomed.info/sct","code":"732936001"`},
		{"SNOMED CT capsule (unit of presentation), no unit text", `"value":1,"system":"http://snomed.info/sct","code":"732937005"`},
		{"SNOMED CT modified-release oral tablet, system as OID", `"value":1,"system":"urn:oid:2.16.840.1.113883.6.96","code":"385061003"`},
		{"SNOMED CT tablet dose form", `"value":1,"system":"http://snomed.info/sct","code":"385055001"`},
	}
	for _, u := range units {
		t.Run(u.name, func(t *testing.T) {
			t.Parallel()
			m := medFromDraft(t, mr(text(sandbox), q(u.members)))
			if m.DailyDoseMg == nil || *m.DailyDoseMg != 45 || m.DoseNote != "" {
				t.Errorf("daily dose %v note %q, want 45 mg", fmtPtr(m.DailyDoseMg), m.DoseNote)
			}
		})
	}

	tbl := q(`"value":1,"system":"http://unitsofmeasure.org","code":"{pill}"`)
	tests := []struct {
		name  string
		res   string
		daily float64 // 0: not derivable
		note  string
	}{
		{"strength as 45mg", mr(text("Rinvoq 45mg"), tbl), 45, ""},
		{"strength as 45 mg ER tab", mr(text("Rinvoq 45 mg ER tab"), tbl), 45, ""},
		{"coded product, no strength in the text", mr(`{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"2588966"}],"text":"Rinvoq"}`, tbl), 30, ""},
		{"coded product with the system as OID", mr(`{"coding":[{"system":"urn:oid:2.16.840.1.113883.6.88","code":"2588966"}]}`, tbl), 30, ""},
		{"the drug's only tablet strength", mr(text("Olumiant"), tbl), 2, ""},
		{"half a tablet, bare", mr(text("upadacitinib 30 MG Extended Release Oral Tablet"), q(`"value":0.5`)), 15, ""},
		{"bare number of a 1 mg tablet: both readings agree", mr(text("baricitinib 1 MG Oral Tablet"), q(`"value":2`)), 2, ""},
		{"SNOMED CT mg", mr(text("Rinvoq"), q(`"value":45,"system":"http://snomed.info/sct","code":"258684004"`)), 45, ""},
		{"SNOMED CT code under another system is not a dose form", mr(text(sandbox), q(`"value":1,"system":"http://unitsofmeasure.org","code":"732936001"`)), 0, noteUnit},
		{"bare number as large as the strength: tablets or mg", mr(text(sandbox), q(`"value":45`)), 0, noteNoUnitAmbiguous},
		{"bare number of a solution", mr(text("upadacitinib 1 MG/ML Oral Solution"), q(`"value":1`)), 0, noteNoUnit},
		{"bare number, liquid form named", mr(text("upadacitinib 15 MG oral solution"), q(`"value":1`)), 0, noteNoUnit},
		{"unity of a liquid", mr(text("upadacitinib 15 MG oral solution"), q(`"value":1,"system":"http://unitsofmeasure.org","code":"1"`)), 0, noteUnit},
		{"bare number, strength unknown", mr(text("Rinvoq"), q(`"value":1`)), 0, noteNoUnit},
		{"pill, strength unknown: which part is missing", mr(text("Rinvoq extended-release tablets"), tbl), 0,
			"dose in tablets, and the order names no strength per tablet; upadacitinib comes in 15 or 30 mg"},
		{"caplets without strength: the note says tablets", mr(text("Rinvoq"), q(`"value":1,"unit":"caplet"`)), 0,
			"dose in tablets, and the order names no strength per tablet; upadacitinib comes in 15 or 30 mg"},
		{"a strength per tablet is not a count", mr(text("Rinvoq"), q(`"value":1,"unit":"mg/tablet"`)), 0, noteUnit},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := medFromDraft(t, tc.res)
			var got float64
			if m.DailyDoseMg != nil {
				got = *m.DailyDoseMg
			}
			if got != tc.daily || m.DoseNote != tc.note {
				t.Errorf("daily dose %v note %q, want %v %q", fmtPtr(m.DailyDoseMg), m.DoseNote, tc.daily, tc.note)
			}
		})
	}
}

func fmtPtr(f *float64) string {
	if f == nil {
		return "none"
	}
	return fmt.Sprint(*f)
}
