package scenario

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/labelguard/labelguard/cdshooks"
	"github.com/labelguard/labelguard/engine"
)

// Resource is a FHIR resource as generic JSON.
type Resource = map[string]any

// Absent is the prefetch override that leaves a key out of the request.
const Absent = "absent"

// NoOrder is the expect key of cards that concern no order (data.incomplete).
const NoOrder = ""

// Scenario is one clinical case. See policies/testdata/scenarios/README.md.
type Scenario struct {
	// File is the file the scenario was loaded from (not in the JSON).
	File string `json:"-"`

	Name        string `json:"name"`
	Description string `json:"description"`
	// Base is a Synthea bundle file name in the patients directory beside
	// the scenarios (PatientsDir: policies/testdata/patients);
	// empty for a synthetic patient.
	Base string `json:"base,omitempty"`
	// Patient overrides fields of the base Patient (a null value removes
	// the field); without Base it is the whole Patient.
	Patient Resource `json:"patient,omitempty"`
	// Now is the evaluation time, RFC 3339.
	Now string `json:"now"`
	// Hook is order-sign (default), order-select or patient-view.
	Hook string `json:"hook,omitempty"`
	// Service defaults to jak-<hook> (jak-monitoring for patient-view).
	Service string `json:"service,omitempty"`
	// Add are resources the case adds to the patient's record.
	Add []Resource `json:"add,omitempty"`
	// Remove drops base resources: a resource type ("MedicationRequest") or
	// a reference ("MedicationRequest/<id>").
	Remove []string `json:"remove,omitempty"`
	// Prefetch overrides keys: null sends JSON null, "absent" leaves the
	// key out, an object is sent as it is.
	Prefetch map[string]json.RawMessage `json:"prefetch,omitempty"`
	// Drafts are the draft orders (context.draftOrders).
	Drafts []Resource `json:"drafts,omitempty"`
	// Selections (order-select) name the selected drafts; default all.
	Selections []string `json:"selections,omitempty"`
	// Expect maps each order reference to the exact set of rule IDs
	// expected on it; NoOrder ("") holds cards without an order. Orders not
	// listed must get no card; {} means no card at all.
	Expect map[string][]string `json:"expect"`
	// ExpectIn holds, per jurisdiction (the site parameter), the whole
	// expectation where it differs from Expect: a label that differs
	// between the US and the EU gives different cards. Every scenario
	// runs in every jurisdiction.
	ExpectIn map[string]map[string][]string `json:"expectIn,omitempty"`
}

var fileName = regexp.MustCompile(`^[0-9]{2,}-[a-z0-9]+(-[a-z0-9]+)*\.json$`)

// Load reads every scenario (*.json) in dir, in file name order. Decoding
// is strict: an unknown field, a malformed value or an inconsistent
// scenario is an error naming the file.
func Load(dir string) ([]Scenario, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, fmt.Errorf("scenario.Load: %w", err)
	}
	sort.Strings(paths)
	var out []Scenario
	names := map[string]string{}
	for _, p := range paths {
		s, err := LoadFile(p)
		if err != nil {
			return nil, fmt.Errorf("scenario.Load: %w", err)
		}
		if other, ok := names[s.Name]; ok {
			return nil, fmt.Errorf("scenario.Load: %s: name %q already used by %s", filepath.Base(p), s.Name, other)
		}
		names[s.Name] = filepath.Base(p)
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("scenario.Load: no scenario in %s", dir)
	}
	return out, nil
}

// LoadFile reads and checks one scenario file.
func LoadFile(path string) (Scenario, error) {
	base := filepath.Base(path)
	data, err := os.ReadFile(path)
	if err != nil {
		return Scenario{}, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var s Scenario
	if err := dec.Decode(&s); err != nil {
		return Scenario{}, fmt.Errorf("%s: %w", base, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Scenario{}, fmt.Errorf("%s: data after the scenario object", base)
	}
	s.File = path
	if !fileName.MatchString(base) {
		return Scenario{}, fmt.Errorf("%s: file name must be <NN>-<slug>.json (lower case)", base)
	}
	if err := s.validate(); err != nil {
		return Scenario{}, fmt.Errorf("%s: %w", base, err)
	}
	return s, nil
}

// PatientsDir is where a scenario's base patients are, beside its
// directory: testdata/scenarios/*.json name the bundles of
// testdata/patients, so a policy directory carries both wherever it is
// checked out (a hospital's CI runs `labelguard test` on its own copy).
const PatientsDir = "../patients"

// basePath is the file of the scenario's base patient.
func (s Scenario) basePath() string {
	return filepath.Join(filepath.Dir(s.File), filepath.FromSlash(PatientsDir), s.Base)
}

// hook returns the hook with its default.
func (s Scenario) hook() string {
	if s.Hook == "" {
		return cdshooks.HookOrderSign
	}
	return s.Hook
}

// ServiceID returns the service the scenario calls.
func (s Scenario) ServiceID() string {
	switch {
	case s.Service != "":
		return s.Service
	case s.hook() == cdshooks.HookPatientView:
		return "jak-monitoring"
	default:
		return "jak-" + s.hook()
	}
}

// draftRefs returns "Type/id" of each draft order.
func (s Scenario) draftRefs() []string {
	var refs []string
	for _, d := range s.Drafts {
		refs = append(refs, ref(d))
	}
	return refs
}

func ref(r Resource) string {
	rt, _ := r["resourceType"].(string)
	id, _ := r["id"].(string)
	return rt + "/" + id
}

var refPattern = regexp.MustCompile(`^[A-Z][A-Za-z]+/[A-Za-z0-9\-.]{1,64}$`)

func (s Scenario) validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if strings.TrimSpace(s.Name) == "" {
		bad("name is required")
	}
	if strings.TrimSpace(s.Description) == "" {
		bad("description is required")
	}
	if _, err := time.Parse(time.RFC3339, s.Now); err != nil {
		bad("now: %q is not an RFC 3339 time", s.Now)
	}
	switch s.hook() {
	case cdshooks.HookOrderSign, cdshooks.HookOrderSelect:
		if len(s.Drafts) == 0 {
			bad("drafts: an order hook needs at least one draft order")
		}
	case cdshooks.HookPatientView:
		if len(s.Drafts) > 0 || s.Selections != nil {
			bad("drafts and selections are for order hooks only")
		}
	default:
		bad("hook: %q is not order-sign, order-select or patient-view", s.Hook)
	}
	if s.Base != "" {
		if filepath.Base(s.Base) != s.Base {
			bad("base: %q must be a file name in %s", s.Base, PatientsDir)
		} else if _, err := os.Stat(s.basePath()); err != nil {
			bad("base: %v", err)
		}
		if _, ok := s.Patient["id"]; ok {
			bad("patient: the id of a base patient cannot be overridden")
		}
		if _, ok := s.Patient["resourceType"]; ok {
			bad("patient: resourceType cannot be overridden")
		}
	} else if len(s.Remove) > 0 {
		bad("remove: needs a base patient")
	}
	drafts := map[string]bool{}
	for i, d := range s.Drafts {
		r := ref(d)
		if !refPattern.MatchString(r) {
			bad("drafts[%d]: resourceType and id are required", i)
			continue
		}
		if drafts[r] {
			bad("drafts[%d]: duplicate %s", i, r)
		}
		drafts[r] = true
	}
	for i, a := range s.Add {
		if rt, _ := a["resourceType"].(string); rt == "" || rt == "Patient" {
			bad("add[%d]: resourceType is required (and is not Patient: use patient)", i)
		}
	}
	for _, r := range s.Remove {
		if r == "Patient" || strings.HasPrefix(r, "Patient/") {
			bad("remove: %q: the Patient cannot be removed (use prefetch {\"patient\": \"absent\"})", r)
		}
	}
	if s.Selections != nil && s.hook() != cdshooks.HookOrderSelect {
		bad("selections: only for order-select")
	}
	for _, sel := range s.Selections {
		if !drafts[sel] {
			bad("selections: %q is not a draft order", sel)
		}
	}
	for k, v := range s.Prefetch {
		var str string
		switch {
		case bytes.Equal(bytes.TrimSpace(v), []byte("null")):
		case json.Unmarshal(v, &str) == nil:
			if str != Absent {
				bad("prefetch.%s: %q is not null, %q or an object", k, str, Absent)
			}
		default:
			var obj map[string]any
			if json.Unmarshal(v, &obj) != nil {
				bad("prefetch.%s: must be null, %q or an object", k, Absent)
			}
		}
	}
	if s.Expect == nil {
		bad("expect is required ({} for no card at all)")
	}
	checkExpect := func(name string, expect map[string][]string) {
		for k, ids := range expect {
			if k != NoOrder && !drafts[k] {
				bad("%s: %q is not a draft order", name, k)
			}
			if len(ids) == 0 {
				bad("%s[%q]: empty list (leave the order out instead)", name, k)
			}
			seen := map[string]bool{}
			for _, id := range ids {
				if seen[id] {
					bad("%s[%q]: duplicate %s", name, k, id)
				}
				seen[id] = true
			}
		}
	}
	checkExpect("expect", s.Expect)
	for _, j := range slices.Sorted(maps.Keys(s.ExpectIn)) {
		if !slices.Contains(engine.Jurisdictions, j) {
			bad("expectIn: %q is not a jurisdiction (%s)", j, strings.Join(engine.Jurisdictions, ", "))
			continue
		}
		if s.ExpectIn[j] == nil {
			bad("expectIn.%s: null ({} for no card at all)", j)
		}
		checkExpect("expectIn."+j, s.ExpectIn[j])
	}
	return errors.Join(errs...)
}

// expected returns the expectation in a jurisdiction, with sorted rule
// lists.
func (s Scenario) expected(jurisdiction string) map[string][]string {
	expect := s.Expect
	if e, ok := s.ExpectIn[jurisdiction]; ok {
		expect = e
	}
	out := map[string][]string{}
	for k, ids := range expect {
		out[k] = slices.Sorted(slices.Values(ids))
	}
	return out
}
