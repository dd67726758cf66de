package engine

import (
	"maps"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
)

// metaEntry is one card-yielding rule body with its METADATA.
type metaEntry struct {
	id      string
	pkg     string
	file    string
	row     int
	variant *Variant
	rule    *ast.Rule
}

// metadataEntries reads the METADATA of every findings rule under
// data.labelguard.rules, reporting every incomplete one.
func metadataEntries(modules map[string]*ast.Module, add addFunc) ([]metaEntry, error) {
	mods := policyModules(modules)
	as, errs := ast.BuildAnnotationSet(mods)
	if len(errs) > 0 {
		for _, e := range errs {
			file, row := "", 0
			if e.Location != nil {
				file, row = e.Location.File, e.Location.Row
			}
			add(CheckMetadata, file, row, "%s", e.Message)
		}
		return nil, errs
	}
	var out []metaEntry
	cards, cardProblems := sharedCards(as)
	for _, p := range cardProblems {
		add(CheckMetadata, p.file, p.row, "%v", p.err)
	}
	for _, m := range mods {
		if !m.Package.Path.HasPrefix(rulesRoot) {
			continue
		}
		pkg := strings.TrimPrefix(m.Package.Path.String(), "data.")
		shared := cards[m.Package.Path.String()]
		for _, r := range m.Rules {
			if r.Head.Name.String() != findingsRule && r.Head.Ref().String() != findingsRule {
				continue
			}
			id, v, err := variantFromAnnotation(ruleAnnotation(as, r), shared)
			if err != nil {
				add(CheckMetadata, r.Location.File, r.Location.Row, "rule %s.%s: %v", pkg, findingsRule, err)
				continue
			}
			out = append(out, metaEntry{id: id, pkg: pkg, file: r.Location.File, row: r.Location.Row, variant: v, rule: r})
		}
	}
	if len(out) == 0 && len(mods) > 0 {
		add(CheckMetadata, "", 0, "no rule adds to %s in a package under %s", findingsRule, rulesRoot)
	}
	return out, nil
}

func uniqueIDs(entries []metaEntry) map[string]bool {
	ids := map[string]bool{}
	for _, e := range entries {
		ids[e.id] = true
	}
	return ids
}

// checkRuleIDs: distinguishable variants (unique per drugs and hooks) and
// no variant shadowed by an earlier one (a warning). One ID may have
// variants in several packages (the monitoring service words the lab rules
// for patients on treatment). That each finding names its own METADATA's
// ID is checkReach's.
func checkRuleIDs(entries []metaEntry, add, warn addFunc) {
	byID := map[string][]metaEntry{}
	for _, e := range entries {
		byID[e.id] = append(byID[e.id], e)
	}
	for _, id := range slices.Sorted(maps.Keys(byID)) {
		var distinct []metaEntry
		for _, e := range byID[id] {
			dup := false
			for _, d := range distinct {
				switch {
				case sameVariant([]*Variant{d.variant}, e.variant) != nil:
					dup = true
				case sameScope(d.variant, e.variant):
					add(CheckRuleID, e.file, e.row, "rule ID %s: this variant has the same drugs and hooks as the one at %s:%d but different METADATA; only the first is ever used on cards", id, d.file, d.row)
					dup = true
				case covers(d.variant, e.variant):
					warn(CheckRuleID, e.file, e.row, "rule ID %s: this variant (hooks %v, drugs %v) is shadowed by the one at %s:%d (hooks %v, drugs %v), which is chosen first; narrow the earlier variant's hooks or drugs", id,
						orAll(e.variant.Hooks), orAll(e.variant.Drugs), d.file, d.row, orAll(d.variant.Hooks), orAll(d.variant.Drugs))
					dup = true
				}
				if dup {
					break
				}
			}
			if !dup {
				distinct = append(distinct, e)
			}
		}
	}
}

// covers reports whether variantFor would always choose a before b: every
// hook and drug of b is one of a's (an empty list means all).
func covers(a, b *Variant) bool {
	sub := func(x, y []string) bool { // x within y
		if len(y) == 0 {
			return true
		}
		if len(x) == 0 {
			return false
		}
		for _, e := range x {
			if !slices.Contains(y, e) {
				return false
			}
		}
		return true
	}
	return sub(b.Hooks, a.Hooks) && sub(b.Drugs, a.Drugs)
}

func orAll(l []string) string {
	if len(l) == 0 {
		return "all"
	}
	return strings.Join(l, ",")
}

func sameScope(a, b *Variant) bool {
	return slices.Equal(slices.Sorted(slices.Values(a.Drugs)), slices.Sorted(slices.Values(b.Drugs))) &&
		slices.Equal(slices.Sorted(slices.Values(a.Hooks)), slices.Sorted(slices.Values(b.Hooks)))
}
