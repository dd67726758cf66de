package fhir

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/labelguard/labelguard/facts"
	"github.com/labelguard/labelguard/terminology"
)

// Tables is the reference data of the active policy set.
type Tables struct {
	ValueSets terminology.ValueSets
	Labs      *terminology.LabTable
	Drugs     *terminology.DrugTable
}

// Request is what Derive needs from one hook call.
type Request struct {
	Service      string
	Hook         string
	HookInstance string
	Now          time.Time
	// PatientID is context.patientId; a "Patient/" prefix is accepted.
	PatientID  string
	Selections []string     // order-select: the "Type/id" of the selected orders
	Drafts     *DraftOrders // order hooks; nil for patient-view
	Prefetch   map[string]json.RawMessage
	// ExpectedKeys are the service's prefetch keys; an absent one is a
	// missing-key data issue.
	ExpectedKeys []string
	// Cache, when set, reuses the decoding of prefetch values sent again
	// unchanged (order-select, then order-sign); nil decodes every value.
	Cache *PrefetchCache
}

// Derived is the policy input and what the card builder needs besides.
type Derived struct {
	Input facts.Input
	// OrderResources maps the ref of each order of interest to its
	// (repaired) JSON, for building update suggestions.
	OrderResources map[string]json.RawMessage
	// Repairs lists the tolerated deviations, without patient data, for
	// the log.
	Repairs []string
	// Until is the earliest resource time after the evaluation time that
	// the derivation compared with it (a result or an abatement not yet
	// happened); zero when none. The facts hold for any later time of the
	// same UTC date before it (At).
	Until time.Time

	now      time.Time            // the evaluation time
	labTimes map[string]time.Time // per analyte, its result's time
	interest []order              // the orders of interest, selected or not
}

// Active statuses (docs/clinical/conventions.md#active-medication).
var activeStatus = map[string]map[string]bool{
	"MedicationRequest":   {"active": true, "on-hold": true},
	"MedicationStatement": {"active": true, "intended": true},
}

// Derive builds the policy input from the draft orders and the prefetch.
// It fails only when the patient is not in the prefetch
// (ErrPatientUnavailable) or an order of interest cannot be read
// (*OrderError); everything else that is missing or invalid becomes a data
// issue.
func Derive(t Tables, req Request) (*Derived, error) {
	d, err := derive(t, req)
	if err != nil {
		return nil, fmt.Errorf("fhir.Derive: %w", err)
	}
	return d, nil
}

func derive(t Tables, req Request) (*Derived, error) {
	now := req.Now.UTC()
	clk := &clock{now: now}
	st := newStore()
	keys := make([]string, 0, len(req.Prefetch))
	for k := range req.Prefetch {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		// Each value is decoded on its own and merged, whether or not
		// it comes from the cache, so that both paths are one.
		st.merge(req.Cache.part(k, req.Prefetch[k]))
	}
	for _, k := range req.ExpectedKeys {
		if _, ok := req.Prefetch[k]; !ok && k != "patient" {
			// The patient is looked for in every key below; a
			// missing patient is a 412, not a data issue.
			st.issue("missing-key", k, "", 0)
		}
	}
	pid := strings.TrimPrefix(strings.TrimSpace(req.PatientID), "Patient/")
	pat := st.byRef["Patient/"+pid]
	if pid == "" || pat == nil {
		return nil, ErrPatientUnavailable
	}
	in := facts.Input{
		Version: facts.Version, Service: req.Service, Hook: req.Hook, HookInstance: req.HookInstance,
		Now: formatTime(now), Patient: patientFacts(pat.r, clk),
	}
	out := &Derived{} // OrderResources: selectOrders
	if req.Drafts != nil {
		out.Repairs = append(out.Repairs, req.Drafts.Repairs...)
	}
	out.Repairs = append(out.Repairs, st.repairs...)

	draftRefs := map[string]bool{}
	if req.Drafts != nil {
		for _, o := range req.Drafts.Orders {
			draftRefs[o.Ref] = true
		}
	}
	resolve := func(ref string) *medication {
		if m := st.medication(ref); m != nil {
			return m
		}
		return req.Drafts.medication(ref)
	}
	labs := labCollector{t: t, clk: clk, labs: map[string]facts.Lab{}, times: map[string]time.Time{}, issues: st.issue}
	var active []facts.Med
	dispense := map[string]facts.Dispense{}
	for _, it := range st.items {
		r := it.r
		if otherPatient(st, r, pid) {
			st.issue("dropped", it.key, "another patient's resource", 1)
			continue
		}
		switch r.ResourceType {
		case "Condition":
			in.Conditions = append(in.Conditions, conditionFacts(r, clk))
		case "Immunization":
			if im, ok := immunizationFacts(r); ok {
				in.Immunizations = append(in.Immunizations, im)
			}
		case "AllergyIntolerance":
			in.Allergies = append(in.Allergies, allergyFacts(r))
		case "Observation":
			labs.add(it.key, r)
		case "MedicationRequest", "MedicationStatement":
			// The draft order being checked is not an active
			// medication, even if the EHR also returns it.
			if !activeStatus[r.ResourceType][lower(r.Status)] || draftRefs[it.ref] {
				continue
			}
			v := viewFromLight(r)
			m := buildMed(t, &v, resolve)
			m.Active = true
			active = append(active, m)
			if d, ok := dispenseOf(&v); ok {
				dispense[m.Ref] = d
			}
		}
	}
	if len(labs.labs) > 0 {
		in.Labs = labs.labs
		out.labTimes = labs.times
	}
	orders, drafts, notes, err := deriveOrders(t, req, now, active, resolve, dispense)
	if err != nil {
		return nil, err
	}
	out.Repairs = append(out.Repairs, notes...)
	in.Medications = append(active, drafts...)
	if len(dispense) > 0 {
		in.Dispense = dispense
	}
	in.DataIssues = st.dataIssues()
	annotateValueSets(t, &in, orders)
	out.Input = in
	out.now, out.Until, out.interest = now, clk.until, orders
	out.selectOrders(req.Hook, req.Selections) // after Now is set
	return out, nil
}

// otherPatient reports whether a resource names a different patient as its
// subject: such a resource must never inform this patient's checks.
func otherPatient(st *store, r *resource, pid string) bool {
	other := func(ref *looseRef) bool {
		if ref == nil {
			return false
		}
		got, ok := strings.CutPrefix(st.resolve(ref.Reference), "Patient/")
		return ok && got != pid
	}
	return other(r.Subject) || other(r.Patient)
}

type order struct {
	med  facts.Med
	json json.RawMessage
	// startedNow: med.Started is the evaluation time (initiation).
	startedNow bool
}

// deriveOrders finds the orders of interest (docs/clinical/conventions.md#orders-of-interest), whether or not
// order-select selected them (selectOrders applies the selection), and
// returns them with every draft order as a medication fact; it adds each
// draft's dispense to dispense.
func deriveOrders(t Tables, req Request, now time.Time, active []facts.Med, resolve medResolver, dispense map[string]facts.Dispense) ([]order, []facts.Med, []string, error) {
	if req.Drafts == nil {
		return nil, nil, nil, nil
	}
	type draft struct {
		o   *DraftOrder
		med facts.Med
		v   *medView
	}
	var drafts []draft
	targetPresent := false
	for _, m := range active {
		if m.Target != "" {
			targetPresent = true
		}
	}
	for _, o := range req.Drafts.Orders {
		if o.view == nil {
			continue
		}
		m := buildMed(t, o.view, resolve)
		m.Draft = true
		if m.Target != "" {
			targetPresent = true
		}
		drafts = append(drafts, draft{o: o, med: m, v: o.view})
	}
	var orders []order
	var notes []string
	meds := make([]facts.Med, 0, len(drafts))
	for _, dr := range drafts {
		m, view := dr.med, dr.v
		interest := m.Target != "" || targetPresent && interacting(t, &m)
		if interest {
			// The orders the service checks are read from the typed
			// R4 parse.
			v, n, err := dr.o.typedView(req.Cache)
			if err != nil {
				return nil, nil, nil, err
			}
			notes = append(notes, n...)
			m = buildMed(t, v, resolve)
			m.Ref = dr.o.Ref // keep the id assigned to an id-less order
			m.Draft = true
			view = v
		}
		meds = append(meds, m)
		if d, ok := dispenseOf(view); ok {
			dispense[m.Ref] = d
		}
		if !interest {
			continue
		}
		om := m
		startedNow := false
		if om.Target != "" {
			om.Phase, om.Started, startedNow = phase(&om, active, now)
		}
		orders = append(orders, order{med: om, json: dr.o.JSON, startedNow: startedNow})
	}
	return orders, meds, notes, nil
}

// phase applies docs/clinical/conventions.md#initiation-and-continuation: continuation when an active medication has the
// same target, or the order is not a draft (re-signed), or it carries
// priorPrescription; other draft orders never count. Started is the earliest
// start among those active medications, else now.
func phase(m *facts.Med, active []facts.Med, now time.Time) (phase, started string, startedNow bool) {
	var earliest time.Time
	found := false
	for _, a := range active {
		if a.Target != m.Target || a.Ref == m.Ref {
			continue
		}
		found = true
		if t, ok := parseTime(a.Start); ok && (earliest.IsZero() || t.Before(earliest)) {
			earliest = t
		}
	}
	started, startedNow = formatTime(now), earliest.IsZero()
	if !startedNow {
		started = formatTime(earliest)
	}
	if found || m.Status != "draft" || m.PriorPrescription {
		return "continuation", started, startedNow
	}
	return "initiation", started, startedNow
}

// HasCandidates reports whether any draft order could be an order of
// interest: a target drug, or a drug in one of the interacting value sets
// (by code or name). It reads the draft orders only, so that a request with
// nothing to check is answered at once without touching the prefetch. A
// medication given only by a reference it cannot resolve here (and without
// a display) counts as a candidate: Derive may resolve it from the prefetch.
func (d *DraftOrders) HasCandidates(t Tables) bool {
	if d == nil {
		return false
	}
	for _, o := range d.Orders {
		if o.view == nil {
			continue
		}
		v := o.view
		if v.Concept == nil && v.MedRef != "" && v.MedRefDisplay == "" && v.medication(d.medication) == nil {
			return true
		}
		m := buildMed(t, v, d.medication)
		if m.Target != "" || interacting(t, &m) {
			return true
		}
		if t.Drugs != nil {
			for _, ing := range m.Ingredients {
				if dr := t.Drugs.Drugs[ing]; dr != nil && (dr.Target != "" || dr.TopicalTarget != "") {
					return true
				}
			}
		}
	}
	return false
}

// annotateValueSets records each resource's value set membership once, in
// Go, so that policies test membership with one lookup instead of matching
// every code and name of every value set in every rule (which cost most of
// the evaluation time when done in Rego). The orders of interest are
// annotated where they are kept (Derived.selectOrders copies them into
// the input).
func annotateValueSets(t Tables, in *facts.Input, orders []order) {
	vs := matcherFor(t.ValueSets)
	for i := range orders {
		orders[i].med.ValueSets = vs.membership(orders[i].med.Codes, orders[i].med.Text)
	}
	for i := range in.Medications {
		in.Medications[i].ValueSets = vs.membership(in.Medications[i].Codes, in.Medications[i].Text)
	}
	for i := range in.Conditions {
		in.Conditions[i].ValueSets = vs.membership(in.Conditions[i].Codes, in.Conditions[i].Text)
	}
	for i := range in.Immunizations {
		in.Immunizations[i].ValueSets = vs.membership(in.Immunizations[i].Codes, in.Immunizations[i].Text)
	}
	for i := range in.Allergies {
		in.Allergies[i].ValueSets = vs.membership(in.Allergies[i].Codes, in.Allergies[i].Text)
	}
	for id, lab := range in.Labs {
		if len(lab.ValueCodes) > 0 || lab.ValueText != "" {
			sets := vs.membership(lab.ValueCodes, lab.ValueText)
			lab.ValueSets = &sets
			in.Labs[id] = lab
		}
	}
}
