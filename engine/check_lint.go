package engine

import (
	"maps"
	"regexp"
	"slices"
	"unicode/utf8"

	"github.com/open-policy-agent/opa/v1/ast"
)

// forEachCall calls fn for every call in x: call expressions (f(a, b),
// including x := f(a) as compiled) and call terms nested in other terms.
func forEachCall(x any, fn func(op ast.Ref, args []*ast.Term, loc *ast.Location)) {
	ast.WalkExprs(x, func(e *ast.Expr) bool {
		if e.IsCall() {
			if op := e.Operator(); op != nil {
				fn(op, e.Operands(), e.Location)
			}
		}
		return false
	})
	ast.WalkTerms(x, func(t *ast.Term) bool {
		if c, ok := t.Value.(ast.Call); ok && len(c) > 0 {
			if op, ok := c[0].Value.(ast.Ref); ok {
				fn(op, c[1:], t.Location)
			}
		}
		return false
	})
}

// checkBuiltins reports calls to denied builtins and returns their names.
func checkBuiltins(modules map[string]*ast.Module, add addFunc) map[string]bool {
	found := map[string]bool{}
	for _, p := range slices.Sorted(maps.Keys(modules)) {
		forEachCall(modules[p], func(op ast.Ref, _ []*ast.Term, loc *ast.Location) {
			name := op.String()
			if !deniedBuiltins[name] {
				return
			}
			found[name] = true
			row := 0
			if loc != nil {
				row = loc.Row
			}
			add(CheckBuiltin, p, row, "%s is not allowed in labelguard policies: %s", name, deniedReason[name])
		})
	}
	return found
}

var fmtVerb = regexp.MustCompile(`%[-+# 0]*[0-9]*(\.[0-9]+)?[a-zA-Z%]`)

// checkSummaries checks "summary": <literal> and "summary": sprintf(<literal>, ...)
// in the policy modules (tests excluded) and returns how many it checked.
func checkSummaries(modules map[string]*ast.Module, add addFunc) int {
	n := 0
	for _, p := range slices.Sorted(maps.Keys(modules)) {
		if isTest(p) {
			continue
		}
		ast.WalkTerms(modules[p], func(t *ast.Term) bool {
			obj, ok := t.Value.(ast.Object)
			if !ok {
				return false
			}
			v := obj.Get(ast.StringTerm("summary"))
			if v == nil {
				return false
			}
			row := t.Location.Row
			if v.Location != nil {
				row = v.Location.Row
			}
			switch x := v.Value.(type) {
			case ast.String:
				n++
				if l := utf8.RuneCountInString(string(x)); l > MaxSummary {
					add(CheckSummary, p, row, "summary is %d characters; CDS Hooks allows %d", l, MaxSummary)
				}
			case ast.Call:
				if len(x) == 3 && x[0].String() == "sprintf" {
					if f, ok := x[1].Value.(ast.String); ok {
						n++
						fixed := fmtVerb.ReplaceAllString(string(f), "")
						if l := utf8.RuneCountInString(fixed); l > MaxSummary {
							add(CheckSummary, p, row, "summary format has %d characters before its values are substituted; CDS Hooks allows %d", l, MaxSummary)
						}
					}
				}
			}
			return false
		})
	}
	return n
}
