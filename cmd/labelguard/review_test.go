package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/internal/testpolicies"
	"github.com/labelguard/labelguard/policies"
)

// TestReviewDocIsCurrent fails when docs/clinical/review.md no longer
// matches the policy data; regenerate with
// go test ./cmd/labelguard -run TestReviewDocIsCurrent -update.
func TestReviewDocIsCurrent(t *testing.T) {
	ps := defaultReviewSet(t)
	rows, err := collectReview(policies.FS, ps)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := printReview(&buf, rows, "markdown"); err != nil {
		t.Fatal(err)
	}
	checkGeneratedDoc(t, "docs/clinical/review.md", buf.Bytes())
}

var (
	reviewSetOnce sync.Once
	reviewSet     *engine.PolicySet
	reviewSetErr  error
)

func defaultReviewSet(t *testing.T) *engine.PolicySet {
	t.Helper()
	reviewSetOnce.Do(func() {
		reviewSet, reviewSetErr = engine.Load(context.Background(), policies.FS, engine.Options{})
	})
	if reviewSetErr != nil {
		t.Fatal(reviewSetErr)
	}
	return reviewSet
}

// rowFor finds the row of a section whose value is value.
func rowFor(rows []reviewRow, section, value string) (reviewRow, bool) {
	for _, r := range rows {
		if r.Section == section && r.Value == value {
			return r, true
		}
	}
	return reviewRow{}, false
}

// The default set's review: a status from review.json (RxNorm aspirin),
// one from a profile's source (a verified section keeps the copy it was
// read in), everything else awaiting review, and no code of labelguard's
// own systems.
func TestReviewOfTheDefaultSet(t *testing.T) {
	rows, err := collectReview(policies.FS, defaultReviewSet(t))
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, r := range rows {
		count[r.Section]++
		if r.Status != statusVerified && r.Status != statusAwaiting {
			t.Errorf("%+v: status %q", r, r.Status)
		}
		if r.Status == statusVerified && r.How == "" {
			t.Errorf("%+v: verified without how", r)
		}
		if strings.Contains(r.Key, "urn:labelguard:") {
			t.Errorf("%+v: labelguard's own code listed", r)
		}
	}
	for _, s := range []string{"documents", "sections", "valueset-codes", "lab-codes"} {
		if count[s] == 0 {
			t.Errorf("no %s rows", s)
		}
	}
	if r, ok := rowFor(rows, "valueset-codes", "RxNorm 1191"); !ok || r.Status != statusVerified || r.Source != "valuesets/aspirin.json" {
		t.Errorf("aspirin's RxNorm code: %+v %v, want verified from valuesets/aspirin.json", r, ok)
	}
	verifiedSection := false
	for _, r := range rows {
		if r.Section == "sections" && r.Status == statusVerified {
			verifiedSection = true
			if !strings.HasPrefix(r.How, "https://") || r.URL == "" || r.Document == "" {
				t.Errorf("verified section without the copy it was read in or its document: %+v", r)
			}
		}
	}
	if !verifiedSection {
		t.Error("no verified section: the profiles' sources.*.status is not read")
	}
}

// What the data says reaches the review without a code being typed in
// Go: a product code added to a profile, a code added to an analyte, a
// sign-off recorded in review.json, a section marked verified.
func TestReviewFollowsTheData(t *testing.T) {
	dir := copyPolicies(t, filepath.Join("..", "..", "policies"), false)
	// Fictional codes, for this test only.
	const ndc, loinc = "0000-0000", "0000-1"
	profile := filepath.Join(dir, "profiles", "upadacitinib.json")
	var p map[string]any
	data, err := os.ReadFile(profile)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &p); err != nil {
		t.Fatal(err)
	}
	products, _ := p["products"].([]any)
	if len(products) == 0 {
		t.Fatal("the upadacitinib profile lists no products")
	}
	products[0].(map[string]any)["codes"] = []string{"http://hl7.org/fhir/sid/ndc|" + ndc}
	sources, _ := p["sources"].(map[string]any)
	hyp, _ := sources["hypersensitivity"].(map[string]any)
	if hyp == nil {
		t.Fatal("the upadacitinib profile has no hypersensitivity source")
	}
	hyp["status"], hyp["seen"] = "verified", "https://copy.example/rinvoq"
	doc := p["documents"].(map[string]any)["us-pi"].(map[string]any)
	doc["status"], doc["seen"] = "verified", "https://copy.example/rinvoq-current"
	if data, err = json.Marshal(p); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(profile, data, 0o644); err != nil {
		t.Fatal(err)
	}
	replaceIn(t, filepath.Join(dir, "data", "labs.json"), `"http://loinc.org|753-4"`, `"http://loinc.org|753-4", "http://loinc.org|`+loinc+`"`)
	review := `{"codes": {"http://snomed.info/sct|56717001": {"status": "verified", "how": "read in the SNOMED CT browser"}}}`
	if err := os.WriteFile(filepath.Join(dir, "data", "review.json"), []byte(review), 0o644); err != nil {
		t.Fatal(err)
	}

	out, _, err := runCmd(t, newReviewCmd(), "--policies", dir, "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	var rows []reviewRow
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		section, value string
		want           reviewRow
	}{
		{"product-codes", "NDC " + ndc, reviewRow{Source: "profiles/upadacitinib.json", Status: statusAwaiting}},
		{"lab-codes", "LOINC " + loinc, reviewRow{What: "Absolute neutrophil count (anc)", Source: "data/labs.json", Status: statusAwaiting}},
		{"valueset-codes", "SNOMED CT 56717001", reviewRow{Source: "valuesets/tb-active.json", Status: statusVerified, How: "read in the SNOMED CT browser"}},
		{"documents", "2025-04", reviewRow{What: "Rinvoq (upadacitinib) US Prescribing Information", Source: "profiles/upadacitinib.json", Status: statusVerified, How: "revision checked in https://copy.example/rinvoq-current"}},
		{"sections", "4 (contraindications)", reviewRow{What: "upadacitinib: hypersensitivity", Source: "profiles/upadacitinib.json", Status: statusVerified, How: "https://copy.example/rinvoq"}},
	} {
		r, ok := rowFor(rows, tc.section, tc.value)
		if tc.section == "sections" {
			ok = false
			for _, x := range rows {
				if x.Section == "sections" && x.What == tc.want.What {
					r, ok = x, true
				}
			}
		}
		switch {
		case !ok:
			t.Errorf("no %s row %q", tc.section, tc.value)
		case tc.want.What != "" && r.What != tc.want.What, r.Source != tc.want.Source, r.Status != tc.want.Status, r.How != tc.want.How:
			t.Errorf("%s %q: %+v, want %+v", tc.section, tc.value, r, tc.want)
		}
	}

	md, _, err := runCmd(t, newReviewCmd(), "--policies", dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| [Product codes](#product-codes) | 0 | 1 |",
		"| upadacitinib 15 MG Extended Release Oral Tablet [Rinvoq] | NDC 0000-0000 | `profiles/upadacitinib.json` | awaiting review |",
		"| verified: read in [copy.example](https://copy.example/rinvoq) |",
		"| SNOMED CT 56717001 | `valuesets/tb-active.json` | verified: read in the SNOMED CT browser |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
}

// A review.json that would lose or invent a sign-off is refused.
func TestReviewRefusesBadReviewData(t *testing.T) {
	ps := defaultReviewSet(t)
	for _, tc := range []struct{ name, review, want string }{
		{"a code no file lists", `{"codes": {"http://snomed.info/sct|1": {"status": "verified", "how": "x"}}}`,
			`data/review.json: codes http://snomed.info/sct|1: no value set, lab table or product lists them`},
		{"unknown status", `{"codes": {"http://snomed.info/sct|56717001": {"status": "approved", "how": "x"}}}`,
			`data/review.json: codes["http://snomed.info/sct|56717001"].status "approved" is not verified or awaiting-review`},
		{"verified without how", `{"codes": {"http://snomed.info/sct|56717001": {"status": "verified"}}}`,
			`a verified code says how it was verified`},
		{"misspelt field", `{"codes": {"http://snomed.info/sct|56717001": {"status": "verified", "hwo": "x"}}}`,
			`data/review.json: json: unknown field "hwo"`},
		{"no system", `{"codes": {"56717001": {"status": "awaiting-review"}}}`, `codes["56717001"]: want system|code`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			set := testpolicies.With(t, map[string]string{"data/review.json": tc.review})
			_, err := collectReview(set, ps)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want it to contain %q", err, tc.want)
			}
		})
	}
	if _, _, err := runCmd(t, newReviewCmd(), "--format", "table"); err == nil || !strings.Contains(err.Error(), `--format "table": want markdown or json`) {
		t.Errorf("--format table: %v", err)
	}
}
