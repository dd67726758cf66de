package playground

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/labelguard/labelguard/cdshooks"
	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/internal/record"
	"github.com/labelguard/labelguard/pipeline"
)

// Summary is the short patient summary the page shows. It is computed with
// the same derivation the rules see (fhir.Derive), so "active" and "latest"
// mean what they mean to the policies.
type Summary struct {
	PatientID string `json:"patientId"`
	Name      string `json:"name,omitempty"`
	Sex       string `json:"sex,omitempty"`
	BirthDate string `json:"birthDate,omitempty"`
	AgeYears  *int   `json:"ageYears,omitempty"`
	Deceased  bool   `json:"deceased,omitempty"`
	// AsOf is the evaluation time ages and lab ages are computed at.
	AsOf string `json:"asOf"`
	// Conditions are the active ones; Key marks those in a value set the
	// rules use, listed first.
	Conditions  []Item `json:"conditions"`
	Medications []Item `json:"medications"`
	Allergies   []Item `json:"allergies"`
	// Labs are the latest result of each analyte of the lab table.
	Labs []Lab `json:"labs"`
	// Resources counts the record's resources by type.
	Resources map[string]int `json:"resources"`
}

// Item is one condition, medication or allergy.
type Item struct {
	Ref     string `json:"ref"`
	Display string `json:"display"`
	Since   string `json:"since,omitempty"`
	Key     bool   `json:"key,omitempty"`
}

// Lab is one latest lab result.
type Lab struct {
	Analyte string  `json:"analyte"`
	Display string  `json:"display"`
	Value   string  `json:"value"`
	Time    string  `json:"time"`
	AgeDays float64 `json:"ageDays"`
	Ref     string  `json:"ref"`
}

// summarize derives the record as a patient-view call of the whole record
// through the pipeline, as every request is: the summary shows what the
// rules would see.
func summarize(ctx context.Context, ps *engine.PolicySet, rec *record.Patient, now time.Time) (*Summary, error) {
	_, labs, _ := ps.Tables()
	pf, err := rawPrefetch(prefetchFor(rec, recordService))
	if err != nil {
		return nil, err
	}
	hookContext, err := json.Marshal(map[string]string{"patientId": rec.ID, "userId": "Practitioner/playground"})
	if err != nil {
		return nil, err
	}
	req := &cdshooks.Request{Hook: cdshooks.HookPatientView, HookInstance: "playground-summary", Context: hookContext, Prefetch: pf}
	hc, err := cdshooks.DecodeContext(req.Hook, req.Context)
	if err != nil {
		return nil, err
	}
	d, err := (&pipeline.Pipeline{}).Derive(ctx, pipeline.Call{
		Policies: ps, Service: engine.Service{Service: recordService}, Request: req, Context: hc, Now: now,
	})
	if err != nil {
		return nil, err
	}
	in := d.Input
	s := &Summary{
		PatientID: rec.ID, AsOf: in.Now, Resources: map[string]int{},
		Conditions: []Item{}, Medications: []Item{}, Allergies: []Item{}, Labs: []Lab{},
	}
	for _, r := range rec.Resources {
		rt, _ := r["resourceType"].(string)
		s.Resources[rt]++
		if rt == "Patient" {
			s.Name = patientName(r)
		}
	}
	if pt := in.Patient; pt != nil {
		s.Sex, s.BirthDate, s.AgeYears, s.Deceased = pt.Sex, pt.BirthDate, pt.AgeYears, pt.Deceased
	}
	for _, c := range in.Conditions {
		if c.Active {
			s.Conditions = append(s.Conditions, Item{Ref: c.Ref, Display: orRef(c.Display, c.Ref), Since: dateOf(c.Onset), Key: len(c.ValueSets) > 0})
		}
	}
	sort.SliceStable(s.Conditions, func(i, j int) bool { return s.Conditions[i].Key && !s.Conditions[j].Key })
	for _, m := range in.Medications {
		if m.Active {
			s.Medications = append(s.Medications, Item{Ref: m.Ref, Display: orRef(m.Display, m.Ref), Since: dateOf(m.Start), Key: m.Target != "" || len(m.ValueSets) > 0})
		}
	}
	for _, a := range in.Allergies {
		if a.Active {
			s.Allergies = append(s.Allergies, Item{Ref: a.Ref, Display: orRef(a.Display, a.Ref), Key: len(a.ValueSets) > 0})
		}
	}
	for id, l := range in.Labs {
		display := id
		if an := labs.Analytes[id]; an != nil && an.Display != "" {
			display = an.Display
		}
		s.Labs = append(s.Labs, Lab{Analyte: id, Display: display, Value: labValue(l.Value, l.Unit, l.Result, cmp.Or(l.ValueDisplay, strings.TrimSpace(l.ValueText))),
			Time: l.Time, AgeDays: l.AgeDays, Ref: l.Ref})
	}
	sort.Slice(s.Labs, func(i, j int) bool { return s.Labs[i].Display < s.Labs[j].Display })
	return s, nil
}

func patientName(r map[string]any) string {
	names, _ := r["name"].([]any)
	if len(names) == 0 {
		return ""
	}
	n, _ := names[0].(map[string]any)
	if t, ok := n["text"].(string); ok && t != "" {
		return t
	}
	var parts []string
	given, _ := n["given"].([]any)
	for _, g := range given {
		if s, ok := g.(string); ok {
			parts = append(parts, s)
		}
	}
	if f, ok := n["family"].(string); ok {
		parts = append(parts, f)
	}
	return strings.Join(parts, " ")
}

func labValue(v *float64, unit, result, text string) string {
	switch {
	case v != nil:
		return strings.TrimSpace(strconv.FormatFloat(*v, 'g', 4, 64) + " " + unit)
	case result != "":
		return result
	default:
		return text
	}
}

func orRef(display, ref string) string {
	if strings.TrimSpace(display) == "" {
		return ref
	}
	return display
}

func dateOf(t string) string {
	if len(t) >= 10 {
		return t[:10]
	}
	return t
}

// rawPrefetch turns a prefetch map into the raw form fhir.Derive reads.
func rawPrefetch(pf map[string]any) (map[string]json.RawMessage, error) {
	out := make(map[string]json.RawMessage, len(pf))
	for k, v := range pf {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("prefetch %s: %w", k, err)
		}
		out[k] = b
	}
	return out, nil
}
