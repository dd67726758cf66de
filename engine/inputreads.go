package engine

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/labelguard/labelguard/facts"
)

// While an order is built the EHR calls order-select on each edit, and
// many edits change what only a few rules read: the dispense quantity and
// supply of an oral order are read by no rule of the oral drugs (only the
// cream's amount rule reads a dispense). Such facts are input members of
// their own (optionalInputs), and a call is evaluated without a member
// when no rule package it reaches can read it, so the decision cache,
// which keys on the input the rules are evaluated on, answers the edit
// from the decision made before it.
//
// Which packages can read a member is decided at load from the compiled
// modules, at package granularity: a package reads input.M when one of
// its modules names input.M, reads input whole or with a key that is not a
// constant, or refers to a package that does (transitively; a reference
// into data with a computed key refers to every package below its constant
// part). That is sound by construction: the rules of a package that reads
// none of these ways cannot observe the member, so evaluating without it
// yields what evaluating with it yields. It is coarse on purpose: a helper
// in lib that named input.dispense would make every package a reader
// (slower, not wrong), so lib's helpers take the entry as an argument
// (lib.evidence_dispense) and the cream's package reads it.

// optionalInputs are the input members few packages read, with how to
// leave each out of an input (reporting whether it was there).
var optionalInputs = []struct {
	name string
	drop func(*facts.Input) bool
}{
	{"dispense", func(in *facts.Input) bool {
		had := in.Dispense != nil
		in.Dispense = nil
		return had
	}},
}

// allInputs stands for "the whole input" among a package's input reads.
const allInputs = "*"

// inputReaders returns, for each optional input member, the rule packages
// (indexes into names) that can read it; modules are the compiled, served
// modules.
func inputReaders(modules map[string]*ast.Module, names []string, pkgs map[string]*RulePackage) map[string]packageSet {
	reads, deps := packageReads(modules)
	out := make(map[string]packageSet, len(optionalInputs))
	for i, name := range names {
		got := closureReads(pkgs[name].ref.String(), reads, deps)
		for _, m := range optionalInputs {
			if got[m.name] || got[allInputs] {
				out[m.name] = out[m.name].with(i)
			}
		}
	}
	return out
}

// packageReads returns, per package path, the input members its modules
// name (allInputs for input whole or by a computed key) and the packages
// they refer to.
func packageReads(modules map[string]*ast.Module) (map[string]map[string]bool, map[string]map[string]bool) {
	paths := map[string]ast.Ref{}
	for _, m := range modules {
		paths[m.Package.Path.String()] = m.Package.Path
	}
	reads := map[string]map[string]bool{}
	deps := map[string]map[string]bool{}
	for _, name := range slices.Sorted(maps.Keys(modules)) {
		m := modules[name]
		pkg := m.Package.Path.String()
		if reads[pkg] == nil {
			reads[pkg], deps[pkg] = map[string]bool{}, map[string]bool{}
		}
		// The walk visits the module's package line too, which makes the
		// package depend on the packages enclosing it (a rule written in
		// package labelguard.rules as baricitinib.probe belongs to
		// labelguard.rules.baricitinib) and on those nested in it; so
		// does any reference to the package's own rules, which are data
		// references once compiled.
		ast.WalkRefs(m, func(r ast.Ref) bool {
			switch {
			case r[0].Equal(ast.InputRootDocument):
				reads[pkg][inputMember(r)] = true
			case r[0].Equal(ast.DefaultRootDocument):
				c := constantPrefix(r)
				for q, p := range paths {
					if q != pkg && (p.HasPrefix(c) || c.HasPrefix(p)) {
						deps[pkg][q] = true
					}
				}
			}
			return false
		})
	}
	return reads, deps
}

// inputMember is the member of input a reference rooted at input reads.
func inputMember(r ast.Ref) string {
	if len(r) < 2 {
		return allInputs
	}
	key, ok := r[1].Value.(ast.String)
	if !ok {
		return allInputs
	}
	return string(key)
}

// constantPrefix is the part of a reference before its first key that is
// not a constant string.
func constantPrefix(r ast.Ref) ast.Ref {
	for i := 1; i < len(r); i++ {
		if _, ok := r[i].Value.(ast.String); !ok {
			return r[:i]
		}
	}
	return r
}

// closureReads is what a package reads itself or through the packages it
// refers to, transitively.
func closureReads(pkg string, reads, deps map[string]map[string]bool) map[string]bool {
	out := map[string]bool{}
	seen := map[string]bool{pkg: true}
	todo := []string{pkg}
	for len(todo) > 0 {
		p := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		maps.Copy(out, reads[p])
		for q := range deps[p] {
			if !seen[q] {
				seen[q] = true
				todo = append(todo, q)
			}
		}
	}
	return out
}

// indirectReads says, for each optional input member, which rule packages
// read it only through other packages ("rules.jak through lib"), sorted:
// a helper that names the member makes every package using it a reader, so
// their calls are evaluated with it (slower, not wrong). modules are the
// compiled modules; test modules are left out.
func indirectReads(modules map[string]*ast.Module) []string {
	served := map[string]*ast.Module{}
	for name, m := range modules {
		if !isTest(name) {
			served[name] = m
		}
	}
	reads, deps := packageReads(served)
	var out []string
	for _, pkg := range slices.Sorted(maps.Keys(reads)) {
		if !strings.HasPrefix(pkg, rulesRoot.String()+".") {
			continue
		}
		own := reads[pkg]
		got := closureReads(pkg, reads, deps)
		for _, m := range optionalInputs {
			if own[m.name] || own[allInputs] || !got[m.name] && !got[allInputs] {
				continue
			}
			var via []string
			for q := range deps[pkg] {
				if r := closureReads(q, reads, deps); r[m.name] || r[allInputs] {
					via = append(via, strings.TrimPrefix(q, "data.labelguard."))
				}
			}
			slices.Sort(via)
			out = append(out, fmt.Sprintf("input.%s: %s through %s", m.name, strings.TrimPrefix(pkg, "data.labelguard."), strings.Join(via, ", ")))
		}
	}
	return out
}

// InputReaders names, for each optional input member (input.dispense),
// the rule packages that can read it: a call reaching none of them is
// evaluated without it (see EvaluationInput).
func (ps *PolicySet) InputReaders() map[string][]string {
	out := make(map[string][]string, len(optionalInputs))
	for _, m := range optionalInputs {
		out[m.name] = ps.packageNamesOf(ps.inputReaders[m.name])
	}
	return out
}

// withoutUnread leaves out of out the optional members no package of set
// can read, reporting whether any was there.
func (ps *PolicySet) withoutUnread(out *facts.Input, set packageSet) bool {
	dropped := false
	for _, m := range optionalInputs {
		if set&ps.inputReaders[m.name] == 0 && m.drop(out) {
			dropped = true
		}
	}
	return dropped
}

// movedInputs are the names of facts that moved to an input member of
// their own, with where they are now. A rule written before the move would
// read nothing and never fire, so it is refused at load and by check.
var movedInputs = map[string]string{
	"dispenseQuantity": "input.dispense[order.ref].quantity",
	"supplyDays":       "input.dispense[order.ref].supplyDurationDays",
}

// movedInputProblems reports each use of a moved fact's old name.
func movedInputProblems(modules map[string]*ast.Module) []Problem {
	var out []Problem
	for _, name := range slices.Sorted(maps.Keys(modules)) {
		ast.WalkTerms(modules[name], func(t *ast.Term) bool {
			s, ok := t.Value.(ast.String)
			if !ok {
				return false
			}
			if now, moved := movedInputs[string(s)]; moved {
				file, row := where(t.Location)
				out = append(out, Problem{Severity: SeverityError, Check: CheckInput, File: cmp.Or(file, name), Row: row,
					Message: fmt.Sprintf("%q is no longer a medication fact: it is %s (docs/policy-input.md); reading it here reads nothing, and a rule that reads it would never fire", string(s), now)})
			}
			return false
		})
	}
	return out
}
