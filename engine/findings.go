package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/labelguard/labelguard/cdshooks"
)

// findingItems is a package's findings value (OPA's Go form: a set comes
// back as a list) as a list of items to decode one by one.
func findingItems(v any) ([]any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case []any:
		return x, nil
	}
	return nil, fmt.Errorf("findings is a %s, not a set of finding objects", jsonKind(v))
}

// decodeFinding turns one finding (OPA's Go form: maps, slices, strings,
// json.Number, bools) into a Finding. The direct walk costs a fraction of
// a JSON round trip and takes exactly the shape the contract describes;
// anything else is decoded strictly (member names as written, no unknown
// member, every type right), so that a misspelt member ("sugestions")
// fails loudly instead of losing what it held.
func decodeFinding(v any) (Finding, error) {
	if f, ok := findingDirect(v); ok {
		return f, nil
	}
	if _, ok := v.(map[string]any); !ok {
		return Finding{}, fmt.Errorf("a finding is an object, not a %s", jsonKind(v))
	}
	data, err := json.Marshal(v)
	if err != nil {
		return Finding{}, fmt.Errorf("encode finding: %w", err)
	}
	var f Finding
	if err := jsonv2.Unmarshal(data, &f, jsonv2.RejectUnknownMembers(true), jsonv2.MatchCaseInsensitiveNames(false)); err != nil {
		return Finding{}, fmt.Errorf("%s", strictError(err))
	}
	return f, nil
}

// findingDirect is the fast path of decodeFinding: it takes exactly the
// contract's shape and reports whether it could.
func findingDirect(v any) (Finding, bool) {
	var f Finding
	m, ok := v.(map[string]any)
	if !ok {
		return f, false
	}
	for k, val := range m {
		if !findingField(&f, k, val) {
			return Finding{}, false
		}
	}
	return f, true
}

// strictError words a strict decode error for an informaticist: the
// member and what is wrong with it, without the Go type names.
func strictError(err error) string {
	var se *jsonv2.SemanticError
	if errors.As(err, &se) {
		where := strings.ReplaceAll(strings.TrimPrefix(string(se.JSONPointer), "/"), "/", ".")
		switch {
		case errors.Is(err, jsonv2.ErrUnknownName):
			return fmt.Sprintf("unknown member %q (the finding contract names rule, indicator, summary, detail, text, order, drug, entry, evidence, factors, suggestions, links)", where)
		case se.JSONKind != 0:
			return fmt.Sprintf("member %s: a JSON %s is not what the contract takes", where, kindName(se.JSONKind))
		}
		return fmt.Sprintf("member %s: %v", where, se.Err)
	}
	return err.Error()
}

func kindName(k jsontext.Kind) string {
	switch k {
	case 'n':
		return "null"
	case 'f', 't':
		return "boolean"
	case '"':
		return "string"
	case '0':
		return "number"
	case '{':
		return "object"
	case '[':
		return "array"
	}
	return k.String()
}

func jsonKind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

// objectList decodes a list of objects, field setting one member of an
// element and reporting whether it could. null is no list, as in
// encoding/json.
func objectList[T any](v any, field func(*T, string, any) bool) ([]T, bool) {
	if v == nil {
		return nil, true
	}
	list, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]T, len(list))
	for i, x := range list {
		m, ok := x.(map[string]any)
		if !ok {
			return nil, false
		}
		for k, val := range m {
			if !field(&out[i], k, val) {
				return nil, false
			}
		}
	}
	return out, true
}

func findingField(f *Finding, k string, v any) (ok bool) {
	switch k {
	case "rule":
		f.Rule, ok = asString(v)
	case "indicator":
		f.Indicator, ok = asString(v)
	case "summary":
		f.Summary, ok = asString(v)
	case "detail":
		f.Detail, ok = asString(v)
	case "order":
		f.Order, ok = asString(v)
	case "drug":
		f.Drug, ok = asString(v)
	case "entry":
		f.Entry, ok = asString(v)
	case "evidence":
		f.Evidence, ok = objectList(v, evidenceField)
	case "factors":
		f.Factors, ok = objectList(v, factorField)
	case "suggestions":
		f.Suggestions, ok = objectList(v, suggestionField)
	case "links":
		f.Links, ok = objectList(v, linkField)
	case "text":
		// numbers as float64, as the strict decode gives them, so that
		// templates compare them ({{if gt .days 90.0}})
		f.Text, ok = v.(map[string]any)
		numbersAsFloats(f.Text)
	}
	return ok
}

func evidenceField(e *Evidence, k string, v any) (ok bool) {
	switch k {
	case "reference":
		e.Reference, ok = asString(v)
	case "display":
		e.Display, ok = asString(v)
	case "unit":
		e.Unit, ok = asString(v)
	case "time":
		e.Time, ok = asString(v)
	case "value":
		e.Value, ok = asScalar(v)
	}
	return ok
}

func factorField(f *Factor, k string, v any) (ok bool) {
	switch k {
	case "id":
		f.ID, ok = asString(v)
	case "display":
		f.Display, ok = asString(v)
	case "evidence":
		f.Evidence, ok = objectList(v, evidenceField)
	}
	return ok
}

func suggestionField(s *SuggestionDef, k string, v any) (ok bool) {
	switch k {
	case "kind":
		s.Kind, ok = asString(v)
	case "label":
		s.Label, ok = asString(v)
	case "dueDate":
		s.DueDate, ok = asString(v)
	case "isRecommended":
		s.IsRecommended, ok = asBool(v)
	case "targetDailyDoseMg":
		if v == nil {
			return true
		}
		n, isNum := v.(json.Number)
		f, err := n.Float64()
		s.TargetDailyDoseMg = &f
		ok = isNum && err == nil
	case "analytes":
		s.Analytes, ok = asStrings(v)
	}
	return ok
}

func linkField(l *cdshooks.Link, k string, v any) (ok bool) {
	switch k {
	case "label":
		l.Label, ok = asString(v)
	case "url":
		l.URL, ok = asString(v)
	case "type":
		l.Type, ok = asString(v)
	case "appContext":
		l.AppContext, ok = asString(v)
	case "autolaunchable":
		l.Autolaunchable, ok = asBool(v)
	}
	return ok
}

// asString, asBool and asStrings follow encoding/json: null leaves the
// zero value. An unknown member (the switches' default) is not taken.
func asString(v any) (string, bool) {
	if v == nil {
		return "", true
	}
	s, ok := v.(string)
	return s, ok
}

func asBool(v any) (bool, bool) {
	if v == nil {
		return false, true
	}
	b, ok := v.(bool)
	return b, ok
}

func asStrings(v any) ([]string, bool) {
	if v == nil {
		return nil, true
	}
	list, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, len(list))
	for i, x := range list {
		if out[i], ok = x.(string); !ok {
			return nil, false
		}
	}
	return out, true
}

// asScalar is an `any` member as encoding/json decodes it: numbers as
// float64. Only scalars are taken directly.
func asScalar(v any) (any, bool) {
	switch x := v.(type) {
	case nil, string, bool:
		return x, true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	}
	return nil, false
}
