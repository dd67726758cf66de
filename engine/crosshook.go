package engine

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/labelguard/labelguard/facts"
)

// An EHR calls order-select while an order is built and order-sign seconds
// later with the same order and the same patient data. Most rules do not
// care which hook asks: what they yield depends on the patient and the
// orders alone, and the hook only decides which packages run and where a
// finding becomes a card (its METADATA hooks). When no rule reads which
// call is asking, the policy set is cross-hook: a call's rule results are
// a function of the packages it reaches and of its input without the
// call's hook, service, hookInstance and order-select's selected flags, so
// order-sign can be answered from what order-select evaluated (the
// decision cache keys on exactly that; see EvaluationScope).
//
// Whether rules read the call is decided at load, from the source: a
// reference to input.hook, input.service or input.hookInstance, the word
// "selected" anywhere (the selected flag of an order), input read with a
// key that is not a constant string or used whole makes the set
// hook-bound, and its cache keys name the service and hook as before. On a
// cross-hook set, results are shared between hooks whose findings every
// rule checks and words alike (hookGroups: order-select and order-sign in
// the served set, not patient-view, whose variants differ). Evaluation of a cross-hook set
// is given the input without those members, so that not even a rule that
// copies a whole order into its finding can tell the hooks apart.

// callMembers are the members of the policy input that say which call is
// asking rather than what it is about.
var callMembers = map[string]bool{"hook": true, "service": true, "hookInstance": true}

// selectedMember is the order member order-select sets on the selected
// orders (facts.Med.Selected).
const selectedMember = "selected"

// hookBound says where the rules read which call is asking ("" when
// nowhere): the first file and row found, for the log and the docs.
func hookBound(modules map[string]*ast.Module) string {
	for _, name := range slices.Sorted(maps.Keys(modules)) {
		if isTest(name) {
			continue // Rego tests set input with "with"; they are not served
		}
		var where string
		ast.WalkTerms(modules[name], func(t *ast.Term) bool {
			if where != "" {
				return true
			}
			at := func(what string) { where = fmt.Sprintf("%s:%d: %s", name, rowOf(t), what) }
			switch v := t.Value.(type) {
			case ast.String:
				if string(v) == selectedMember {
					at(`reads "selected"`)
				}
			case ast.Ref:
				if !v[0].Equal(ast.InputRootDocument) {
					return false
				}
				if len(v) == 1 {
					at("reads input as a whole")
					return true
				}
				key, ok := v[1].Value.(ast.String)
				switch {
				case !ok:
					at("reads input with a key that is not a constant")
				case callMembers[string(key)]:
					at("reads input." + string(key))
				}
			}
			return false
		})
		if where != "" {
			return where
		}
	}
	return ""
}

// hookGroups groups the served hooks whose findings every rule checks and
// words alike: for each rule, the variants that apply where a finding on
// the hook is checked (checkedOn) are the same. A call's results are
// shared only within its hook's group (and its packages); each hook maps
// to the first hook of its group.
func hookGroups(services []Service, catalog map[string]*Rule) map[string]string {
	var hooks []string
	for _, s := range services {
		if !slices.Contains(hooks, s.Hook) {
			hooks = append(hooks, s.Hook)
		}
	}
	slices.Sort(hooks)
	ids := slices.Sorted(maps.Keys(catalog))
	signature := func(hook string) string {
		var b strings.Builder
		for _, id := range ids {
			r := catalog[id]
			on := r.checkedOn(hook)
			b.WriteString(id)
			for i, v := range r.Variants {
				if len(v.Hooks) == 0 || slices.Contains(v.Hooks, on) {
					fmt.Fprintf(&b, ",%d", i)
				}
			}
			b.WriteByte(';')
		}
		return b.String()
	}
	groups := map[string]string{}
	first := map[string]string{} // signature -> first hook with it
	for _, h := range hooks {
		sig := signature(h)
		if _, ok := first[sig]; !ok {
			first[sig] = h
		}
		groups[h] = first[sig]
	}
	return groups
}

func rowOf(t *ast.Term) int {
	if t.Location == nil {
		return 0
	}
	return t.Location.Row
}

// CrossHook reports whether the rules' results depend on the call's input
// alone, not on which hook or service asks (see the top of this file), and
// if not, where the rules read it.
func (ps *PolicySet) CrossHook() (bool, string) {
	return ps.hookBoundAt == "", ps.hookBoundAt
}

// EvaluationScope is what a call's rule results depend on besides its
// evaluation input: the rule packages it reaches and, on a hook-bound
// policy set, its service and hook. Two calls with the same scope and the
// same EvaluationInput get the same RuleResults from the same policy set.
func (ps *PolicySet) EvaluationScope(svc Service, in *facts.Input) string {
	names := ps.packageNamesOf(ps.reachable(svc.Hook, in))
	scope := "packages " + strings.Join(names, ",")
	if ps.hookBoundAt != "" {
		return scope + "\x00service " + svc.ID + "\x00hook " + svc.Hook
	}
	return scope + "\x00hooks like " + ps.hookGroup[svc.Hook]
}

// EvaluationInput is the input the rules of a call on hook are evaluated
// on: without the optional members (input.dispense) that no package the
// call reaches can read (inputreads.go), and on a cross-hook policy set
// without its hook, service, hookInstance and the orders' selected flags
// (which no rule reads); else the input itself. in is not modified.
func (ps *PolicySet) EvaluationInput(hook string, in *facts.Input) *facts.Input {
	if in == nil {
		return in
	}
	out := *in
	changed := ps.withoutUnread(&out, ps.reachable(hook, in))
	if ps.hookBoundAt != "" {
		if !changed {
			return in
		}
		return &out
	}
	out.Hook, out.Service, out.HookInstance = "", "", ""
	cloned := false
	for i, o := range in.Orders {
		if o.Selected {
			if !cloned {
				out.Orders, cloned = slices.Clone(in.Orders), true
			}
			out.Orders[i].Selected = false
		}
	}
	return &out
}

// checkedOn is the hook a finding of the rule is checked against its
// METADATA for (indicator, source): the call's hook where the rule applies
// on it, else the first hook it applies on, so that a finding the rules
// yield on another hook (kept for it by a cross-hook set) is checked as
// there, not against whichever variant comes first.
func (r *Rule) checkedOn(hook string) string {
	if r.appliesOn(hook) || len(r.Variants[0].Hooks) == 0 {
		return hook
	}
	return r.Variants[0].Hooks[0]
}

// appliesOn reports whether a rule's findings become cards on hook: one of
// its variants names the hook, or names none.
func (r *Rule) appliesOn(hook string) bool {
	for _, v := range r.Variants {
		if len(v.Hooks) == 0 || slices.Contains(v.Hooks, hook) {
			return true
		}
	}
	return false
}
