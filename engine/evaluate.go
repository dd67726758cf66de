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
		return v, nil
	}
	return inputValueJSON(in)
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

func (ps *PolicySet) evalFindings(ctx context.Context, pq *rego.PreparedEvalQuery, input ast.Value) ([]Finding, error) {
	rs, err := pq.Eval(ctx, rego.EvalParsedInput(input))
	if err != nil {
		return nil, fmt.Errorf("evaluate: %w", err)
	}
	if len(rs) == 0 || len(rs[0].Expressions) == 0 {
		return nil, nil // undefined: no rule fired
	}
	return decodeFindings(rs[0].Expressions[0].Value)
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
