package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/pprof"
	"slices"
	"time"

	"github.com/labelguard/labelguard/cdshooks"
	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/facts"
	"github.com/labelguard/labelguard/fhir"
	"github.com/labelguard/labelguard/prefetch"
)

// Outcome is the result of one call.
type Outcome struct {
	*engine.Result
	// Input is the derived policy input; nil when the request had no order
	// of interest and was answered at once.
	Input *fhir.Derived
	// NoOrderOfInterest is set when nothing in the request concerned the
	// service's drugs.
	NoOrderOfInterest bool
	// EvalTimedOut is set when evaluation hit EvalTimeout and the result is
	// the data.incomplete answer.
	EvalTimedOut bool
	// DecisionCached is set when the rules' decision came from the
	// DecisionCache (the cards were built for this call).
	DecisionCached bool
	// DerivedCached is set when the policy input was the one an earlier
	// call derived from the same request data, re-timed to this call.
	DerivedCached bool
}

// ErrTooManyDraftOrders is returned for a request with more draft orders
// than the configured limit.
var ErrTooManyDraftOrders = errors.New("too many draft orders")

// Pipeline runs calls. Its zero value fetches nothing: every prefetch key
// the client left out is reported missing.
type Pipeline struct {
	// Fetcher, when set, fetches the prefetch keys a client left out from
	// its fhirServer.
	Fetcher *prefetch.Fetcher
	// Cache, when set, reuses the decoding of prefetch values a client
	// sends again unchanged (order-select, then order-sign).
	Cache *fhir.PrefetchCache
	// Decisions, when set, answers a call whose policy input the rules
	// would read as an earlier call's with that call's decision.
	Decisions *DecisionCache
}

// Call is one hook call to run.
type Call struct {
	Policies *engine.PolicySet
	Service  engine.Service
	Request  *cdshooks.Request
	Context  *cdshooks.HookContext
	Now      time.Time
	// AllowFHIRServer is the calling client's FHIR server allow-list (the
	// SSRF guard); nil leaves the decision to the fetcher's configuration.
	AllowFHIRServer func(fhirServer string) bool
	// MaxDraftOrders bounds the draft orders of one request (0: no bound).
	MaxDraftOrders int
	// EvalTimeout bounds policy evaluation (0: no bound beyond ctx). A
	// policy that loops or explodes is stopped and answered with a
	// data.incomplete card instead of a hung request.
	EvalTimeout time.Duration
}

// Run evaluates a decoded request for the service svc of policy set ps at
// time now, without fetching. Errors from fhir keep their types
// (*fhir.OrderError, fhir.ErrPatientUnavailable) so that callers can map
// them.
func Run(ctx context.Context, ps *engine.PolicySet, svc engine.Service, req *cdshooks.Request, hc *cdshooks.HookContext, now time.Time) (*Outcome, error) {
	return (&Pipeline{}).Run(ctx, Call{Policies: ps, Service: svc, Request: req, Context: hc, Now: now})
}

// Run evaluates one call: screen the draft orders, fetch what the prefetch
// lacks, derive the policy input, evaluate. Errors keep their types
// (*fhir.OrderError, fhir.ErrPatientUnavailable,
// prefetch.ErrPatientScopeMismatch) so that callers can map them.
func (p *Pipeline) Run(ctx context.Context, c Call) (*Outcome, error) {
	derived, early, memo, err := p.derive(ctx, c)
	if err != nil || early != nil {
		return early, err
	}
	ps, svc := c.Policies, c.Service
	req := engine.Request{Service: svc.ID, Input: &derived.Input, Orders: derived.OrderResources}
	cache := p.Decisions
	var key [sha256.Size]byte
	if cache != nil && memo != nil && memo.found != nil && memo.found.keyFor == callKey(memo.call) {
		key = memo.found.decisionKey // the facts and the call of the call that computed it
	} else if cache != nil {
		var size int
		pprof.Do(ctx, pprof.Labels("stage", "decision-key"), func(context.Context) {
			key, size, err = cache.decisionKey(ps, svc, contextPatient(c.Context), &derived.Input, c.Now)
		})
		if err == nil && memo != nil && memo.found == nil {
			cache.putDerived(memo.key, ps, derived, memo.call, key, size, c.Now)
		}
	}
	if cache != nil {
		if err != nil {
			cache = nil // not cacheable; evaluate
		} else if r, ok := cache.get(key, ps, c.Now); ok {
			var res *engine.Result
			pprof.Do(ctx, pprof.Labels("stage", "evaluate"), func(context.Context) {
				var d *engine.Decision
				if d, err = ps.DecideFrom(req, r); err == nil {
					res, err = ps.Cards(req, d)
				}
			})
			if err != nil {
				return nil, fmt.Errorf("pipeline.Run: %w", err)
			}
			return &Outcome{Result: res, Input: derived, DecisionCached: true, DerivedCached: memo != nil && memo.found != nil}, nil
		}
	}
	ectx := ctx
	if c.EvalTimeout > 0 {
		var cancel context.CancelFunc
		ectx, cancel = context.WithTimeout(ctx, c.EvalTimeout)
		defer cancel()
	}
	var r *engine.RuleResults
	var res *engine.Result
	pprof.Do(ectx, pprof.Labels("stage", "evaluate"), func(ectx context.Context) {
		r, err = ps.EvaluateRules(ectx, req)
		var d *engine.Decision
		if err == nil {
			d, err = ps.DecideFrom(req, r)
		}
		if err == nil {
			res, err = ps.Cards(req, d)
		}
	})
	if err != nil {
		if ectx.Err() != nil && ctx.Err() == nil {
			// Our deadline, not the caller's: answer that no check was made.
			res = ps.IncompleteResult(&derived.Input, "policy evaluation exceeded its deadline")
			res.Notes = append(res.Notes, "evaluation stopped at the deadline: "+err.Error())
			return &Outcome{Result: res, Input: derived, EvalTimedOut: true}, nil
		}
		return nil, fmt.Errorf("pipeline.Run: %w", err)
	}
	if cache != nil && len(r.Failures) == 0 {
		cache.put(key, ps, r, c.Now)
	}
	return &Outcome{Result: res, Input: derived, DerivedCached: memo != nil && memo.found != nil}, nil
}

// contextPatient is the patient a call's context names.
func contextPatient(hc *cdshooks.HookContext) string {
	switch {
	case hc.Order != nil:
		return hc.Order.PatientID
	case hc.PatientView != nil:
		return hc.PatientView.PatientID
	}
	return ""
}

// Derive runs a call up to the policy input, without evaluating: what the
// rules would see (the playground's patient summary, authoring tools).
// For an order hook with no order of interest it returns nil.
func (p *Pipeline) Derive(ctx context.Context, c Call) (*fhir.Derived, error) {
	derived, early, _, err := p.derive(ctx, c)
	if err != nil {
		return nil, err
	}
	if early != nil {
		return early.Input, nil
	}
	return derived, nil
}

// derive screens the draft orders, fetches what the prefetch lacks and
// derives the policy input, or takes it from the decision cache's derived
// facts (memo says which; nil without the cache). A call with no order of
// interest is answered at once: early is its outcome.
func (p *Pipeline) derive(ctx context.Context, c Call) (derived *fhir.Derived, early *Outcome, memo *derivedMemo, err error) {
	ps, svc, req, hc, now := c.Policies, c.Service, c.Request, c.Context, c.Now
	vs, labs, drugs := ps.Tables()
	tables := fhir.Tables{ValueSets: vs, Labs: labs, Drugs: drugs}
	freq := fhir.Request{
		Service:      svc.ID,
		Hook:         req.Hook,
		HookInstance: req.HookInstance,
		Now:          now.UTC(),
		Prefetch:     req.Prefetch,
		ExpectedKeys: PrefetchKeys(svc),
	}
	switch {
	case hc.Order != nil:
		drafts, err := fhir.ParseDraftOrders(hc.Order.DraftOrders)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("pipeline.Run: %w", err)
		}
		if c.MaxDraftOrders > 0 && len(drafts.Orders) > c.MaxDraftOrders {
			return nil, nil, nil, fmt.Errorf("pipeline.Run: %w (%d, limit %d)", ErrTooManyDraftOrders, len(drafts.Orders), c.MaxDraftOrders)
		}
		if !drafts.HasCandidates(tables) {
			// Nothing to check: answer at once and fetch nothing.
			return nil, &Outcome{Result: &engine.Result{}, NoOrderOfInterest: true}, nil, nil
		}
		freq.Drafts = drafts
		freq.PatientID = hc.Order.PatientID
		freq.Selections = hc.Order.Selections
	case hc.PatientView != nil:
		freq.PatientID = hc.PatientView.PatientID
	default:
		return nil, nil, nil, fmt.Errorf("pipeline.Run: context of hook %s not decoded", hc.Hook)
	}
	var fetchIssues []facts.DataIssue
	if p.Fetcher != nil {
		fr, err := p.Fetcher.Fill(ctx, prefetch.FillRequest{
			FHIRServer:    req.FHIRServer,
			Authorization: req.FHIRAuthorization,
			PatientID:     freq.PatientID,
			Tokens:        prefetch.TokensFromContext(hc),
			Templates:     svc.Prefetch,
			Prefetch:      req.Prefetch,
			Allowed:       c.AllowFHIRServer,
			Horizons:      horizons(ctx, ps, svc, now),
		})
		if err != nil {
			return nil, nil, nil, fmt.Errorf("pipeline.Run: %w", err)
		}
		freq.Prefetch = fr.Prefetch
		fetchIssues = fr.Issues
	}
	freq.Cache = p.Cache
	if p.Decisions != nil {
		var draftOrders json.RawMessage
		if hc.Order != nil {
			draftOrders = hc.Order.DraftOrders
		}
		if key, kerr := derivedKey(&freq, draftOrders, fetchIssues); kerr == nil {
			memo = &derivedMemo{key: key, call: fhir.Call{Service: freq.Service, Hook: freq.Hook, HookInstance: freq.HookInstance, Selections: freq.Selections}}
			derived, memo.found = p.Decisions.lookupDerived(key, ps, now, memo.call)
		}
	}
	if derived == nil {
		// Stage labels make CPU profiles add up by stage (go tool pprof
		// -tags): OPA's evaluator recurses deeper than the stacks a
		// profile records, so cumulative times alone under-count it.
		pprof.Do(ctx, pprof.Labels("stage", "derive"), func(context.Context) {
			derived, err = fhir.Derive(tables, freq)
		})
		if err != nil {
			return nil, nil, nil, fmt.Errorf("pipeline.Run: %w", err)
		}
		derived.Input.DataIssues = mergeIssues(derived.Input.DataIssues, fetchIssues)
	}
	if hc.Order != nil && len(derived.Input.Orders) == 0 {
		return nil, &Outcome{Result: &engine.Result{}, Input: derived, NoOrderOfInterest: true}, nil, nil
	}
	return derived, nil, memo, nil
}

// mergeIssues adds the fetch issues to what Derive found, dropping Derive's
// missing-key and paging-capped for a key the fetch reported on (a key
// whose fetch failed is missing; a search cut short by the page limit or a
// failure keeps its total above its entries), so that each key is reported
// once, with the more precise reason.
func mergeIssues(derived, fetch []facts.DataIssue) []facts.DataIssue {
	if len(fetch) == 0 {
		return derived
	}
	failed := map[string]bool{}
	for _, f := range fetch {
		failed[f.Key] = true
	}
	out := make([]facts.DataIssue, 0, len(derived)+len(fetch))
	for _, d := range derived {
		if (d.Kind == "missing-key" || d.Kind == "paging-capped") && failed[d.Key] {
			continue
		}
		out = append(out, d)
	}
	return append(out, fetch...)
}

// PrefetchKeys returns the service's prefetch keys in a stable order.
func PrefetchKeys(svc engine.Service) []string {
	keys := make([]string, 0, len(svc.Prefetch))
	for k := range svc.Prefetch {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
