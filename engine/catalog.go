package engine

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
)

// rulesRoot is the package prefix of the card-yielding rule packages.
var rulesRoot = ast.MustParseRef("data.labelguard.rules")

// findingsRule is the rule name every rule package adds its findings to.
const findingsRule = "findings"

var ruleIDPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*(\.[a-z0-9]+(-[a-z0-9]+)*)+$`)

// Indicators in order of severity, most severe first.
var indicatorRank = map[string]int{"critical": 0, "warning": 1, "info": 2}

// Source is where a rule comes from: a label section or a consensus statement.
type Source struct {
	Label   string `json:"label"`
	Section string `json:"section,omitempty"`
	URL     string `json:"url"`
	Revised string `json:"revised,omitempty"`
}

// Rule is one entry of the rule catalog: a rule ID with one or more
// variants. A rule whose wording or source differs by drug or by hook (the
// pregnancy rule cites the Rinvoq label for oral drugs and the Opzelura label
// for the cream; the monitoring service words the lab rules for patients
// already on treatment) declares one METADATA block per variant.
type Rule struct {
	ID       string     `json:"id"`
	Package  string     `json:"package"`
	Variants []*Variant `json:"variants"`
	// Site overrides from the site parameters, shown in the catalog.
	Disabled          bool   `json:"disabled,omitempty"`
	IndicatorOverride string `json:"indicatorOverride,omitempty"`
	// Builtin marks the engine's own rules (labelguard.rule-failure),
	// which no policy yields and no site switches off.
	Builtin bool `json:"builtin,omitempty"`
	// Template is the templated ID this rule was made from
	// ("{drug}.dose-max"), when it was (templates.go).
	Template string `json:"template,omitempty"`
}

// Variant is the METADATA of one rule body (or of identical bodies).
//
// Its source is either fixed (custom.source with label, section, url) or,
// for a rule several drugs share, a topic (custom.source.topic) that each
// drug's profile maps to a section of that drug's own label, so that the
// neutrophil card on an abrocitinib order cites the Cibinqo label and on
// an upadacitinib order the Rinvoq label.
type Variant struct {
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Indicators  []string `json:"indicators"`
	Drugs       []string `json:"drugs,omitempty"`
	Hooks       []string `json:"hooks,omitempty"`
	// Source is the fixed source; empty when Topic is set.
	Source Source `json:"source,omitzero"`
	// Topic names the profile topic each drug cites (custom.source.topic).
	Topic string `json:"topic,omitempty"`
	// Sources is the topic's source per drug, resolved from the profiles
	// at load.
	Sources map[string]Source `json:"sources,omitempty"`
	// Reads are profile paths the rule reads beyond those its text shows
	// (custom.reads); a drug whose profile lacks one is not reached.
	Reads []string `json:"reads,omitempty"`
	// Tags group rules for OmitWhen and for the rules that list other
	// rules (custom.tags: [dose] on every dose rule).
	Tags []string `json:"tags,omitempty"`
	// OmitWhen leaves the card out when another card on the same order
	// is critical ("critical") or comes from a rule with a tag
	// (custom.omitWhen: [critical, dose]): a monitoring plan for a drug
	// that must not be started is noise, and "dose not verifiable" is
	// when a dose rule already says what the dose must be. The engine
	// decides it, so that the rule reads no other rule's findings.
	OmitWhen  []string `json:"omitWhen,omitempty"`
	Locations []string `json:"locations"`
	// Texts is the title and description per drug, with the profile
	// values they show, for a variant whose METADATA has placeholders.
	Texts map[string]DrugText `json:"texts,omitempty"`
	// Entry is the key of the profile map entry a rule made per entry
	// concerns ("cyp3a4-inducer").
	Entry string `json:"entry,omitempty"`
	// Card is the card's text as templates (custom.card), rendered from
	// the finding's values after evaluation (cardtext.go); nil when the
	// rule's findings carry their summary and detail.
	Card *CardTemplate `json:"card,omitempty"`

	// packages holds the rule package of each location.
	packages []string
	// entries holds, while the catalog is built, the texts per drug and
	// entry key ("" for a rule per drug).
	entries map[string]map[string]DrugText
}

// SourceFor is the source a card of this variant cites for drug: the
// drug's own label for a topic, else the fixed source.
func (v *Variant) SourceFor(drug string) (Source, bool) {
	if v.Topic == "" {
		return v.Source, true
	}
	s, ok := v.Sources[drug]
	return s, ok
}

// Title is the title of the rule's first variant.
func (r *Rule) Title() string { return r.Variants[0].Title }

// Indicators lists every indicator the rule's variants may yield, most
// severe first.
func (r *Rule) Indicators() []string {
	var out []string
	for _, v := range r.Variants {
		for _, ind := range v.Indicators {
			if !slices.Contains(out, ind) {
				out = append(out, ind)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return indicatorRank[out[i]] < indicatorRank[out[j]] })
	return out
}

// Drugs lists the drugs of all variants.
func (r *Rule) Drugs() []string {
	var out []string
	for _, v := range r.Variants {
		for _, d := range v.Drugs {
			if !slices.Contains(out, d) {
				out = append(out, d)
			}
		}
	}
	return out
}

// VariantFor picks the variant that fits a finding: the first whose hooks
// include the hook (when it names hooks) and whose drugs include the
// order's target (when both are known); else the first variant.
func (r *Rule) VariantFor(hook, target string) *Variant {
	for _, v := range r.Variants {
		if len(v.Hooks) > 0 && !slices.Contains(v.Hooks, hook) {
			continue
		}
		if target != "" && len(v.Drugs) > 0 && !slices.Contains(v.Drugs, target) {
			continue
		}
		return v
	}
	for _, v := range r.Variants {
		if len(v.Hooks) == 0 || slices.Contains(v.Hooks, hook) {
			return v
		}
	}
	return r.Variants[0]
}

// buildCatalog reads the METADATA of every rule that adds to findings in a
// rules package and refuses incomplete or inconsistent metadata. Errors name
// the file, the row and the rule.
func buildCatalog(modules map[string]*ast.Module) (map[string]*Rule, error) {
	mods := policyModules(modules)
	as, errs := ast.BuildAnnotationSet(mods)
	if len(errs) > 0 {
		return nil, fmt.Errorf("annotations: %w", errs)
	}
	catalog := map[string]*Rule{}
	var problems []error
	cards, cardProblems := sharedCards(as)
	for _, p := range cardProblems {
		problems = append(problems, fmt.Errorf("%s:%d: %w", p.file, p.row, p.err))
	}
	for _, m := range mods {
		if !m.Package.Path.HasPrefix(rulesRoot) {
			continue
		}
		pkg := packageName(m.Package.Path)
		shared := cards[m.Package.Path.String()]
		for _, r := range m.Rules {
			if !isFindingsRule(r) {
				continue
			}
			loc := fmt.Sprintf("%s:%d", r.Location.File, r.Location.Row)
			ann := ruleAnnotation(as, r)
			id, v, err := variantFromAnnotation(ann, shared)
			if err != nil {
				problems = append(problems, fmt.Errorf("%s: rule %s.%s: %w", loc, strings.TrimPrefix(m.Package.Path.String(), "data."), findingsRule, err))
				continue
			}
			v.Locations = []string{loc}
			v.packages = []string{pkg}
			rule, ok := catalog[id]
			if !ok {
				catalog[id] = &Rule{ID: id, Package: pkg, Variants: []*Variant{v}}
				continue
			}
			if same := sameVariant(rule.Variants, v); same != nil {
				same.Locations = append(same.Locations, loc)
				same.packages = append(same.packages, pkg)
				continue
			}
			rule.Variants = append(rule.Variants, v)
		}
	}
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	if len(catalog) == 0 {
		return nil, fmt.Errorf("no rule adds to %s in a package under %s", findingsRule, rulesRoot)
	}
	return catalog, nil
}

func ruleAnnotation(as *ast.AnnotationSet, r *ast.Rule) *ast.Annotations {
	for _, a := range as.GetRuleScope(r) {
		if a.Scope == "rule" || a.Scope == "document" {
			return a
		}
	}
	return as.GetDocumentScope(r.Ref().GroundPrefix())
}

func variantFromAnnotation(a *ast.Annotations, shared map[string]*CardTemplate) (string, *Variant, error) {
	if a == nil {
		return "", nil, errors.New("missing METADATA (title and custom.id, indicator, source are required)")
	}
	var missing []string
	v := &Variant{Title: strings.TrimSpace(a.Title), Description: strings.TrimSpace(a.Description)}
	if v.Title == "" {
		missing = append(missing, "title")
	}
	c := a.Custom
	id, _ := c["id"].(string)
	switch {
	case id == "":
		missing = append(missing, "custom.id")
	case isTemplateID(id):
		if !idTemplatePattern.MatchString(id) {
			return "", nil, fmt.Errorf("custom.id %q is not a rule ID template such as {drug}.dose-max or {drug}.{interactions}", id)
		}
	case !ruleIDPattern.MatchString(id):
		return "", nil, fmt.Errorf("custom.id %q is not a rule ID such as drug.problem", id)
	}
	inds, err := stringList(c["indicator"])
	if err != nil || len(inds) == 0 {
		missing = append(missing, "custom.indicator")
	}
	for _, ind := range inds {
		if _, ok := indicatorRank[ind]; !ok {
			return "", nil, fmt.Errorf("custom.indicator %q is not critical, warning or info", ind)
		}
	}
	v.Indicators = inds
	if v.Drugs, err = stringList(c["drugs"]); err != nil {
		return "", nil, fmt.Errorf("custom.drugs: %w", err)
	}
	if v.Hooks, err = stringList(c["hooks"]); err != nil {
		return "", nil, fmt.Errorf("custom.hooks: %w", err)
	}
	if _, ok := c["omitWhenCritical"]; ok {
		return "", nil, errors.New("custom.omitWhenCritical is now custom.omitWhen: [critical]")
	}
	if v.Reads, err = stringList(c["reads"]); err != nil {
		return "", nil, fmt.Errorf("custom.reads: %w", err)
	}
	if v.Tags, err = stringList(c["tags"]); err != nil {
		return "", nil, fmt.Errorf("custom.tags: %w", err)
	}
	if v.OmitWhen, err = stringList(c["omitWhen"]); err != nil {
		return "", nil, fmt.Errorf("custom.omitWhen: %w", err)
	}
	for _, t := range v.Tags {
		if _, ok := indicatorRank[t]; ok {
			return "", nil, fmt.Errorf("custom.tags: %q is an indicator, not a tag", t)
		}
	}
	if v.Card, err = cardOfRule(c["card"], shared); err != nil {
		return "", nil, err
	}
	src, _ := c["source"].(map[string]any)
	str := func(k string) string { s, _ := src[k].(string); return strings.TrimSpace(s) }
	if v.Topic = str("topic"); v.Topic != "" {
		for k := range src {
			if k != "topic" {
				return "", nil, fmt.Errorf("custom.source.topic takes each drug's source from its profile: custom.source.%s would be ignored", k)
			}
		}
		if len(v.Drugs) == 0 {
			return "", nil, errors.New("custom.source.topic needs custom.drugs: the drugs whose profiles give the source")
		}
	} else {
		v.Source = Source{Label: str("label"), Section: str("section"), URL: str("url"), Revised: str("revised")}
		if v.Source.Label == "" {
			missing = append(missing, "custom.source.label (or custom.source.topic)")
		}
		if v.Source.URL == "" {
			missing = append(missing, "custom.source.url")
		} else if !strings.HasPrefix(v.Source.URL, "https://") && !strings.HasPrefix(v.Source.URL, "http://") {
			return "", nil, fmt.Errorf("custom.source.url %q is not an absolute URL", v.Source.URL)
		}
	}
	if len(missing) > 0 {
		return "", nil, fmt.Errorf("incomplete METADATA: missing %s", strings.Join(missing, ", "))
	}
	return id, v, nil
}

// sameVariant finds a variant with the same metadata, so that identical
// METADATA on several bodies of one rule makes one variant.
func sameVariant(vs []*Variant, v *Variant) *Variant {
	for _, o := range vs {
		if o.Title == v.Title && o.Description == v.Description && o.Source == v.Source && o.Topic == v.Topic && slices.Equal(o.Tags, v.Tags) && slices.Equal(o.Reads, v.Reads) && slices.Equal(o.OmitWhen, v.OmitWhen) && sameCard(o.Card, v.Card) &&
			slices.Equal(o.Indicators, v.Indicators) && slices.Equal(o.Drugs, v.Drugs) && slices.Equal(o.Hooks, v.Hooks) {
			return o
		}
	}
	return nil
}

// stringList accepts a string or a list of strings.
func stringList(v any) ([]string, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		return []string{x}, nil
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("want strings, got %T", e)
			}
			out = append(out, s)
		}
		return out, nil
	default:
		return nil, fmt.Errorf("want a string or a list of strings, got %T", v)
	}
}
