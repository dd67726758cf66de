package pipeline

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/labelguard/labelguard/cdshooks"
	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/fhir"
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
}

// Run evaluates a decoded request for the service svc of policy set ps at
// time now. Errors from fhir keep their types (*fhir.OrderError,
// fhir.ErrPatientUnavailable) so that callers can map them.
func Run(ctx context.Context, ps *engine.PolicySet, svc engine.Service, req *cdshooks.Request, hc *cdshooks.HookContext, now time.Time) (*Outcome, error) {
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
			return nil, fmt.Errorf("pipeline.Run: %w", err)
		}
		if !drafts.HasCandidates(tables) {
			// Nothing to check: answer at once and fetch nothing.
			return &Outcome{Result: &engine.Result{}, NoOrderOfInterest: true}, nil
		}
		freq.Drafts = drafts
		freq.PatientID = hc.Order.PatientID
		freq.Selections = hc.Order.Selections
	case hc.PatientView != nil:
		freq.PatientID = hc.PatientView.PatientID
	default:
		return nil, fmt.Errorf("pipeline.Run: context of hook %s not decoded", hc.Hook)
	}
	derived, err := fhir.Derive(tables, freq)
	if err != nil {
		return nil, fmt.Errorf("pipeline.Run: %w", err)
	}
	if hc.Order != nil && len(derived.Input.Orders) == 0 {
		return &Outcome{Result: &engine.Result{}, Input: derived, NoOrderOfInterest: true}, nil
	}
	res, err := ps.Evaluate(ctx, engine.Request{Service: svc.ID, Input: &derived.Input, Orders: derived.OrderResources})
	if err != nil {
		return nil, fmt.Errorf("pipeline.Run: %w", err)
	}
	return &Outcome{Result: res, Input: derived}, nil
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
