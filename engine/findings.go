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
	list, ok := v.([]any)
	if !ok {
		return nil, v == nil
	}
	out := make([]Finding, 0, len(list))
	for _, x := range list {
		m, ok := x.(map[string]any)
		if !ok {
			return nil, false
		}
		var f Finding
		for k, val := range m {
			ok := true
			switch k {
			case "rule":
				f.Rule, ok = asString(val)
			case "indicator":
				f.Indicator, ok = asString(val)
			case "summary":
				f.Summary, ok = asString(val)
			case "detail":
				f.Detail, ok = asString(val)
			case "order":
				f.Order, ok = asString(val)
			case "evidence":
				f.Evidence, ok = evidenceList(val)
			case "factors":
				f.Factors, ok = factorList(val)
			case "suggestions":
				f.Suggestions, ok = suggestionList(val)
			case "links":
				f.Links, ok = linkList(val)
			default:
				ok = false
			}
			if !ok {
				return nil, false
			}
		}
		out = append(out, f)
	}
	return out, true
}

// asString, asBool and the list readers follow encoding/json: null leaves the
// zero value.
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

func asObjects(v any) ([]map[string]any, bool) {
	if v == nil {
		return nil, true
	}
	list, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]map[string]any, len(list))
	for i, x := range list {
		if out[i], ok = x.(map[string]any); !ok {
			return nil, false
		}
	}
	return out, true
}

func evidenceList(v any) ([]Evidence, bool) {
	ms, ok := asObjects(v)
	if !ok || ms == nil {
		return nil, ok
	}
	out := make([]Evidence, len(ms))
	for i, m := range ms {
		e := &out[i]
		for k, val := range m {
			ok := true
			switch k {
			case "reference":
				e.Reference, ok = asString(val)
			case "display":
				e.Display, ok = asString(val)
			case "unit":
				e.Unit, ok = asString(val)
			case "time":
				e.Time, ok = asString(val)
			case "value":
				e.Value, ok = asScalar(val)
			default:
				ok = false
			}
			if !ok {
				return nil, false
			}
		}
	}
	return out, true
}

// plain is an `any` field as encoding/json decodes it: numbers as float64.
// Only scalars are taken directly.
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

func factorList(v any) ([]Factor, bool) {
	ms, ok := asObjects(v)
	if !ok || ms == nil {
		return nil, ok
	}
	out := make([]Factor, len(ms))
	for i, m := range ms {
		f := &out[i]
		for k, val := range m {
			ok := true
			switch k {
			case "id":
				f.ID, ok = asString(val)
			case "display":
				f.Display, ok = asString(val)
			case "evidence":
				f.Evidence, ok = evidenceList(val)
			default:
				ok = false
			}
			if !ok {
				return nil, false
			}
		}
	}
	return out, true
}

func suggestionList(v any) ([]SuggestionDef, bool) {
	ms, ok := asObjects(v)
	if !ok || ms == nil {
		return nil, ok
	}
	out := make([]SuggestionDef, len(ms))
	for i, m := range ms {
		s := &out[i]
		for k, val := range m {
			ok := true
			switch k {
			case "kind":
				s.Kind, ok = asString(val)
			case "label":
				s.Label, ok = asString(val)
			case "dueDate":
				s.DueDate, ok = asString(val)
			case "isRecommended":
				s.IsRecommended, ok = asBool(val)
			case "targetDailyDoseMg":
				if val != nil {
					n, isNum := val.(json.Number)
					f, err := n.Float64()
					ok = isNum && err == nil
					s.TargetDailyDoseMg = &f
				}
			case "analytes":
				s.Analytes, ok = asStrings(val)
			default:
				ok = false
			}
			if !ok {
				return nil, false
			}
		}
	}
	return out, true
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

func linkList(v any) ([]cdshooks.Link, bool) {
	ms, ok := asObjects(v)
	if !ok || ms == nil {
		return nil, ok
	}
	out := make([]cdshooks.Link, len(ms))
	for i, m := range ms {
		l := &out[i]
		for k, val := range m {
			ok := true
			switch k {
			case "label":
				l.Label, ok = asString(val)
			case "url":
				l.URL, ok = asString(val)
			case "type":
				l.Type, ok = asString(val)
			case "appContext":
				l.AppContext, ok = asString(val)
			case "autolaunchable":
				l.Autolaunchable, ok = asBool(val)
			default:
				ok = false
			}
			if !ok {
				return nil, false
			}
		}
	}
	return out, true
}
