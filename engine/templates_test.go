package engine_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/policies"
)

func loadDefaultWith(t *testing.T, files map[string]string) (*engine.PolicySet, error) {
	t.Helper()
	return engine.Load(context.Background(), defaultWith(t, files), engine.Options{})
}

// editProfile returns a profile of the default set changed by fn.
func editProfile(t *testing.T, drug string, fn func(map[string]any)) string {
	t.Helper()
	data, err := policies.FS.ReadFile("profiles/" + drug + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var p map[string]any
	if err := json.Unmarshal(data, &p); err != nil {
		t.Fatal(err)
	}
	fn(p)
	out, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// The catalog reads a rule's values from each drug's profile: the title
// per drug, and the values shown (the docs' threshold column).
func TestTemplateTextsPerDrug(t *testing.T) {
	t.Parallel()
	ps, err := loadDefaultWith(t, map[string]string{
		"profiles/abrocitinib.json": editProfile(t, "abrocitinib", func(p map[string]any) {
			p["labs"].(map[string]any)["anc"] = map[string]any{"below": 0.75}
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range ps.Catalog["jak.lab-anc-low"].Variants {
		if got := v.TitleFor("abrocitinib"); !strings.HasPrefix(got, "ANC below 0.75 ×10⁹/L") {
			t.Errorf("abrocitinib title %q", got)
		}
		if got := v.TitleFor("upadacitinib"); !strings.HasPrefix(got, "ANC below 1 ×10⁹/L") {
			t.Errorf("upadacitinib title %q", got)
		}
		// The variant's own title lists the values that differ.
		if !strings.Contains(v.Title, "0.75 or 1") && !strings.Contains(v.Title, "1 or 0.75") {
			t.Errorf("combined title %q", v.Title)
		}
		if got := v.Texts["abrocitinib"].Values["labs.anc.below"]; got != "0.75" {
			t.Errorf("values: labs.anc.below = %q", got)
		}
	}
	// reads: the platelet rule shows every value of labs.platelets.
	vals := ps.Catalog["abrocitinib.lab-platelets-low"].Variants[0].Texts["abrocitinib"].Values
	if vals["labs.platelets.belowAtInitiation"] != "150" || vals["labs.platelets.restartAbove"] != "100" {
		t.Errorf("platelet values %v", vals)
	}
}

// A drug of a group whose profile lacks a rule's value is not one of the
// rule's drugs (its catalog says so); a template rule reaching no drug, or
// naming a drug that lacks the value, is refused with the file and rule.
func TestTemplateReach(t *testing.T) {
	t.Parallel()
	noANC := editProfile(t, "baricitinib", func(p map[string]any) {
		delete(p["labs"].(map[string]any), "anc")
	})
	ps, err := loadDefaultWith(t, map[string]string{"profiles/baricitinib.json": noANC})
	if err != nil {
		t.Fatal(err)
	}
	if d := ps.Catalog["jak.lab-anc-low"].Drugs(); slices.Contains(d, "baricitinib") || !slices.Contains(d, "upadacitinib") {
		t.Errorf("jak.lab-anc-low drugs %v", d)
	}
	noRenal := editProfile(t, "baricitinib", func(p map[string]any) {
		delete(p["dose"].(map[string]any)["limits"].(map[string]any), "renalModerate")
	})
	if _, err := loadDefaultWith(t, map[string]string{"profiles/baricitinib.json": noRenal}); err == nil ||
		!strings.Contains(err.Error(), "rules/baricitinib/baricitinib.rego") || !strings.Contains(err.Error(), "the profile has no dose.limits.renalModerate") {
		t.Errorf("a drug's own rule reading a value its profile lacks: %v", err)
	}
	typo := `package labelguard.rules.jak

# METADATA
# title: "{{display}} above {{dose.maxMgPerDy}} mg"
# custom:
#   id: "{drug}.typo"
#   indicator: info
#   drugs: [oral]
#   source:
#     topic: dose
findings contains {"rule": "{drug}.typo", "indicator": "info", "summary": "x", "order": o.ref} if {
	some o in lib.oral_jaki_orders
}
`
	_, err = loadDefaultWith(t, map[string]string{"rules/jak/typo.rego": strings.Replace(typo, "package labelguard.rules.jak\n", "package labelguard.rules.jak\n\nimport data.labelguard.lib\n", 1)})
	if err == nil || !strings.Contains(err.Error(), "rules/jak/typo.rego:13: [metadata] rule {drug}.typo reaches no drug") || !strings.Contains(err.Error(), "the profile has no dose.maxMgPerDy") {
		t.Errorf("a placeholder typo: %v", err)
	}
}

// Template IDs make one rule per drug (and per entry of a profile map),
// each switched off or kept by its own ID, and a finding of the template
// becomes a card of its drug's rule.
func TestTemplateIDs(t *testing.T) {
	t.Parallel()
	ps, err := engine.Load(context.Background(), policies.FS, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"upadacitinib.dose-max", "abrocitinib.dose-max", "baricitinib.dose-max", "upadacitinib.cyp3a4-inducer", "abrocitinib.cyp-inducer", "ruxolitinib-cream.age-min"} {
		r := ps.Catalog[id]
		if r == nil || r.Template == "" || len(r.Drugs()) != 1 {
			t.Errorf("%s: %+v", id, r)
		}
	}
	if ps.Catalog["ruxolitinib-cream.dose-max"] != nil || ps.Catalog["{drug}.dose-max"] != nil {
		t.Error("a template made a rule for a drug without the value, or stayed in the catalog")
	}
	in, orders := input(45)
	in.Service = "jak-order-sign"
	res, err := ps.Evaluate(context.Background(), engine.Request{Service: "jak-order-sign", Input: in, Orders: orders})
	if err != nil {
		t.Fatal(err)
	}
	var got *engine.Finding
	for i, f := range res.Findings {
		if f.Rule == "upadacitinib.dose-max" {
			got = &res.Findings[i]
		}
	}
	if got == nil || len(res.Failures) > 0 || res.Cards[0].Source.Topic.Display != "Upadacitinib above 30 mg/day" {
		t.Fatalf("findings %+v failures %+v", res.Findings, res.Failures)
	}

	// A second declaration of a made ID is refused.
	dup := `package labelguard.rules.upadacitinib

# METADATA
# title: Twice
# custom:
#   id: upadacitinib.dose-max
#   indicator: critical
#   drugs: [upadacitinib]
#   source:
#     topic: dose
findings contains {"rule": "upadacitinib.dose-max", "indicator": "critical", "summary": "x", "order": o.ref} if {
	some o in orders
}
`
	if _, err := loadDefaultWith(t, map[string]string{"rules/upadacitinib/dup.rego": dup}); err == nil || !strings.Contains(err.Error(), "makes rule upadacitinib.dose-max, which the METADATA at rules/upadacitinib/dup.rego:11 also declares") {
		t.Errorf("duplicate of a made ID: %v", err)
	}
}

// A finding of a per-entry template without its entry member is a failure
// of the template's rules, not a lost card.
func TestTemplateFindingWithoutEntry(t *testing.T) {
	t.Parallel()
	rule := `package labelguard.rules.jak

import data.labelguard.lib

# METADATA
# title: "{{display}} with {{item.role}}"
# custom:
#   id: "{drug}.{interactions}"
#   indicator: info
#   drugs: [upadacitinib]
#   source:
#     topic: interactions
findings contains {"rule": "{drug}.{interactions}", "indicator": "info", "summary": "x", "order": o.ref} if {
	some o in lib.oral_jaki_orders
}
`
	// The shared interaction template is replaced by the broken one.
	ps, err := loadDefaultWith(t, map[string]string{"rules/jak/interactions.rego": sharedInteractionsWithout(t) + "\n" + strings.SplitN(rule, "import data.labelguard.lib\n", 2)[1]})
	if err != nil {
		t.Fatal(err)
	}
	in, orders := input(15)
	res, err := ps.Evaluate(context.Background(), engine.Request{Service: "jak-order-sign", Input: in, Orders: orders})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Failures) != 1 || !slices.Equal(res.Failures[0].Checks, []string{"upadacitinib.cyp3a4-inducer"}) || !strings.Contains(res.Failures[0].Reason, "names no entry") {
		t.Fatalf("failures %+v", res.Failures)
	}
}

// sharedInteractionsWithout is rules/jak/interactions.rego without its
// per-entry template (the last rule of the file).
func sharedInteractionsWithout(t *testing.T) string {
	data, err := policies.FS.ReadFile("rules/jak/interactions.rego")
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	i := strings.LastIndex(s, "# METADATA")
	return s[:i]
}

// A rule with custom.omitWhen: [dose] is left out beside a card of a rule
// tagged dose on the same order, and lists the drug's dose rules.
func TestOmitWhenTag(t *testing.T) {
	t.Parallel()
	ps, err := engine.Load(context.Background(), policies.FS, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		age  int
		want bool
	}{{40, true}, {70, false}} {
		in, orders := input(0)
		in.Orders[0].DailyDoseMg = nil
		in.Patient.AgeYears = &tc.age
		res, err := ps.Evaluate(context.Background(), engine.Request{Service: "jak-order-sign", Input: in, Orders: orders})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		var detail string
		for _, f := range res.Findings {
			ids = append(ids, f.Rule)
			if f.Rule == "jak.dose-unverifiable" {
				detail = f.Detail
			}
		}
		if got := slices.Contains(ids, "jak.dose-unverifiable"); got != tc.want {
			t.Errorf("age %v: cards %v, dose-unverifiable %v, want %v", tc.age, ids, got, tc.want)
		}
		if tc.want && (!strings.Contains(detail, "(upadacitinib.dose-age65)") || !strings.Contains(detail, "(upadacitinib.dose-max)")) {
			t.Errorf("dose-unverifiable does not list the dose rules:\n%s", detail)
		}
		if !tc.want && !slices.Contains(ids, "upadacitinib.dose-age65") {
			t.Errorf("age 70: no dose-age65 card: %v", ids)
		}
	}
}

// A rule that reads a profile member a drug's profile lacks would never
// fire for it: refused at load, naming the rule, the member and the file.
func TestProfileReadsAreChecked(t *testing.T) {
	t.Parallel()
	rule := `package labelguard.rules.jak

import data.labelguard.lib

# METADATA
# title: Young
# custom:
#   id: jak.young
#   indicator: info
#   drugs: [oral]
#   source:
#     topic: dose
findings contains {"rule": "jak.young", "indicator": "info", "summary": "young", "order": order.ref} if {
	some order in lib.oral_jaki_orders
	lib.age < lib.profiles[order.target].indication.minAgeYears
}
`
	_, err := loadDefaultWith(t, map[string]string{"rules/jak/young.rego": rule})
	if err == nil || !strings.Contains(err.Error(), "rules/jak/young.rego:15: [lookup] rule jak.young") ||
		!strings.Contains(err.Error(), "reads indication.minAgeYears from the profile of baricitinib, which profiles/baricitinib.json lacks") {
		t.Fatalf("Load: %v", err)
	}
	// Naming it in custom.reads leaves baricitinib out instead.
	ps, err := loadDefaultWith(t, map[string]string{"rules/jak/young.rego": strings.Replace(rule, "#   drugs: [oral]\n", "#   drugs: [oral]\n#   reads: [indication.minAgeYears]\n", 1)})
	if err != nil {
		t.Fatal(err)
	}
	if d := ps.Catalog["jak.young"].Drugs(); slices.Contains(d, "baricitinib") || !slices.Contains(d, "upadacitinib") {
		t.Errorf("drugs %v", d)
	}
}
