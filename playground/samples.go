package playground

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/labelguard/labelguard/cdshooks"
	"github.com/labelguard/labelguard/internal/record"
	"github.com/labelguard/labelguard/scenario"
)

// Sample kinds.
const (
	kindSynthea  = "synthea"
	kindScenario = "scenario"
)

// SampleInfo is one entry of GET /playground/api/samples.
type SampleInfo struct {
	ID          string `json:"id"`
	Kind        string `json:"kind"`
	Label       string `json:"label"`
	Description string `json:"description,omitempty"`
	Sex         string `json:"sex,omitempty"`
	BirthDate   string `json:"birthDate,omitempty"`
	// Order is the scenario's first draft order, to prefill the form.
	Order *OrderForm `json:"order,omitempty"`
}

type sample struct {
	SampleInfo
	file     string             // Synthea bundle path
	scenario *scenario.Scenario // scenario samples
}

type sampleIndex struct {
	list []*sample
	byID map[string]*sample
}

// loadSamples indexes dir/patients (Synthea bundles) and dir/scenarios.
// Problems are logged and the affected samples left out: a playground
// without samples still serves uploads.
func loadSamples(dir string, log *slog.Logger) *sampleIndex {
	idx := &sampleIndex{byID: map[string]*sample{}}
	if dir == "" {
		return idx
	}
	add := func(s *sample) {
		idx.list = append(idx.list, s)
		idx.byID[s.ID] = s
	}
	paths, _ := filepath.Glob(filepath.Join(dir, "patients", "*.json"))
	sort.Strings(paths)
	bases := map[string]*sample{}
	for _, path := range paths {
		info, err := peekPatient(path)
		if err != nil {
			log.Warn("playground: sample patient skipped", slog.String("file", filepath.Base(path)), slog.String("error", err.Error()))
			continue
		}
		s := &sample{SampleInfo: info, file: path}
		base := filepath.Base(path)
		s.ID = kindSynthea + ":" + strings.TrimSuffix(base, ".json")
		s.Kind = kindSynthea
		bases[base] = s
		add(s)
	}
	sdir := filepath.Join(dir, "scenarios")
	if st, err := os.Stat(sdir); err == nil && st.IsDir() {
		scs, err := scenario.Load(sdir)
		if err != nil {
			log.Warn("playground: scenarios skipped", slog.String("error", err.Error()))
		}
		for i := range scs {
			sc := &scs[i]
			s := &sample{scenario: sc, SampleInfo: SampleInfo{
				ID:          kindScenario + ":" + strings.TrimSuffix(filepath.Base(sc.File), ".json"),
				Kind:        kindScenario,
				Label:       sc.Name,
				Description: sc.Description,
				Order:       scenarioOrder(sc),
			}}
			if b := bases[sc.Base]; b != nil {
				s.Sex, s.BirthDate = b.Sex, b.BirthDate
			}
			if v, ok := sc.Patient["gender"].(string); ok {
				s.Sex = v
			}
			if v, ok := sc.Patient["birthDate"].(string); ok {
				s.BirthDate = v
			}
			add(s)
		}
	}
	return idx
}

// peekPatient reads the Patient of a bundle for the sample list.
func peekPatient(path string) (SampleInfo, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return SampleInfo{}, err
	}
	var b struct {
		Entry []struct {
			Resource json.RawMessage `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(data, &b); err != nil {
		return SampleInfo{}, err
	}
	for _, e := range b.Entry {
		var pat struct {
			ResourceType string `json:"resourceType"`
			Gender       string `json:"gender"`
			BirthDate    string `json:"birthDate"`
			Name         []struct {
				Given  []string `json:"given"`
				Family string   `json:"family"`
			} `json:"name"`
		}
		if json.Unmarshal(e.Resource, &pat) != nil || pat.ResourceType != "Patient" {
			continue
		}
		label := strings.TrimSuffix(filepath.Base(path), ".json")
		if len(pat.Name) > 0 {
			label = strings.TrimSpace(strings.Join(append(pat.Name[0].Given, pat.Name[0].Family), " "))
		}
		return SampleInfo{Label: label, Description: "Synthea patient (synthetic)", Sex: pat.Gender, BirthDate: pat.BirthDate}, nil
	}
	return SampleInfo{}, fmt.Errorf("no Patient resource")
}

// scenarioOrder reads the scenario's first draft MedicationRequest into the
// form's fields, where they fit the form; the rest stay empty.
func scenarioOrder(sc *scenario.Scenario) *OrderForm {
	hook := sc.Hook
	if hook == "" {
		hook = cdshooks.HookOrderSign
	}
	o := &OrderForm{Hook: hook}
	for _, d := range sc.Drafts {
		if d["resourceType"] != "MedicationRequest" {
			continue
		}
		var mr struct {
			Medication struct {
				Text   string `json:"text"`
				Coding []struct {
					System, Code, Display string
				} `json:"coding"`
			} `json:"medicationCodeableConcept"`
			Dosage []struct {
				Timing struct {
					Code struct {
						Coding []struct{ Code string } `json:"coding"`
					} `json:"code"`
				} `json:"timing"`
				DoseAndRate []struct {
					DoseQuantity struct {
						Value float64 `json:"value"`
						Code  string  `json:"code"`
						Unit  string  `json:"unit"`
					} `json:"doseQuantity"`
				} `json:"doseAndRate"`
			} `json:"dosageInstruction"`
		}
		raw, _ := json.Marshal(d)
		if json.Unmarshal(raw, &mr) != nil {
			break
		}
		o.DrugName = mr.Medication.Text
		for _, c := range mr.Medication.Coding {
			if c.System == rxNormSystem {
				o.RxNorm = c.Code
				if o.DrugName == "" {
					o.DrugName = c.Display
				}
			}
		}
		if len(mr.Dosage) > 0 {
			ds := mr.Dosage[0]
			if len(ds.DoseAndRate) > 0 {
				q := ds.DoseAndRate[0].DoseQuantity
				for name, u := range doseUnits {
					if strings.EqualFold(u.code, q.Code) {
						o.Dose, o.Unit = q.Value, name
					}
				}
			}
			if len(ds.Timing.Code.Coding) > 0 {
				if c := strings.ToUpper(ds.Timing.Code.Coding[0].Code); frequencies[c] != "" {
					o.Frequency = c
				}
			}
		}
		break
	}
	return o
}

// recordService asks for the whole record: every prefetch key package record
// knows, all observations.
var recordService = cdshooks.Service{
	ID: "playground-record", Hook: cdshooks.HookPatientView,
	Prefetch: map[string]string{
		"patient":              "Patient/{{context.patientId}}",
		"conditions":           "Condition?patient={{context.patientId}}",
		"medications":          "MedicationRequest?patient={{context.patientId}}",
		"medicationStatements": "MedicationStatement?patient={{context.patientId}}",
		"observations":         "Observation?patient={{context.patientId}}",
		"immunizations":        "Immunization?patient={{context.patientId}}",
		"allergies":            "AllergyIntolerance?patient={{context.patientId}}",
	},
}

// record returns the sample's patient record. A scenario's record is its
// base patient with the scenario's overrides, removals and additions, as the
// scenario package builds it (inactive medications are left out, as the
// services' prefetch leaves them out).
func (p *Playground) record(s *sample) (*record.Patient, error) {
	if s.scenario == nil {
		return record.Load(s.file)
	}
	req, _, _, err := s.scenario.RequestFor(recordService)
	if err != nil {
		return nil, err
	}
	rec := &record.Patient{}
	seen := map[string]bool{}
	addRes := func(raw json.RawMessage) {
		var r record.Resource
		if json.Unmarshal(raw, &r) != nil || r == nil {
			return
		}
		k := fmt.Sprint(r["resourceType"], "/", r["id"])
		if seen[k] {
			return
		}
		seen[k] = true
		if r["resourceType"] == "Patient" {
			rec.ID, _ = r["id"].(string)
		}
		rec.Resources = append(rec.Resources, r)
	}
	keys := make([]string, 0, len(req.Prefetch))
	for k := range req.Prefetch {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		raw := req.Prefetch[k]
		var b struct {
			ResourceType string `json:"resourceType"`
			Entry        []struct {
				Resource json.RawMessage `json:"resource"`
			} `json:"entry"`
		}
		if json.Unmarshal(raw, &b) != nil {
			continue
		}
		if b.ResourceType != "Bundle" {
			addRes(raw)
			continue
		}
		for _, e := range b.Entry {
			addRes(e.Resource)
		}
	}
	if rec.ID == "" {
		return nil, fmt.Errorf("scenario %s sends no Patient", s.scenario.Name)
	}
	return rec, nil
}

// inputError is a caller mistake, answered with its status.
type inputError struct {
	status        int
	code, message string
}

func (e *inputError) Error() string { return e.message }

func badInput(status int, code, format string, args ...any) *inputError {
	return &inputError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

// maxEntries bounds an uploaded bundle's entries, besides its size.
const maxEntries = 50000

// parseBundle reads an uploaded FHIR R4 Bundle holding one patient's
// record (any Bundle type: transaction, collection, searchset), rewriting
// urn:uuid references to Type/id as the test helpers do for Synthea.
func parseBundle(raw json.RawMessage) (*record.Patient, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return nil, badInput(http.StatusBadRequest, "invalid_bundle", "the upload must be a JSON object (a FHIR R4 Bundle)")
	}
	var b struct {
		ResourceType string `json:"resourceType"`
		Entry        []struct {
			FullURL  string         `json:"fullUrl"`
			Resource map[string]any `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(raw, &b); err != nil {
		return nil, badInput(http.StatusBadRequest, "invalid_bundle", "the upload is not valid JSON or its entries are malformed")
	}
	if b.ResourceType != "Bundle" {
		return nil, badInput(http.StatusUnprocessableEntity, "not_a_bundle", "the upload is not a FHIR Bundle (resourceType must be \"Bundle\")")
	}
	if len(b.Entry) > maxEntries {
		return nil, badInput(http.StatusRequestEntityTooLarge, "request_too_large", "the Bundle has more than %d entries", maxEntries)
	}
	refs := map[string]string{}
	for i, e := range b.Entry {
		if e.Resource == nil {
			continue
		}
		rt, _ := e.Resource["resourceType"].(string)
		id, _ := e.Resource["id"].(string)
		if id == "" {
			// Resources need an id to be referenced from the cards'
			// evidence; the urn:uuid rewrite below keeps links intact.
			id = fmt.Sprintf("upload-%d", i+1)
			e.Resource["id"] = id
		}
		if e.FullURL != "" && rt != "" {
			refs[e.FullURL] = rt + "/" + id
		}
	}
	rec := &record.Patient{}
	patients := 0
	for _, e := range b.Entry {
		if e.Resource == nil {
			continue
		}
		if _, ok := e.Resource["resourceType"].(string); !ok {
			continue
		}
		r := record.RewriteRefs(e.Resource, refs).(map[string]any)
		if r["resourceType"] == "Patient" {
			patients++
			rec.ID, _ = r["id"].(string)
		}
		rec.Resources = append(rec.Resources, r)
	}
	switch {
	case patients == 0:
		return nil, badInput(http.StatusUnprocessableEntity, "no_patient", "the Bundle holds no Patient resource")
	case patients > 1:
		return nil, badInput(http.StatusUnprocessableEntity, "several_patients", "the Bundle holds %d Patient resources; upload one patient's record", patients)
	}
	return rec, nil
}

// GET /playground/api/samples
func (p *Playground) listSamples(c *gin.Context) {
	out := make([]SampleInfo, 0, len(p.samples.list))
	for _, s := range p.samples.list {
		out = append(out, s.SampleInfo)
	}
	c.JSON(http.StatusOK, gin.H{"samples": out})
}

// lookupSample answers 404 for an unknown ID: IDs come from the index only,
// never from a path built with caller input.
func (p *Playground) lookupSample(c *gin.Context, id string) *sample {
	s := p.samples.byID[id]
	if s == nil {
		writeError(c, http.StatusNotFound, "unknown_sample", "no sample patient with that id; see GET /playground/api/samples")
	}
	return s
}

// GET /playground/api/samples/:id
func (p *Playground) sampleSummary(c *gin.Context) {
	ps := p.policies(c)
	if ps == nil {
		return
	}
	s := p.lookupSample(c, c.Param("id"))
	if s == nil {
		return
	}
	rec, err := p.record(s)
	if err != nil {
		p.log.Warn("playground: sample unreadable", slog.String("sample", s.ID), slog.String("error", err.Error()))
		writeError(c, http.StatusInternalServerError, "internal_error", "the sample could not be read; see the service log")
		return
	}
	sum, err := summarize(c.Request.Context(), ps, rec, p.cfg.Now())
	if err != nil {
		writeError(c, http.StatusUnprocessableEntity, "unreadable_patient", "the sample's patient could not be summarised")
		return
	}
	c.JSON(http.StatusOK, gin.H{"sample": s.SampleInfo, "summary": sum})
}

// POST /playground/api/summary with a FHIR R4 Bundle as the body.
func (p *Playground) uploadSummary(c *gin.Context) {
	ps := p.policies(c)
	if ps == nil {
		return
	}
	body, ok := readBody(c, p.cfg.MaxUploadBytes)
	if !ok {
		return
	}
	rec, err := parseBundle(body)
	if err != nil {
		writeInputError(c, err)
		return
	}
	sum, err := summarize(c.Request.Context(), ps, rec, p.cfg.Now())
	if err != nil {
		writeError(c, http.StatusUnprocessableEntity, "unreadable_patient", "the Bundle's patient could not be summarised")
		return
	}
	c.JSON(http.StatusOK, gin.H{"summary": sum})
}

func writeInputError(c *gin.Context, err error) {
	if ie, ok := err.(*inputError); ok {
		writeError(c, ie.status, ie.code, ie.message)
		return
	}
	writeError(c, http.StatusInternalServerError, "internal_error", "internal error")
}
