// Package corpus builds the CDS Hooks request bodies that the benchmarks and
// the load generator send: the focused order request (what the services'
// prefetch templates return for one Synthea patient), the heavy one (a whole
// Synthea patient as one collection Bundle), and any number of distinct
// patient variants derived from the Synthea bundles (new ids, shifted
// dates, different labs and orders), so that no cache keyed on a patient,
// a resource or a body can hide the parsing and evaluation cost.
package corpus

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/labelguard/labelguard/internal/record"
	"github.com/labelguard/labelguard/policies"
	"github.com/labelguard/labelguard/terminology"
)

// LabCodes returns the "system|code" keys that the services' observations
// prefetch template selects: the embedded lab table's codes, which
// services.json asks for with {{labelguard.labCodes}}, so that the focused
// request holds what an EHR would return for it.
func LabCodes() (map[string]bool, error) {
	labs, err := terminology.LoadLabTable(policies.FS, "data/labs.json")
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, c := range labs.Codes() {
		out[c] = true
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("data/labs.json: no lab codes")
	}
	return out, nil
}

// DefaultPatients is where LoadPatients looks when given no directory:
// the repository's sample patients, from its root (where `labelguard
// bench` is run from).
const DefaultPatients = "policies/testdata/patients"

// LoadPatients reads every Synthea bundle (*.json) of dir, sorted by name
// (DefaultPatients when dir is empty).
func LoadPatients(dir string) ([]*record.Patient, error) {
	if dir == "" {
		dir = DefaultPatients
	}
	names, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	var out []*record.Patient
	for _, n := range names {
		p, err := record.Load(n)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("corpus: no Synthea bundles in %s", dir)
	}
	return out, nil
}

// Order is a draft order a request carries.
type Order struct {
	Text   string
	Dose   float64
	Unit   string // "mg" or "{tbl}"
	Timing string // GTS abbreviation: QD, BID
}

// Orders are the draft orders variants cycle through: every target drug at
// its usual and out-of-label doses, so that different rules fire.
var Orders = []Order{
	{"upadacitinib 45 MG Extended Release Oral Tablet", 1, "{tbl}", "QD"},
	{"Rinvoq 15 MG Extended Release Oral Tablet", 15, "mg", "QD"},
	{"upadacitinib 30 MG Extended Release Oral Tablet", 30, "mg", "QD"},
	{"abrocitinib 100 MG Oral Tablet", 100, "mg", "QD"},
	{"abrocitinib 200 MG Oral Tablet", 200, "mg", "QD"},
	{"baricitinib 4 MG Oral Tablet", 4, "mg", "QD"},
	{"baricitinib 2 MG Oral Tablet", 2, "mg", "BID"},
}

// Draft returns the order as a draft MedicationRequest for the patient.
func (o Order) Draft(id, patientID string) record.Resource {
	return record.MedicationRequest(id, patientID, o.Text, o.Dose, o.Unit, o.Timing)
}

// Request is one hook call to send.
type Request struct {
	Service      string // jak-order-select or jak-order-sign
	Hook         string
	HookInstance string
	PatientID    string
	Body         []byte
	// InstanceAt is the byte offset of HookInstance in Body (a 36-byte
	// UUID), so that a sender can give every request its own instance
	// without re-encoding the body.
	InstanceAt int
	// PatientAt are the byte offsets of every occurrence of PatientID in
	// Body (context.patientId, the Patient's id, every reference to it),
	// set when PatientID is a 36-byte UUID, so that a sender can make the
	// request another patient's (WithIDs).
	PatientAt []int
}

// WithInstance returns a copy of the body with hookInstance replaced by id,
// which must be 36 bytes long (a UUID).
func (r *Request) WithInstance(id string) []byte {
	b := slices.Clone(r.Body)
	if len(id) == 36 && r.InstanceAt >= 0 {
		copy(b[r.InstanceAt:], id)
	}
	return b
}

// WithIDs returns a copy of the body with hookInstance replaced by
// instance and the patient's id, everywhere it occurs, by patientID; both
// must be 36 bytes long (UUIDs). The copy is the same record under another
// patient: no cache keyed on the patient or the prefetch bytes sees it
// again.
func (r *Request) WithIDs(instance, patientID string) []byte {
	b := r.WithInstance(instance)
	if len(patientID) == 36 {
		for _, at := range r.PatientAt {
			copy(b[at:], patientID)
		}
	}
	return b
}

// Build renders a request for hook ("order-select" or "order-sign") with
// the focused prefetch of p (the services' templates applied to the whole
// patient) and the given draft orders. compact selects compact JSON, else
// indented with four spaces like the Synthea files.
func Build(p *record.Patient, hook, hookInstance string, labCodes map[string]bool, drafts []record.Resource, compact bool) (*Request, error) {
	return render(p, hook, hookInstance, p.Prefetch(labCodes), drafts, compact)
}

// BuildHeavy renders an order-sign request whose prefetch carries the whole
// patient, every resource of the Synthea bundle (claims, encounters and
// all), as one collection Bundle under "observations", as a service asking
// for Patient/$everything would get it; the other keys hold empty
// searchsets, and "patient" the Patient.
func BuildHeavy(p *record.Patient, hookInstance string, drafts []record.Resource, compact bool) (*Request, error) {
	everything := record.Searchset(p.Resources)
	everything["type"] = "collection"
	delete(everything, "total")
	empty := record.Searchset(nil)
	pf := map[string]any{
		"patient":      p.Of("Patient")[0],
		"observations": everything,
	}
	for _, k := range []string{"conditions", "medications", "medicationStatements", "immunizations", "allergies", "labObservations"} {
		pf[k] = empty
	}
	return render(p, "order-sign", hookInstance, pf, drafts, compact)
}

func render(p *record.Patient, hook, hookInstance string, pf map[string]any, drafts []record.Resource, compact bool) (*Request, error) {
	if len(hookInstance) != 36 {
		return nil, fmt.Errorf("corpus: hookInstance %q is not a UUID", hookInstance)
	}
	req := record.Request(hook, hookInstance, p.ID, pf, drafts, nil)
	var body []byte
	var err error
	if compact {
		body, err = json.Marshal(req)
	} else {
		body, err = json.MarshalIndent(req, "", "    ")
	}
	if err != nil {
		return nil, err
	}
	at := bytes.Index(body, []byte(`"hookInstance":`))
	if at >= 0 {
		at = bytes.Index(body[at:], []byte(hookInstance)) + at
	}
	svc := "jak-order-sign"
	if hook == "order-select" {
		svc = "jak-order-select"
	}
	var patientAt []int
	if len(p.ID) == 36 {
		for i := 0; ; {
			j := bytes.Index(body[i:], []byte(p.ID))
			if j < 0 {
				break
			}
			patientAt = append(patientAt, i+j)
			i += j + len(p.ID)
		}
	}
	return &Request{Service: svc, Hook: hook, HookInstance: hookInstance, PatientID: p.ID, Body: body, InstanceAt: at, PatientAt: patientAt}, nil
}

// UUID returns a deterministic version-4-shaped UUID for (a, b).
func UUID(a, b uint64) string {
	h := (a+1)*0x9E3779B97F4A7C15 ^ (b+7)*0xC2B2AE3D27D4EB4F
	return fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", uint32(h>>32), uint16(h>>16), uint16(h)&0xfff, uint16(a)&0xfff, b&0xffffffffffff)
}

// Variant returns a distinct patient derived from base: every resource id
// (and every reference to it) gets a variant suffix, the patient a new id,
// dates move back by n days, and two recent CBC results (ANC, hemoglobin)
// with values that vary with n are added, dated relative to now.
func Variant(base *record.Patient, n int, now time.Time) (*record.Patient, error) {
	// Deep copy through JSON: variants are built once, before sending.
	data, err := json.Marshal(base.Resources)
	if err != nil {
		return nil, err
	}
	var rs []record.Resource
	if err := json.Unmarshal(data, &rs); err != nil {
		return nil, err
	}
	suffix := fmt.Sprintf("-v%d", n)
	ids := map[string]string{}
	newPID := UUID(uint64(n), 0x5a)
	for _, r := range rs {
		id, _ := r["id"].(string)
		if id == "" {
			continue
		}
		if r["resourceType"] == "Patient" {
			ids[id] = newPID
		} else if len(id)+len(suffix) <= 64 {
			ids[id] = id + suffix
		}
	}
	shift := time.Duration(n%365) * 24 * time.Hour
	for i, r := range rs {
		rs[i] = rewriteVariant(r, ids, shift).(record.Resource)
	}
	p := &record.Patient{ID: newPID, Resources: rs}
	anc := 0.4 + float64(n%25)*0.1 // 0.4 .. 2.8 x10^3/uL: below and above the thresholds
	hgb := 7.0 + float64(n%13)*0.5 // 7 .. 13 g/dL
	when := now.Add(-time.Duration(1+n%20) * 24 * time.Hour).UTC().Format(time.RFC3339)
	p.Add(
		record.Observation(UUID(uint64(n), 1), newPID, "751-8", "Neutrophils [#/volume] in Blood", math.Round(anc*10)/10, "10*3/uL", when),
		record.Observation(UUID(uint64(n), 2), newPID, "718-7", "Hemoglobin [Mass/volume] in Blood", hgb, "g/dL", when),
	)
	return p, nil
}

// dateKeys are the members whose dates a variant shifts.
var dateKeys = map[string]bool{
	"effectiveDateTime": true, "issued": true, "authoredOn": true, "occurrenceDateTime": true,
	"recordedDate": true, "onsetDateTime": true, "start": true, "end": true, "abatementDateTime": true,
}

func rewriteVariant(v any, ids map[string]string, shift time.Duration) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			s, ok := e.(string)
			if !ok {
				x[k] = rewriteVariant(e, ids, shift)
				continue
			}
			switch {
			case k == "id":
				if n, ok := ids[s]; ok {
					x[k] = n
				}
			case k == "reference":
				if typ, id, ok := strings.Cut(s, "/"); ok {
					if n, ok := ids[id]; ok {
						x[k] = typ + "/" + n
					}
				}
			case dateKeys[k] && shift > 0:
				if t, err := time.Parse(time.RFC3339, s); err == nil {
					x[k] = t.Add(-shift).Format(time.RFC3339)
				}
			}
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = rewriteVariant(e, ids, shift)
		}
		return x
	}
	return v
}

// Corpus is a pool of distinct patients and their requests.
type Corpus struct {
	// Sign and Select hold, per patient variant, an order-sign and an
	// order-select request for the same draft order.
	Sign, Select []*Request
	// Storm holds, per patient variant, the calls of an order session
	// (Storm); empty unless asked for.
	Storm [][]*Request
}

// Generate builds n patient variants cycling through the bases, with the
// draft orders of Orders in turn, as compact focused requests.
func Generate(bases []*record.Patient, n int, now time.Time) (*Corpus, error) {
	codes, err := LabCodes()
	if err != nil {
		return nil, err
	}
	c := &Corpus{}
	for i := 0; i < n; i++ {
		p, err := Variant(bases[i%len(bases)], i, now)
		if err != nil {
			return nil, err
		}
		o := Orders[i%len(Orders)]
		drafts := []record.Resource{o.Draft(fmt.Sprintf("order-%d", i), p.ID)}
		drafts[0]["authoredOn"] = now.UTC().Format("2006-01-02")
		sign, err := Build(p, "order-sign", UUID(uint64(i), 100), codes, drafts, true)
		if err != nil {
			return nil, err
		}
		sel, err := Build(p, "order-select", UUID(uint64(i), 200), codes, drafts, true)
		if err != nil {
			return nil, err
		}
		c.Sign = append(c.Sign, sign)
		c.Select = append(c.Select, sel)
	}
	return c, nil
}

// StormEdits names the calls of an order session (Storm), in order.
var StormEdits = []string{
	"order-select: the order as first selected (defaulted details)",
	"order-select: a dispense quantity and supply entered (read by the cream's rules only, not the oral drugs')",
	"order-select: a note to the patient added (nothing the rules read)",
	"order-select: fired again with nothing changed",
	"order-sign: the order as last selected",
}

// Storm builds, per patient variant of Generate, the calls of one order
// session as an EHR's ordering screen makes them: several order-select
// calls while the clinician edits the order, then order-sign (StormEdits).
// Senders give every session a patient id of its own (Request.WithIDs).
func Storm(bases []*record.Patient, n int, now time.Time) ([][]*Request, error) {
	codes, err := LabCodes()
	if err != nil {
		return nil, err
	}
	var out [][]*Request
	for i := 0; i < n; i++ {
		p, err := Variant(bases[i%len(bases)], i, now)
		if err != nil {
			return nil, err
		}
		o := Orders[i%len(Orders)]
		draft := func(edit func(record.Resource)) []record.Resource {
			d := o.Draft(fmt.Sprintf("order-%d", i), p.ID)
			d["authoredOn"] = now.UTC().Format("2006-01-02")
			if edit != nil {
				edit(d)
			}
			return []record.Resource{d}
		}
		dispense := func(d record.Resource) {
			d["dispenseRequest"] = map[string]any{
				"quantity":               map[string]any{"value": 30, "unit": "tablet"},
				"expectedSupplyDuration": map[string]any{"value": 30, "unit": "days", "system": "http://unitsofmeasure.org", "code": "d"},
			}
		}
		noted := func(d record.Resource) {
			dispense(d)
			d["note"] = []any{map[string]any{"text": "Take with or without food; swallow whole."}}
		}
		steps := []struct {
			hook   string
			drafts []record.Resource
		}{
			{"order-select", draft(nil)},
			{"order-select", draft(dispense)},
			{"order-select", draft(noted)},
			{"order-select", draft(noted)},
			{"order-sign", draft(noted)},
		}
		var session []*Request
		for k, st := range steps {
			r, err := Build(p, st.hook, UUID(uint64(i), uint64(300+k)), codes, st.drafts, true)
			if err != nil {
				return nil, err
			}
			session = append(session, r)
		}
		out = append(out, session)
	}
	return out, nil
}

// ReadFile is a small helper for callers that take a request body from a
// file instead of generating it.
func ReadFile(path string) ([]byte, error) { return os.ReadFile(path) }
