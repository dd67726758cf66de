package engine

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/labelguard/labelguard/terminology"
)

// Rules as templates over the drug profiles.
//
// A rule that differs between drugs only in its values is written once
// and reads the values from each drug's profile. Its METADATA says which
// values in its title and description, as {{path}} placeholders:
//
//	title: "{{display}} above {{dose.maxMgPerDay}} mg/day"
//
// A path names a member of the drug's profile (profiles/<drug>.json), of
// the site parameters (params.labWindowDays), or, for a rule generated per
// entry of a profile map, of that entry (item.role). The catalog renders
// the text per drug, so the catalog, the card's topic and the docs read
// the value the rule reads; a drug of a group (custom.drugs: [oral]) whose
// profile lacks a value is not one of the rule's drugs, and a drug named
// by itself that lacks it is refused at load.
//
// A rule may also name, in custom.reads, profile values its text does not
// show (reads: [labs.platelets]): they too must be in a drug's profile
// for the rule to apply to it, and the catalog lists them.
//
// A rule whose ID differs by drug names it as a template:
//
//	id: "{drug}.dose-max"            one rule per drug: upadacitinib.dose-max
//	id: "{drug}.{interactions}"      one per drug and key of its profile's
//	                                 interactions: upadacitinib.cyp3a4-inducer
//
// The rule yields findings with the template ID as written; the engine
// fills {drug} with the finding's drug and {map} with its entry member.

// placeholderPattern matches {{path}} in METADATA text.
var placeholderPattern = regexp.MustCompile(`\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}`)

// idTemplatePattern is a templated rule ID: {drug}, then segments, the
// last of which may name a profile map whose keys make the rest.
var idTemplatePattern = regexp.MustCompile(`^\{drug\}(\.[a-z0-9]+(-[a-z0-9]+)*)*(\.\{[A-Za-z][A-Za-z0-9]*\})?$`)

// Placeholder roots that are not profile members.
const (
	paramsRoot = "params"
	itemRoot   = "item"
	unitsRoot  = "units"
)

// isTemplateID reports whether a rule ID is a template.
func isTemplateID(id string) bool { return strings.Contains(id, "{") }

// templateMap is the profile map a template ID expands over ("" for none).
func templateMap(id string) string {
	i := strings.LastIndex(id, ".{")
	if i < 0 {
		return ""
	}
	return strings.TrimSuffix(id[i+2:], "}")
}

// expandID makes a rule ID from a template, a drug and an entry key.
func expandID(tmpl, drug, key string) string {
	id := strings.Replace(tmpl, "{drug}", drug, 1)
	if m := templateMap(tmpl); m != "" {
		id = strings.Replace(id, "{"+m+"}", key, 1)
	}
	return id
}

// lookupPath reads a dotted path in decoded JSON.
func lookupPath(v any, p string) (any, bool) {
	for _, k := range strings.Split(p, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[k]; !ok {
			return nil, false
		}
	}
	return v, true
}

// valueText writes a value as card text does: numbers without trailing
// zeros (lib.format_num), lists joined with commas.
func valueText(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return "", false
		}
		return strconv.FormatFloat(f, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(x), true
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := valueText(e)
			if !ok {
				return "", false
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, ", "), true
	}
	return "", false
}

// templateScope is what a variant's placeholders resolve against for one
// drug (and one entry of a per-entry template).
type templateScope struct {
	profile map[string]any
	params  map[string]any
	item    map[string]any
	// units is how card text writes each analyte's unit ({{units.anc}}:
	// "×10⁹/L"), from data/labs.json's one table of display units.
	units map[string]any
}

func (s templateScope) resolve(p string) (string, error) {
	v, err := s.lookup(p)
	if err != nil {
		return "", err
	}
	text, ok := valueText(v)
	if !ok {
		return "", fmt.Errorf("%s is an object or null, not a value card text can show", p)
	}
	return text, nil
}

// lookup finds a path's value in the profile, the parameters or the entry.
func (s templateScope) lookup(p string) (any, error) {
	root, rest, _ := strings.Cut(p, ".")
	var v any
	var ok bool
	switch root {
	case paramsRoot:
		v, ok = lookupPath(s.params, rest)
		if !ok {
			return nil, fmt.Errorf("no site parameter %s", rest)
		}
	case unitsRoot:
		v, ok = lookupPath(s.units, rest)
		if !ok {
			return nil, fmt.Errorf("no analyte %s with a unit in %s", rest, labsFile)
		}
	case itemRoot:
		if s.item == nil {
			return nil, fmt.Errorf("%s names the entry of a per-entry template, and the rule ID has no {map}", p)
		}
		v, ok = lookupPath(s.item, rest)
		if !ok {
			return nil, fmt.Errorf("the entry has no %s", rest)
		}
	default:
		v, ok = lookupPath(s.profile, p)
		if !ok {
			return nil, fmt.Errorf("the profile has no %s", p)
		}
	}
	return v, nil
}

// read records the values under a path the rule reads (custom.reads):
// each leaf of an object under its own path.
func (s templateScope) read(p string, values map[string]string) error {
	v, err := s.lookup(p)
	if err != nil {
		return err
	}
	var walk func(p string, v any)
	walk = func(p string, v any) {
		if m, ok := v.(map[string]any); ok {
			for k, e := range m {
				walk(p+"."+k, e)
			}
			return
		}
		if text, ok := valueText(v); ok {
			values[p] = text
		}
	}
	walk(p, v)
	return nil
}

// render fills the placeholders of text, recording each value.
func (s templateScope) render(text string, values map[string]string) (string, error) {
	var firstErr error
	out := placeholderPattern.ReplaceAllStringFunc(text, func(m string) string {
		p := placeholderPattern.FindStringSubmatch(m)[1]
		v, err := s.resolve(p)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			return m
		}
		values[p] = v
		return v
	})
	return out, firstErr
}

// DrugText is a variant's title and description for one drug, and the
// profile and parameter values they show.
type DrugText struct {
	Title       string            `json:"title"`
	Description string            `json:"description,omitempty"`
	Values      map[string]string `json:"values,omitempty"`
}

// applyProfiles resolves every rule variant against the drug profiles:
// drug groups become drugs, placeholders become each drug's values (a
// drug of a group lacking one drops out of the rule), and template IDs
// become one rule per drug (and entry). It rewrites catalog in place and
// the packages' rule lists.
func applyProfiles(catalog map[string]*Rule, pkgs map[string]*RulePackage, k *knowledge, params map[string]any, labs *terminology.LabTable) []Problem {
	units := analyteUnits(labs)
	var problems []Problem
	bad := func(v *Variant, format string, args ...any) {
		problems = append(problems, locatedProblem(CheckMetadata, v.Locations[0], fmt.Sprintf(format, args...)))
	}
	for _, p := range pkgs {
		p.Drugs = k.expandDrugs(p.Drugs)
	}
	funcs := cardFuncs(labs, k)
	for _, id := range slices.Sorted(maps.Keys(catalog)) {
		r := catalog[id]
		for _, v := range r.Variants {
			if v.Card != nil {
				if err := v.Card.compile(funcs); err != nil {
					bad(v, "rule %s: %v", id, err)
				}
			}
			explicit := map[string]bool{}
			for _, d := range v.Drugs {
				if _, group := drugGroups[d]; !group {
					explicit[d] = true
				}
			}
			v.Drugs = k.expandDrugs(v.Drugs)
			templated := isTemplateID(id) || len(v.Reads) > 0 || placeholderPattern.MatchString(v.Title+v.Description)
			if !templated {
				continue
			}
			if isTemplateID(id) && len(v.Drugs) == 0 {
				bad(v, "rule %s is a template over drugs and needs custom.drugs (a drug or a group: oral, topical, all)", id)
				continue
			}
			v.entries = map[string]map[string]DrugText{}
			var kept, lacking []string
			for _, d := range v.Drugs {
				texts, err := renderFor(v, id, k.profiles[d], templateScope{params: params, units: units})
				if err != nil {
					if explicit[d] || k.profiles[d] == nil {
						bad(v, "rule %s, drug %s: %v", id, d, err)
					}
					lacking = append(lacking, fmt.Sprintf("%s (%v)", d, err))
					continue
				}
				v.entries[d] = texts
				kept = append(kept, d)
			}
			if len(kept) == 0 && len(v.Drugs) > 0 && len(explicit) == 0 {
				bad(v, "rule %s reaches no drug: %s", id, strings.Join(lacking, "; "))
			}
			v.Drugs = kept
			v.Title, v.Description = combinedText(v)
		}
	}
	problems = append(problems, expandTemplateIDs(catalog)...)
	for _, r := range catalog {
		for _, v := range r.Variants {
			for d, byKey := range v.entries {
				if t, ok := byKey[v.Entry]; ok {
					if v.Texts == nil {
						v.Texts = map[string]DrugText{}
					}
					v.Texts[d] = t
				}
			}
			v.entries = nil
		}
	}
	packageRules(pkgs, catalog)
	return problems
}

// renderFor renders a variant's texts for one drug: under "" for a rule
// per drug, under each entry key for a rule per entry.
func renderFor(v *Variant, id string, p *Profile, base templateScope) (map[string]DrugText, error) {
	if p == nil {
		return nil, fmt.Errorf("no profile (%s/<drug>.json)", profilesDir)
	}
	base.profile = p.raw
	scopes := map[string]templateScope{"": base}
	if m := templateMap(id); m != "" {
		entries, ok := p.raw[m].(map[string]any)
		if !ok || len(entries) == 0 {
			return nil, fmt.Errorf("the profile has no %s entries (%s)", m, p.file)
		}
		scopes = map[string]templateScope{}
		for key, e := range entries {
			item, ok := e.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%s.%s in %s is not an object", m, key, p.file)
			}
			if !ruleIDPattern.MatchString("x." + key) {
				return nil, fmt.Errorf("%s.%s in %s: a key that makes a rule ID is lower case words joined by hyphens", m, key, p.file)
			}
			s := base
			s.item = item
			scopes[key] = s
		}
	}
	out := map[string]DrugText{}
	for key, s := range scopes {
		t := DrugText{Values: map[string]string{}}
		var err error
		if t.Title, err = s.render(v.Title, t.Values); err != nil {
			return nil, fmt.Errorf("title: %w (%s)", err, p.file)
		}
		if t.Description, err = s.render(v.Description, t.Values); err != nil {
			return nil, fmt.Errorf("description: %w (%s)", err, p.file)
		}
		for _, r := range v.Reads {
			if err := s.read(r, t.Values); err != nil {
				return nil, fmt.Errorf("custom.reads: %w (%s)", err, p.file)
			}
		}
		if len(t.Values) == 0 {
			t.Values = nil
		}
		out[key] = t
	}
	return out, nil
}

// combinedText is a variant's text across its drugs: the drugs' text when
// they agree, else the template with each differing value listed
// ("Platelets below 50 or 100 ×10^9/L"); per-drug text is in texts.
func combinedText(v *Variant) (string, string) {
	var all []DrugText
	for _, d := range v.Drugs {
		for _, key := range slices.Sorted(maps.Keys(v.entries[d])) {
			all = append(all, v.entries[d][key])
		}
	}
	if len(all) == 0 {
		return v.Title, v.Description
	}
	combine := func(tmpl string, pick func(DrugText) string) string {
		first := pick(all[0])
		same := true
		for _, t := range all[1:] {
			same = same && pick(t) == first
		}
		if same {
			return first
		}
		return placeholderPattern.ReplaceAllStringFunc(tmpl, func(m string) string {
			p := placeholderPattern.FindStringSubmatch(m)[1]
			var vals []string
			for _, t := range all {
				if x, ok := t.Values[p]; ok && !slices.Contains(vals, x) {
					vals = append(vals, x)
				}
			}
			return strings.Join(vals, " or ")
		})
	}
	return combine(v.Title, func(t DrugText) string { return t.Title }), combine(v.Description, func(t DrugText) string { return t.Description })
}

// expandTemplateIDs replaces each template rule by the rules it makes, one
// per drug (and entry), each with the variants that concern its drug.
func expandTemplateIDs(catalog map[string]*Rule) []Problem {
	var problems []Problem
	for _, tmpl := range slices.Sorted(maps.Keys(catalog)) {
		if !isTemplateID(tmpl) {
			continue
		}
		r := catalog[tmpl]
		delete(catalog, tmpl)
		made := map[string]*Rule{}
		for _, v := range r.Variants {
			for _, d := range v.Drugs {
				for key, t := range v.entries[d] {
					id := expandID(tmpl, d, key)
					nv := *v
					nv.Drugs = []string{d}
					nv.Title, nv.Description = t.Title, t.Description
					nv.entries = map[string]map[string]DrugText{d: {key: t}}
					nv.Entry = key
					if made[id] == nil {
						made[id] = &Rule{ID: id, Package: r.Package, Template: tmpl}
					}
					made[id].Variants = append(made[id].Variants, &nv)
				}
			}
		}
		for _, id := range slices.Sorted(maps.Keys(made)) {
			if o := catalog[id]; o != nil {
				problems = append(problems, locatedProblem(CheckMetadata, made[id].Variants[0].Locations[0],
					fmt.Sprintf("template %s makes rule %s, which the METADATA at %s also declares: a rule ID is declared once", tmpl, id, o.Variants[0].Locations[0])))
				continue
			}
			catalog[id] = made[id]
		}
	}
	return problems
}

// packageRules lists each package's rule IDs from the catalog.
func packageRules(pkgs map[string]*RulePackage, catalog map[string]*Rule) {
	for _, p := range pkgs {
		p.Rules = nil
	}
	for _, r := range catalog {
		for _, v := range r.Variants {
			for _, pkg := range v.packages {
				if p := pkgs[pkg]; p != nil && !slices.Contains(p.Rules, r.ID) {
					p.Rules = append(p.Rules, r.ID)
				}
			}
		}
	}
	for _, p := range pkgs {
		slices.Sort(p.Rules)
	}
}

// TitleFor is the variant's title for a drug (its own values), else the
// variant's title.
func (v *Variant) TitleFor(drug string) string {
	if t, ok := v.Texts[drug]; ok {
		return t.Title
	}
	return v.Title
}

// resolveRuleID makes a finding's rule ID from its rule's template: the
// finding's drug for {drug}, its entry for {map}.
func resolveRuleID(tmpl, drug, entry string) (string, error) {
	if drug == "" {
		return "", fmt.Errorf("finding of template %s concerns no target drug (its order is no target order and it names no drug)", tmpl)
	}
	if m := templateMap(tmpl); m != "" && entry == "" {
		return "", fmt.Errorf("finding of template %s names no entry (the key of the profile's %s it concerns)", tmpl, m)
	}
	return expandID(tmpl, drug, entry), nil
}

// taggedRules lists, per tag and drug, the enabled rules with the tag, in
// ID order, titled for the drug.
func taggedRules(catalog map[string]*Rule) map[string]map[string][]taggedRule {
	out := map[string]map[string][]taggedRule{}
	for _, id := range slices.Sorted(maps.Keys(catalog)) {
		r := catalog[id]
		if r.Disabled {
			continue
		}
		for _, v := range r.Variants {
			for _, tag := range v.Tags {
				if out[tag] == nil {
					out[tag] = map[string][]taggedRule{}
				}
				for _, d := range v.Drugs {
					if !slices.ContainsFunc(out[tag][d], func(t taggedRule) bool { return t.ID == id }) {
						out[tag][d] = append(out[tag][d], taggedRule{ID: id, Title: v.TitleFor(d)})
					}
				}
			}
		}
	}
	return out
}

// analyteUnits is each quantity analyte's display unit.
func analyteUnits(labs *terminology.LabTable) map[string]any {
	out := map[string]any{}
	if labs == nil {
		return out
	}
	for id, a := range labs.Analytes {
		if a.Unit != "" {
			out[id] = labs.DisplayUnit(a.Unit)
		}
	}
	return out
}
