package scenario_test

import (
	"encoding/json"
	"io/fs"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/labelguard/labelguard/pipeline"
	"github.com/labelguard/labelguard/policies"
	"github.com/labelguard/labelguard/scenario"
)

// sourceLine matches a detail's "See also: [title](url)" citation (the
// card's own source is not repeated in its detail).
var sourceLine = regexp.MustCompile(`(?:Source|See also): \[([^\]]+)\]\(([^)]+)\)`)

// profileFiles reads the default set's drug profiles.
func profileFiles(t *testing.T) [][]byte {
	t.Helper()
	entries, err := fs.ReadDir(policies.FS, "profiles")
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, e := range entries {
		data, err := fs.ReadFile(policies.FS, "profiles/"+e.Name())
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, data)
	}
	return out
}

// documentsOf reads each drug's document titles and URLs from its profile,
// and the shared documents (guidelines every drug may cite).
func documentsOf(t *testing.T) (map[string]map[string]bool, map[string]bool) {
	t.Helper()
	type doc struct{ Title, URL string }
	perDrug := map[string]map[string]bool{}
	for _, data := range profileFiles(t) {
		var p struct {
			ID        string         `json:"id"`
			Documents map[string]doc `json:"documents"`
		}
		if err := json.Unmarshal(data, &p); err != nil {
			t.Fatal(err)
		}
		perDrug[p.ID] = map[string]bool{}
		for _, d := range p.Documents {
			perDrug[p.ID][d.Title], perDrug[p.ID][d.URL] = true, true
		}
	}
	data, err := fs.ReadFile(policies.FS, "data/documents.json")
	if err != nil {
		t.Fatal(err)
	}
	var shared struct {
		Documents map[string]doc `json:"documents"`
	}
	if err := json.Unmarshal(data, &shared); err != nil {
		t.Fatal(err)
	}
	common := map[string]bool{}
	for _, d := range shared.Documents {
		common[d.Title], common[d.URL] = true, true
	}
	return perDrug, common
}

// TestEveryCardCitesItsDrugsLabel runs every scenario and checks that each
// card about a target drug cites that drug's own documents, in its source,
// its detail's source lines and its links, never another drug's: the
// neutrophil card on an abrocitinib order cites Cibinqo, not Rinvoq.
func TestEveryCardCitesItsDrugsLabel(t *testing.T) {
	perDrug, common := documentsOf(t)
	// Documents of any drug: a citation of one of these must be the card's
	// own drug's.
	anyDrug := map[string]string{}
	for drug, docs := range perDrug {
		for d := range docs {
			anyDrug[d] = drug
		}
	}
	cited := map[string]int{}
	ps, _ := eachOutcome(t, func(s scenario.Scenario, out *pipeline.Outcome) {
		targets := map[string]string{}
		for _, o := range out.Input.Input.Orders {
			targets[o.Ref] = o.Target
		}
		if len(out.Cards) != len(out.Findings) {
			t.Fatalf("%s: %d cards for %d findings", s.Name, len(out.Cards), len(out.Findings))
		}
		for i, f := range out.Findings {
			drug := targets[f.Order]
			if drug == "" {
				drug = f.Drug
			}
			if drug == "" {
				continue // a card about no one drug (data.incomplete)
			}
			c := out.Cards[i]
			check := func(what, title, url string) {
				for _, x := range []string{title, url} {
					if x == "" || common[x] || perDrug[drug][x] {
						continue
					}
					if other, ok := anyDrug[x]; ok {
						t.Errorf("%s: %s on %s (%s): %s cites %s's document %q", s.Name, f.Rule, f.Order, drug, what, other, x)
					}
				}
			}
			label := c.Source.Label
			for d := range perDrug[drug] {
				if strings.HasPrefix(label, d) {
					label = d
				}
			}
			check("source", label, c.Source.URL)
			if anyDrug[label] == drug && anyDrug[c.Source.URL] == drug {
				cited[drug]++
			}
			for _, m := range sourceLine.FindAllStringSubmatch(c.Detail, -1) {
				check("detail", m[1], m[2])
			}
			for _, l := range c.Links {
				check("link", l.Label, l.URL)
			}
		}
	})
	// Every drug's scenarios produce cards that cite its own label.
	for _, drug := range slices.Sorted(maps.Keys(perDrug)) {
		if cited[drug] < 3 {
			t.Errorf("only %d cards cite %s's own label: the scenarios do not cover it", cited[drug], drug)
		}
	}
	if ps == nil {
		t.Fatal("no policy set")
	}
	t.Logf("cards citing their drug's own label: %v", cited)
}
