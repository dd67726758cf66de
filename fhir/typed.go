package fhir

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/fhir/go/fhirversion"
	"github.com/google/fhir/go/jsonformat"
	dpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/datatypes_go_proto"
	bcrpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/bundle_and_contained_resource_go_proto"
	"google.golang.org/protobuf/proto"
)

// The typed parse uses the unmarshaller without extended validation: it
// still checks every primitive (codes against their value sets, dates,
// decimals, ids), but it does not require elements the service never reads
// (subject, requester), which the reduced resource below leaves out. Measured
// on the order fixtures: about the same cost either way for a small order,
// because cost follows size; what matters is parsing few, small resources.
var typedUnmarshaller = sync.OnceValues(func() (*jsonformat.Unmarshaller, error) {
	u, err := jsonformat.NewUnmarshallerWithoutValidation("UTC", fhirversion.R4)
	if err != nil {
		return nil, fmt.Errorf("create R4 unmarshaller: %w", err)
	}
	// Bound recursion on hostile input; real orders nest about 8 deep.
	u.MaxNestingDepth = 32
	return u, nil
})

// typedKeys are the elements of each order type the service reads. Only
// these are handed to the typed parser: that is cheaper, and elements the
// service does not read cannot make an order fail.
var typedKeys = map[string][]string{
	"MedicationRequest": {"resourceType", "id", "status", "intent", "medicationCodeableConcept", "medicationReference",
		"contained", "authoredOn", "dosageInstruction", "dispenseRequest", "priorPrescription"},
	"ServiceRequest": {"resourceType", "id", "status", "intent", "code", "occurrenceDateTime", "occurrencePeriod", "authoredOn"},
	"Immunization":   {"resourceType", "id", "status", "vaccineCode", "occurrenceDateTime", "route"},
}

// typedView parses an order of interest as a typed R4 resource and reads
// its medication view from the proto. Primitive values that R4 rejects
// (an unknown code, an impossible date, an element R4 does not have) are
// removed and noted, and the parse is retried once: the order is still
// checked with what is valid. If it still fails, the order is rejected.
//
// The parse is a function of the order's elements the service reads, so
// with a cache it is made once for an order sent again unchanged in those
// elements (order-select on each edit, then order-sign: typed parsing is
// about half of what deriving the facts costs once the prefetch is
// decoded). The notes and the error name this call's entry and reference.
func (o *DraftOrder) typedView(c *PrefetchCache) (*medView, []string, error) {
	u, err := typedUnmarshaller()
	if err != nil {
		return nil, nil, err
	}
	keys, ok := typedKeys[o.ResourceType]
	if !ok {
		return nil, nil, fmt.Errorf("no typed parse for %s", o.ResourceType)
	}
	reduced := map[string]any{}
	for _, k := range keys {
		if v, ok := o.tree[k]; ok {
			reduced[k] = v
		}
	}
	reduceContained(reduced)
	if dr, ok := reduced["dispenseRequest"].(map[string]any); ok {
		reduced["dispenseRequest"] = pick(dr, "quantity", "expectedSupplyDuration")
	}
	raw := mustJSON(reduced)
	p := c.typed(raw, func() *typedParse { return parseTyped(u, o.ResourceType, reduced, raw) })
	if p.view == nil {
		return nil, nil, &OrderError{Ref: o.Ref, Field: p.field, Message: p.message}
	}
	var notes []string
	for _, r := range p.removed {
		notes = append(notes, fmt.Sprintf("draftOrders.entry[%d] %s: %s removed (%s)", o.entry, safeType(o.ResourceType), r.path, r.details))
	}
	return p.view, notes, nil
}

// typedParse is the outcome of the typed parse of one reduced order: its
// view and the elements removed to make it valid, or, when it is rejected,
// the field and message of the *OrderError. It holds no reference to the
// call it came from, and is only read once made.
type typedParse struct {
	view           *medView
	removed        []typedProblem
	field, message string
}

// parseTyped parses raw, the JSON of reduced, as a typed R4 resource of
// type rt, removing what R4 rejects from reduced and retrying once.
func parseTyped(u *jsonformat.Unmarshaller, rt string, reduced map[string]any, raw []byte) *typedParse {
	var removed []typedProblem
	for attempt := 0; ; attempt++ {
		msg, err := u.Unmarshal(raw)
		if err == nil {
			v, err := viewFromTyped(msg)
			if err != nil {
				return &typedParse{field: rt, message: "cannot be read as R4"}
			}
			return &typedParse{view: v, removed: removed}
		}
		problems := typedProblems(err)
		if attempt > 0 || len(problems) == 0 {
			field, detail := rt, "is not valid FHIR R4"
			if len(problems) > 0 {
				field, detail = problems[0].path, "is not valid FHIR R4 ("+problems[0].details+")"
			}
			return &typedParse{field: field, message: detail}
		}
		for _, p := range problems {
			if !removePath(reduced, p.path) {
				return &typedParse{field: p.path, message: "is not valid FHIR R4 (" + p.details + ")"}
			}
			removed = append(removed, p)
		}
		raw = mustJSON(reduced)
	}
}

// reduceContained keeps contained Medications, with the elements read.
func reduceContained(m map[string]any) {
	list, ok := m["contained"].([]any)
	if !ok {
		delete(m, "contained")
		return
	}
	var out []any
	for _, c := range list {
		if cm, ok := c.(map[string]any); ok && cm["resourceType"] == "Medication" {
			out = append(out, pick(cm, "resourceType", "id", "code", "form"))
		}
	}
	if len(out) == 0 {
		delete(m, "contained")
		return
	}
	m["contained"] = out
}

func pick(m map[string]any, keys ...string) map[string]any {
	out := make(map[string]any, len(keys))
	for _, k := range keys {
		if v, ok := m[k]; ok {
			out[k] = v
		}
	}
	return out
}

type typedProblem struct{ path, details string }

// typedProblems reads the paths and fixed-wording details of a google/fhir/go
// unmarshal error. Its error types live in an internal package, so their
// exported fields are read by reflection; Diagnostics (which may quote
// patient values) is used only to name an unknown element.
func typedProblems(err error) []typedProblem {
	v := reflect.ValueOf(err)
	var items []reflect.Value
	switch {
	case v.Kind() == reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			items = append(items, v.Index(i))
		}
	case v.Kind() == reflect.Pointer:
		items = append(items, v)
	}
	var out []typedProblem
	for _, it := range items {
		for it.Kind() == reflect.Interface || it.Kind() == reflect.Pointer {
			if it.IsNil() {
				break
			}
			it = it.Elem()
		}
		if it.Kind() != reflect.Struct {
			return nil
		}
		path, details, diag := strField(it, "Path"), strField(it, "Details"), strField(it, "Diagnostics")
		if path == "" {
			return nil
		}
		if details == "unknown field" {
			name, err := strconv.Unquote(diag)
			if err != nil || name == "" {
				return nil
			}
			path += "." + name
		}
		out = append(out, typedProblem{path: path, details: details})
	}
	return out
}

func strField(v reflect.Value, name string) string {
	f := v.FieldByName(name)
	if !f.IsValid() || f.Kind() != reflect.String {
		return ""
	}
	return f.String()
}

// removePath deletes the element at a google/fhir/go path such as
// "MedicationRequest.dosageInstruction[0].timing.repeat.periodUnit".
func removePath(root map[string]any, path string) bool {
	parts := strings.Split(path, ".")
	if len(parts) < 2 {
		return false
	}
	var cur any = root
	for i, part := range parts[1:] {
		name, idx := part, -1
		if j := strings.IndexByte(part, '['); j >= 0 && strings.HasSuffix(part, "]") {
			n, err := strconv.Atoi(part[j+1 : len(part)-1])
			if err != nil {
				return false
			}
			name, idx = part[:j], n
		}
		m, ok := cur.(map[string]any)
		if !ok {
			return false
		}
		last := i == len(parts)-2
		if last && idx < 0 {
			if _, ok := m[name]; !ok {
				return false
			}
			delete(m, name)
			return true
		}
		next, ok := m[name]
		if !ok {
			return false
		}
		if idx >= 0 {
			list, ok := next.([]any)
			if !ok || idx >= len(list) {
				return false
			}
			if last {
				m[name] = append(list[:idx:idx], list[idx+1:]...)
				return true
			}
			next = list[idx]
		}
		cur = next
	}
	return false
}

// viewFromTyped reads the medication view from a typed R4 order.
func viewFromTyped(msg proto.Message) (*medView, error) {
	cr, ok := msg.(*bcrpb.ContainedResource)
	if !ok {
		return nil, fmt.Errorf("unexpected message %T", msg)
	}
	v := &medView{}
	switch {
	case cr.GetMedicationRequest() != nil:
		r := cr.GetMedicationRequest()
		v.ResourceType, v.ID = "MedicationRequest", r.GetId().GetValue()
		v.Status = enumCode(r.GetStatus().GetValue())
		v.Intent = enumCode(r.GetIntent().GetValue())
		v.Concept = ccFrom(r.GetMedication().GetCodeableConcept())
		if ref := r.GetMedication().GetReference(); ref != nil {
			v.MedRef, v.MedRefDisplay = refString(ref), ref.GetDisplay().GetValue()
		}
		v.Start = dateTimeString(r.GetAuthoredOn())
		v.PriorPrescription = r.GetPriorPrescription() != nil
		for _, d := range r.GetDosageInstruction() {
			v.Dosages = append(v.Dosages, dosageFrom(d))
		}
		if dr := r.GetDispenseRequest(); dr != nil {
			v.Dispense = &dispenseRequest{
				Quantity:               quantityFrom(dr.GetQuantity().GetValue(), dr.GetQuantity().GetUnit(), dr.GetQuantity().GetSystem(), dr.GetQuantity().GetCode()),
				ExpectedSupplyDuration: quantityFrom(dr.GetExpectedSupplyDuration().GetValue(), dr.GetExpectedSupplyDuration().GetUnit(), dr.GetExpectedSupplyDuration().GetSystem(), dr.GetExpectedSupplyDuration().GetCode()),
			}
		}
		for _, a := range r.GetContained() {
			var c bcrpb.ContainedResource
			if a.UnmarshalTo(&c) != nil || c.GetMedication() == nil {
				continue
			}
			m := c.GetMedication()
			v.Contained = append(v.Contained, medication{ResourceType: "Medication", ID: m.GetId().GetValue(),
				Code: ccFrom(m.GetCode()), Form: ccFrom(m.GetForm())})
		}
	case cr.GetServiceRequest() != nil:
		r := cr.GetServiceRequest()
		v.ResourceType, v.ID = "ServiceRequest", r.GetId().GetValue()
		v.Status = enumCode(r.GetStatus().GetValue())
		v.Intent = enumCode(r.GetIntent().GetValue())
		v.Concept = ccFrom(r.GetCode())
		v.Start = dateTimeString(r.GetOccurrence().GetDateTime())
		if v.Start == "" {
			v.Start = dateTimeString(r.GetOccurrence().GetPeriod().GetStart())
		}
		if v.Start == "" {
			v.Start = dateTimeString(r.GetAuthoredOn())
		}
	case cr.GetImmunization() != nil:
		r := cr.GetImmunization()
		v.ResourceType, v.ID = "Immunization", r.GetId().GetValue()
		v.Status = enumCode(r.GetStatus().GetValue())
		v.Concept = ccFrom(r.GetVaccineCode())
		v.Start = dateTimeString(r.GetOccurrence().GetDateTime())
		v.Route = ccFrom(r.GetRoute())
	default:
		return nil, fmt.Errorf("unexpected resource type")
	}
	return v, nil
}

// enumCode turns a proto enum (ON_HOLD) back into its FHIR code (on-hold).
func enumCode(e interface{ String() string }) string {
	s := e.String()
	if s == "INVALID_UNINITIALIZED" || s == "" {
		return ""
	}
	return strings.ToLower(strings.ReplaceAll(s, "_", "-"))
}

func ccFrom(cc *dpb.CodeableConcept) *codeableConcept {
	if cc == nil {
		return nil
	}
	out := &codeableConcept{Text: cc.GetText().GetValue()}
	for _, c := range cc.GetCoding() {
		out.Coding = append(out.Coding, coding{System: c.GetSystem().GetValue(), Code: c.GetCode().GetValue(), Display: c.GetDisplay().GetValue()})
	}
	return out
}

func decimal(d *dpb.Decimal) *float64 {
	if d == nil {
		return nil
	}
	f, err := strconv.ParseFloat(d.GetValue(), 64)
	if err != nil {
		return nil
	}
	return &f
}

func quantityFrom(value *dpb.Decimal, unit *dpb.String, system *dpb.Uri, code *dpb.Code) *quantity {
	if value == nil && unit == nil && code == nil {
		return nil
	}
	return &quantity{Value: decimal(value), Unit: unit.GetValue(), System: system.GetValue(), Code: code.GetValue()}
}

func dosageFrom(d *dpb.Dosage) dosage {
	out := dosage{Text: d.GetText().GetValue(), Route: ccFrom(d.GetRoute())}
	if s := d.GetSequence(); s != nil {
		f := float64(s.GetValue())
		out.Sequence = &f
	}
	if an := d.GetAsNeeded(); an != nil {
		if b := an.GetBoolean(); b != nil {
			v := b.GetValue()
			out.AsNeededBoolean = &v
		}
		out.AsNeededCodeableConcept = ccFrom(an.GetCodeableConcept())
	}
	if t := d.GetTiming(); t != nil {
		out.Timing = &timing{Code: ccFrom(t.GetCode())}
		if r := t.GetRepeat(); r != nil {
			rep := &repeat{Period: decimal(r.GetPeriod())}
			if f := r.GetFrequency(); f != nil {
				v := float64(f.GetValue())
				rep.Frequency = &v
			}
			if pu := r.GetPeriodUnit(); pu != nil {
				rep.PeriodUnit = enumCode(pu.GetValue())
			}
			for _, tod := range r.GetTimeOfDay() {
				rep.TimeOfDay = append(rep.TimeOfDay, strconv.FormatInt(tod.GetValueUs(), 10))
			}
			out.Timing.Repeat = rep
		}
	}
	for _, dr := range d.GetDoseAndRate() {
		x := doseAndRate{}
		if q := dr.GetDose().GetQuantity(); q != nil {
			x.DoseQuantity = quantityFrom(q.GetValue(), q.GetUnit(), q.GetSystem(), q.GetCode())
		}
		if rg := dr.GetDose().GetRange(); rg != nil {
			x.DoseRange = &rangeQ{}
		}
		out.DoseAndRate = append(out.DoseAndRate, x)
	}
	return out
}

// refString recovers the reference string ("Medication/x", "#x",
// "urn:uuid:x") of a typed reference.
func refString(r *dpb.Reference) string {
	c := proto.Clone(r).(*dpb.Reference)
	if err := jsonformat.DenormalizeReference(c); err != nil {
		return ""
	}
	return c.GetUri().GetValue()
}

func dateTimeString(dt *dpb.DateTime) string {
	if dt == nil {
		return ""
	}
	return formatTime(time.UnixMicro(dt.GetValueUs()))
}
