package scenario_test

import (
	"context"
	"testing"

	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/pipeline"
	"github.com/labelguard/labelguard/policies"
	"github.com/labelguard/labelguard/scenario"
)

// eachOutcome runs every scenario of the corpus through the pipeline with
// the default policy set, as the service of its hook, and hands each
// outcome that derived an input to fn. It returns the policy set, for
// tests that query it, and the number of outcomes.
func eachOutcome(t *testing.T, fn func(s scenario.Scenario, out *pipeline.Outcome)) (*engine.PolicySet, int) {
	t.Helper()
	ctx := context.Background()
	ps, err := engine.Load(ctx, policies.FS, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	all, err := scenario.Load(scenariosDir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
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
			if err == nil && out.Input != nil {
				fn(s, out)
				n++
			}
			break
		}
	}
	return ps, n
}
