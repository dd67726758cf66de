package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/labelguard/labelguard/cdshooks"
	"github.com/labelguard/labelguard/facts"
)

// Finding is what a rule yields: the clinical content of one card.
type Finding struct {
	Rule      string `json:"rule"`
	Indicator string `json:"indicator"`
	Summary   string `json:"summary"`
	Detail    string `json:"detail,omitempty"`
	Order     string `json:"order,omitempty"`
	// Drug is the target drug whose label the card cites when the order
	// is not itself a target order (a clopidogrel order while abrocitinib
	// is active; a patient-view card); a target order's own drug wins.
	Drug string `json:"drug,omitempty"`
	// Entry is, for a rule made per entry of a profile map ("{drug}.{interactions}"),
	// the key of the entry the finding concerns.
	Entry       string          `json:"entry,omitempty"`
	Evidence    []Evidence      `json:"evidence,omitempty"`
	Factors     []Factor        `json:"factors,omitempty"`
	Suggestions []SuggestionDef `json:"suggestions,omitempty"`
	Links       []cdshooks.Link `json:"links,omitempty"`
	// Text are the values a rule with card templates (custom.card) gives
	// for its summary and detail, which the engine renders when it accepts
	// the finding; not kept after.
	Text map[string]any `json:"text,omitempty"`
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
	// Failures are the checks that could not be made: a rule package whose
	// evaluation failed, or a finding that could not become a card. Each
	// is also said on the labelguard.rule-failure card; the caller logs and
	// counts them.
	Failures []RuleFailure
	// Notes are policy defects met at run time that cost no check (e.g. a
	// duplicate finding), for the log; they never contain patient data.
	Notes []string
	// Packages are the rule packages the call evaluated.
	Packages []string
}

// Request is what one evaluation needs.
type Request struct {
	Service string
	Input   *facts.Input
	// Orders maps an order's reference to its FHIR JSON, for update
	// suggestions.
	Orders map[string]json.RawMessage
}

// Decision is what a call's rules decided, before cards: the findings
// that can become cards (site settings applied, omitWhen applied,
// in card order) and the checks that failed. It holds nothing derived from
// the call's hookInstance (card and suggestion UUIDs are made by Cards),
// so the same decision can answer a call with the same inputs.
type Decision struct {
	Findings []Finding
	Failures []RuleFailure
	Notes    []string
	Packages []string
}

// Evaluate runs the rule packages the call reaches over the input and
// builds the cards (Decide, then Cards). A package whose evaluation fails,
// or a finding that cannot become a card, costs only its own checks: the
// other cards go out, with a labelguard.rule-failure card naming what
// could not be checked. Evaluate fails only when ctx ends (the caller's
// deadline) or the service is unknown.
func (ps *PolicySet) Evaluate(ctx context.Context, req Request) (*Result, error) {
	d, err := ps.Decide(ctx, req)
	if err != nil {
		return nil, err
	}
	return ps.Cards(req, d)
}

// RuleResults is what the rule packages a call reaches yielded for its
// input: the findings that can become cards, before the site's settings
// and the call's hook are applied, and the checks that failed. It depends
// only on the policy set, the call's EvaluationScope and its
// EvaluationInput, so on a cross-hook set the order-sign after an
// order-select with the same input gets the same results.
type RuleResults struct {
	Findings []Finding
	Failures []RuleFailure
	Packages []string
}

// Decide evaluates the rule packages the call reaches and keeps the
// findings that can become cards (EvaluateRules, then DecideFrom).
func (ps *PolicySet) Decide(ctx context.Context, req Request) (*Decision, error) {
	r, err := ps.EvaluateRules(ctx, req)
	if err != nil {
		return nil, err
	}
	return ps.DecideFrom(req, r)
}

// EvaluateRules evaluates the rule packages the call reaches over its
// EvaluationInput and keeps the findings that can become cards.
func (ps *PolicySet) EvaluateRules(ctx context.Context, req Request) (*RuleResults, error) {
	svc, ok := ps.Service(req.Service)
	if !ok {
		return nil, fmt.Errorf("engine.EvaluateRules: unknown service %q", req.Service)
	}
	value, err := InputValue(ps.EvaluationInput(svc.Hook, req.Input))
	if err != nil {
		return nil, fmt.Errorf("engine.EvaluateRules: %w", err)
	}
	b := cardBuilder{ps: ps, in: req.Input, orders: req.Orders}
	findings, failures, set, err := ps.evalFindings(ctx, b, svc.Hook, value)
	if err != nil {
		return nil, fmt.Errorf("engine.EvaluateRules: service %s: %w", req.Service, err)
	}
	return &RuleResults{Findings: findings, Failures: failures, Packages: ps.packageNamesOf(set)}, nil
}

// DecideFrom applies to a call's rule results what depends on the call
// and the site: only the findings of rules that apply on the call's hook
// (their METADATA hooks), the rules a site switched off or lowered, one
// finding per rule and order, omitWhen. r is not modified.
func (ps *PolicySet) DecideFrom(req Request, r *RuleResults) (*Decision, error) {
	svc, ok := ps.Service(req.Service)
	if !ok {
		return nil, fmt.Errorf("engine.DecideFrom: unknown service %q", req.Service)
	}
	b := cardBuilder{ps: ps, in: req.Input, orders: req.Orders}
	onHook := make([]Finding, 0, len(r.Findings))
	for _, f := range r.Findings {
		if ps.Catalog[f.Rule].appliesOn(svc.Hook) {
			onHook = append(onHook, f)
		}
	}
	d := &Decision{Packages: r.Packages, Failures: slices.Clone(r.Failures)}
	d.Findings, d.Notes = ps.adjustFindings(onHook)
	d.Findings = ps.omitBeside(b, d.Findings)
	return d, nil
}

// Cards turns a decision into the call's cards: UUIDs from the call's
// hookInstance, suggestions from its draft orders. A finding that cannot
// become a card is a failure of its own rule, and any failure adds the
// labelguard.rule-failure card. d is not modified.
func (ps *PolicySet) Cards(req Request, d *Decision) (*Result, error) {
	svc, ok := ps.Service(req.Service)
	if !ok {
		return nil, fmt.Errorf("engine.Cards: unknown service %q", req.Service)
	}
	b := cardBuilder{ps: ps, in: req.Input, orders: req.Orders}
	res := &Result{Packages: d.Packages, Notes: d.Notes}
	failures := slices.Clone(d.Failures)
	for _, f := range d.Findings {
		c, err := b.card(f)
		if err != nil {
			failures = append(failures, RuleFailure{Package: ps.Catalog[f.Rule].Package, Rule: f.Rule, Checks: []string{f.Rule},
				Reason: "the finding could not become a card: " + err.Error()})
			continue
		}
		res.Findings = append(res.Findings, f)
		res.Cards = append(res.Cards, c)
	}
	if len(failures) > 0 {
		res.Failures = failures
	}
	// the card names the checks of this call that failed (none when only
	// rules the site switched off, or of another hook, failed: those are
	// logged and counted all the same)
	if f, ok := ps.ruleFailureFinding(req.Input, svc.Hook, failures); ok {
		c, err := b.card(f)
		if err != nil {
			return nil, fmt.Errorf("engine.Cards: building the %s card: %w", RuleFailureRule, err)
		}
		res.Findings = append(res.Findings, f)
		res.Cards = append(res.Cards, c)
	}
	return res, nil
}

// evalFindings evaluates the packages a call on hook reaches and keeps
// the findings that can become cards; the rest are failures.
func (ps *PolicySet) evalFindings(ctx context.Context, b cardBuilder, hook string, value ast.Value) ([]Finding, []RuleFailure, packageSet, error) {
	set := ps.reachable(hook, b.in)
	raw, failures, err := ps.evalPackages(ctx, set, value)
	if err != nil {
		return nil, nil, 0, err
	}
	var findings []Finding
	for _, r := range raw {
		fs, bad := ps.acceptFindings(b, r.pkg, r.value)
		findings = append(findings, fs...)
		failures = append(failures, bad...)
	}
	return findings, failures, set, nil
}

// packageNamesOf names the packages of a set, for the result (the audit
// and the authoring tools say which packages a call evaluated).
func (ps *PolicySet) packageNamesOf(set packageSet) []string {
	var out []string
	for i, name := range ps.packageNames {
		if set.has(i) {
			out = append(out, name)
		}
	}
	return out
}

// InputValue converts the policy input into OPA's value form once, so that
// evaluation does not reconvert it. It builds the value directly from the
// Go structs, following their JSON tags exactly as encoding/json would
// (omitempty, null for nil, numbers formatted as encoding/json formats
// them, invalid UTF-8 replaced), which costs a fraction of encoding the
// input and parsing it back; the result is the same value
// (TestInputValueMatchesJSON).
func InputValue(in *facts.Input) (ast.Value, error) {
	if in == nil {
		return ast.NullValue, nil
	}
	if v, ok := toValue(reflect.ValueOf(in).Elem()); ok {
		return withValueSetIndex(v), nil
	}
	v, err := inputValueJSON(in)
	if err != nil {
		return nil, err
	}
	return withValueSetIndex(v), nil
}

// inputValueJSON is the reference conversion: encode, then parse.
func inputValueJSON(in *facts.Input) (ast.Value, error) {
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

// adjustFindings drops rules a site switched off, applies lowered
// indicators, keeps at most one finding per rule and order, and orders
// them critical, warning, info, then rule, then order, because set order
// is not a feature.
func (ps *PolicySet) adjustFindings(in []Finding) ([]Finding, []string) {
	out := make([]Finding, 0, len(in))
	var notes []string
	for _, f := range in {
		meta := ps.Catalog[f.Rule]
		if meta.Disabled {
			continue
		}
		if o := meta.IndicatorOverride; o != "" && indicatorRank[o] > indicatorRank[f.Indicator] {
			f.Indicator = o
		}
		out = append(out, f)
	}
	sortFindings(out)
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
	return dedup, notes
}

// omitBeside leaves out the findings of rules whose METADATA says
// omitWhen when another finding on the same order is critical or comes
// from a rule with one of the named tags.
func (ps *PolicySet) omitBeside(b cardBuilder, fs []Finding) []Finding {
	type mark struct{ rule, kind string }
	beside := map[string][]mark{} // order -> what its findings are
	for _, f := range fs {
		if f.Order == "" {
			continue
		}
		if f.Indicator == "critical" {
			beside[f.Order] = append(beside[f.Order], mark{f.Rule, "critical"})
		}
		for _, t := range ps.Catalog[f.Rule].VariantFor(b.in.Hook, b.drugOf(f)).Tags {
			beside[f.Order] = append(beside[f.Order], mark{f.Rule, t})
		}
	}
	if len(beside) == 0 {
		return fs
	}
	omitted := func(f Finding) bool {
		for _, w := range ps.Catalog[f.Rule].VariantFor(b.in.Hook, b.drugOf(f)).OmitWhen {
			for _, m := range beside[f.Order] {
				if m.kind == w && m.rule != f.Rule {
					return true
				}
			}
		}
		return false
	}
	out := fs[:0]
	for _, f := range fs {
		if !omitted(f) {
			out = append(out, f)
		}
	}
	return out
}

func sortFindings(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int {
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
}

// field is one JSON member of a struct type. key is its name as a term,
// made once and shared by every object converted: terms are read-only in
// evaluation (OPA interns its own common terms the same way), and a key
// term per member per fact was a quarter of the conversion's allocations.
type field struct {
	name      string
	key       *ast.Term
	index     int
	omitEmpty bool
}

// fieldPlans caches the members of each struct type; nil marks a type the
// direct conversion does not handle (then the JSON path is taken).
var fieldPlans sync.Map // reflect.Type -> []field

var marshalerType = reflect.TypeFor[json.Marshaler]()
var textMarshalerType = reflect.TypeFor[interface{ MarshalText() ([]byte, error) }]()

func plan(t reflect.Type) ([]field, bool) {
	if p, ok := fieldPlans.Load(t); ok {
		f := p.([]field)
		return f, f != nil
	}
	var out []field
	ok := true
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		switch {
		case sf.Anonymous || tag == "-,":
			ok = false // embedded structs, a member named "-"
			continue
		case !sf.IsExported() || tag == "-":
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = sf.Name
		}
		omit := false
		for _, o := range strings.Split(opts, ",") {
			switch o {
			case "omitempty":
				omit = true
			case "":
			default:
				ok = false // ",string", ",omitzero", ...: leave to encoding/json
			}
		}
		out = append(out, field{name: name, key: ast.StringTerm(name), index: i, omitEmpty: omit})
	}
	slices.SortStableFunc(out, func(a, b field) int { return strings.Compare(a.name, b.name) })
	if !ok {
		out = nil
	}
	fieldPlans.Store(t, out)
	return out, ok
}

// isEmpty is encoding/json's omitempty test.
func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool:
		return !v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return v.Uint() == 0
	case reflect.Float32, reflect.Float64:
		return v.Float() == 0
	case reflect.Interface, reflect.Pointer:
		return v.IsNil()
	}
	return false
}

// toValue converts v as encoding/json would encode it, then parse it back.
// ok is false for what it does not handle (custom marshalers, interfaces,
// non-string map keys, NaN): the caller then takes the JSON path.
func toValue(v reflect.Value) (ast.Value, bool) {
	t := v.Type()
	if t.Implements(marshalerType) || t.Implements(textMarshalerType) ||
		v.CanAddr() && (reflect.PointerTo(t).Implements(marshalerType) || reflect.PointerTo(t).Implements(textMarshalerType)) {
		return nil, false
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return ast.NullValue, true
		}
		return toValue(v.Elem())
	case reflect.Struct:
		fields, ok := plan(t)
		if !ok {
			return nil, false
		}
		kvs := make([][2]*ast.Term, 0, len(fields))
		for _, f := range fields {
			fv := v.Field(f.index)
			if f.omitEmpty && isEmpty(fv) {
				continue
			}
			x, ok := toValue(fv)
			if !ok {
				return nil, false
			}
			kvs = append(kvs, [2]*ast.Term{f.key, newTerm(x)})
		}
		return ast.NewObject(kvs...), true
	case reflect.Slice:
		if v.IsNil() {
			return ast.NullValue, true
		}
		if t.Elem().Kind() == reflect.Uint8 {
			return nil, false // []byte encodes as base64
		}
		fallthrough
	case reflect.Array:
		terms := make([]*ast.Term, v.Len())
		for i := range terms {
			x, ok := toValue(v.Index(i))
			if !ok {
				return nil, false
			}
			terms[i] = newTerm(x)
		}
		return ast.NewArray(terms...), true
	case reflect.Map:
		if v.IsNil() {
			return ast.NullValue, true
		}
		if t.Key().Kind() != reflect.String {
			return nil, false
		}
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
		kvs := make([][2]*ast.Term, 0, len(keys))
		for _, k := range keys {
			x, ok := toValue(v.MapIndex(k))
			if !ok {
				return nil, false
			}
			kvs = append(kvs, [2]*ast.Term{ast.StringTerm(validUTF8(k.String())), newTerm(x)})
		}
		return ast.NewObject(kvs...), true
	case reflect.String:
		return ast.String(validUTF8(v.String())), true
	case reflect.Bool:
		return ast.Boolean(v.Bool()), true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return ast.Number(strconv.FormatInt(v.Int(), 10)), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return ast.Number(strconv.FormatUint(v.Uint(), 10)), true
	case reflect.Float32, reflect.Float64:
		s, ok := jsonFloat(v.Float(), t.Bits())
		if !ok {
			return nil, false
		}
		return ast.Number(s), true
	}
	return nil, false
}

// newTerm wraps a converted value; booleans and null take OPA's shared
// terms instead of a new one each.
func newTerm(v ast.Value) *ast.Term {
	switch x := v.(type) {
	case ast.Boolean:
		return ast.InternedTerm(bool(x))
	case ast.Null:
		return ast.InternedNullTerm
	}
	return ast.NewTerm(v)
}

// jsonFloat formats f exactly as encoding/json does.
func jsonFloat(f float64, bits int) (string, bool) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return "", false
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	b := strconv.AppendFloat(nil, f, format, -1, bits)
	if format == 'e' {
		// clean up e-09 to e-9
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return string(b), true
}

// validUTF8 replaces each invalid byte with U+FFFD, as encoding/json does.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteString("\ufffd"[:0])
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}
