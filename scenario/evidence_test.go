package scenario_test

import (
	"context"
	"testing"

	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/pipeline"
	"github.com/labelguard/labelguard/policies"
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
	ctx := context.Background()
	ps, err := engine.Load(ctx, policies.FS, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	all, err := scenario.Load(scenariosDir)
	if err != nil {
		t.Fatal(err)
	}
	cards := 0
	for _, s := range all {
		req, hc, now, err := s.Request()
		if err != nil {
			t.Fatal(err)
		}
		for _, svc := range ps.Services {
			if svc.Hook != req.Hook {
				continue
			}
			out, err := pipeline.Run(ctx, ps, svc, req, hc, now)
			if err != nil {
				break
			}
			for _, f := range out.Findings {
				cards++
				if withoutEvidence[f.Rule] {
					continue
				}
				if len(f.Evidence) == 0 {
					t.Errorf("%s: %s on %s names no evidence", s.Name, f.Rule, f.Order)
				}
			}
			break
		}
	}
	if cards < 100 {
		t.Errorf("only %d cards checked", cards)
	}
}
