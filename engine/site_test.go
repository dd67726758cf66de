package engine_test

import (
	"context"
	"strings"
	"testing"

	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/policies"
	"github.com/labelguard/labelguard/terminology"
)

// TestLoadRefusesStaleTerminology: a site terminology imported against
// other profiles (a product or profile these policies lack) is refused at
// load, naming the terminology file and entry, instead of recognising
// nothing for those codes.
func TestLoadRefusesStaleTerminology(t *testing.T) {
	parse := func(json string) *terminology.Site {
		t.Helper()
		s, err := terminology.ParseSite("site/terminology.json", []byte(json))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	for _, tc := range []struct {
		name, json, want string
	}{
		{"unknown product", `{"codes": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "900000310", "tty": "SCD", "name": "n",
			"ingredient": "upadacitinib", "profile": "upadacitinib", "product": "upadacitinib 60 MG Extended Release Oral Tablet [Rinvoq]", "strengthMg": 60, "per": "unit"}]}`,
			`site/terminology.json:2: codes.0.product: 900000310: profiles/upadacitinib.json has no product "upadacitinib 60 MG Extended Release Oral Tablet [Rinvoq]"`},
		{"unknown profile", `{"codes": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "900000311", "tty": "IN", "name": "n",
			"ingredient": "tofacitinib", "profile": "tofacitinib"}]}`,
			`site/terminology.json:2: codes.0.profile: 900000311: no profile "tofacitinib"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := engine.Load(context.Background(), policies.FS, engine.Options{Terminology: parse(tc.json)})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v\nwant %q", err, tc.want)
			}
		})
	}
}
