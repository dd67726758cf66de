package fhir

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/labelguard/labelguard/terminology"
)

// The precomputed matcher must answer exactly as
// terminology.ValueSets.Membership: over every code, prefix, exclusion and
// name of the value sets (alone and combined), and over every fact derived
// from the Synthea patients.
func TestMatcherAgreesWithMembership(t *testing.T) {
	all := []Tables{tables(t)}
	if rt, ok := realTables(t); ok {
		all = append(all, rt)
	}
	for _, tb := range all {
		m := matcherFor(tb.ValueSets)
		type probe struct {
			codes []string
			text  string
		}
		var probes []probe
		var names, codes []string
		for _, vs := range tb.ValueSets {
			for c := range vs.Codes {
				codes = append(codes, c)
			}
			for c := range vs.ExcludeCodes {
				codes = append(codes, c)
			}
			for sys, ps := range vs.Prefixes {
				for _, p := range ps {
					codes = append(codes, sys+"|"+p+"9")
				}
			}
			for sys, ps := range vs.ExcludePrefixes {
				for _, p := range ps {
					codes = append(codes, sys+"|"+p+"1")
				}
			}
			names = append(names, vs.Names...)
		}
		slices.Sort(codes)
		probes = append(probes, probe{nil, ""}, probe{nil, "unrelated words"})
		for i, n := range names {
			probes = append(probes,
				probe{nil, terminology.NormalizeText("take " + n + " daily")},
				probe{nil, "Raw " + n + ", not normalized"},
				probe{[]string{codes[i%len(codes)]}, terminology.NormalizeText(n)})
		}
		for i, c := range codes {
			probes = append(probes, probe{[]string{c}, ""},
				probe{[]string{c, codes[(i*7)%len(codes)]}, terminology.NormalizeText(names[i%len(names)])})
		}
		files, _ := filepath.Glob(filepath.Join("..", "policies", "testdata", "patients", "*.json"))
		for _, f := range files {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			st := newStore()
			st.addValue("everything", json.RawMessage(raw))
			for _, it := range st.items {
				switch it.r.ResourceType {
				case "Condition":
					c := conditionFacts(it.r, &clock{now: testNow})
					probes = append(probes, probe{c.Codes, c.Text})
				case "AllergyIntolerance":
					a := allergyFacts(it.r)
					probes = append(probes, probe{a.Codes, a.Text})
				case "Immunization":
					im, _ := immunizationFacts(it.r)
					probes = append(probes, probe{im.Codes, im.Text})
				case "MedicationRequest", "MedicationStatement":
					v := viewFromLight(it.r)
					md := buildMed(tb, &v, nil)
					probes = append(probes, probe{md.Codes, md.Text})
				}
			}
		}
		for _, p := range probes {
			want := tb.ValueSets.Membership(p.codes, p.text)
			if diff := cmp.Diff(want, m.membership(p.codes, p.text)); diff != "" {
				t.Fatalf("codes %v text %q (-want +got):\n%s", p.codes, p.text, diff)
			}
		}
		t.Logf("%d probes agree", len(probes))
	}
}
