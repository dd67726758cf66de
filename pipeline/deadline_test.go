package pipeline_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/labelguard/labelguard/cdshooks"
	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/internal/testpolicies"
	"github.com/labelguard/labelguard/pipeline"
)

// slowRule never finishes in time: nine million iterations per order.
const slowRule = `# METADATA
# scope: package
# custom:
#   hooks: [order-sign]
package labelguard.rules.slow

# METADATA
# title: A rule that explodes
# custom:
#   id: slow.explodes
#   indicator: info
#   source:
#     label: test
#     url: https://example.org/slow
findings contains {"rule": "slow.explodes", "indicator": "info", "summary": "never", "order": o.ref} if {
	some o in input.orders
	some i in numbers.range(1, 3000)
	some j in numbers.range(1, 3000)
	i * j == -1
}
`

// TestEvaluationDeadline checks that a policy that loops is stopped at the
// deadline and answered with a data.incomplete card, not a hung request or
// an empty (silently passing) answer.
func TestEvaluationDeadline(t *testing.T) {
	set := testpolicies.With(t, map[string]string{"rules/slow/slow.rego": slowRule})
	ps, err := engine.Load(context.Background(), set, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	body, err := os.ReadFile(filepath.Join("..", "api", "testdata", "requests", "upadacitinib-45mg-low-anc.json"))
	if err != nil {
		t.Fatal(err)
	}
	req, err := cdshooks.DecodeRequest(bytes.NewReader(body), cdshooks.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	hc, err := cdshooks.DecodeContext(req.Hook, req.Context)
	if err != nil {
		t.Fatal(err)
	}
	svc, _ := ps.Service("jak-order-sign")
	out, err := (&pipeline.Pipeline{}).Run(context.Background(), pipeline.Call{
		Policies: ps, Service: svc, Request: req, Context: hc, Now: now, EvalTimeout: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !out.EvalTimedOut || len(out.Cards) != 1 || out.Cards[0].Source.Topic == nil || out.Cards[0].Source.Topic.Code != "data.incomplete" {
		t.Fatalf("got %+v, want one data.incomplete card", out.Cards)
	}
	if err := out.Cards[0].Validate(); err != nil {
		t.Errorf("card does not validate: %v", err)
	}
}
