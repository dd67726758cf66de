package engine

import (
	"context"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/format"
	"github.com/open-policy-agent/opa/v1/rego"

	tp "github.com/labelguard/labelguard/internal/testpatient"
	"github.com/labelguard/labelguard/policies"
)

// BenchmarkPerfPolicyParts measures what the parts of a finding cost in
// policy evaluation, to bound what moving them out of Rego could save. It
// evaluates the focused request's input (six findings fire) with the
// default policy set rewritten three ways:
//
//   - full: as served;
//   - no-card-text: every finding's summary and detail a constant, as if
//     card text were rendered outside Rego;
//   - decisions-only: also evidence, factors, suggestions and links
//     constant, leaving which rules fire for which order: what evaluation
//     costs before any card content is built.
//
// Each reports x-floor, its time over the focused body's decode-only floor
// (read and encoding/json into any, as pipeline's PerfFloor) measured in
// the same run. The rewritten sets are compiled without strict checks,
// since the variables that fed the dropped members go unused.
func BenchmarkPerfPolicyParts(b *testing.B) {
	cases, _ := perfSetup(b)
	in, err := InputValue(&cases[0].derived.Input)
	if err != nil {
		b.Fatal(err)
	}
	body := focusedBody(b)
	for _, v := range []struct {
		name  string
		strip map[string]ast.Value
	}{
		{"full", nil},
		{"no-card-text", map[string]ast.Value{"summary": ast.String("-"), "detail": ast.String("")}},
		{"decisions-only", map[string]ast.Value{
			"summary": ast.String("-"), "detail": ast.String(""),
			"evidence": ast.NewArray(), "factors": ast.NewArray(), "suggestions": ast.NewArray(), "links": ast.NewArray(),
		}},
	} {
		ps, err := Load(context.Background(), rewriteFindings(b, v.strip), Options{lax: v.strip != nil})
		if err != nil {
			b.Fatal(err)
		}
		pq := callQuery(b, ps, "order-sign", &cases[0].derived.Input)
		b.Run(v.name, func(b *testing.B) {
			b.ReportAllocs()
			start := time.Now()
			for b.Loop() {
				rs, err := pq.Eval(context.Background(), rego.EvalParsedInput(in))
				if err != nil || len(rs) == 0 {
					b.Fatal(err, len(rs))
				}
			}
			per := float64(time.Since(start).Nanoseconds()) / float64(b.N)
			b.ReportMetric(per/decodeFloorNs(b, body), "x-floor")
		})
	}
}

// TestPolicyPartsRewrite checks that the rewrite behind
// BenchmarkPerfPolicyParts keeps the findings and only blanks the members
// named: a benchmark of a rewrite that silenced rules would measure nothing.
func TestPolicyPartsRewrite(t *testing.T) {
	cases, ps := perfSetup(t)
	d := cases[0].derived
	in, err := InputValue(&d.Input)
	if err != nil {
		t.Fatal(err)
	}
	full, err := mustFindings(context.Background(), ps, "order-sign", &d.Input, in)
	if err != nil {
		t.Fatal(err)
	}
	stripped, err := Load(context.Background(), rewriteFindings(t, map[string]ast.Value{"summary": ast.String("-"), "evidence": ast.NewArray()}), Options{lax: true})
	if err != nil {
		t.Fatal(err)
	}
	got, err := mustFindings(context.Background(), stripped, "order-sign", &d.Input, in)
	if err != nil {
		t.Fatal(err)
	}
	if len(full) < 5 || len(got) != len(full) {
		t.Fatalf("rewritten set yields %d findings, the served set %d", len(got), len(full))
	}
	for _, f := range got {
		if templated(stripped, f) {
			// written by its METADATA (custom.card): no summary in Rego
			if f.Summary == "" || f.Summary == "-" {
				t.Errorf("rule %s: card template gave summary %q", f.Rule, f.Summary)
			}
			continue
		}
		if f.Summary != "-" || len(f.Evidence) != 0 || f.Detail == "" || f.Rule == "" || f.Order == "" {
			t.Errorf("rule %s: summary %q, %d evidence, detail %d bytes, order %q", f.Rule, f.Summary, len(f.Evidence), len(f.Detail), f.Order)
		}
	}
}

// templated reports whether a finding's text is its rule's card template's.
func templated(ps *PolicySet, f Finding) bool {
	r := ps.Catalog[f.Rule]
	return r != nil && r.Variants[0].Card != nil
}

// rewriteFindings returns the default policy set with the value of every
// object member named in strip replaced (every finding is an object
// literal with these members; no other object in the policies has them).
func rewriteFindings(tb testing.TB, strip map[string]ast.Value) fs.FS {
	tb.Helper()
	out := fstest.MapFS{}
	err := fs.WalkDir(policies.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(policies.FS, p)
		if err != nil {
			return err
		}
		if len(strip) > 0 && strings.HasSuffix(p, ".rego") && !isTest(p) {
			mod, err := ast.ParseModuleWithOpts(p, string(data), ast.ParserOptions{ProcessAnnotation: true, RegoVersion: ast.RegoV1})
			if err != nil {
				return err
			}
			ast.WalkTerms(mod, func(t *ast.Term) bool {
				if obj, ok := t.Value.(ast.Object); ok {
					obj.Foreach(func(k, v *ast.Term) {
						if s, ok := k.Value.(ast.String); ok && strip[string(s)] != nil {
							v.Value = strip[string(s)]
						}
					})
				}
				return false
			})
			if data, err = format.AstWithOpts(mod, format.Opts{RegoVersion: ast.RegoV1}); err != nil {
				return err
			}
		}
		out[p] = &fstest.MapFile{Data: data}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func focusedBody(tb testing.TB) []byte {
	tb.Helper()
	body, err := tp.FocusedBody()
	if err != nil {
		tb.Fatal(err)
	}
	return body
}

// decodeFloorNs is the decode-only floor of body (pipeline's PerfFloor).
func decodeFloorNs(tb testing.TB, body []byte) float64 {
	ns, err := tp.FloorNs(body)
	if err != nil {
		tb.Fatal(err)
	}
	return ns
}
