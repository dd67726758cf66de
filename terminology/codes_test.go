package terminology

import (
	"strings"
	"testing"
)

func TestNormalizeText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"   ", ""},
		{"Rinvoq", " rinvoq "},
		{"UPADACITINIB 15 MG Extended Release Oral Tablet", " upadacitinib 15 mg extended release oral tablet "},
		{"aspirin 1.5 mg", " aspirin 1.5 mg "},
		{"1. take", " 1 take "},
		{"St. John's wort", " st john s wort "},
		{"Ruxolitinib 1.5% cream [Opzelura]", " ruxolitinib 1.5 cream opzelura "},
		{"Café au lait", " café au lait "},
		{"ÉTANERCEPT", " étanercept "},
		{"x.5", " x 5 "},
		{"5.", " 5 "},
	}
	for _, tc := range tests {
		if got := NormalizeText(tc.in); got != tc.want {
			t.Errorf("NormalizeText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestContainsWord(t *testing.T) {
	tests := []struct {
		text, name string
		want       bool
	}{
		{" upadacitinib 15 mg oral tablet ", "upadacitinib", true},
		{"Upadacitinib 15 MG", "UPADACITINIB", true},
		{" ruxolitinib cream ", "ruxolitinib cream", true},
		{" ruxolitinib 1.5 cream ", "ruxolitinib cream", false},
		{" 5 asa ", "asa", true},
		{" mesalamine 5 asa ", "5 asa", true},
		{" clopidogrelbisulfate ", "clopidogrel", false},
		{" preclopidogrel ", "clopidogrel", false},
		{" clopidogrel clopidogrelx ", "clopidogrelx", true},
		{" xclopidogrel clopidogrel ", "clopidogrel", true},
		{"St John's Wort 300 mg", "St. John's wort", true},
		{" anything ", "", false},
		{" anything ", " ", false},
		{"", "x", false},
	}
	for _, tc := range tests {
		if got := ContainsWord(tc.text, tc.name); got != tc.want {
			t.Errorf("ContainsWord(%q, %q) = %v, want %v", tc.text, tc.name, got, tc.want)
		}
	}
}

// FuzzNormalizeText holds the fast paths to the definitions they replace:
// the ASCII folding to the rune folding, a name taken as already
// normalized to NormalizeName's result, and ContainsWord to a substring
// search for " name " in the text, normalized unless it has a space at
// each end (ContainsWord's contract: facts carry normalized text).
func FuzzNormalizeText(f *testing.F) {
	for _, s := range []string{"Rinvoq 15 MG", "aspirin 1.5 mg", "St. John's wort", "a  b", "1.", ".5", "é", "x y", "\xff", " A ", " a  b "} {
		f.Add(s, "a b")
	}
	f.Fuzz(func(t *testing.T, s, name string) {
		if isASCII(s) {
			if got, want := normalizeASCII(s), normalizeRunes(s); got != want {
				t.Fatalf("normalizeASCII(%q) = %q, normalizeRunes = %q", s, got, want)
			}
		}
		if isNormalizedName(name) && NormalizeName(name) != name {
			t.Fatalf("isNormalizedName(%q) but NormalizeName gives %q", name, NormalizeName(name))
		}
		n := NormalizeName(name)
		text := s
		if !strings.HasPrefix(s, " ") || !strings.HasSuffix(s, " ") {
			text = NormalizeText(s)
		}
		want := n != "" && strings.Contains(text, " "+n+" ")
		if got := ContainsWord(s, name); got != want {
			t.Fatalf("ContainsWord(%q, %q) = %v, want %v", s, name, got, want)
		}
	})
}

func TestNormalizeCodeSystems(t *testing.T) {
	t.Parallel()
	tests := []struct{ system, code, want string }{
		{"http://loinc.org", "751-8", "http://loinc.org|751-8"},
		{"urn:oid:2.16.840.1.113883.6.1", "751-8", "http://loinc.org|751-8"},
		{" urn:oid:2.16.840.1.113883.6.96 ", "56717001", "http://snomed.info/sct|56717001"},
		{"urn:oid:2.16.840.1.113883.6.88", "1191", "http://www.nlm.nih.gov/research/umls/rxnorm|1191"},
		{"urn:oid:2.16.840.1.113883.12.292", "187", "http://hl7.org/fhir/sid/cvx|187"},
		{"urn:oid:2.16.840.1.113883.6.69", "0074-2310-30", "http://hl7.org/fhir/sid/ndc|0074-2310-30"},
		{"urn:oid:2.16.840.1.113883.6.90", "z86.711", "http://hl7.org/fhir/sid/icd-10-cm|Z86711"},
		{"urn:oid:2.16.840.1.113883.6.960", "1", "urn:oid:2.16.840.1.113883.6.960|1"}, // not a prefix match
		{"urn:oid:2.16.840.1.113883.6.1", " ", ""},
	}
	for _, tc := range tests {
		if got := NormalizeCode(tc.system, tc.code); got != tc.want {
			t.Errorf("NormalizeCode(%q, %q) = %q, want %q", tc.system, tc.code, got, tc.want)
		}
	}
}
