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

// Rule is one entry of the rule catalog, read from METADATA.
type Rule struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Indicators  []string `json:"indicators"`
	Drugs       []string `json:"drugs,omitempty"`
	Hooks       []string `json:"hooks,omitempty"`
	Source      Source   `json:"source"`
	Package     string   `json:"package"`
	Locations   []string `json:"locations"`
	// Site overrides from the site parameters, shown in the catalog.
	Disabled          bool   `json:"disabled,omitempty"`
	IndicatorOverride string `json:"indicatorOverride,omitempty"`
}

// buildCatalog reads the METADATA of every rule that adds to findings in a
// rules package and refuses incomplete or inconsistent metadata. Errors name
// the file, the row and the rule.
func buildCatalog(modules map[string]*ast.Module) (map[string]*Rule, error) {
	var mods []*ast.Module
	var paths []string
	for p := range modules {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		if !isTest(p) {
			mods = append(mods, modules[p])
		}
	}
	as, errs := ast.BuildAnnotationSet(mods)
	if len(errs) > 0 {
		return nil, fmt.Errorf("annotations: %w", errs)
	}
	catalog := map[string]*Rule{}
	var problems []error
	for _, m := range mods {
		if !m.Package.Path.HasPrefix(rulesRoot) {
			continue
		}
		pkg := strings.TrimPrefix(m.Package.Path.String(), "data.")
		for _, r := range m.Rules {
			if r.Head.Name.String() != findingsRule && r.Head.Ref().String() != findingsRule {
				continue
			}
			loc := fmt.Sprintf("%s:%d", r.Location.File, r.Location.Row)
			ann := ruleAnnotation(as, r)
			meta, err := ruleFromAnnotation(ann)
			if err != nil {
				problems = append(problems, fmt.Errorf("%s: rule %s.%s: %w", loc, pkg, findingsRule, err))
				continue
			}
			meta.Package = pkg
			meta.Locations = []string{loc}
			if prev, ok := catalog[meta.ID]; ok {
				if prev.Title != meta.Title || prev.Source != meta.Source {
					problems = append(problems, fmt.Errorf("%s: rule %s: title or source differs from %s", loc, meta.ID, prev.Locations[0]))
					continue
				}
				prev.Locations = append(prev.Locations, loc)
				for _, ind := range meta.Indicators {
					if !slices.Contains(prev.Indicators, ind) {
						prev.Indicators = append(prev.Indicators, ind)
					}
				}
				sort.Slice(prev.Indicators, func(i, j int) bool {
					return indicatorRank[prev.Indicators[i]] < indicatorRank[prev.Indicators[j]]
				})
				continue
			}
			catalog[meta.ID] = meta
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

func ruleFromAnnotation(a *ast.Annotations) (*Rule, error) {
	if a == nil {
		return nil, errors.New("missing METADATA (title and custom.id, indicator, source are required)")
	}
	var missing []string
	r := &Rule{Title: strings.TrimSpace(a.Title), Description: strings.TrimSpace(a.Description)}
	if r.Title == "" {
		missing = append(missing, "title")
	}
	c := a.Custom
	r.ID, _ = c["id"].(string)
	switch {
	case r.ID == "":
		missing = append(missing, "custom.id")
	case !ruleIDPattern.MatchString(r.ID):
		return nil, fmt.Errorf("custom.id %q is not a rule ID such as drug.problem", r.ID)
	}
	inds, err := stringList(c["indicator"])
	if err != nil || len(inds) == 0 {
		missing = append(missing, "custom.indicator")
	}
	for _, ind := range inds {
		if _, ok := indicatorRank[ind]; !ok {
			return nil, fmt.Errorf("custom.indicator %q is not critical, warning or info", ind)
		}
	}
	r.Indicators = inds
	if r.Drugs, err = stringList(c["drugs"]); err != nil {
		return nil, fmt.Errorf("custom.drugs: %w", err)
	}
	if r.Hooks, err = stringList(c["hooks"]); err != nil {
		return nil, fmt.Errorf("custom.hooks: %w", err)
	}
	src, _ := c["source"].(map[string]any)
	str := func(k string) string { s, _ := src[k].(string); return strings.TrimSpace(s) }
	r.Source = Source{Label: str("label"), Section: str("section"), URL: str("url"), Revised: str("revised")}
	if r.Source.Label == "" {
		missing = append(missing, "custom.source.label")
	}
	if r.Source.URL == "" {
		missing = append(missing, "custom.source.url")
	} else if !strings.HasPrefix(r.Source.URL, "https://") && !strings.HasPrefix(r.Source.URL, "http://") {
		return nil, fmt.Errorf("custom.source.url %q is not an absolute URL", r.Source.URL)
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("incomplete METADATA: missing %s", strings.Join(missing, ", "))
	}
	return r, nil
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
