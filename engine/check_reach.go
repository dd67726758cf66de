package engine

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
)

// checkReach reports what would fail or fall silent at run time although
// the policy set compiles: a rule package no service reaches, a finding
// whose rule ID or indicator disagrees with its METADATA, a topic a drug's
// profile lacks, a lookup by drug whose map lacks a drug the rule applies
// to, and a lookup of one drug by name in a rule of several.
func checkReach(f *flow, modules map[string]*ast.Module, d *checkedData, add, warn addFunc) {
	addProblem := func(p Problem) {
		if p.Severity == SeverityWarning {
			warn(p.Check, p.File, p.Row, "%s", p.Message)
			return
		}
		add(p.Check, p.File, p.Row, "%s", p.Message)
	}
	catalog, err := buildCatalog(modules)
	if err != nil {
		return // reported by the metadata check
	}
	if err := addBuiltinRules(catalog); err != nil {
		add(CheckRuleID, "", 0, "%v", err)
	}
	pkgs, problems := discoverPackages(modules, catalog)
	for _, p := range problems {
		addProblem(p)
	}
	for _, p := range applyProfiles(catalog, pkgs, d.knowledge, d.paramValues, d.labs) {
		addProblem(p)
	}
	for _, p := range resolveTopics(catalog, d.knowledge) {
		addProblem(p)
	}
	if pkgs != nil {
		for _, p := range checkPackages(pkgs, catalog, d.services, d.targets()) {
			addProblem(p)
		}
	}
	for _, p := range slices.Sorted(maps.Keys(modules)) {
		m := modules[p]
		if !isTest(p) && !m.Package.Path.HasPrefix(rulesRoot) && m.Package.Path.HasPrefix(ast.MustParseRef("data.labelguard")) && definesFindings(m) {
			warn(CheckReach, p, m.Package.Location.Row, "package %s yields findings outside data.labelguard.rules: the engine never evaluates them (rule packages are labelguard.rules.<name>)",
				strings.TrimPrefix(m.Package.Path.String(), "data."))
		}
	}
	seen := map[string]bool{}
	for _, p := range runTimeProblems(f, catalog, pkgs, d.knowledge, d.targets()) {
		addProblem(p)
		seen[p.Message] = true
	}
	// The profiles of another jurisdiction may lack a member or a topic a
	// rule reads: a site there would have the set refused at load.
	for _, j := range slices.Sorted(maps.Keys(d.others)) {
		k := d.others[j]
		catalog, err := buildCatalog(modules)
		if err != nil {
			return
		}
		if err := addBuiltinRules(catalog); err != nil {
			return
		}
		pkgs, _ := discoverPackages(modules, catalog)
		ps := applyProfiles(catalog, pkgs, k, d.paramValues, d.labs)
		ps = append(ps, resolveTopics(catalog, k)...)
		ps = append(ps, runTimeProblems(f, catalog, pkgs, k, d.targets())...)
		for _, p := range ps {
			if seen[p.Message] {
				continue
			}
			seen[p.Message] = true
			p.Message += " (with jurisdiction " + j + ")"
			addProblem(p)
		}
	}
}

// runTimeProblems finds, in the compiled modules, what would make a rule
// fail or fall silent at run time: a finding naming another rule ID or an
// indicator its METADATA does not allow, a topic a drug's profile lacks, a
// map keyed by drug that lacks a drug of its rule (errors), and one drug
// looked up by name in a rule of several (a warning). Load refuses a set
// with such an error; Check reports them all.
func runTimeProblems(f *flow, catalog map[string]*Rule, pkgs map[string]*RulePackage, k *knowledge, targets map[string]bool) []Problem {
	var out []Problem
	add := func(severity string) addFunc {
		return func(check, file string, row int, format string, args ...any) {
			out = append(out, Problem{Severity: severity, Check: check, File: file, Row: row, Message: fmt.Sprintf(format, args...)})
		}
	}
	byLoc := map[string]metaEntry{}
	for _, id := range slices.Sorted(maps.Keys(catalog)) {
		// A rule made from a template is yielded under the template's ID.
		declared := cmp.Or(catalog[id].Template, id)
		for _, v := range catalog[id].Variants {
			for i, loc := range v.Locations {
				file, rowText, _ := strings.Cut(loc, ":")
				var row int
				fmt.Sscan(rowText, &row)
				e := metaEntry{id: declared, file: file, row: row, variant: v}
				if i < len(v.packages) {
					e.pkg = v.packages[i]
				}
				byLoc[loc] = e
			}
		}
	}
	c := literalCheck{f: f, catalog: catalog, pkgs: pkgs, knowledge: k, targets: targets, add: add(SeverityError), warn: add(SeverityWarning),
		rulePos: f.params(memberSink("rule")), indicatorPos: f.params(memberSink("indicator")),
		topicPos: f.params(topicSink), drugPos: f.params(drugSink(targets)), reported: map[string]bool{}}
	for _, path := range f.order {
		if !strings.HasPrefix(path, rulesRoot.String()+".") || !strings.HasSuffix(path, "."+findingsRule) {
			continue
		}
		for _, r := range f.rules[path] {
			if e, ok := byLoc[fmt.Sprintf("%s:%d", r.Location.File, r.Location.Row)]; ok {
				c.check(r, e)
			}
		}
	}
	return out
}

type literalCheck struct {
	f         *flow
	catalog   map[string]*Rule
	pkgs      map[string]*RulePackage
	knowledge *knowledge
	targets   map[string]bool
	add, warn addFunc

	rulePos, indicatorPos, topicPos, drugPos map[string]map[int]bool
	reported                                 map[string]bool
}

// once reports a problem once per location and message (a helper
// function shared by several rules would repeat it).
func (c *literalCheck) once(fn addFunc, check string, loc *ast.Location, format string, args ...any) {
	file, row := where(loc)
	key := fmt.Sprintf("%s:%d:%s", file, row, fmt.Sprintf(format, args...))
	if c.reported[key] {
		return
	}
	c.reported[key] = true
	fn(check, file, row, format, args...)
}

// bodies are the rule bodies a findings body's literals come from: its own
// and those of every helper it reaches.
func (c *literalCheck) bodies(r *ast.Rule) []*ast.Rule {
	out := []*ast.Rule{r}
	for _, p := range c.f.reach(r) {
		out = append(out, c.f.rules[p]...)
	}
	return out
}

func (c *literalCheck) check(r *ast.Rule, e metaEntry) {
	drugs := e.variant.Drugs
	if len(drugs) == 0 && c.pkgs != nil && c.pkgs[e.pkg] != nil {
		drugs = c.pkgs[e.pkg].Drugs
	}
	bodies := c.bodies(r)
	for _, b := range bodies {
		for _, l := range c.f.literals(b, c.rulePos, memberLiterals("rule")) {
			switch {
			case l.value == e.id:
			case c.catalog[l.value] != nil:
				c.once(c.add, CheckRuleID, l.loc, "rule %s (METADATA at %s:%d) yields a finding for rule %s: a finding names the rule its METADATA declares", e.id, e.file, e.row, l.value)
			default:
				c.once(c.add, CheckRuleID, l.loc, "rule %s (METADATA at %s:%d) yields a finding for rule %q, which no METADATA declares: it would be dropped at run time (a typo of %s?)", e.id, e.file, e.row, l.value, e.id)
			}
		}
		for _, l := range c.f.literals(b, c.indicatorPos, memberLiterals("indicator")) {
			if !slices.Contains(e.variant.Indicators, l.value) {
				c.once(c.add, CheckRuleID, l.loc, "rule %s yields indicator %q, which its METADATA at %s:%d does not allow (%s): the finding would be dropped at run time", e.id, l.value, e.file, e.row, strings.Join(e.variant.Indicators, ", "))
			}
		}
		for _, l := range c.f.literals(b, c.topicPos, nil) {
			for _, drug := range drugs {
				p := c.knowledge.profiles[drug]
				if p == nil {
					continue // a target without a profile is reported by the data check
				}
				if _, ok := p.Sources[l.value]; !ok {
					c.once(c.add, CheckLookup, l.loc, "rule %s cites topic %q, which %s does not have (sources.%s): the rule would never fire for %s", e.id, l.value, p.file, l.value, drug)
				}
			}
		}
		c.checkDrugLookups(b, e, drugs)
	}
}

// checkDrugLookups: a map keyed by drug name, looked up by a drug of the
// call, must have every drug of the rule; one drug looked up by name in a
// rule of several is most likely another drug's fact on every drug's card.
func (c *literalCheck) checkDrugLookups(b *ast.Rule, e metaEntry, drugs []string) {
	ast.WalkRefs(b, func(ref ast.Ref) bool {
		for i := len(ref) - 1; i > 0; i-- {
			path := ref[:i].String()
			keys, ok := c.f.maps[path]
			if !ok || !c.f.drugKeyed(path, c.targets) {
				continue
			}
			name := shortName(path)
			switch k := ref[i].Value.(type) {
			case ast.String:
				if len(drugs) > 1 && c.targets[string(k)] {
					c.once(c.warn, CheckLookup, ref[0].Location, "rule %s applies to %s but looks %s up for %q by name: every drug's card would read %s's entry", e.id, strings.Join(drugs, ", "), name, string(k), string(k))
				}
			default:
				if ref[i].IsGround() {
					break
				}
				var missing []string
				for _, drug := range drugs {
					if !keys[drug] {
						missing = append(missing, drug)
					}
				}
				if len(missing) > 0 {
					c.once(c.add, CheckLookup, ref[0].Location, "%s has no entry for %s, a drug rule %s (METADATA at %s:%d) applies to: the lookup is undefined and the rule would never fire for it", name, strings.Join(missing, ", "), e.id, e.file, e.row)
				}
			}
			break
		}
		return false
	})
	c.checkProfileReads(b, e, drugs)
	for _, l := range c.f.literals(b, c.drugPos, nil) {
		if len(drugs) > 1 && c.targets[l.value] {
			c.once(c.warn, CheckLookup, l.loc, "rule %s applies to %s but looks up %q by name: every drug's card would read or cite %s's entry", e.id, strings.Join(drugs, ", "), l.value, l.value)
		}
	}
}

// shortName is a rule path without data.labelguard. ("rules.jak.lab_sections").
func shortName(path string) string {
	return strings.TrimPrefix(path, "data.labelguard.")
}

// checkProfileReads: a rule that reads a profile member by path
// (lib.profiles[drug].dose.maxMgPerDay, or a drug's own package reading
// lib.profiles.abrocitinib.dose.limits) needs it in the profile of every
// drug it reads it for, or it is undefined there and the rule never fires
// for that drug. Reads through object.get are optional by design and not
// followed, nor are members read through a local variable.
func (c *literalCheck) checkProfileReads(b *ast.Rule, e metaEntry, drugs []string) {
	if c.knowledge == nil {
		return
	}
	n := len(profilesRef)
	ast.WalkRefs(b, func(ref ast.Ref) bool {
		r := c.f.resolve(ref)
		if len(r) <= n+1 || !r.HasPrefix(profilesRef) {
			return false
		}
		var path []string
		for _, t := range r[n+1:] {
			s, ok := t.Value.(ast.String)
			if !ok {
				break
			}
			path = append(path, string(s))
		}
		if len(path) == 0 {
			return false
		}
		ds := drugs
		if s, ok := r[n].Value.(ast.String); ok {
			ds = []string{string(s)}
		}
		for _, d := range ds {
			p := c.knowledge.profiles[d]
			if p == nil {
				continue // a drug without a profile is reported by the data check
			}
			if _, ok := lookupPath(p.raw, strings.Join(path, ".")); !ok {
				c.once(c.add, CheckLookup, ref[0].Location, "rule %s (METADATA at %s:%d) reads %s from the profile of %s, which %s lacks: the read is undefined and the rule would never fire for it (add it to the profile, or name it in custom.reads so that the rule leaves the drug out)",
					e.id, e.file, e.row, strings.Join(path, "."), d, p.file)
			}
		}
		return false
	})
}
