package engine

import (
	"encoding/json"
	"fmt"

	"github.com/labelguard/labelguard/cdshooks"
)

// decodeFindings turns the query's result (OPA's Go form: maps, slices,
// strings, json.Number, bools) into findings. The direct walk below costs a
// fraction of the JSON round trip it replaces (encode the whole result, then
// decode it), which was 8 % of policy evaluation. It accepts only exactly
// the shape the contract describes: any other key, type or value makes it
// give up, and the JSON round trip decides, so that results and error
// messages stay those of encoding/json (TestDecodeFindingsAgreesWithJSON).
func decodeFindings(v any) ([]Finding, error) {
	if out, ok := findingsDirect(v); ok {
		return out, nil
	}
	data, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode findings: %w", err)
	}
	var out []Finding
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("decode findings (want a set of finding objects): %w", err)
	}
	return out, nil
}

func findingsDirect(v any) ([]Finding, bool) {
	if v == nil {
		return nil, true
	}
	return objectList(v, findingField)
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
	case "evidence":
		f.Evidence, ok = objectList(v, evidenceField)
	case "factors":
		f.Factors, ok = objectList(v, factorField)
	case "suggestions":
		f.Suggestions, ok = objectList(v, suggestionField)
	case "links":
		f.Links, ok = objectList(v, linkField)
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
