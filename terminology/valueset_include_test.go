package terminology

import "testing"

// A target drug's profile makes its own value set and joins class value
// sets by name and code.
func TestNamedValueSetAndInclude(t *testing.T) {
	vs, err := NamedValueSet("zemacitinib", "Zemacitinib", []string{"Zemacitinib", "ZEMAXA"}, []string{"http://www.nlm.nih.gov/research/umls/rxnorm|999999"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		codes []string
		text  string
		want  bool
	}{
		{nil, "zemaxa 10 mg oral tablet", true},
		{nil, "zemacitinibs", false},
		{[]string{"http://www.nlm.nih.gov/research/umls/rxnorm|999999"}, "", true},
		{nil, "upadacitinib", false},
	} {
		if got := vs.Matches(tc.codes, tc.text); got != tc.want {
			t.Errorf("Matches(%v, %q) = %v, want %v", tc.codes, tc.text, got, tc.want)
		}
	}
	class, err := NamedValueSet("jak-inhibitors", "JAK inhibitors", []string{"tofacitinib"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if class.Matches(nil, "zemaxa") {
		t.Fatal("matched before Include")
	}
	class.Include([]string{"zemaxa"}, nil)
	if !class.Matches(nil, "zemaxa 10 mg") || !class.Matches(nil, "tofacitinib") {
		t.Errorf("Include: names %v", class.Names)
	}
}
