package scenario

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/labelguard/labelguard/cdshooks"
	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/internal/record"
	"github.com/labelguard/labelguard/policies"
)

// SyntheticPatientID is the id of the synthetic patient when the scenario's
// patient has none.
const SyntheticPatientID = "synthetic-patient"

// ErrUnknownService is returned when the policy set declares no service
// with the scenario's service ID.
var ErrUnknownService = errors.New("no service")

var hookNamespace = uuid.MustParse("0b7f2f0e-5a7e-4d6b-9a43-6f4c2b1d9e21")

// Request builds the CDS Hooks request an EHR would send for the scenario,
// with the prefetch keys the default policy set declares for the
// scenario's service, and decodes it as the service does. It returns the
// decoded request and context and the evaluation time.
func (s Scenario) Request() (*cdshooks.Request, *cdshooks.HookContext, time.Time, error) {
	svc, err := defaultService(s.ServiceID())
	if err != nil {
		return nil, nil, time.Time{}, fmt.Errorf("scenario %s: %w", s.Name, err)
	}
	return s.RequestFor(svc)
}

// RequestFor is Request for a given service declaration (its prefetch
// templates decide the keys and the observation codes).
func (s Scenario) RequestFor(svc cdshooks.Service) (*cdshooks.Request, *cdshooks.HookContext, time.Time, error) {
	fail := func(err error) (*cdshooks.Request, *cdshooks.HookContext, time.Time, error) {
		return nil, nil, time.Time{}, fmt.Errorf("scenario %s: %w", s.Name, err)
	}
	now, err := time.Parse(time.RFC3339, s.Now)
	if err != nil {
		return fail(fmt.Errorf("now: %w", err))
	}
	p, err := s.patient()
	if err != nil {
		return fail(err)
	}
	prefetch, err := splitPrefetch(p, svc)
	if err != nil {
		return fail(err)
	}
	for k, v := range s.Prefetch {
		var str string
		switch {
		case bytes.Equal(bytes.TrimSpace(v), []byte("null")):
			prefetch[k] = nil
		case json.Unmarshal(v, &str) == nil && str == Absent:
			delete(prefetch, k)
		default:
			prefetch[k] = v
		}
	}
	hookInstance := uuid.NewSHA1(hookNamespace, []byte(s.Name)).String()
	var body record.Resource
	if s.hook() == cdshooks.HookPatientView {
		body = record.Resource{
			"hook":         s.hook(),
			"hookInstance": hookInstance,
			"context":      map[string]any{"userId": "Practitioner/example", "patientId": p.ID},
			"prefetch":     prefetch,
		}
	} else {
		drafts, err := copyResources(s.Drafts)
		if err != nil {
			return fail(fmt.Errorf("drafts: %w", err))
		}
		for _, d := range drafts {
			setSubject(d, p.ID)
		}
		body = record.Request(s.hook(), hookInstance, p.ID, prefetch, drafts, s.Selections)
		// The scenario's data are exactly the prefetch: no FHIR server to
		// fetch anything else from.
		delete(body, "fhirServer")
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return fail(err)
	}
	req, err := cdshooks.DecodeRequest(bytes.NewReader(raw), cdshooks.Limits{})
	if err != nil {
		return fail(fmt.Errorf("decode request: %w", err))
	}
	hc, err := cdshooks.DecodeContext(req.Hook, req.Context)
	if err != nil {
		return fail(fmt.Errorf("decode context: %w", err))
	}
	return req, hc, now, nil
}

// patient builds the patient's record: the base bundle or a synthetic
// Patient, with the overrides, removals and additions of the scenario.
func (s Scenario) patient() (*record.Patient, error) {
	var p *record.Patient
	if s.Base != "" {
		var err error
		if p, err = record.Load(s.basePath()); err != nil {
			return nil, err
		}
		for _, r := range p.Of("Patient") {
			for k, v := range s.Patient {
				if v == nil {
					delete(r, k)
				} else {
					r[k] = copyValue(v)
				}
			}
		}
		p.Resources = removeResources(p.Resources, s.Remove)
	} else {
		pat := record.Resource{}
		for k, v := range s.Patient {
			if v != nil {
				pat[k] = copyValue(v)
			}
		}
		pat["resourceType"] = "Patient"
		if id, _ := pat["id"].(string); id == "" {
			pat["id"] = SyntheticPatientID
		}
		p = &record.Patient{ID: pat["id"].(string), Resources: []record.Resource{pat}}
	}
	add, err := copyResources(s.Add)
	if err != nil {
		return nil, fmt.Errorf("add: %w", err)
	}
	for i, r := range add {
		if id, _ := r["id"].(string); id == "" {
			r["id"] = fmt.Sprintf("add-%d", i+1)
		}
		setSubject(r, p.ID)
	}
	p.Add(add...)
	return p, nil
}

// removeResources drops resources by type ("Condition") or reference
// ("Condition/<id>").
func removeResources(rs []record.Resource, remove []string) []record.Resource {
	if len(remove) == 0 {
		return rs
	}
	drop := map[string]bool{}
	for _, r := range remove {
		drop[r] = true
	}
	var out []record.Resource
	for _, r := range rs {
		rt, _ := r["resourceType"].(string)
		if drop[rt] || drop[ref(r)] {
			continue
		}
		out = append(out, r)
	}
	return out
}

// patientField is the reference field naming the patient, per type.
var patientField = map[string]string{
	"Immunization":       "patient",
	"AllergyIntolerance": "patient",
}

// setSubject points a resource at the patient unless it already names one.
func setSubject(r record.Resource, patientID string) {
	rt, _ := r["resourceType"].(string)
	field := patientField[rt]
	if field == "" {
		field = "subject"
	}
	if _, ok := r[field]; !ok {
		r[field] = map[string]any{"reference": "Patient/" + patientID}
	}
}

// splitPrefetch splits the record into the service's prefetch keys, as a
// FHIR server answering its templates would: package record does the split;
// the observations are those whose LOINC code the template lists (all of
// them when the template names no code).
func splitPrefetch(p *record.Patient, svc cdshooks.Service) (map[string]any, error) {
	var loinc map[string]bool // "system|code" keys
	for _, tmpl := range svc.Prefetch {
		if resourceType(tmpl) == "Observation" {
			if codes := templateCodes(tmpl); codes != nil {
				if loinc == nil {
					loinc = map[string]bool{}
				}
				for _, c := range codes {
					loinc[c] = true
				}
			}
		}
	}
	all := p.Prefetch(loinc)
	out := map[string]any{}
	for key, tmpl := range svc.Prefetch {
		v, ok := all[key]
		if !ok {
			return nil, fmt.Errorf("service %s: prefetch key %q (%s) is not one package record knows", svc.ID, key, tmpl)
		}
		out[key] = v
	}
	return out, nil
}

// resourceType is the type a prefetch template queries.
func resourceType(tmpl string) string {
	if i := strings.IndexAny(tmpl, "?/"); i >= 0 {
		return tmpl[:i]
	}
	return tmpl
}

// templateCodes returns the LOINC codes of a template's code parameter;
// nil when it has none.
func templateCodes(tmpl string) []string {
	_, query, ok := strings.Cut(tmpl, "?")
	if !ok {
		return nil
	}
	var codes []string
	found := false
	for _, param := range strings.Split(query, "&") {
		name, value, _ := strings.Cut(param, "=")
		if name != "code" {
			continue
		}
		found = true
		for _, tok := range strings.Split(value, ",") {
			if !strings.Contains(tok, "|") {
				tok = "http://loinc.org|" + tok
			}
			codes = append(codes, tok)
		}
	}
	if !found {
		return nil
	}
	return codes
}

// defaultServices are the services of the default policy set as
// discovery publishes them (shared templates given to each, placeholders
// filled in). The embedded set does not change: read once.
var defaultServices = sync.OnceValues(func() ([]engine.Service, error) {
	return engine.LoadServices(policies.FS)
})

// defaultService returns a service declaration of the default policy set.
func defaultService(id string) (cdshooks.Service, error) {
	svcs, err := defaultServices()
	if err != nil {
		return cdshooks.Service{}, err
	}
	for _, s := range svcs {
		if s.ID == id {
			svc := s.Service
			svc.Prefetch = maps.Clone(svc.Prefetch) // the cached set is shared
			return svc, nil
		}
	}
	return cdshooks.Service{}, fmt.Errorf("%w %q in the default policy set", ErrUnknownService, id)
}

func copyResources(rs []Resource) ([]record.Resource, error) {
	out := make([]record.Resource, 0, len(rs))
	for _, r := range rs {
		c, ok := copyValue(r).(map[string]any)
		if !ok {
			return nil, fmt.Errorf("not an object")
		}
		out = append(out, c)
	}
	return out, nil
}

// copyValue deep-copies decoded JSON so that a scenario can be run twice.
func copyValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = copyValue(e)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = copyValue(e)
		}
		return l
	}
	return v
}
