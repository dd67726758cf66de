package scenario_test

import (
	"testing"

	"github.com/labelguard/labelguard/pipeline"
	"github.com/labelguard/labelguard/scenario"
)

// withoutEvidence are the rules that fire on the absence of something (no
// vaccine on record, no recent lab) or on a site setting, so that no
// resource made them fire; every other card must name its evidence.
var withoutEvidence = map[string]bool{
	"baricitinib.jurisdiction":    true, // a site parameter
	"jak.monitoring-plan":         true, // a plan, for every initiation
	"jak.zoster-vaccine-missing":  true, // no vaccine on record
	"data.incomplete":             true, // data that could not be obtained
	"monitoring.cbc-due":          true, // no recent result
	"monitoring.lipids-due":       true,
	"monitoring.tb-due":           true,
	"jak.pretreatment-incomplete": true, // lists what is missing as factors
}

// TestEveryCardNamesItsEvidence runs the scenario corpus and checks that
// each card (other than the absence rules) carries the resources that made
// it fire, so that a clinician can see why.
func TestEveryCardNamesItsEvidence(t *testing.T) {
	cards := 0
	eachOutcome(t, func(s scenario.Scenario, out *pipeline.Outcome) {
		for _, f := range out.Findings {
			cards++
			if withoutEvidence[f.Rule] {
				continue
			}
			if len(f.Evidence) == 0 {
				t.Errorf("%s: %s on %s names no evidence", s.Name, f.Rule, f.Order)
			}
		}
	})
	if cards < 100 {
		t.Errorf("only %d cards checked", cards)
	}
}
