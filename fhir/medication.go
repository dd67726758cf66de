package fhir

import (
	"slices"
	"strings"

	"github.com/labelguard/labelguard/facts"
	"github.com/labelguard/labelguard/terminology"
)

// Topical routes and dose-form words (docs/clinical/conventions.md#target-drugs: ruxolitinib cream is a
// target only in a topical form; topical immunosuppressants do not count).
var (
	topicalRouteWords = []string{"topical", "cutaneous", "transdermal", "dermal", "epicutaneous"}
	topicalRouteCodes = map[string]bool{
		terminology.SystemSNOMED + "|6064005":   true, // topical route
		terminology.SystemSNOMED + "|448598008": true, // cutaneous route
		terminology.SystemSNOMED + "|45890007":  true, // transdermal route
	}
	topicalFormWords = []string{"cream", "ointment", "lotion", "topical", "gel", "foam"}
)

// medResolver finds a Medication resource by reference ("Medication/x",
// "urn:uuid:x" or an absolute URL) outside the resource itself.
type medResolver func(ref string) *medication

// buildMed derives the medication fact of one order or statement: codes and
// names (including a contained or referenced Medication), ingredients,
// target, route and dose facts. Draft, Active and the order-only fields are
// set by the caller.
func buildMed(t Tables, v *medView, resolve medResolver) facts.Med {
	m := facts.Med{
		Ref:               v.ResourceType + "/" + v.ID,
		ResourceType:      v.ResourceType,
		Status:            v.Status,
		Intent:            v.Intent,
		Start:             v.Start,
		PriorPrescription: v.PriorPrescription,
	}
	codes := v.Concept.codes()
	names := v.Concept.names()
	names = appendUnique(names, lower(v.MedRefDisplay))
	m.Display = v.Concept.display()
	if m.Display == "" {
		m.Display = strings.TrimSpace(v.MedRefDisplay)
	}
	var form *codeableConcept
	if med := v.medication(resolve); med != nil {
		if m.Display == "" {
			m.Display = med.Code.display()
		}
		for _, c := range med.Code.codes() {
			codes = appendUnique(codes, c)
		}
		for _, n := range med.Code.names() {
			names = appendUnique(names, n)
		}
		form = med.Form
		for _, n := range form.names() {
			names = appendUnique(names, n)
		}
	}
	m.Codes = codes
	m.Text = joinNames(names)
	m.Route, m.Topical = route(v, form)
	m.Route = terminology.NormalizeName(m.Route)
	if !m.Topical {
		m.Topical = topicalText(m.Text)
	}
	sc := t.Drugs.SiteCode(codes)
	if sc != nil {
		names = coded(t, &m, sc, names)
	} else if t.Drugs != nil {
		m.Ingredients = t.Drugs.Ingredients(codes, m.Text, t.ValueSets)
	}
	if t.Drugs != nil {
		m.Target = target(t.Drugs, m.Ingredients, m.Topical)
	}
	for _, d := range v.Dosages {
		if d.AsNeededBoolean != nil && *d.AsNeededBoolean || d.AsNeededCodeableConcept != nil {
			m.AsNeeded = true
		}
	}
	doseFactsCoded(t, &m, v.Dosages, names, sc)
	return m
}

// dispenseOf is what a medication's dispenseRequest asks for
// (input.dispense), and whether it asks for anything.
func dispenseOf(v *medView) (facts.Dispense, bool) {
	var d facts.Dispense
	dr := v.Dispense
	if dr == nil {
		return d, false
	}
	if q := dr.Quantity; q != nil && q.Value != nil {
		d.Quantity = &facts.Quantity{Value: *q.Value, Unit: firstNonEmpty(q.Unit, q.Code)}
	}
	if days, ok := durationDays(dr.ExpectedSupplyDuration); ok {
		d.SupplyDurationDays = &days
	}
	return d, d.Quantity != nil || d.SupplyDurationDays != nil
}

// topicalText reports whether normalized medication text names a topical
// dose form.
func topicalText(text string) bool {
	for _, w := range topicalFormWords {
		if terminology.ContainsWord(text, w) {
			return true
		}
	}
	return false
}

// coded sets the facts of a medication whose code the site terminology
// knows: the code's ingredient, and its route when it names a dose form,
// whatever the text says (a code wins over a disagreeing text: an order
// coded as Jakafi is oral ruxolitinib even when its text says cream). The
// code's name and product join the names, or replace them when the text
// names another ingredient or route, so that rules matching on text read
// the coded drug; the code's stored key joins the codes, so that value
// sets and product strengths match an NDC written in any of its forms.
// It returns the names the dose reads strengths from.
func coded(t Tables, m *facts.Med, sc *terminology.SiteCode, names []string) []string {
	own := []string{lower(sc.Product), lower(sc.Name)}
	topical := sc.Route == terminology.RouteTopical
	textIngredients := t.Drugs.Ingredients(nil, m.Text, t.ValueSets)
	disagree := len(textIngredients) > 0 && !slices.Equal(textIngredients, []string{sc.Ingredient}) ||
		sc.Route != "" && m.Topical != topical
	if disagree {
		names = nil
	}
	for _, n := range own {
		names = appendUnique(names, n)
	}
	m.Text = joinNames(names)
	if m.Display == "" || disagree {
		m.Display = firstNonEmpty(sc.Product, sc.Name)
	}
	m.Codes = appendUnique(m.Codes, sc.Key())
	m.Ingredients = []string{sc.Ingredient}
	if sc.Route != "" {
		m.Topical = topical
	} else if disagree {
		m.Topical = topicalText(m.Text)
	}
	return names
}

// medication resolves medicationReference: a contained Medication ("#id"),
// else one found elsewhere in the request.
func (v *medView) medication(resolve medResolver) *medication {
	ref := strings.TrimSpace(v.MedRef)
	if ref == "" {
		return nil
	}
	if id, ok := strings.CutPrefix(ref, "#"); ok {
		for i := range v.Contained {
			if v.Contained[i].ID == id {
				return &v.Contained[i]
			}
		}
		return nil
	}
	if resolve == nil {
		return nil
	}
	return resolve(ref)
}

// route returns the lower-cased route of the first dosage (or of an
// Immunization) and whether it, or the dose form, is topical.
func route(v *medView, form *codeableConcept) (string, bool) {
	var cc *codeableConcept
	for i := range v.Dosages {
		if v.Dosages[i].Route != nil {
			cc = v.Dosages[i].Route
			break
		}
	}
	if cc == nil {
		cc = v.Route
	}
	name := ""
	topical := false
	if cc != nil {
		name = lower(cc.Text)
		for _, c := range cc.Coding {
			if name == "" {
				name = lower(c.Display)
			}
			if topicalRouteCodes[terminology.NormalizeCode(c.System, c.Code)] {
				topical = true
			}
		}
		if name == "" {
			name = lower(cc.firstCode())
		}
		all := cc.text()
		for _, w := range topicalRouteWords {
			if strings.Contains(all, w) {
				topical = true
			}
		}
	}
	if ft := form.text(); ft != "" {
		for _, w := range topicalFormWords {
			if terminology.ContainsWord(ft, w) {
				topical = true
			}
		}
	}
	return name, topical
}

// target returns the target drug of the first ingredient that is one:
// drug.Target, or drug.TopicalTarget for a topical form.
func target(dt *terminology.DrugTable, ingredients []string, topical bool) string {
	for _, id := range ingredients {
		d := dt.Drugs[id]
		if d == nil {
			continue
		}
		if d.Target != "" {
			return d.Target
		}
		if topical && d.TopicalTarget != "" {
			return d.TopicalTarget
		}
	}
	return ""
}

// interacting reports whether the medication is in one of the interacting
// value sets of the drug table.
func interacting(t Tables, m *facts.Med) bool {
	if t.Drugs == nil {
		return false
	}
	for _, id := range t.Drugs.Interacting {
		if vs := t.ValueSets[id]; vs != nil && vs.Matches(m.Codes, m.Text) {
			return true
		}
	}
	return false
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}
