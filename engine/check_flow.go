package engine

import (
	"maps"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/labelguard/labelguard/terminology"
)

// The data the checks follow arguments into.
var (
	valueSetsRef = ast.MustParseRef("data.labelguard.valuesets")
	paramsRef    = ast.MustParseRef("data.labelguard.params")
	profilesRef  = ast.MustParseRef("data.labelguard.profiles")
	citationsRef = ast.MustParseRef("data.labelguard.citations")
	objectGetRef = ast.MustParseRef("object.get")
)

// flow is what the checks know of the compiled modules: which function
// argument reaches which sink (a value set ID, a site parameter, a profile
// topic, a finding's rule ID or indicator, a drug-keyed lookup), found by
// following parameters through functions, and which rules each rule calls.
type flow struct {
	rules map[string][]*ast.Rule // path -> bodies
	order []string               // paths, sorted
	// aliases are rules whose value is a data reference
	// (lib.profiles := data.labelguard.profiles), by path.
	aliases map[string]ast.Ref
	// maps are the constant objects keyed by strings (lab_sections :=
	// {...}), by path, with their keys.
	maps map[string]map[string]bool
	// profileKeyed are the partial objects keyed by a profile's ID
	// (lib.drug_display[drug] := p.display if some drug, p in profiles).
	profileKeyed map[string]bool
	// calls lists, per rule path, the rule paths it calls or refers to.
	calls map[string]map[string]bool
}

func newFlow(modules map[string]*ast.Module) *flow {
	f := &flow{rules: map[string][]*ast.Rule{}, aliases: map[string]ast.Ref{}, maps: map[string]map[string]bool{},
		profileKeyed: map[string]bool{}, calls: map[string]map[string]bool{}}
	for _, p := range slices.Sorted(maps.Keys(modules)) {
		if isTest(p) {
			continue
		}
		for _, r := range modules[p].Rules {
			path := r.Path().String()
			f.rules[path] = append(f.rules[path], r)
		}
	}
	f.order = slices.Sorted(maps.Keys(f.rules))
	for _, path := range f.order {
		bodies := f.rules[path]
		r := bodies[0]
		if len(bodies) != 1 || len(r.Head.Args) != 0 || r.Head.Key != nil || r.Head.Value == nil {
			continue
		}
		if ref, ok := aliasOf(r); ok {
			f.aliases[path] = ref
			continue
		}
		if o, ok := r.Head.Value.Value.(ast.Object); ok && isTrueBody(r.Body) {
			keys := map[string]bool{}
			strKeys := true
			o.Foreach(func(k, _ *ast.Term) {
				s, isStr := k.Value.(ast.String)
				strKeys = strKeys && isStr
				keys[string(s)] = true
			})
			if strKeys {
				f.maps[path] = keys
			}
		}
	}
	for _, path := range f.order {
		for _, r := range f.rules[path] {
			if r.Head.Key != nil && len(r.Head.Args) == 0 {
				if k, ok := r.Head.Key.Value.(ast.Var); ok && f.indexes(r, profilesRef, k) {
					f.profileKeyed[path] = true
				}
			}
			if f.calls[path] == nil {
				f.calls[path] = map[string]bool{}
			}
			maps.Copy(f.calls[path], f.callees(r))
		}
	}
	return f
}

// aliasOf reports whether r names a data reference: `x := data.a.b`,
// compiled as `x := v if v = data.a.b`.
func aliasOf(r *ast.Rule) (ast.Ref, bool) {
	if ref, ok := r.Head.Value.Value.(ast.Ref); ok && isTrueBody(r.Body) && ref.HasPrefix(ast.DefaultRootRef) {
		return ref, true
	}
	v, ok := r.Head.Value.Value.(ast.Var)
	if !ok || len(r.Body) != 1 || !r.Body[0].IsEquality() {
		return nil, false
	}
	ops := r.Body[0].Operands()
	if len(ops) != 2 || ops[0].Value.Compare(v) != 0 {
		return nil, false
	}
	ref, ok := ops[1].Value.(ast.Ref)
	return ref, ok && ref.HasPrefix(ast.DefaultRootRef)
}

func isTrueBody(b ast.Body) bool {
	return len(b) == 1 && b[0].Equal(ast.NewExpr(ast.BooleanTerm(true)))
}

// resolve turns a reference through an alias into the data reference.
func (f *flow) resolve(ref ast.Ref) ast.Ref {
	for i := len(ref); i > 0; i-- {
		if a, ok := f.aliases[ref[:i].String()]; ok {
			return a.Concat(ref[i:])
		}
	}
	return ref
}

// indexes reports whether r refers to prefix[v] (through aliases).
func (f *flow) indexes(r *ast.Rule, prefix ast.Ref, v ast.Var) bool {
	found := false
	ast.WalkRefs(r, func(ref ast.Ref) bool {
		ref = f.resolve(ref)
		if len(ref) > len(prefix) && ref.HasPrefix(prefix) && ref[len(prefix)].Value.Compare(v) == 0 {
			found = true
		}
		return found
	})
	return found
}

// sink says whether variable v of rule r reaches what a check follows
// directly (not through another function).
type sink func(f *flow, r *ast.Rule, v ast.Var) bool

// params returns, per function path, the argument positions whose
// variable reaches the sink, directly or through another function's such
// position.
func (f *flow) params(direct sink) map[string]map[int]bool {
	out := map[string]map[int]bool{}
	for changed := true; changed; {
		changed = false
		for _, path := range f.order {
			for _, r := range f.rules[path] {
				for i, a := range r.Head.Args {
					v, ok := a.Value.(ast.Var)
					if !ok || out[path][i] {
						continue
					}
					if !direct(f, r, v) && !passes(r, v, out) {
						continue
					}
					if out[path] == nil {
						out[path] = map[int]bool{}
					}
					out[path][i] = true
					changed = true
				}
			}
		}
	}
	return out
}

// passes reports whether r passes v at a known position of a call.
func passes(r *ast.Rule, v ast.Var, known map[string]map[int]bool) bool {
	found := false
	forEachCall(r, func(op ast.Ref, args []*ast.Term, _ *ast.Location) {
		for j := range known[op.String()] {
			if j < len(args) && args[j].Value.Compare(v) == 0 {
				found = true
			}
		}
	})
	return found
}

// indexSink: v indexes prefix (prefix[v], or object.get(prefix, v, ...)).
func indexSink(prefix ast.Ref) sink {
	return func(f *flow, r *ast.Rule, v ast.Var) bool {
		if f.indexes(r, prefix, v) {
			return true
		}
		found := false
		forEachCall(r, func(op ast.Ref, args []*ast.Term, _ *ast.Location) {
			if op.Equal(objectGetRef) && len(args) >= 2 {
				if ref, ok := args[0].Value.(ast.Ref); ok && f.resolve(ref).Equal(prefix) {
					if k := firstKey(args[1]); k != nil && k.Compare(v) == 0 {
						found = true
					}
				}
			}
		})
		return found
	}
}

// topicSink: v is the topic of profiles[_].sources[v] or citations[_][v].
func topicSink(f *flow, r *ast.Rule, v ast.Var) bool {
	found := false
	ast.WalkRefs(r, func(ref ast.Ref) bool {
		ref = f.resolve(ref)
		n := len(profilesRef)
		if len(ref) > n+2 && ref.HasPrefix(profilesRef) && ref[n+1].Value.Compare(ast.String("sources")) == 0 && ref[n+2].Value.Compare(v) == 0 {
			found = true
		}
		if n := len(citationsRef); len(ref) > n+1 && ref.HasPrefix(citationsRef) && ref[n+1].Value.Compare(v) == 0 {
			found = true
		}
		return found
	})
	return found
}

// drugSink: v is the key of a lookup keyed by drug: profiles[v], a rule
// keyed by profile ID, or a constant map with a target drug's key.
func drugSink(targets map[string]bool) sink {
	return func(f *flow, r *ast.Rule, v ast.Var) bool {
		found := false
		ast.WalkRefs(r, func(ref ast.Ref) bool {
			ref = f.resolve(ref)
			for _, prefix := range []ast.Ref{profilesRef, citationsRef} {
				if len(ref) > len(prefix) && ref.HasPrefix(prefix) && ref[len(prefix)].Value.Compare(v) == 0 {
					found = true
				}
			}
			for i := len(ref) - 1; i > 0 && !found; i-- {
				p := ref[:i].String()
				if (f.profileKeyed[p] || f.drugKeyed(p, targets)) && ref[i].Value.Compare(v) == 0 {
					found = true
				}
			}
			return found
		})
		return found
	}
}

func (f *flow) drugKeyed(path string, targets map[string]bool) bool {
	for k := range f.maps[path] {
		if targets[k] {
			return true
		}
	}
	return false
}

// memberSink: v is the value of member key of an object literal in r.
func memberSink(key string) sink {
	return func(_ *flow, r *ast.Rule, v ast.Var) bool {
		found := false
		ast.WalkTerms(r, func(t *ast.Term) bool {
			if o, ok := t.Value.(ast.Object); ok {
				if m := o.Get(ast.StringTerm(key)); m != nil && m.Value.Compare(v) == 0 {
					found = true
				}
			}
			return found
		})
		return found
	}
}

// literal is a string constant that reaches a sink, where it is written.
type literal struct {
	value string
	loc   *ast.Location
}

// literals lists the string constants of rule r that reach the sink: at
// the sink's positions of the calls r makes (pos), and directly (own).
func (f *flow) literals(r *ast.Rule, pos map[string]map[int]bool, own func(r *ast.Rule) []literal) []literal {
	var out []literal
	forEachCall(r, func(op ast.Ref, args []*ast.Term, loc *ast.Location) {
		for j := range pos[op.String()] {
			if j < len(args) {
				if s, ok := args[j].Value.(ast.String); ok {
					out = append(out, literal{string(s), locOf(args[j], loc)})
				}
			}
		}
	})
	if own != nil {
		out = append(out, own(r)...)
	}
	return out
}

func locOf(t *ast.Term, fallback *ast.Location) *ast.Location {
	if t.Location != nil {
		return t.Location
	}
	return fallback
}

// memberLiterals: string values of member key in object literals.
func memberLiterals(key string) func(r *ast.Rule) []literal {
	return func(r *ast.Rule) []literal {
		var out []literal
		ast.WalkTerms(r, func(t *ast.Term) bool {
			if o, ok := t.Value.(ast.Object); ok {
				if m := o.Get(ast.StringTerm(key)); m != nil {
					if s, ok := m.Value.(ast.String); ok {
						out = append(out, literal{string(s), locOf(m, t.Location)})
					}
				}
			}
			return false
		})
		return out
	}
}

// callees lists the rule paths one body calls or refers to.
func (f *flow) callees(r *ast.Rule) map[string]bool {
	self := r.Path().String()
	called := map[string]bool{}
	forEachCall(r, func(op ast.Ref, _ []*ast.Term, _ *ast.Location) {
		if _, ok := f.rules[op.String()]; ok {
			called[op.String()] = true
		}
	})
	ast.WalkRefs(r, func(ref ast.Ref) bool {
		for i := len(ref); i > 0; i-- {
			if p := ref[:i].String(); f.rules[p] != nil && p != self {
				called[p] = true
				break
			}
		}
		return false
	})
	return called
}

// reach lists the rule paths one body reaches through calls and
// references, transitively, other than rules' findings (a package's own
// cards are checked against its own METADATA).
func (f *flow) reach(r *ast.Rule) []string {
	seen := map[string]bool{}
	var stack []string
	push := func(p string) {
		if !seen[p] && !strings.HasSuffix(p, "."+findingsRule) {
			seen[p] = true
			stack = append(stack, p)
		}
	}
	for c := range f.callees(r) {
		push(c)
	}
	for len(stack) > 0 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for c := range f.calls[p] {
			push(c)
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// checkValueSetRefs finds the value set parameters of every function by
// data flow over the compiled modules, then checks every literal value set
// ID; it returns how many references it checked.
func checkValueSetRefs(f *flow, vs terminology.ValueSets, add addFunc) int {
	positions := f.params(indexSink(valueSetsRef))
	n := 0
	check := func(loc *ast.Location, id string) {
		n++
		if _, ok := vs[id]; ok {
			return
		}
		file, row := where(loc)
		add(CheckValueSet, file, row, "value set %q is not loaded (no valuesets/*.json has that id)", id)
	}
	for _, path := range f.order {
		for _, r := range f.rules[path] {
			for _, l := range f.literals(r, positions, indexLiterals(f, valueSetsRef)) {
				check(l.loc, l.value)
			}
		}
	}
	return n
}

// indexLiterals: string keys of prefix["..."] and object.get(prefix, "...").
func indexLiterals(f *flow, prefix ast.Ref) func(r *ast.Rule) []literal {
	return func(r *ast.Rule) []literal {
		var out []literal
		forEachCall(r, func(op ast.Ref, args []*ast.Term, loc *ast.Location) {
			if op.Equal(objectGetRef) && len(args) >= 2 {
				if ref, ok := args[0].Value.(ast.Ref); ok && f.resolve(ref).Equal(prefix) {
					if s, ok := firstKey(args[1]).(ast.String); ok {
						out = append(out, literal{string(s), loc})
					}
				}
			}
		})
		ast.WalkRefs(r, func(ref ast.Ref) bool {
			res := f.resolve(ref)
			if len(res) > len(prefix) && res.HasPrefix(prefix) {
				if s, ok := res[len(prefix)].Value.(ast.String); ok {
					out = append(out, literal{string(s), ref[0].Location})
				}
			}
			return false
		})
		return out
	}
}

func where(loc *ast.Location) (string, int) {
	if loc == nil {
		return "", 0
	}
	return loc.File, loc.Row
}

// firstKey is the key a path argument of object.get starts with.
func firstKey(t *ast.Term) ast.Value {
	if a, ok := t.Value.(*ast.Array); ok {
		if a.Len() == 0 {
			return nil
		}
		return a.Elem(0).Value
	}
	return t.Value
}
