package engine

import (
	"github.com/labelguard/labelguard/cdshooks"
	"github.com/labelguard/labelguard/facts"
)

// IncompleteRule is the catalog rule that says checks could not be made.
const IncompleteRule = "data.incomplete"

// IncompleteResult is the answer when evaluation itself could not finish
// (the per-request deadline passed, or the policies failed at run time): one
// data.incomplete card that says no check was made, so that an empty answer
// is never mistaken for a pass. It is built without Rego, since Rego is what
// failed, and it names no patient data.
func (ps *PolicySet) IncompleteResult(in *facts.Input, reason string) *Result {
	f := Finding{
		Rule:      IncompleteRule,
		Indicator: "warning",
		Summary:   "labelguard could not complete its checks: no result for this order",
		Detail: "The label and consensus checks for this request could not be completed (" + reason +
			"). None of them was made: review the order against the prescribing information, or try again.",
	}
	if _, ok := ps.Catalog[IncompleteRule]; !ok {
		// A policy set without the rule still must not answer silence.
		return &Result{Notes: []string{"policy set has no " + IncompleteRule + " rule; evaluation failed: " + reason},
			Cards: []cdshooks.Card{{
				UUID: CardUUID(in.HookInstance, IncompleteRule, ""), Summary: f.Summary, Detail: f.Detail,
				Indicator: f.Indicator, Source: cdshooks.Source{Label: "labelguard"},
			}}}
	}
	b := cardBuilder{ps: ps, in: in}
	c, err := b.card(f)
	if err != nil {
		return &Result{Notes: []string{"building the incomplete card: " + err.Error()}}
	}
	return &Result{Cards: []cdshooks.Card{c}, Findings: []Finding{f}}
}
