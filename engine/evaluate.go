package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/labelguard/labelguard/cdshooks"
	"github.com/labelguard/labelguard/facts"
)

// Finding is what a rule yields: the clinical content of one card.
type Finding struct {
	Rule        string          `json:"rule"`
	Indicator   string          `json:"indicator"`
	Summary     string          `json:"summary"`
	Detail      string          `json:"detail,omitempty"`
	Order       string          `json:"order,omitempty"`
	Evidence    []Evidence      `json:"evidence,omitempty"`
	Factors     []Factor        `json:"factors,omitempty"`
	Suggestions []SuggestionDef `json:"suggestions,omitempty"`
	Links       []cdshooks.Link `json:"links,omitempty"`
}

// Evidence names a resource that made a rule fire.
type Evidence struct {
	Reference string `json:"reference"`
	Display   string `json:"display,omitempty"`
	Value     any    `json:"value,omitempty"`
	Unit      string `json:"unit,omitempty"`
	Time      string `json:"time,omitempty"`
}

// Factor is one item of a list card (risk factors, missing work-up).
type Factor struct {
	ID       string     `json:"id"`
	Display  string     `json:"display,omitempty"`
	Evidence []Evidence `json:"evidence,omitempty"`
}

// Suggestion kinds a finding may ask for; the engine builds the FHIR.
const (
	SuggestUpdateDose = "update-dose"
	SuggestDelete     = "delete"
	SuggestCreateLab  = "create-lab"
)

// SuggestionDef is a suggestion as a rule states it.
type SuggestionDef struct {
	Kind              string   `json:"kind"`
	Label             string   `json:"label"`
	IsRecommended     bool     `json:"isRecommended,omitempty"`
	TargetDailyDoseMg *float64 `json:"targetDailyDoseMg,omitempty"`
	Analytes          []string `json:"analytes,omitempty"`
	DueDate           string   `json:"dueDate,omitempty"`
}

// Result is the outcome of one evaluation.
type Result struct {
	Cards    []cdshooks.Card
	Findings []Finding
	// Notes are policy defects met at run time (e.g. a duplicate finding),
	// for the log; they never contain patient data.
	Notes []string
}

// Request is what one evaluation needs.
type Request struct {
	Service string
	Input   *facts.Input
	// Orders maps an order's reference to its FHIR JSON, for update
	// suggestions.
	Orders map[string]json.RawMessage
}

// Evaluate runs the service's query over the input and builds the cards.
func (ps *PolicySet) Evaluate(ctx context.Context, req Request) (*Result, error) {
	pq, ok := ps.queries[req.Service]
	if !ok {
		return nil, fmt.Errorf("engine.Evaluate: unknown service %q", req.Service)
	}
	value, err := InputValue(req.Input)
	if err != nil {
		return nil, fmt.Errorf("engine.Evaluate: %w", err)
	}
	findings, err := ps.evalFindings(ctx, pq, value)
	if err != nil {
		return nil, fmt.Errorf("engine.Evaluate: service %s: %w", req.Service, err)
	}
	res := &Result{}
	res.Findings, res.Notes, err = ps.checkFindings(findings)
	if err != nil {
		return nil, fmt.Errorf("engine.Evaluate: service %s: %w", req.Service, err)
	}
	b := cardBuilder{ps: ps, in: req.Input, orders: req.Orders}
	for _, f := range res.Findings {
		c, err := b.card(f)
		if err != nil {
			return nil, fmt.Errorf("engine.Evaluate: rule %s: %w", f.Rule, err)
		}
		res.Cards = append(res.Cards, c)
	}
	return res, nil
}

// InputValue converts the policy input into OPA's value form once, so that
// evaluation does not reconvert it.
func InputValue(in *facts.Input) (ast.Value, error) {
	data, err := json.Marshal(in)
	if err != nil {
		return nil, fmt.Errorf("encode input: %w", err)
	}
	v, err := ast.ValueFromReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("convert input: %w", err)
	}
	return v, nil
}

func (ps *PolicySet) evalFindings(ctx context.Context, pq *rego.PreparedEvalQuery, input ast.Value) ([]Finding, error) {
	rs, err := pq.Eval(ctx, rego.EvalParsedInput(input))
	if err != nil {
		return nil, fmt.Errorf("evaluate: %w", err)
	}
	if len(rs) == 0 || len(rs[0].Expressions) == 0 {
		return nil, nil // undefined: no rule fired
	}
	data, err := json.Marshal(rs[0].Expressions[0].Value)
	if err != nil {
		return nil, fmt.Errorf("encode findings: %w", err)
	}
	var out []Finding
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("decode findings (want a set of finding objects): %w", err)
	}
	return out, nil
}

// checkFindings rejects findings that miss their core, drops rules a site
// switched off, applies lowered indicators, keeps at most one finding per
// rule and order, and orders them critical, warning, info, then rule, then
// order, because set order is not a feature.
func (ps *PolicySet) checkFindings(in []Finding) ([]Finding, []string, error) {
	out := make([]Finding, 0, len(in))
	var notes []string
	for _, f := range in {
		meta, ok := ps.Catalog[f.Rule]
		if !ok {
			return nil, nil, fmt.Errorf("finding for rule %q, which has no METADATA in the policy set", f.Rule)
		}
		if _, ok := indicatorRank[f.Indicator]; !ok {
			return nil, nil, fmt.Errorf("rule %s: indicator %q is not critical, warning or info", f.Rule, f.Indicator)
		}
		if strings.TrimSpace(f.Summary) == "" {
			return nil, nil, fmt.Errorf("rule %s: finding without summary", f.Rule)
		}
		if meta.Disabled {
			continue
		}
		if o := meta.IndicatorOverride; o != "" && indicatorRank[o] > indicatorRank[f.Indicator] {
			f.Indicator = o
		}
		out = append(out, f)
	}
	slices.SortStableFunc(out, func(a, b Finding) int {
		if d := indicatorRank[a.Indicator] - indicatorRank[b.Indicator]; d != 0 {
			return d
		}
		if c := strings.Compare(a.Rule, b.Rule); c != 0 {
			return c
		}
		if c := strings.Compare(a.Order, b.Order); c != 0 {
			return c
		}
		return strings.Compare(a.Summary, b.Summary)
	})
	// One card per rule and order: the most severe finding wins.
	dedup := out[:0]
	seen := map[string]bool{}
	for _, f := range out {
		k := f.Rule + "\x00" + f.Order
		if seen[k] {
			notes = append(notes, fmt.Sprintf("rule %s yielded more than one finding for one order; kept the most severe", f.Rule))
			continue
		}
		seen[k] = true
		dedup = append(dedup, f)
	}
	return dedup, notes, nil
}
