package engine

import "github.com/open-policy-agent/opa/v1/ast"

// The facts layer annotates every condition, immunization and medication
// with the value sets it belongs to (valueSets). Rules ask the other way
// round: which facts are in value set X. lib/valuesets.rego used to invert
// the annotation in Rego on every evaluation (a comprehension over all
// (fact, value set) pairs, then one per value set); the engine now adds the
// inverted index to the input value it evaluates, input.byValueSet, built
// once per call in Go and sharing the facts' own terms. Inputs without it
// (Rego unit tests, hand-written inputs) still get the Rego inversion, and
// TestValueSetIndexMatchesRego holds the two equal.

// indexedKinds are the input arrays whose facts carry valueSets and that
// rules look up by value set.
var indexedKinds = []*ast.Term{
	ast.StringTerm("conditions"),
	ast.StringTerm("immunizations"),
	ast.StringTerm("medications"),
}

var (
	valueSetsKey  = ast.StringTerm("valueSets")
	byValueSetKey = ast.StringTerm("byValueSet")
)

// withValueSetIndex adds input.byValueSet to an input object:
// {kind: {value set ID: [fact, ...]}} for each indexed kind, the facts in
// input order, each kind present (empty) even without facts. A value that
// is not an object is returned as it is.
func withValueSetIndex(v ast.Value) ast.Value {
	obj, ok := v.(ast.Object)
	if !ok {
		return v
	}
	kinds := make([][2]*ast.Term, 0, len(indexedKinds))
	for _, kind := range indexedKinds {
		kinds = append(kinds, [2]*ast.Term{kind, ast.NewTerm(indexFacts(obj.Get(kind)))})
	}
	obj.Insert(byValueSetKey, ast.NewTerm(ast.NewObject(kinds...)))
	return obj
}

// indexFacts inverts the valueSets of an array of facts.
func indexFacts(facts *ast.Term) ast.Object {
	arr, ok := termArray(facts)
	if !ok {
		return ast.NewObject()
	}
	idx := map[ast.String][]*ast.Term{}
	var order []ast.String
	for i := range arr.Len() {
		f := arr.Elem(i)
		fo, ok := f.Value.(ast.Object)
		if !ok {
			continue
		}
		sets, ok := termArray(fo.Get(valueSetsKey))
		if !ok {
			continue
		}
		for j := range sets.Len() {
			id, ok := sets.Elem(j).Value.(ast.String)
			if !ok {
				continue
			}
			if _, seen := idx[id]; !seen {
				order = append(order, id)
			}
			idx[id] = append(idx[id], f)
		}
	}
	kvs := make([][2]*ast.Term, 0, len(order))
	for _, id := range order {
		kvs = append(kvs, [2]*ast.Term{ast.NewTerm(id), ast.ArrayTerm(idx[id]...)})
	}
	return ast.NewObject(kvs...)
}

func termArray(t *ast.Term) (*ast.Array, bool) {
	if t == nil {
		return nil, false
	}
	a, ok := t.Value.(*ast.Array)
	return a, ok
}
