package engine

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/google/uuid"

	"github.com/labelguard/labelguard/cdshooks"
	"github.com/labelguard/labelguard/facts"
	"github.com/labelguard/labelguard/terminology"
)

// TopicSystem is the code system of card.source.topic: the rule IDs.
const TopicSystem = "urn:labelguard:rules"

// ExtensionKey is the card extension that says why a card fired.
const ExtensionKey = "org.labelguard"

// cardNamespace seeds the deterministic card UUIDs.
var cardNamespace = uuid.MustParse("6f1c2a52-7d0e-4c55-9a51-3b8e1f2f7c11")

// CardUUID is deterministic in (hookInstance, rule, order) so that feedback
// and the audit join, and a repeated call yields the same card.
func CardUUID(hookInstance, rule, order string) string {
	return uuid.NewSHA1(cardNamespace, []byte(hookInstance+"\x00"+rule+"\x00"+order)).String()
}

// cardExtension is extension["org.labelguard"].
type cardExtension struct {
	Rule           string     `json:"rule"`
	Order          string     `json:"order,omitempty"`
	Phase          string     `json:"phase,omitempty"`
	Evidence       []Evidence `json:"evidence,omitempty"`
	Factors        []Factor   `json:"factors,omitempty"`
	PolicyRevision string     `json:"policyRevision"`
}

type cardBuilder struct {
	ps     *PolicySet
	in     *facts.Input
	orders map[string]json.RawMessage
}

// drugOf is the target drug a finding concerns, whose label its card
// cites: the order's own target, else the drug the finding names (an
// interacting order, a patient-view card), else the rule's only drug.
func (b cardBuilder) drugOf(f Finding) string {
	if o := b.order(f.Order); o != nil && o.Target != "" {
		return o.Target
	}
	if f.Drug != "" {
		return f.Drug
	}
	if r := b.ps.Catalog[f.Rule]; r != nil {
		if d := r.Drugs(); len(d) == 1 {
			return d[0]
		}
	}
	return ""
}

func (b cardBuilder) card(f Finding) (cdshooks.Card, error) {
	o := b.order(f.Order)
	drug := b.drugOf(f)
	meta := b.ps.Catalog[f.Rule].VariantFor(b.in.Hook, drug)
	src, ok := meta.SourceFor(drug)
	if !ok {
		return cdshooks.Card{}, fmt.Errorf("no source for drug %q (topic %s)", drug, meta.Topic)
	}
	id := CardUUID(b.in.HookInstance, f.Rule, f.Order)
	c := cdshooks.Card{
		UUID:      id,
		Summary:   f.Summary,
		Detail:    f.Detail,
		Indicator: f.Indicator,
		Source: cdshooks.Source{
			Label: sourceLabel(src),
			URL:   src.URL,
			Topic: &cdshooks.Coding{System: TopicSystem, Code: f.Rule, Display: meta.TitleFor(drug)},
		},
	}
	// The source is cited once, in source: a link to the same page is
	// left out. A copy: the finding may be reused (a cached decision)
	// while this card is written.
	for _, l := range f.Links {
		if l.URL != src.URL {
			c.Links = append(c.Links, l)
		}
	}
	for i := range c.Links {
		if c.Links[i].Type == "" {
			// Rules cite web pages; only a SMART app link needs another type.
			c.Links[i].Type = "absolute"
		}
	}
	ext := cardExtension{
		Rule: f.Rule, Order: f.Order, Evidence: f.Evidence, Factors: f.Factors,
		PolicyRevision: b.ps.Revision,
	}
	if o != nil {
		ext.Phase = o.Phase
	}
	c.Extension = map[string]any{ExtensionKey: ext}
	for i, s := range f.Suggestions {
		sug, err := b.suggestion(f, id, i, s)
		if err != nil {
			return c, fmt.Errorf("suggestion %d (%s): %w", i, s.Kind, err)
		}
		c.Suggestions = append(c.Suggestions, sug)
	}
	if len(c.Suggestions) > 0 {
		c.SelectionBehavior = "at-most-one"
	}
	if f.Indicator == "warning" || f.Indicator == "critical" {
		c.OverrideReasons = b.ps.tables.overrideReasons
	}
	return c, nil
}

// sourceLabel reads "Rinvoq (upadacitinib) US Prescribing Information §2.5".
func sourceLabel(s Source) string {
	switch {
	case s.Section == "":
		return s.Label
	case unicode.IsDigit(rune(s.Section[0])):
		return s.Label + " " + sectionText(s.Section)
	default:
		return s.Label + ", " + s.Section
	}
}

// sectionText writes a section as card text does: "§2.1, 5.8" when it is
// numbered, else as written ("Boxed warning, 5.1").
func sectionText(section string) string {
	if section != "" && unicode.IsDigit(rune(section[0])) {
		return "§" + section
	}
	return section
}

func (b cardBuilder) order(ref string) *facts.Med {
	for i := range b.in.Orders {
		if b.in.Orders[i].Ref == ref {
			return &b.in.Orders[i]
		}
	}
	return nil
}

func (b cardBuilder) suggestion(f Finding, cardID string, i int, s SuggestionDef) (cdshooks.Suggestion, error) {
	sug := cdshooks.Suggestion{
		Label:         s.Label,
		UUID:          uuid.NewSHA1(uuid.MustParse(cardID), []byte(strconv.Itoa(i)+"\x00"+s.Kind)).String(),
		IsRecommended: s.IsRecommended,
	}
	if strings.TrimSpace(s.Label) == "" {
		return sug, fmt.Errorf("no label")
	}
	switch s.Kind {
	case SuggestDelete:
		if f.Order == "" {
			return sug, fmt.Errorf("a delete needs the finding's order")
		}
		sug.Actions = []cdshooks.Action{{Type: "delete", Description: s.Label, ResourceID: f.Order}}
	case SuggestUpdateDose:
		if s.TargetDailyDoseMg == nil || *s.TargetDailyDoseMg <= 0 {
			return sug, fmt.Errorf("an update-dose needs a positive targetDailyDoseMg")
		}
		res, err := b.rewriteDose(f.Order, *s.TargetDailyDoseMg)
		if err != nil {
			return sug, err
		}
		sug.Actions = []cdshooks.Action{{Type: "update", Description: s.Label, Resource: res}}
	case SuggestCreateLab:
		acts, err := b.labOrders(f.Order, s)
		if err != nil {
			return sug, err
		}
		sug.Actions = acts
	default:
		return sug, fmt.Errorf("unknown suggestion kind %q (want %s, %s or %s)", s.Kind, SuggestUpdateDose, SuggestDelete, SuggestCreateLab)
	}
	return sug, nil
}

// labOrders builds one LOINC-coded ServiceRequest per panel needed for the
// analytes, in the order the analytes are listed.
func (b cardBuilder) labOrders(order string, s SuggestionDef) ([]cdshooks.Action, error) {
	if len(s.Analytes) == 0 {
		return nil, fmt.Errorf("a create-lab needs analytes")
	}
	var acts []cdshooks.Action
	seen := map[string]bool{}
	for _, a := range s.Analytes {
		an := b.ps.tables.labs.Analytes[a]
		if an == nil || an.Panel == nil {
			return nil, fmt.Errorf("analyte %q has no panel in the lab table", a)
		}
		if seen[an.Panel.Code] {
			continue
		}
		seen[an.Panel.Code] = true
		system, code := terminology.SplitCode(an.Panel.Code)
		sr := labServiceRequest{
			ResourceType: "ServiceRequest", Status: "draft", Intent: "order",
			Code:       labCode{Coding: []labCoding{{System: system, Code: code, Display: an.Panel.Display}}, Text: an.Panel.Display},
			Occurrence: s.DueDate,
		}
		if b.in.Patient != nil && b.in.Patient.Ref != "" {
			sr.Subject = &fhirReference{Reference: b.in.Patient.Ref}
		}
		if order != "" {
			sr.ReasonReference = []fhirReference{{Reference: order}}
		}
		raw, err := json.Marshal(sr)
		if err != nil {
			return nil, err
		}
		desc := "Order " + an.Panel.Display
		if s.DueDate != "" {
			desc += " due " + s.DueDate
		}
		acts = append(acts, cdshooks.Action{Type: "create", Description: desc, Resource: raw})
	}
	return acts, nil
}

// labServiceRequest is the ServiceRequest a create-lab suggestion proposes.
// Its members are in the order encoding/json gives a map's keys (sorted),
// so that the suggestion's bytes are what they were when it was a map;
// a struct encodes with a fraction of the allocations.
type labServiceRequest struct {
	Code            labCode         `json:"code"`
	Intent          string          `json:"intent"`
	Occurrence      string          `json:"occurrenceDateTime,omitempty"`
	ReasonReference []fhirReference `json:"reasonReference,omitempty"`
	ResourceType    string          `json:"resourceType"`
	Status          string          `json:"status"`
	Subject         *fhirReference  `json:"subject,omitempty"`
}

type labCode struct {
	Coding []labCoding `json:"coding"`
	Text   string      `json:"text"`
}

type labCoding struct {
	Code    string `json:"code"`
	Display string `json:"display"`
	System  string `json:"system"`
}

type fhirReference struct {
	Reference string `json:"reference"`
}

// rewriteDose returns the draft MedicationRequest rewritten to the target
// daily dose, once daily. When the drug table has a product whose strength
// divides the target, the order is switched to that product and dosed in
// whole tablets, since extended-release tablets must not be split;
// otherwise the dose is written in mg and the medication kept.
func (b cardBuilder) rewriteDose(ref string, targetMg float64) (json.RawMessage, error) {
	raw, ok := b.orders[ref]
	if !ok {
		return nil, fmt.Errorf("order %s is not a draft order of this request", ref)
	}
	var res map[string]any
	if err := json.Unmarshal(raw, &res); err != nil {
		return nil, fmt.Errorf("decode order %s: %w", ref, err)
	}
	o := b.order(ref)
	var product *terminology.Product
	if o != nil && o.Target != "" {
		product = b.productFor(o.Target, targetMg)
	}
	dosage := map[string]any{}
	if ds, ok := res["dosageInstruction"].([]any); ok && len(ds) > 0 {
		if d0, ok := ds[0].(map[string]any); ok {
			for k, v := range d0 {
				dosage[k] = v
			}
		}
	}
	delete(dosage, "doseQuantity") // STU3 shape, repaired away
	delete(dosage, "maxDosePerPeriod")
	delete(dosage, "asNeededBoolean")
	dosage["timing"] = map[string]any{"repeat": map[string]any{"frequency": 1, "period": 1, "periodUnit": "d"}}
	if product != nil {
		n := targetMg / product.StrengthMg
		unit := "tablet"
		if n != 1 {
			unit = "tablets"
		}
		dosage["doseAndRate"] = []any{map[string]any{"doseQuantity": map[string]any{
			"value": n, "unit": unit, "system": "http://unitsofmeasure.org", "code": "{tbl}",
		}}}
		dosage["text"] = fmt.Sprintf("%s %s (%s mg) once daily", formatNumber(n), unit, formatNumber(targetMg))
		mcc := map[string]any{"text": product.Display}
		if codings := b.productCodings(o, product); len(codings) > 0 {
			mcc["coding"] = codings
		}
		res["medicationCodeableConcept"] = mcc
		delete(res, "medicationReference")
	} else {
		dosage["doseAndRate"] = []any{map[string]any{"doseQuantity": map[string]any{
			"value": targetMg, "unit": "mg", "system": "http://unitsofmeasure.org", "code": "mg",
		}}}
		dosage["text"] = formatNumber(targetMg) + " mg once daily"
	}
	res["dosageInstruction"] = []any{dosage}
	out, err := json.Marshal(res)
	if err != nil {
		return nil, fmt.Errorf("encode order %s: %w", ref, err)
	}
	return out, nil
}

// productCodings codes a suggested product for the order it replaces.
// A client applies a medication update only when coding[0] has a code
// (the CDS Hooks Sandbox ignores it otherwise), and reads coding[0] as the
// medication: so the first coding is the site terminology's code of the
// product in the order's own system (RxNorm, else NDC; RxNorm when the
// order was not coded), of the order code's kind for RxNorm (a clinical or
// branded drug) and an NDC product code for NDC (a package would choose a
// pack size the rule knows nothing of); then one code in each other
// system; then the profile's own codes. Without a site code only the profile's
// codes remain, and without those none: the text alone says what to order.
func (b cardBuilder) productCodings(o *facts.Med, product *terminology.Product) []any {
	drugs := b.ps.tables.drugs
	site := drugs.SiteProductCodes(o.Target, product.Display)
	var systems []string
	kind := ""
	if sc := drugs.SiteCode(o.Codes); sc != nil {
		systems, kind = append(systems, sc.System), sc.TTY
	}
	for _, c := range o.Codes {
		if sys, _ := terminology.SplitCode(c); (sys == terminology.SystemRxNorm || sys == terminology.SystemNDC) && !slices.Contains(systems, sys) {
			systems = append(systems, sys)
		}
	}
	for _, sys := range []string{terminology.SystemRxNorm, terminology.SystemNDC} {
		if !slices.Contains(systems, sys) {
			systems = append(systems, sys)
		}
	}
	// Preference among a system's codes of the product: an NDC product,
	// the order's kind of RxNorm code, the branded drug (the profiles'
	// products are branded), the clinical drug; a package last.
	rank := func(c *terminology.SiteCode) int {
		switch {
		case c.TTY == "product", c.TTY == kind && c.TTY != "package":
			return 0
		case c.TTY == "SBD":
			return 1
		case c.TTY == "package":
			return 3
		}
		return 2
	}
	var codings []any
	seen := map[string]bool{}
	for _, sys := range systems {
		var best *terminology.SiteCode
		for _, c := range site {
			if c.System == sys && (best == nil || rank(c) < rank(best)) {
				best = c
			}
		}
		if best != nil {
			seen[best.Key()] = true
			codings = append(codings, map[string]any{"system": best.System, "code": best.Code, "display": best.Name})
		}
	}
	siteKeys := map[string]bool{}
	for _, c := range site {
		siteKeys[c.Key()] = true
	}
	for _, c := range product.Codes {
		if siteKeys[c] || seen[c] {
			continue
		}
		system, code := terminology.SplitCode(c)
		codings = append(codings, map[string]any{"system": system, "code": code, "display": product.Display})
	}
	return codings
}

// productFor picks the strongest product of the target drug whose strength
// divides the target dose into whole tablets.
func (b cardBuilder) productFor(target string, targetMg float64) *terminology.Product {
	var best *terminology.Product
	for _, d := range b.ps.tables.drugs.Drugs {
		if d.Target != target {
			continue
		}
		for i := range d.Products {
			p := &d.Products[i]
			if p.StrengthMg <= 0 || strings.Contains(strings.ToLower(p.Form+" "+p.Display), "solution") {
				continue
			}
			n := targetMg / p.StrengthMg
			if n >= 1 && math.Abs(n-math.Round(n)) < 1e-9 && (best == nil || p.StrengthMg > best.StrengthMg) {
				best = p
			}
		}
	}
	return best
}

func formatNumber(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
