package terminology_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/policies"
	"github.com/labelguard/labelguard/terminology"
)

var update = flag.Bool("update", false, "rewrite testdata/golden")

func synthetic(t *testing.T) terminology.ImportSources {
	t.Helper()
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", "synthetic", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var src terminology.ImportSources
	var err error
	if src.RxNorm, err = terminology.ParseRRF(bytes.NewReader(read("RXNCONSO.RRF"))); err != nil {
		t.Fatal(err)
	}
	if src.NDCProducts, err = terminology.ParseNDCProducts(bytes.NewReader(read("product.txt"))); err != nil {
		t.Fatal(err)
	}
	if src.NDCPackages, err = terminology.ParseNDCPackages(bytes.NewReader(read("package.txt"))); err != nil {
		t.Fatal(err)
	}
	return src
}

func profiles(t *testing.T) []terminology.ImportProfile {
	t.Helper()
	ps, err := engine.Load(context.Background(), policies.FS, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return ps.ImportProfiles()
}

// TestImportSynthetic imports the synthetic files against the shipped
// profiles. The golden (testdata/golden/synthetic-import.json) is the
// terminology and report, reviewed as a whole; the checks below name what
// must hold whatever else changes.
func TestImportSynthetic(t *testing.T) {
	site, rep, err := terminology.Import(profiles(t), synthetic(t))
	if err != nil {
		t.Fatal(err)
	}
	byCode := map[string]terminology.SiteCode{}
	for _, c := range site.Codes {
		byCode[c.Code] = c
	}
	for _, tc := range []struct {
		code, profile, product, route string
	}{
		{"900000303", "upadacitinib", "upadacitinib 45 MG Extended Release Oral Tablet [Rinvoq]", "oral"},     // SCD
		{"900000401", "upadacitinib", "upadacitinib 15 MG Extended Release Oral Tablet [Rinvoq]", "oral"},     // SBD
		{"900000304", "upadacitinib", "upadacitinib 1 MG/ML Oral Solution [Rinvoq LQ]", "oral"},               // not the tablet
		{"900000307", "ruxolitinib-cream", "ruxolitinib 15 MG/G Topical Cream [Opzelura] (1.5%)", "topical"},  // 15 MG/ML in RxNorm
		{"99902-007", "ruxolitinib-cream", "ruxolitinib 15 MG/G Topical Cream [Opzelura] (1.5%)", "topical"},  // NDC mg/g
		{"9990-0100", "abrocitinib", "abrocitinib 100 MG Oral Tablet [Cibinqo]", "oral"},                      // film-coated
		{"99901-0045-30", "upadacitinib", "upadacitinib 45 MG Extended Release Oral Tablet [Rinvoq]", "oral"}, // package
		{"900000205", "ruxolitinib-cream", "", "topical"},                                                     // BN Opzelura
		{"900000206", "", "", "oral"},            // BN Jakafi
		{"900000408", "", "", "oral"},            // SBD Jakafi
		{"99902-015", "", "", "oral"},            // NDC Jakafi
		{"900000104", "", "", ""},                // IN ruxolitinib: any form
		{"900000101", "upadacitinib", "", ""},    // IN upadacitinib: every form
		{"900000309", "baricitinib", "", "oral"}, // no 7 mg product
	} {
		c, ok := byCode[tc.code]
		if !ok || c.Profile != tc.profile || c.Product != tc.product || c.Route != tc.route {
			t.Errorf("%s: %+v (found %v), want profile %q product %q route %q", tc.code, c, ok, tc.profile, tc.product, tc.route)
		}
	}
	for _, absent := range []string{"900000399", "900000901", "99903-0777", "99903-0777-01"} {
		if _, ok := byCode[absent]; ok {
			t.Errorf("%s (obsolete, or no profile's ingredient) was imported", absent)
		}
	}
	if len(rep.Unmatched) != 1 || !strings.Contains(rep.Unmatched[0], "900000309") {
		t.Errorf("unmatched %q, want the 7 mg baricitinib tablet", rep.Unmatched)
	}
	data, err := json.MarshalIndent(struct {
		Site   *terminology.Site
		Report *terminology.ImportReport
	}{site, rep}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "golden", "synthetic-import.json")
	if *update {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, append(data, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != string(data)+"\n" {
		t.Errorf("import differs from %s (go test ./terminology -update, then review the diff)", golden)
	}
	// What the import writes loads.
	out, _ := json.Marshal(site)
	if _, err := terminology.ParseSite("terminology.json", out); err != nil {
		t.Fatalf("the imported terminology does not load: %v", err)
	}
}

// TestImportRefusesUnreadableProduct: a profile product whose display the
// import cannot read is an error, not a product that silently never
// matches.
func TestImportRefusesUnreadableProduct(t *testing.T) {
	_, _, err := terminology.Import([]terminology.ImportProfile{{ID: "x", Ingredient: "x", Route: "oral", Products: []string{"Xeljanz"}}}, terminology.ImportSources{})
	if err == nil || !strings.Contains(err.Error(), `profile x: product "Xeljanz"`) {
		t.Fatalf("err %v", err)
	}
}

// TestParseSiteNamesLineAndKey: a bad edit of terminology.json is refused
// naming the file, line and key.
func TestParseSiteNamesLineAndKey(t *testing.T) {
	data := `{
  "codes": [
    {"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "900000303", "tty": "SCD", "name": "n", "ingredient": "upadacitinib"},
    {"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "900000304",
     "tty": "XYZ", "name": "n", "ingredient": "upadacitinib"},
    {"system": "http://hl7.org/fhir/sid/ndc", "code": "9990100453", "tty": "package", "name": "n", "ingredient": "upadacitinib"},
    {"system": "http://hl7.org/fhir/sid/ndc", "code": "09990-0100-30", "tty": "package", "name": "n", "ingredient": "abrocitinib"},
    {"system": "http://hl7.org/fhir/sid/ndc", "code": "9990-0100-30", "tty": "package", "name": "n", "ingredient": "abrocitinib"},
    {"system": "urn:x", "code": "1", "tty": "IN", "name": "n", "ingredient": ""}
  ]
}`
	_, err := terminology.ParseSite("site/terminology.json", []byte(data))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		`site/terminology.json:5: codes.1.tty: "XYZ": want IN, BN, SCD or SBD`,
		`site/terminology.json:6: codes.2.code: NDC "9990100453" is ambiguous`,
		`site/terminology.json:8: codes.4.code: 9990-0100-30 is also codes[3]`,
		`site/terminology.json:9: codes.5.system: "urn:x"`,
		`site/terminology.json:9: codes.5.ingredient: missing`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if _, err := terminology.ParseSite("t.json", []byte(`{"codes": [], "extra": 1}`)); err == nil || !strings.Contains(err.Error(), "extra") {
		t.Errorf("unknown key: %v", err)
	}
}
