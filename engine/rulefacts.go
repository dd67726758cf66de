package engine

import (
	"fmt"
	"maps"
	"slices"

	"github.com/open-policy-agent/opa/v1/ast"
)

// RuleFacts are the facts a rule names literally in its body: lab analytes,
// value sets and site parameters. They explain why a rule stayed silent
// (a named lab absent or stale, nothing in a named value set); facts a rule
// reaches only through helper rules are not listed.
type RuleFacts struct {
	Analytes  []string `json:"analytes,omitempty"`
	ValueSets []string `json:"valueSets,omitempty"`
	Params    []string `json:"params,omitempty"`
}

// RuleFacts returns, per rule ID, the facts its bodies name literally.
func (ps *PolicySet) RuleFacts() map[string]RuleFacts {
	var analytes map[string]bool
	if ps.tables.labs != nil {
		analytes = map[string]bool{}
		for a := range ps.tables.labs.Analytes {
			analytes[a] = true
		}
	}
	paramsRef := ast.MustParseRef("data.labelguard.params")
	out := map[string]RuleFacts{}
	sets := map[string][3]map[string]bool{}
	for _, m := range ps.compiler.Modules {
		if !m.Package.Path.HasPrefix(rulesRoot) {
			continue
		}
		for _, r := range m.Rules {
			if r.Head.Name.String() != findingsRule && r.Head.Ref().String() != findingsRule {
				continue
			}
			// The rule ID is the METADATA's; match by location.
			id := ps.ruleAt(r.Location)
			if id == "" {
				continue
			}
			s, ok := sets[id]
			if !ok {
				s = [3]map[string]bool{{}, {}, {}}
				sets[id] = s
			}
			ast.WalkTerms(r, func(t *ast.Term) bool {
				str, ok := t.Value.(ast.String)
				if !ok {
					return false
				}
				x := string(str)
				if analytes[x] {
					s[0][x] = true
				}
				if _, ok := ps.tables.valueSets[x]; ok {
					s[1][x] = true
				}
				if _, ok := ps.tables.params[x]; ok && x != "rules" {
					s[2][x] = true
				}
				return false
			})
			ast.WalkRefs(r, func(ref ast.Ref) bool {
				if len(ref) > len(paramsRef) && ref.HasPrefix(paramsRef) {
					if k, ok := ref[len(paramsRef)].Value.(ast.String); ok {
						s[2][string(k)] = true
					}
				}
				return false
			})
		}
	}
	for id, s := range sets {
		out[id] = RuleFacts{
			Analytes:  slices.Sorted(maps.Keys(s[0])),
			ValueSets: slices.Sorted(maps.Keys(s[1])),
			Params:    slices.Sorted(maps.Keys(s[2])),
		}
	}
	return out
}

// ruleAt returns the ID of the catalog rule with a variant at loc.
func (ps *PolicySet) ruleAt(loc *ast.Location) string {
	if loc == nil {
		return ""
	}
	want := fmt.Sprintf("%s:%d", loc.File, loc.Row)
	for id, r := range ps.Catalog {
		for _, v := range r.Variants {
			if slices.Contains(v.Locations, want) {
				return id
			}
		}
	}
	return ""
}
