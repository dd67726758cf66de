package engine_test

import (
	"context"
	"testing"

	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/policies"
)

// TestRegoPolicies runs every _test.rego test of the default policy set with
// the data labelguard loads, under the serving capabilities.
func TestRegoPolicies(t *testing.T) {
	ps, err := engine.Load(context.Background(), policies.FS, engine.Options{})
	if err != nil {
		t.Fatalf("load default policy set: %v", err)
	}
	results, err := ps.RunTests(context.Background(), "")
	if err != nil {
		t.Fatalf("run Rego tests: %v", err)
	}
	if len(results) == 0 {
		t.Fatal("the default policy set has no Rego tests")
	}
	failed := 0
	for _, r := range results {
		if !r.Pass {
			failed++
			t.Errorf("%s.%s (%s): fail %s %s", r.Package, r.Name, r.Location, r.Error, r.Output)
		}
	}
	t.Logf("%d Rego tests, %d failed", len(results), failed)
}
