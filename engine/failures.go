package engine

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/labelguard/labelguard/facts"
)

// RuleFailureRule is the engine's own catalog rule: the card that says
// which checks failed at run time, because a check that failed is not a
// pass.
const RuleFailureRule = "labelguard.rule-failure"

// RuleFailure is a check that could not be made: a rule package whose
// evaluation failed, or a finding that could not become a card.
type RuleFailure struct {
	Package string `json:"package"`
	// Rule is the rule ID of the finding that failed; empty when the whole
	// package failed. A rule ID the catalog does not know is kept as the
	// policy wrote it, for the log (UnknownRule in metrics).
	Rule string `json:"rule,omitempty"`
	// Checks are the catalog rules that could not be made.
	Checks []string `json:"checks"`
	// Reason says what went wrong, for the log and the authoring tools: a
	// policy defect, or an OPA error code and location. It holds no
	// patient data (quoted values are removed).
	Reason string `json:"reason"`
}

// UnknownRule is the metric label of a failure whose rule ID is not in the
// catalog (a typo): rule IDs in labels come from the catalog only.
const UnknownRule = "unknown"

// MetricRule is the rule label of the failure in
// labelguard_rule_failures_total: the rule ID, "*" when the whole package
// failed, UnknownRule for an ID the catalog does not know.
func (f RuleFailure) MetricRule(catalog map[string]*Rule) string {
	switch {
	case f.Rule == "":
		return "*"
	case catalog[f.Rule] == nil:
		return UnknownRule
	}
	return f.Rule
}

// addBuiltinRules adds the engine's own rules to the catalog, refusing a
// policy that declares one of their IDs.
func addBuiltinRules(catalog map[string]*Rule) error {
	if r, ok := catalog[RuleFailureRule]; ok {
		return fmt.Errorf("%s: rule ID %s is the engine's own; choose another", r.Variants[0].Locations[0], RuleFailureRule)
	}
	catalog[RuleFailureRule] = &Rule{
		ID: RuleFailureRule, Package: "labelguard", Builtin: true,
		Variants: []*Variant{{
			Title:       "A check could not be made",
			Description: "A rule failed at run time (an evaluation error, or a finding that could not become a card): its checks were not made, and the card names them. The failure is logged and counted in labelguard_rule_failures_total.",
			Indicators:  []string{"info"},
			Source:      Source{Label: "labelguard (the rules of this service)"},
			Locations:   []string{"engine"},
		}},
	}
	return nil
}

// acceptFindings decodes one package's findings and keeps those that can
// become a card: a known rule ID declared in this package, an indicator
// its METADATA allows, a summary, and a drug whose label the card can
// cite. Each other finding is dropped alone, as a failure of its rule.
func (ps *PolicySet) acceptFindings(b cardBuilder, pkg *RulePackage, v any) ([]Finding, []RuleFailure) {
	items, err := findingItems(v)
	if err != nil {
		return nil, []RuleFailure{{Package: pkg.Name, Checks: slices.Clone(pkg.Rules), Reason: err.Error()}}
	}
	var out []Finding
	var failures []RuleFailure
	for _, item := range items {
		f, err := decodeFinding(item)
		if err != nil {
			id := ruleOf(item)
			failures = append(failures, RuleFailure{Package: pkg.Name, Rule: id, Checks: knownChecks(ps.Catalog, id), Reason: "malformed finding: " + err.Error()})
			continue
		}
		if isTemplateID(f.Rule) {
			id, err := resolveRuleID(f.Rule, b.drugOf(f), f.Entry)
			if err != nil {
				failures = append(failures, RuleFailure{Package: pkg.Name, Checks: templateChecks(ps.Catalog, f.Rule), Reason: err.Error()})
				continue
			}
			f.Rule = id
		}
		if reason := ps.findingProblem(b, pkg, &f); reason != "" {
			failures = append(failures, RuleFailure{Package: pkg.Name, Rule: f.Rule, Checks: knownChecks(ps.Catalog, f.Rule), Reason: reason})
			continue
		}
		out = append(out, f)
	}
	return out, failures
}

// knownChecks is what a failed finding of rule id costs: the rule, when
// the catalog knows it; else (a typo) some unknown check of the package.
func knownChecks(catalog map[string]*Rule, id string) []string {
	if catalog[id] != nil {
		return []string{id}
	}
	return nil
}

// templateChecks are the rules a template made: what a finding of the
// template that cannot be resolved may have been.
func templateChecks(catalog map[string]*Rule, tmpl string) []string {
	var out []string
	for id, r := range catalog {
		if r.Template == tmpl {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// ruleOf reads the rule ID of a finding that did not decode, if it has
// one that looks like an ID (anything else is not repeated in logs).
func ruleOf(item any) string {
	m, ok := item.(map[string]any)
	if !ok {
		return ""
	}
	if s, ok := m["rule"].(string); ok && ruleIDPattern.MatchString(s) && len(s) <= 80 {
		return s
	}
	return ""
}

// findingProblem says why a decoded finding cannot become a card, or "";
// it renders the text of a rule that writes its card in METADATA.
func (ps *PolicySet) findingProblem(b cardBuilder, pkg *RulePackage, f *Finding) string {
	r, ok := ps.Catalog[f.Rule]
	switch {
	case f.Rule == "":
		return "finding without a rule ID"
	case !ok:
		if !ruleIDPattern.MatchString(f.Rule) || len(f.Rule) > 80 {
			return "finding with a malformed rule ID"
		}
		return fmt.Sprintf("finding for rule %q, which no METADATA in the policy set declares", f.Rule)
	case r.Builtin:
		return fmt.Sprintf("rule %s is the engine's own; a policy cannot yield it", f.Rule)
	case !r.inPackage(pkg.Name):
		return fmt.Sprintf("rule %s is declared in package %s, not in %s which yielded it", f.Rule, r.Package, pkg.Name)
	}
	drug := b.drugOf(*f)
	v := r.VariantFor(r.checkedOn(b.in.Hook), drug)
	if reason := renderCard(v, f); reason != "" {
		return reason
	}
	if strings.TrimSpace(f.Summary) == "" {
		return fmt.Sprintf("rule %s: finding without summary", f.Rule)
	}
	if !slices.Contains(v.Indicators, f.Indicator) {
		return fmt.Sprintf("rule %s: indicator %q is not what its METADATA at %s allows (%s)", f.Rule, f.Indicator, v.Locations[0], strings.Join(v.Indicators, ", "))
	}
	if _, ok := v.SourceFor(drug); !ok {
		if drug == "" {
			return fmt.Sprintf("rule %s cites each drug's own label (topic %s) but its finding names no drug: set the finding's order to a target order, or its drug", f.Rule, v.Topic)
		}
		return fmt.Sprintf("rule %s: no source for drug %q (topic %s)", f.Rule, drug, v.Topic)
	}
	return ""
}

// inPackage reports whether the rule has a variant in package pkg.
func (r *Rule) inPackage(pkg string) bool {
	for _, v := range r.Variants {
		if slices.Contains(v.packages, pkg) {
			return true
		}
	}
	return false
}

// ruleFailureFinding is the card that names the checks of this call that
// could not be made, and false when there are none. It holds no patient
// data; the details are in the log.
func (ps *PolicySet) ruleFailureFinding(in *facts.Input, hook string, failures []RuleFailure) (Finding, bool) {
	drugs := callDrugs(in)
	checks := map[string]bool{}
	unknown := 0
	for _, f := range failures {
		if len(f.Checks) == 0 {
			unknown++
		}
		for _, id := range f.Checks {
			// A failed package costs the rules it has for this call; a
			// failed finding, its rule where it applies on this hook. A
			// rule the site switched off is no check of this call.
			r := ps.Catalog[id]
			if r != nil && !r.Disabled && (f.Rule != "" && r.appliesOn(hook) || r.appliesTo(hook, drugs)) {
				checks[id] = true
			}
		}
	}
	ids := slices.Sorted(maps.Keys(checks))
	n := len(ids) + unknown
	if n == 0 {
		return Finding{}, false
	}
	var lines []string
	for _, id := range ids {
		lines = append(lines, fmt.Sprintf("- %s (`%s`)", ps.Catalog[id].Title(), id))
	}
	if unknown > 0 {
		lines = append(lines, fmt.Sprintf("- %d check(s) under a rule ID the rule catalog does not know", unknown))
	}
	who := ps.drugNames(in)
	noun := "checks"
	if n == 1 {
		noun = "check"
	}
	return Finding{
		Rule:      RuleFailureRule,
		Indicator: "info",
		Summary:   fmt.Sprintf("%s: %d %s could not be made — not a pass; review against the label", who, n, noun),
		Detail: "These checks failed inside labelguard and were **not made**:\n\n" + strings.Join(lines, "\n") +
			"\n\nA check that failed is not a pass: review the order against the prescribing information. The failure has been logged for the people who maintain the rules.",
	}, true
}

// appliesTo reports whether a variant of the rule runs on hook for any of
// the drugs.
func (r *Rule) appliesTo(hook string, drugs map[string]bool) bool {
	for _, v := range r.Variants {
		if len(v.Hooks) > 0 && !slices.Contains(v.Hooks, hook) {
			continue
		}
		if len(v.Drugs) == 0 {
			return true
		}
		for _, d := range v.Drugs {
			if drugs[d] {
				return true
			}
		}
	}
	return false
}

// drugNames names the target drugs of the call's orders (else of its
// active medications) for card text, from the profiles.
func (ps *PolicySet) drugNames(in *facts.Input) string {
	set := map[string]bool{}
	if in != nil {
		for _, o := range in.Orders {
			if o.Target != "" {
				set[o.Target] = true
			}
		}
	}
	if len(set) == 0 {
		set = callDrugs(in)
	}
	var names []string
	for _, d := range slices.Sorted(maps.Keys(set)) {
		names = append(names, ps.DrugDisplay(d))
	}
	if len(names) == 0 {
		return "labelguard"
	}
	return strings.Join(names, ", ")
}

// DrugDisplay is how card text names a target drug: its profile's display,
// else the drug table's, else the ID.
func (ps *PolicySet) DrugDisplay(id string) string {
	if p := ps.tables.knowledge.profiles[id]; p != nil {
		return p.Display
	}
	for _, d := range ps.tables.drugs.Drugs {
		if d.Target == id {
			return d.Display
		}
	}
	return id
}

// FailureSeries lists the {package, rule} label pairs of
// labelguard_rule_failures_total the policy set can produce: each rule of
// each package, "*" for a whole package, and UnknownRule.
func (ps *PolicySet) FailureSeries() [][2]string {
	var out [][2]string
	for _, name := range ps.packageNames {
		out = append(out, [2]string{name, "*"}, [2]string{name, UnknownRule})
		for _, id := range ps.Packages[name].Rules {
			out = append(out, [2]string{name, id})
		}
	}
	return out
}
