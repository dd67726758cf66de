package terminology

import (
	"slices"
	"strings"
	"testing"
)

// The codes come by analyte ID, each analyte's in its own order, each
// normalized: the order of the file's keys (lost when a bundle re-encodes
// it) does not matter, the order of an analyte's codes is kept.
func TestLabTableCodesByAnalyte(t *testing.T) {
	t.Parallel()
	const data = `{"analytes": {
	  "zeta": {"display": "Z", "kind": "result", "codes": ["http://loinc.org|2-2", " http://loinc.org|1-1 "]},
	  "alpha": {"display": "A", "kind": "result", "codes": ["urn:oid:2.16.840.1.113883.6.1|3-3"]},
	  "text-only": {"display": "T", "kind": "coded", "codes": [], "textMatch": ["t"]},
	  "mid": {"display": "M", "kind": "result", "codes": ["urn:labelguard:codes|local"]}}}`
	tbl, err := ParseLabTable([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"http://loinc.org|3-3", "urn:labelguard:codes|local", "http://loinc.org|2-2", "http://loinc.org|1-1"}
	if got := tbl.Codes(); !slices.Equal(got, want) {
		t.Fatalf("Codes() = %q, want %q", got, want)
	}
}

func TestParseLabTableRefuses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, data, want string }{
		{"null analyte", `{"analytes": {"anc": null}}`, "lab table anc: want an object, not null"},
		{"no codes", `{"analytes": {"anc": {"display": "A", "kind": "result"}}}`, "lab table anc: no codes and no text match"},
		{"not json", `{"analytes": `, "decode lab table"},
		{"a unit cards cannot write", `{"analytes": {"anc": {"display": "A", "kind": "quantity", "codes": ["http://loinc.org|751-8"], "unit": "10*9/L", "units": {"10*9/L": 1}}}}`,
			`lab table anc: canonical unit "10*9/L" has no displayUnits entry`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseLabTable([]byte(tc.data))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
