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
	"time"

	"github.com/gin-gonic/gin"

	"github.com/labelguard/labelguard/cdshooks"
	"github.com/labelguard/labelguard/internal/record"
	"github.com/labelguard/labelguard/internal/timeshift"
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
	// WrittenFor is the evaluation time the sample was written for: a
	// scenario's "now"; for a Synthea patient the latest "now" of the
	// scenarios built on it (else of all scenarios), the time the corpus
	// describes. Empty when there is none: the sample is served as it is.
	WrittenFor string `json:"writtenFor,omitempty"`
	// MovedDays is how many days the sample's dates are moved by when
	// served, so that WrittenFor falls within the day before the
	// playground's clock: the case reads today as it read when written.
	MovedDays int `json:"movedDays"`
	// AsOf is WrittenFor moved by MovedDays: the evaluation time at which
	// the served sample gives the cards it was written to give. The page
	// offers it as the as-of time. Empty with WrittenFor.
	AsOf string `json:"asOf,omitempty"`
}

type sample struct {
	SampleInfo
	file       string             // Synthea bundle path
	scenario   *scenario.Scenario // scenario samples
	writtenFor time.Time          // zero: served as it is
}

// move is how the sample's dates move when served at now.
func (s *sample) move(now time.Time) timeshift.Move {
	if s.writtenFor.IsZero() {
		return timeshift.Move{}
	}
	return timeshift.Between(s.writtenFor, now)
}

// info is the sample's list entry as served at now: its as-of time and
// birth date moved with its record.
func (s *sample) info(now time.Time) SampleInfo {
	in := s.SampleInfo
	if s.writtenFor.IsZero() {
		return in
	}
	m := s.move(now)
	in.WrittenFor = s.writtenFor.UTC().Format(time.RFC3339)
	in.MovedDays = m.Days
	in.AsOf = m.To().UTC().Format(time.RFC3339)
	if b, ok := m.BirthDate(in.BirthDate); ok {
		in.BirthDate = b
	}
	return in
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
	var corpus time.Time // the latest scenario "now"
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
			if now, err := time.Parse(time.RFC3339, sc.Now); err == nil {
				s.writtenFor = now
				if b := bases[sc.Base]; b != nil && now.After(b.writtenFor) {
					b.writtenFor = now
				}
				if now.After(corpus) {
					corpus = now
				}
			}
			add(s)
		}
	}
	// A Synthea patient no scenario builds on is dated for the corpus.
	for _, b := range bases {
		if b.writtenFor.IsZero() {
			b.writtenFor = corpus
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

// record returns the sample's patient record with its dates moved by m.
// A scenario's record is its base patient with the scenario's overrides,
// removals and additions, as the scenario package builds it (inactive
// medications are left out, as the services' prefetch leaves them out).
func (p *Playground) record(s *sample, m timeshift.Move) (*record.Patient, error) {
	rec, err := p.unmovedRecord(s)
	if err != nil {
		return nil, err
	}
	for _, r := range rec.Resources {
		m.Value(r)
	}
	return rec, nil
}

func (p *Playground) unmovedRecord(s *sample) (*record.Patient, error) {
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
	now := p.cfg.Now()
	out := make([]SampleInfo, 0, len(p.samples.list))
	for _, s := range p.samples.list {
		out = append(out, s.info(now))
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

// GET /playground/api/samples/:id[?asOf=TIME]: the sample's summary at
// asOf, by default the sample's own as-of time.
func (p *Playground) sampleSummary(c *gin.Context) {
	ps := p.policies(c)
	if ps == nil {
		return
	}
	s := p.lookupSample(c, c.Param("id"))
	if s == nil {
		return
	}
	now := p.cfg.Now()
	info := s.info(now)
	asOf, err := p.asOf(c.Query("asOf"), info)
	if err != nil {
		writeInputError(c, err)
		return
	}
	rec, err := p.record(s, s.move(now))
	if err != nil {
		p.log.Warn("playground: sample unreadable", slog.String("sample", s.ID), slog.String("error", err.Error()))
		writeError(c, http.StatusInternalServerError, "internal_error", "the sample could not be read; see the service log")
		return
	}
	sum, err := summarize(c.Request.Context(), ps, rec, asOf)
	if err != nil {
		writeError(c, http.StatusUnprocessableEntity, "unreadable_patient", "the sample's patient could not be summarised")
		return
	}
	c.JSON(http.StatusOK, gin.H{"sample": info, "summary": sum})
}

// POST /playground/api/summary[?asOf=TIME] with a FHIR R4 Bundle as the
// body: its summary at asOf, by default now.
func (p *Playground) uploadSummary(c *gin.Context) {
	ps := p.policies(c)
	if ps == nil {
		return
	}
	asOf, err := p.asOf(c.Query("asOf"), SampleInfo{})
	if err != nil {
		writeInputError(c, err)
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
	sum, err := summarize(c.Request.Context(), ps, rec, asOf)
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

// asOfHelp answers a malformed asOf without echoing it.
const asOfHelp = "asOf: want a date (2026-11-23), a UTC date and time (2026-11-23T12:00) or an RFC 3339 time, in the years 1900 to 2200"

// asOf reads an as-of time given by the page; empty means the sample's own
// as-of time, or now.
func (p *Playground) asOf(v string, s SampleInfo) (time.Time, error) {
	if v == "" {
		v = s.AsOf
	}
	if v == "" {
		return p.cfg.Now(), nil
	}
	t, err := timeshift.ParseTime(v)
	if err != nil {
		return time.Time{}, badInput(http.StatusBadRequest, "invalid_as_of", asOfHelp)
	}
	return t, nil
}
