package playground

import (
	"bytes"
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/labelguard/labelguard/cdshooks"
	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/internal/record"
)

const rxNormSystem = "http://www.nlm.nih.gov/research/umls/rxnorm"

// DraftOrderID is the id of the draft MedicationRequest the playground
// builds; cards about it name MedicationRequest/playground-order-1.
const DraftOrderID = "playground-order-1"

// OrderForm is what the reviewer chose: the hook and, for the order hooks,
// the medication and its dosage.
type OrderForm struct {
	Hook string `json:"hook"`
	// DrugName is the medication's name as an EHR would send it (a drug
	// table product such as "upadacitinib 45 MG Extended Release Oral
	// Tablet [Rinvoq]", or any name).
	DrugName string `json:"drugName,omitempty"`
	// RxNorm is an optional RxNorm code (digits).
	RxNorm string `json:"rxnorm,omitempty"`
	// Dose per administration in Unit (mg, tablet, mL, g).
	Dose float64 `json:"dose,omitempty"`
	Unit string  `json:"unit,omitempty"`
	// Frequency is a GTS abbreviation (QD, BID, ...).
	Frequency string `json:"frequency,omitempty"`
}

type doseUnit struct{ code, unit string }

// doseUnits are the units the form offers, with their UCUM codes.
var doseUnits = map[string]doseUnit{
	"mg": {"mg", "mg"}, "tablet": {"{tbl}", "tablet"}, "mL": {"mL", "mL"}, "g": {"g", "g"},
}

// frequencies are the GTS abbreviations the form offers; the dose
// derivation (fhir/dose.go) reads each of them.
var frequencies = map[string]string{
	"QD": "once daily", "BID": "twice daily", "TID": "three times daily", "QID": "four times daily",
	"QOD": "every other day", "Q12H": "every 12 hours", "Q8H": "every 8 hours",
}

// repeats spell each frequency as timing.repeat too, as most EHRs send.
var repeats = map[string][3]any{
	"QD": {1, 1, "d"}, "BID": {2, 1, "d"}, "TID": {3, 1, "d"}, "QID": {4, 1, "d"},
	"QOD": {1, 2, "d"}, "Q12H": {1, 12, "h"}, "Q8H": {1, 8, "h"},
}

var rxNormPattern = regexp.MustCompile(`^[0-9]{1,12}$`)

// validate checks the form and names the field at fault.
func (o *OrderForm) validate() error {
	bad := func(format string, args ...any) error {
		return badInput(http.StatusBadRequest, "invalid_order", format, args...)
	}
	switch o.Hook {
	case cdshooks.HookOrderSelect, cdshooks.HookOrderSign:
	case cdshooks.HookPatientView:
		return nil
	default:
		return bad("hook: must be order-select, order-sign or patient-view")
	}
	o.DrugName = strings.TrimSpace(o.DrugName)
	if o.DrugName == "" || len(o.DrugName) > 200 {
		return bad("drugName: required, at most 200 characters")
	}
	if o.RxNorm != "" && !rxNormPattern.MatchString(o.RxNorm) {
		return bad("rxnorm: an RxNorm code is digits only")
	}
	if !(o.Dose > 0 && o.Dose <= 1e5) {
		return bad("dose: must be a number above 0")
	}
	if _, ok := doseUnits[o.Unit]; !ok {
		return bad("unit: must be one of mg, tablet, mL, g")
	}
	if _, ok := frequencies[o.Frequency]; !ok {
		return bad("frequency: must be one of QD, BID, TID, QID, QOD, Q12H, Q8H")
	}
	return nil
}

// requestBody is POST /playground/api/request: a sample ID or an uploaded
// bundle, and the order.
type requestBody struct {
	Sample string          `json:"sample,omitempty"`
	Bundle json.RawMessage `json:"bundle,omitempty"`
	// AsOf dates the draft order (authoredOn); empty: the sample's own
	// as-of time, or now. The record is moved by the sample's MovedDays
	// whatever AsOf is, so that AsOf means the same day it shows.
	AsOf string `json:"asOf,omitempty"`
	OrderForm
}

// BuiltRequest is the answer: the service to call and the exact request.
type BuiltRequest struct {
	ServiceID string `json:"serviceId"`
	// URL is the service's path on this server, where the page POSTs the
	// request as an EHR would.
	URL     string         `json:"url"`
	Request map[string]any `json:"request"`
}

// POST /playground/api/request
func (p *Playground) buildRequest(c *gin.Context) {
	ps := p.policies(c)
	if ps == nil {
		return
	}
	// The body may carry a whole uploaded bundle besides the form.
	body, ok := readBody(c, p.cfg.MaxUploadBytes+64<<10)
	if !ok {
		return
	}
	var rb requestBody
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rb); err != nil {
		writeError(c, http.StatusBadRequest, "invalid_request",
			"body must be {sample | bundle, asOf, hook, drugName, rxnorm, dose, unit, frequency}")
		return
	}
	if err := rb.OrderForm.validate(); err != nil {
		writeInputError(c, err)
		return
	}
	rec, info, ok := p.recordFor(c, rb.Sample, rb.Bundle)
	if !ok {
		return
	}
	asOf, err := p.asOf(rb.AsOf, info)
	if err != nil {
		writeInputError(c, err)
		return
	}
	svc, ok := serviceFor(ps, rb.Hook)
	if !ok {
		writeError(c, http.StatusUnprocessableEntity, "no_service", "the active policy set has no service for hook "+rb.Hook)
		return
	}
	req := cdsRequest(rec, svc, rb.OrderForm, asOf)
	c.JSON(http.StatusOK, BuiltRequest{ServiceID: svc.ID, URL: "/cds-services/" + svc.ID, Request: req})
}

// recordFor resolves exactly one of a sample ID and an uploaded bundle; a
// sample's record is moved to the playground's clock, as its summary was.
func (p *Playground) recordFor(c *gin.Context, sampleID string, bundle json.RawMessage) (*record.Patient, SampleInfo, bool) {
	hasBundle := len(bytes.TrimSpace(bundle)) > 0 && !bytes.Equal(bytes.TrimSpace(bundle), []byte("null"))
	switch {
	case sampleID != "" && hasBundle:
		writeError(c, http.StatusBadRequest, "invalid_request", "give either sample or bundle, not both")
		return nil, SampleInfo{}, false
	case sampleID != "":
		s := p.lookupSample(c, sampleID)
		if s == nil {
			return nil, SampleInfo{}, false
		}
		now := p.cfg.Now()
		info := s.info(now)
		rec, err := p.record(s, s.move(now))
		if err != nil {
			writeError(c, http.StatusInternalServerError, "internal_error", "the sample could not be read; see the service log")
			return nil, SampleInfo{}, false
		}
		return rec, info, true
	case hasBundle:
		rec, err := parseBundle(bundle)
		if err != nil {
			writeInputError(c, err)
			return nil, SampleInfo{}, false
		}
		return rec, SampleInfo{}, true
	}
	writeError(c, http.StatusBadRequest, "invalid_request", "a sample id or an uploaded bundle is required")
	return nil, SampleInfo{}, false
}

// serviceFor picks the active set's first service for the hook.
func serviceFor(ps *engine.PolicySet, hook string) (engine.Service, bool) {
	for _, s := range ps.Services {
		if s.Hook == hook {
			return s, true
		}
	}
	return engine.Service{}, false
}

// cdsRequest builds the request an EHR would send: the record split into the
// service's prefetch keys as a FHIR server answering its templates would,
// and for the order hooks one draft MedicationRequest. fhirServer is left
// out so that the service fetches nothing: the prefetch is the whole record.
func cdsRequest(rec *record.Patient, svc engine.Service, o OrderForm, now time.Time) map[string]any {
	pf := prefetchFor(rec, svc.Service)
	hookInstance := uuid.NewString()
	if o.Hook == cdshooks.HookPatientView {
		return map[string]any{
			"hook": o.Hook, "hookInstance": hookInstance,
			"context":  map[string]any{"userId": "Practitioner/playground", "patientId": rec.ID},
			"prefetch": pf,
		}
	}
	body := record.Request(o.Hook, hookInstance, rec.ID, pf, []record.Resource{draftOrder(rec.ID, o, now)}, nil)
	delete(body, "fhirServer")
	ctx := body["context"].(map[string]any)
	ctx["userId"] = "Practitioner/playground"
	return body
}

// draftOrder builds the draft MedicationRequest from the form.
func draftOrder(patientID string, o OrderForm, now time.Time) record.Resource {
	u := doseUnits[o.Unit]
	rep := repeats[o.Frequency]
	mcc := map[string]any{"text": o.DrugName}
	if o.RxNorm != "" {
		mcc["coding"] = []any{map[string]any{"system": rxNormSystem, "code": o.RxNorm, "display": o.DrugName}}
	}
	route := map[string]any{"system": "http://snomed.info/sct", "code": "26643006", "display": "Oral route"}
	if n := strings.ToLower(o.DrugName); strings.Contains(n, "cream") || strings.Contains(n, "topical") {
		route = map[string]any{"system": "http://snomed.info/sct", "code": "6064005", "display": "Topical route"}
	}
	dose := strconv.FormatFloat(o.Dose, 'f', -1, 64)
	return record.Resource{
		"resourceType":              "MedicationRequest",
		"id":                        DraftOrderID,
		"status":                    "draft",
		"intent":                    "order",
		"medicationCodeableConcept": mcc,
		"subject":                   map[string]any{"reference": "Patient/" + patientID},
		"authoredOn":                now.UTC().Format("2006-01-02"),
		"dosageInstruction": []any{map[string]any{
			"text": dose + " " + u.unit + " " + frequencies[o.Frequency],
			"timing": map[string]any{
				"repeat": map[string]any{"frequency": rep[0], "period": rep[1], "periodUnit": rep[2]},
				"code": map[string]any{"coding": []any{map[string]any{
					"system": "http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation", "code": o.Frequency}}},
			},
			"route": map[string]any{"coding": []any{route}},
			"doseAndRate": []any{map[string]any{"doseQuantity": map[string]any{
				"value": o.Dose, "unit": u.unit, "system": "http://unitsofmeasure.org", "code": u.code,
			}}},
		}},
	}
}

// prefetchFor splits the record into the service's prefetch keys:
// observations are those whose code the service's Observation templates
// list (all of them when no template lists codes), as the scenario package
// does. Keys package record does not know are left out, and the service
// reports them missing, as it would for an EHR that did not prefetch them.
func prefetchFor(rec *record.Patient, svc cdshooks.Service) map[string]any {
	var codes map[string]bool
	for _, tmpl := range svc.Prefetch {
		if templateType(tmpl) != "Observation" {
			continue
		}
		if cs := templateCodes(tmpl); cs != nil {
			if codes == nil {
				codes = map[string]bool{}
			}
			for _, c := range cs {
				codes[c] = true
			}
		}
	}
	all := rec.Prefetch(codes)
	out := map[string]any{}
	for key := range svc.Prefetch {
		if v, ok := all[key]; ok {
			out[key] = v
		}
	}
	return out
}

func templateType(tmpl string) string {
	if i := strings.IndexAny(tmpl, "?/"); i >= 0 {
		return tmpl[:i]
	}
	return tmpl
}

// templateCodes returns the system|code tokens of a template's code
// parameter (bare codes are LOINC); nil when it has none.
func templateCodes(tmpl string) []string {
	_, query, ok := strings.Cut(tmpl, "?")
	if !ok {
		return nil
	}
	var codes []string
	for _, param := range strings.Split(query, "&") {
		name, value, _ := strings.Cut(param, "=")
		if name != "code" {
			continue
		}
		for _, tok := range strings.Split(value, ",") {
			if !strings.Contains(tok, "|") {
				tok = "http://loinc.org|" + tok
			}
			if !slices.Contains(codes, tok) {
				codes = append(codes, tok)
			}
		}
	}
	return codes
}
