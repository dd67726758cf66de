package pipeline

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/terminology"
)

// Queries naming the lab windows the rules apply (policies/lib/labs.rego)
// and the site parameters that hold their lengths in days.
const (
	windowParamQuery = "data.labelguard.lib.lab_window_param"
	paramsQuery      = "data.labelguard.params"
)

// lookback is, per service and prefetch key, how many days back the rules
// read the key's results; a key that is not listed is read whole.
type lookback struct {
	ps   *engine.PolicySet
	days map[string]map[string]float64
}

// lastLookback caches the lookback of the policy set most recently seen:
// sets change on reload only, and working it out takes two ad hoc queries.
var lastLookback atomic.Pointer[lookback]

// horizons returns, per prefetch key of svc, the oldest result time a rule
// reads from it (see prefetch.FillRequest.Horizons): for an Observation
// search, now minus the longest window of the analytes it can return. An
// analyte read with no window (smoking status, a CYP2C19 genotype), a code
// no analyte has, a search by category (which can return any analyte) of
// such analytes, or windows that cannot be read leave the key without a
// horizon: it is read to its end, never cut short on a guess.
func horizons(ctx context.Context, ps *engine.PolicySet, svc engine.Service, now time.Time) map[string]time.Time {
	lb := lastLookback.Load()
	if lb == nil || lb.ps != ps {
		lb = computeLookback(ctx, ps)
		lastLookback.Store(lb)
	}
	days := lb.days[svc.ID]
	if len(days) == 0 {
		return nil
	}
	out := make(map[string]time.Time, len(days))
	for k, d := range days {
		out[k] = now.Add(-time.Duration(d * float64(24*time.Hour)))
	}
	return out
}

func computeLookback(ctx context.Context, ps *engine.PolicySet) *lookback {
	lb := &lookback{ps: ps, days: map[string]map[string]float64{}}
	windows, ok := analyteWindows(ctx, ps)
	if !ok {
		return lb
	}
	_, labs, _ := ps.Tables()
	for _, svc := range ps.Services {
		for key, tmpl := range svc.Prefetch {
			if d, ok := templateLookback(tmpl, labs, windows); ok {
				if lb.days[svc.ID] == nil {
					lb.days[svc.ID] = map[string]float64{}
				}
				lb.days[svc.ID][key] = d
			}
		}
	}
	return lb
}

// analyteWindows reads each analyte's window in days; an analyte the rules
// read without a window is absent.
func analyteWindows(ctx context.Context, ps *engine.PolicySet) (map[string]float64, bool) {
	params, err := ps.Query(ctx, paramsQuery, nil)
	if err != nil {
		return nil, false
	}
	names, err := ps.Query(ctx, windowParamQuery, nil)
	if err != nil {
		return nil, false
	}
	pm, ok1 := params.(map[string]any)
	nm, ok2 := names.(map[string]any)
	if !ok1 || !ok2 {
		return nil, false
	}
	out := map[string]float64{}
	for analyte, p := range nm {
		name, _ := p.(string)
		if d, ok := number(pm[name]); ok && d > 0 {
			out[analyte] = d
		}
	}
	return out, true
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case float64:
		return n, true
	case int:
		return float64(n), true
	}
	return 0, false
}

// templateLookback is the longest window of the analytes an Observation
// search template can return, when every one of them has a window.
func templateLookback(tmpl string, labs *terminology.LabTable, windows map[string]float64) (float64, bool) {
	path, query, _ := strings.Cut(tmpl, "?")
	if strings.Trim(path, "/") != "Observation" || labs == nil {
		return 0, false
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return 0, false
	}
	var analytes []string
	if codes := strings.Join(q["code"], ","); codes != "" {
		for c := range strings.SplitSeq(codes, ",") {
			system, code, _ := strings.Cut(c, "|")
			id, ok := labs.AnalyteFor([]string{terminology.NormalizeCode(system, code)}, func() string { return "" })
			if !ok {
				return 0, false // read by a rule the lab table does not describe
			}
			analytes = append(analytes, id)
		}
	} else {
		for id := range labs.Analytes {
			analytes = append(analytes, id)
		}
	}
	longest := 0.0
	for _, id := range analytes {
		d, ok := windows[id]
		if !ok {
			return 0, false
		}
		longest = max(longest, d)
	}
	return longest, len(analytes) > 0
}
