package engine

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/labelguard/labelguard/facts"
)

// RulePackage is a package of card-yielding rules under
// data.labelguard.rules: the unit the engine evaluates and isolates. Its
// package METADATA (scope: package) declares the hooks it runs on and the
// target drugs it concerns, so that a call evaluates only the packages it
// can reach and a new package is reachable without a hand-kept list:
//
//	# METADATA
//	# scope: package
//	# title: Upadacitinib (Rinvoq)
//	# custom:
//	#   hooks: [order-select, order-sign]
//	#   drugs: [upadacitinib]
//	package labelguard.rules.upadacitinib
//
// A package without drugs applies to every call of its hooks (data
// quality).
type RulePackage struct {
	// Name is the path below data.labelguard.rules ("jak", "upadacitinib").
	Name  string   `json:"name"`
	Title string   `json:"title,omitempty"`
	Hooks []string `json:"hooks"`
	Drugs []string `json:"drugs,omitempty"`
	// Location of the package METADATA, file:row.
	Location string `json:"location"`
	// Rules are the catalog rule IDs with a variant in this package.
	Rules []string `json:"rules"`

	ref ast.Ref
}

// Concerns reports whether the package applies to a call on hook whose
// orders and active medications name the target drugs in drugs.
func (p *RulePackage) Concerns(hook string, drugs map[string]bool) bool {
	if !slices.Contains(p.Hooks, hook) {
		return false
	}
	if len(p.Drugs) == 0 {
		return true
	}
	for _, d := range p.Drugs {
		if drugs[d] {
			return true
		}
	}
	return false
}

// findingsRef is the reference a package's findings are read from.
func (p *RulePackage) findingsRef() ast.Ref {
	return p.ref.Append(ast.StringTerm(findingsRule))
}

// discoverPackages finds every rule package (a module under
// data.labelguard.rules that adds to findings) and reads its package
// METADATA. Errors name the file and row.
func discoverPackages(modules map[string]*ast.Module, catalog map[string]*Rule) (map[string]*RulePackage, []Problem) {
	mods := policyModules(modules)
	as, errs := ast.BuildAnnotationSet(mods)
	if len(errs) > 0 {
		var problems []Problem
		for _, e := range errs {
			file, row := where(e.Location)
			problems = append(problems, Problem{Severity: SeverityError, Check: CheckMetadata, File: file, Row: row, Message: e.Message})
		}
		return nil, problems
	}
	pkgs := map[string]*RulePackage{}
	var problems []Problem
	for _, m := range mods {
		if !m.Package.Path.HasPrefix(rulesRoot) || !definesFindings(m) {
			continue
		}
		name := packageName(m.Package.Path)
		if _, ok := pkgs[name]; ok {
			continue
		}
		if name == "" {
			problems = append(problems, Problem{Severity: SeverityError, Check: CheckReach, File: m.Package.Location.File, Row: m.Package.Location.Row,
				Message: "rules yield findings in a package below data.labelguard.rules (labelguard.rules.<name>), not in data.labelguard.rules itself"})
			continue
		}
		p, err := packageFromAnnotation(name, m.Package.Path, as.GetPackageScope(m.Package))
		if err != nil {
			problems = append(problems, Problem{Severity: SeverityError, Check: CheckReach, File: m.Package.Location.File, Row: m.Package.Location.Row,
				Message: fmt.Sprintf("package %s: %v", strings.TrimPrefix(m.Package.Path.String(), "data."), err)})
			continue
		}
		pkgs[name] = p
	}
	if len(problems) > 0 {
		return nil, problems
	}
	packageRules(pkgs, catalog)
	return pkgs, nil
}

func definesFindings(m *ast.Module) bool {
	for _, r := range m.Rules {
		if isFindingsRule(r) {
			return true
		}
	}
	return false
}

func isFindingsRule(r *ast.Rule) bool {
	return r.Head.Name.String() == findingsRule || r.Head.Ref().String() == findingsRule
}

// packageName is a package's path below data.labelguard.rules.
func packageName(path ast.Ref) string {
	parts := make([]string, 0, len(path)-len(rulesRoot))
	for _, t := range path[len(rulesRoot):] {
		s, _ := t.Value.(ast.String)
		parts = append(parts, string(s))
	}
	return strings.Join(parts, ".")
}

func packageFromAnnotation(name string, path ast.Ref, a *ast.Annotations) (*RulePackage, error) {
	if a == nil {
		return nil, errors.New("no package METADATA: a rule package declares the hooks it runs on and the drugs it concerns (`# METADATA` / `# scope: package` / `# custom:` `hooks: [...]`, `drugs: [...]` above the package line of one of its files); without it the package would never run")
	}
	p := &RulePackage{Name: name, Title: strings.TrimSpace(a.Title), ref: path.Copy()}
	if a.Location != nil {
		p.Location = fmt.Sprintf("%s:%d", a.Location.File, a.Location.Row)
	}
	var err error
	if p.Hooks, err = stringList(a.Custom["hooks"]); err != nil {
		return nil, fmt.Errorf("package METADATA custom.hooks: %w", err)
	}
	if len(p.Hooks) == 0 {
		return nil, errors.New("package METADATA has no custom.hooks: name the hooks the package runs on")
	}
	if p.Drugs, err = stringList(a.Custom["drugs"]); err != nil {
		return nil, fmt.Errorf("package METADATA custom.drugs: %w", err)
	}
	return p, nil
}

// callDrugs are the target drugs a call concerns: those of its orders of
// interest and of the patient's active and drafted target medications, so
// that an interaction is checked in both directions (a clopidogrel order
// while abrocitinib is active reaches the abrocitinib rules).
func callDrugs(in *facts.Input) map[string]bool {
	out := map[string]bool{}
	if in == nil {
		return out
	}
	for i := range in.Orders {
		if t := in.Orders[i].Target; t != "" {
			out[t] = true
		}
	}
	for i := range in.Medications {
		m := &in.Medications[i]
		if m.Target != "" && (m.Active || m.Draft) {
			out[m.Target] = true
		}
	}
	return out
}

// concernsInput is Concerns for a call's input, without building the
// set of its drugs (it runs on every call).
func (p *RulePackage) concernsInput(hook string, in *facts.Input) bool {
	if !slices.Contains(p.Hooks, hook) {
		return false
	}
	if len(p.Drugs) == 0 {
		return true
	}
	if in == nil {
		return false
	}
	for i := range in.Orders {
		if t := in.Orders[i].Target; t != "" && slices.Contains(p.Drugs, t) {
			return true
		}
	}
	for i := range in.Medications {
		m := &in.Medications[i]
		if m.Target != "" && (m.Active || m.Draft) && slices.Contains(p.Drugs, m.Target) {
			return true
		}
	}
	return false
}

// reachable is the set of packages a call on hook with input in must
// evaluate, as a mask over packageNames.
func (ps *PolicySet) reachable(hook string, in *facts.Input) packageSet {
	var set packageSet
	for i, name := range ps.packageNames {
		if ps.Packages[name].concernsInput(hook, in) {
			set = set.with(i)
		}
	}
	return set
}

// checkPackages reports what would make a package, or a rule in it,
// unreachable: a hook no service serves, a drug that is no known target, a
// rule variant naming a drug or hook its package does not run for.
func checkPackages(pkgs map[string]*RulePackage, catalog map[string]*Rule, services []Service, targets map[string]bool) []Problem {
	served := map[string]bool{}
	for _, s := range services {
		served[s.Hook] = true
	}
	var problems []Problem
	add := func(loc, format string, args ...any) {
		problems = append(problems, locatedProblem(CheckReach, loc, fmt.Sprintf(format, args...)))
	}
	for _, name := range slices.Sorted(maps.Keys(pkgs)) {
		p := pkgs[name]
		for _, h := range p.Hooks {
			if !served[h] {
				add(p.Location, "package %s runs on hook %q, which no service in %s serves (%s): it would never run there", name, h, servicesFile, strings.Join(slices.Sorted(maps.Keys(served)), ", "))
			}
		}
		for _, d := range p.Drugs {
			if !targets[d] {
				add(p.Location, "package %s concerns drug %q, which is no target drug (%s): no order would reach it", name, d, strings.Join(slices.Sorted(maps.Keys(targets)), ", "))
			}
		}
	}
	for _, id := range slices.Sorted(maps.Keys(catalog)) {
		for _, v := range catalog[id].Variants {
			for i, pkg := range v.packages {
				p := pkgs[pkg]
				if p == nil {
					continue
				}
				loc := v.Locations[min(i, len(v.Locations)-1)]
				for _, d := range v.Drugs {
					if len(p.Drugs) > 0 && !slices.Contains(p.Drugs, d) {
						add(loc, "rule %s names drug %q, which its package %s does not concern (%s): the rule would never run for it", id, d, pkg, strings.Join(p.Drugs, ", "))
					}
				}
				for _, h := range v.Hooks {
					if !slices.Contains(p.Hooks, h) {
						add(loc, "rule %s names hook %q, which its package %s does not run on (%s)", id, h, pkg, strings.Join(p.Hooks, ", "))
					}
				}
			}
		}
	}
	return problems
}

// policyModules are the policy modules, test files left out, in path
// order: what the METADATA readers build their annotation set from.
func policyModules(modules map[string]*ast.Module) []*ast.Module {
	var mods []*ast.Module
	for _, p := range slices.Sorted(maps.Keys(modules)) {
		if !isTest(p) {
			mods = append(mods, modules[p])
		}
	}
	return mods
}
