package terminology

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// fuzzProfiles are test profiles shaped as the shipped ones (an oral
// target with tablets and a solution, a topical-only one).
var fuzzProfiles = []ImportProfile{
	{ID: "upadacitinib", Ingredient: "upadacitinib", Route: "oral", Names: []string{"upadacitinib", "rinvoq"},
		Products: []string{"upadacitinib 15 MG Extended Release Oral Tablet [Rinvoq]", "upadacitinib 1 MG/ML Oral Solution [Rinvoq LQ]"}},
	{ID: "ruxolitinib-cream", Ingredient: "ruxolitinib", Route: "topical", Names: []string{"ruxolitinib", "opzelura"},
		Products: []string{"ruxolitinib 15 MG/G Topical Cream [Opzelura] (1.5%)"}},
}

// seedFile adds the synthetic file's header and rows a few at a time:
// whole files as seeds stall the fuzzing engine (a few executions a
// minute on the 2-core CI machine), while short seeds reach the same
// code.
func seedFile(f *testing.F, name string) {
	f.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "synthetic", name))
	if err != nil {
		f.Fatal(err)
	}
	lines := bytes.SplitAfter(data, []byte("\n"))
	header := []byte{}
	if strings.HasSuffix(name, ".txt") {
		header, lines = lines[0], lines[1:]
	}
	for i := 0; i < len(lines); i += 4 {
		seed := slices.Concat(header, bytes.Join(lines[i:min(i+4, len(lines))], nil))
		f.Add(seed)
	}
}

// FuzzParseRRF: any input yields atoms or an error, never a panic; every
// atom is an RxNorm IN, BN, SCD or SBD with a numeric RXCUI.
func FuzzParseRRF(f *testing.F) {
	seedFile(f, "RXNCONSO.RRF")
	f.Add([]byte("1|ENG||||||1||||RXNORM|SCD|1|x 1 MG Oral Tablet||N|4096|\n"))
	f.Add([]byte("a|b|c\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		atoms, err := ParseRRF(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, a := range atoms {
			if a.SAB != "RXNORM" || !rxnormTTYs[a.TTY] || !allDigits(a.RXCUI) || a.STR == "" {
				t.Fatalf("atom %+v", a)
			}
			// What the import does with a name must not panic either.
			_, _ = parseRxName(a.STR)
		}
		site, _, err := Import(fuzzProfiles, ImportSources{RxNorm: atoms})
		if err != nil {
			t.Fatal(err)
		}
		// What the import makes, ParseSite accepts.
		b, err := json.Marshal(site)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseSite("fuzz.json", b); err != nil {
			t.Fatalf("the import's output does not load: %v", err)
		}
	})
}

// FuzzParseNDC: the product and package files, and what the import reads
// of a product row, never panic.
func FuzzParseNDC(f *testing.F) {
	seedFile(f, "product.txt")
	seedFile(f, "package.txt")
	f.Add([]byte("PRODUCTNDC\tNDCPACKAGECODE\n1-2\t1-2-3\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if rows, err := ParseNDCProducts(bytes.NewReader(data)); err == nil {
			pkgs, _ := ParseNDCPackages(bytes.NewReader(data))
			site, _, err := Import(fuzzProfiles, ImportSources{NDCProducts: rows, NDCPackages: pkgs})
			if err != nil {
				t.Fatal(err)
			}
			if b, err := json.Marshal(site); err != nil {
				t.Fatal(err)
			} else if _, err := ParseSite("fuzz.json", b); err != nil {
				t.Fatalf("the import's output does not load: %v", err)
			}
			for _, r := range rows {
				if c, err := parseNDCProduct(r); err == nil && (c.mg <= 0 || c.base == "" || c.ingredient == "") {
					t.Fatalf("row %+v read as %+v", r, c)
				}
				_, _ = NDCCandidates(r.ProductNDC)
			}
		}
		if rows, err := ParseNDCPackages(bytes.NewReader(data)); err == nil {
			for _, r := range rows {
				_, _ = NDCCandidates(r.PackageNDC)
			}
		}
	})
}

// FuzzNDCCandidates: every candidate is a canonical key (9 or 11
// digits); a hyphenated code has exactly one.
func FuzzNDCCandidates(f *testing.F) {
	for _, s := range []string{"9990-0100-30", "99902-007-05", "99901-0015-3", "9990100453", "99901004530", "9990-0100", "99900100", "-", "1--2", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cs, err := NDCCandidates(s)
		if err != nil {
			return
		}
		if strings.Contains(s, "-") && len(cs) != 1 {
			t.Fatalf("%q: %d candidates", s, len(cs))
		}
		for _, c := range cs {
			if (len(c) != 9 && len(c) != 11) || !allDigits(string(c)) {
				t.Fatalf("%q: candidate %q", s, c)
			}
		}
	})
}
