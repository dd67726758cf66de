package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/labelguard/labelguard/cdshooks"
	"github.com/labelguard/labelguard/fhir"
	tp "github.com/labelguard/labelguard/internal/testpatient"
	"github.com/labelguard/labelguard/loadgen/corpus"
)

// BenchmarkPerfPartialEval measures what partial evaluation of the policy
// set over the data known at load would save a call (issue 28, item 2):
// the findings query of the packages an order-sign reaches, as served
// ("served"), and as OPA's partial evaluation leaves it with the input
// unknown and everything under data (site parameters, the drug, lab and
// value set tables, the citations) known, three ways (partialVariants):
//
//   - shallow: rules that depend only on data are evaluated at load and
//     inlined, rules that read the input are kept as rules;
//   - rules-inlined: the rule packages inlined into the query, the
//     library's helpers (data.labelguard.lib) kept as rules;
//   - all-inlined: everything inlined but the four evidence helpers whose
//     inlining does not compile (OPA's default, full inlining, yields a
//     residual that does not compile: unsafe variables from the
//     `some k, v in obj` comprehension of lib.compact, as round 2 found).
//     Making it takes 10-15 s and it evaluates 37 times the allocations of
//     the served query (docs/bench/28-partial.txt), so it runs only with
//     LABELGUARD_TEST_PARTIAL_ALL=1.
//
// Residuals compile only without strict checks (unused arguments of the
// rewritten functions). Each residual must yield the served query's
// findings on the benchmark's input before it is timed, and
// TestPartialEvalAgrees holds the two cheaper ones to them over a corpus.
// Run the test binary once per round (go test -c, then -test.count 1
// several times) to interleave the variants.
func BenchmarkPerfPartialEval(b *testing.B) {
	cases, ps := perfSetup(b)
	for _, c := range cases {
		in, err := InputValue(&c.derived.Input)
		if err != nil {
			b.Fatal(err)
		}
		set := ps.reachable("order-sign", &c.derived.Input)
		served, err := ps.query(context.Background(), set)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name+"/served", func(b *testing.B) { benchQuery(b, &served.pq, in) })
		want, err := served.pq.Eval(context.Background(), rego.EvalParsedInput(in))
		if err != nil {
			b.Fatal(err)
		}
		for _, v := range partialVariants {
			if v.name == "all-inlined" && os.Getenv("LABELGUARD_TEST_PARTIAL_ALL") != "1" {
				continue
			}
			start := time.Now()
			residual, rules := partialQuery(b, ps, set, v.opts...)
			prepare := time.Since(start)
			got, err := residual.Eval(context.Background(), rego.EvalParsedInput(in))
			if err != nil {
				b.Fatal(err)
			}
			if resultJSON(b, got) != resultJSON(b, want) {
				b.Fatalf("%s/%s: the residual's findings differ from the served query's", c.name, v.name)
			}
			b.Run(c.name+"/"+v.name, func(b *testing.B) {
				benchQuery(b, residual, in)
				b.ReportMetric(float64(rules), "residual-rules")
				b.ReportMetric(float64(prepare.Milliseconds()), "load-ms")
			})
		}
	}
}

func benchQuery(b *testing.B, pq *rego.PreparedEvalQuery, in ast.Value) {
	b.ReportAllocs()
	for b.Loop() {
		rs, err := pq.Eval(context.Background(), rego.EvalParsedInput(in))
		if err != nil || len(rs) != 1 {
			b.Fatal(err, len(rs))
		}
	}
}

// partialVariants are the partial evaluations BenchmarkPerfPartialEval
// measures.
var partialVariants = []struct {
	name string
	opts []func(*rego.Rego)
}{
	{"shallow", []func(*rego.Rego){rego.ShallowInlining(true)}},
	{"rules-inlined", []func(*rego.Rego){rego.DisableInlining([]string{"data.labelguard.lib"})}},
	{"all-inlined", []func(*rego.Rego){rego.DisableInlining([]string{
		"data.labelguard.lib.compact", "data.labelguard.lib.evidence_lab",
		"data.labelguard.lib.evidence_med", "data.labelguard.lib.evidence_condition"})}},
}

// partialQuery partially evaluates the findings query of a package set
// over the policy set's data and prepares the residual; it returns the
// prepared query (one expression per package, as the served query) and
// the residual's number of rules.
func partialQuery(tb testing.TB, ps *PolicySet, set packageSet, opts ...func(*rego.Rego)) (*rego.PreparedEvalQuery, int) {
	tb.Helper()
	ctx := context.Background()
	pkgs := ps.packages(set)
	exprs := make([]string, len(pkgs))
	residual := make([]string, len(pkgs))
	for i, p := range pkgs {
		exprs[i] = p.findingsRef().String()
		residual[i] = "data.partial." + strings.TrimPrefix(exprs[i], "data.")
	}
	pr, err := rego.New(append([]func(*rego.Rego){
		rego.Query(strings.Join(exprs, "; ")),
		rego.Compiler(ps.compiler),
		rego.Store(ps.store),
		rego.StrictBuiltinErrors(true),
	}, opts...)...).Partial(ctx)
	if err != nil {
		tb.Fatalf("partial evaluation: %v", err)
	}
	modules := map[string]*ast.Module{}
	for p, m := range ps.modules {
		if !isTest(p) {
			modules[p] = m.Copy()
		}
	}
	rules := 0
	for i, m := range pr.Support {
		modules[fmt.Sprintf("partial/%d.rego", i)] = m
		rules += len(m.Rules)
	}
	compiler, err := compile(modules, false)
	if err != nil {
		tb.Fatalf("compile the residual: %v", err)
	}
	pq, err := rego.New(
		rego.Query(strings.Join(residual, "; ")),
		rego.Compiler(compiler),
		rego.Store(ps.store),
		rego.StrictBuiltinErrors(true),
	).PrepareForEval(ctx)
	if err != nil {
		tb.Fatalf("prepare the residual: %v", err)
	}
	return &pq, rules
}

// TestPartialEvalAgrees: the shallow and rules-inlined residuals of
// BenchmarkPerfPartialEval yield
// the served query's findings for every order-sign call of 50
// load-generator patients that reaches the benchmark's packages (the
// upadacitinib orders, CBCs above and below the thresholds), so that the
// benchmark compares evaluations of the same rules. (All-inlined takes
// ten seconds to make and is checked by the benchmark alone; every package
// set of both order hooks agreed too, by hand: a minute of partial
// evaluation, too long for every test run.)
func TestPartialEvalAgrees(t *testing.T) {
	ctx := context.Background()
	cases, ps := perfSetup(t)
	benchmarked := ps.reachable("order-sign", &cases[0].derived.Input)
	bases, err := corpus.LoadPatients(filepath.Dir(tp.SamplePath("x.json")))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	c, err := corpus.Generate(bases, 50, now)
	if err != nil {
		t.Fatal(err)
	}
	vs, labs, drugs := ps.Tables()
	residuals := map[string]*rego.PreparedEvalQuery{}
	compared := 0
	for _, r := range c.Sign {
		req, err := cdshooks.DecodeRequest(strings.NewReader(string(r.Body)), cdshooks.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		hc, err := cdshooks.DecodeContext(req.Hook, req.Context)
		if err != nil {
			t.Fatal(err)
		}
		drafts, err := fhir.ParseDraftOrders(hc.Order.DraftOrders)
		if err != nil {
			t.Fatal(err)
		}
		svc, _ := ps.Service(r.Service)
		var keys []string
		for k := range svc.Prefetch {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		d, err := fhir.Derive(fhir.Tables{ValueSets: vs, Labs: labs, Drugs: drugs}, fhir.Request{
			Service: svc.ID, Hook: req.Hook, HookInstance: req.HookInstance, Now: now,
			PatientID: hc.Order.PatientID, Selections: hc.Order.Selections, Drafts: drafts, Prefetch: req.Prefetch, ExpectedKeys: keys,
		})
		if err != nil {
			t.Fatal(err)
		}
		in, err := InputValue(&d.Input)
		if err != nil {
			t.Fatal(err)
		}
		set := ps.reachable(svc.Hook, &d.Input)
		if set != benchmarked {
			continue
		}
		served, err := ps.query(ctx, set)
		if err != nil {
			t.Fatal(err)
		}
		want, err := served.pq.Eval(ctx, rego.EvalParsedInput(in))
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range partialVariants[:2] {
			k := fmt.Sprint(v.name, set)
			if residuals[k] == nil {
				residuals[k], _ = partialQuery(t, ps, set, v.opts...)
			}
			got, err := residuals[k].Eval(ctx, rego.EvalParsedInput(in))
			if err != nil {
				t.Fatal(err)
			}
			if a, b := resultJSON(t, got), resultJSON(t, want); a != b {
				t.Fatalf("%s %s: the %s residual's findings differ from the served query's:\nresidual: %.1000s\nserved:   %.1000s", r.Service, r.PatientID, v.name, a, b)
			}
		}
		if !strings.Contains(resultJSON(t, want), `"rule"`) {
			continue
		}
		compared++
	}
	t.Logf("%d calls with findings compared", compared)
	if compared < 15 {
		t.Errorf("only %d calls with findings compared", compared)
	}
}

func resultJSON(t testing.TB, rs rego.ResultSet) string {
	t.Helper()
	if len(rs) != 1 {
		return fmt.Sprintf("%d results", len(rs))
	}
	var out []string
	for _, e := range rs[0].Expressions {
		b, err := json.Marshal(e.Value)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	return strings.Join(out, "\n")
}
