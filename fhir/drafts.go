package fhir

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// DraftOrders is context.draftOrders after repair: every entry resource in
// document order, and the repairs made on the way.
type DraftOrders struct {
	Orders []*DraftOrder
	// Repairs lists each tolerated deviation, without patient data, e.g.
	// "draftOrders: Bundle.type missing, assumed collection".
	Repairs []string
}

// DraftOrder is one resource of the draftOrders Bundle.
type DraftOrder struct {
	Ref          string // "Type/id"
	ResourceType string
	// JSON is the resource after repair: what update suggestions start from.
	JSON json.RawMessage

	entry int            // index in Bundle.entry, for repair notes
	tree  map[string]any // the repaired resource, for the typed parse
	// view is set for MedicationRequest, ServiceRequest and Immunization
	// (from the light decode); med for Medication entries, which contained
	// or referenced medications may point to.
	view *medView
	med  *medication
}

// ParseDraftOrders reads context.draftOrders. It repairs what is harmless to
// repair, and returns an *OrderError only when the Bundle is not a JSON
// object or a field the service reads has the wrong JSON type. The typed R4
// parse happens later, in Derive, and only for the orders of interest: which
// orders those are depends on the tables, and most draft orders (an
// amoxicillin, a diet) never need it.
func ParseDraftOrders(raw json.RawMessage) (*DraftOrders, error) {
	d := &DraftOrders{}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return d, nil
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil || top == nil {
		return nil, &OrderError{Field: "draftOrders", Message: "must be a FHIR Bundle (a JSON object)"}
	}
	var rt string
	if v, ok := top["resourceType"]; ok && json.Unmarshal(v, &rt) != nil {
		return nil, &OrderError{Field: "draftOrders.resourceType", Message: "must be a string"}
	}
	entries, err := d.bundleEntries(top, rt, raw)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for i, e := range entries {
		o, err := d.parseEntry(i, e)
		if err != nil {
			return nil, err
		}
		if o == nil {
			continue
		}
		if seen[o.Ref] {
			d.repair("draftOrders.entry[%d]: duplicate %s, skipped", i, o.ResourceType)
			continue
		}
		seen[o.Ref] = true
		d.Orders = append(d.Orders, o)
	}
	return d, nil
}

func (d *DraftOrders) repair(format string, args ...any) {
	d.Repairs = append(d.Repairs, fmt.Sprintf(format, args...))
}

// bundleEntries returns the entries of the Bundle, or the resource itself
// when a sender put a single resource where the Bundle belongs.
func (d *DraftOrders) bundleEntries(top map[string]json.RawMessage, rt string, raw json.RawMessage) ([]json.RawMessage, error) {
	switch {
	case rt == "Bundle":
	case rt == "":
		d.repair("draftOrders: resourceType missing, assumed Bundle")
	default:
		d.repair("draftOrders: a single %s instead of a Bundle, read as its only entry", safeType(rt))
		return []json.RawMessage{mustJSON(map[string]json.RawMessage{"resource": raw})}, nil
	}
	var typ string
	if v, ok := top["type"]; !ok || isNull(v) {
		d.repair("draftOrders: Bundle.type missing, assumed collection")
	} else if json.Unmarshal(v, &typ) != nil {
		d.repair("draftOrders: Bundle.type is not a string, assumed collection")
	}
	v, ok := top["entry"]
	if !ok || isNull(v) {
		return nil, nil
	}
	switch jsonKind(v) {
	case '[':
		var list []json.RawMessage
		if err := json.Unmarshal(v, &list); err != nil {
			return nil, &OrderError{Field: "draftOrders.entry", Message: "must be an array"}
		}
		return list, nil
	case '{':
		d.repair("draftOrders: Bundle.entry is an object, read as an array of one")
		return []json.RawMessage{v}, nil
	}
	return nil, &OrderError{Field: "draftOrders.entry", Message: "must be an array"}
}

// parseEntry reads one entry; nil without error means skipped (and noted).
func (d *DraftOrders) parseEntry(i int, e json.RawMessage) (*DraftOrder, error) {
	if isNull(e) {
		d.repair("draftOrders.entry[%d]: null, skipped", i)
		return nil, nil
	}
	var entry map[string]json.RawMessage
	if json.Unmarshal(e, &entry) != nil {
		d.repair("draftOrders.entry[%d]: not an object, skipped", i)
		return nil, nil
	}
	res, ok := entry["resource"]
	if !ok || isNull(res) {
		d.repair("draftOrders.entry[%d]: no resource, skipped", i)
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(res))
	dec.UseNumber() // keep numbers exactly as sent in the repaired JSON
	var tree map[string]any
	if dec.Decode(&tree) != nil || tree == nil {
		d.repair("draftOrders.entry[%d]: resource is not an object, skipped", i)
		return nil, nil
	}
	rt, _ := tree["resourceType"].(string)
	if rt == "" {
		d.repair("draftOrders.entry[%d]: resource without resourceType, skipped", i)
		return nil, nil
	}
	o := &DraftOrder{ResourceType: rt, entry: i, tree: tree}
	id, _ := tree["id"].(string)
	if id == "" {
		// Without an id the order cannot be selected nor updated by
		// reference, but it can still be checked.
		id = fmt.Sprintf("draft-entry-%d", i)
		d.repair("draftOrders.entry[%d]: %s without id, referenced as %s/%s", i, safeType(rt), safeType(rt), id)
	}
	o.Ref = rt + "/" + id
	changed := d.repairResource(i, rt, tree)
	if changed {
		o.JSON = mustJSON(tree)
	} else {
		o.JSON = append(json.RawMessage(nil), res...)
	}
	if orderTypes[rt] || rt == "Medication" {
		if err := o.lightDecode(); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// lightDecode reads the fields the service uses with encoding/json. A wrong
// JSON type there is the one thing that rejects a draft order.
func (o *DraftOrder) lightDecode() error {
	var r resource
	if err := json.Unmarshal(o.JSON, &r); err != nil {
		return o.typeError(err, "")
	}
	for i, c := range r.Contained {
		var m medication
		if err := json.Unmarshal(c, &m); err != nil {
			var head struct {
				ResourceType string `json:"resourceType"`
			}
			if json.Unmarshal(c, &head) == nil && head.ResourceType != "Medication" {
				continue // other contained resources are not read
			}
			return o.typeError(err, fmt.Sprintf("contained[%d].", i))
		}
	}
	if o.ResourceType == "Medication" {
		o.med = &medication{ResourceType: r.ResourceType, ID: r.ID, Code: r.Code, Form: r.Form}
		return nil
	}
	v := viewFromLight(&r)
	o.view = &v
	return nil
}

func (o *DraftOrder) typeError(err error, prefix string) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			field = "(resource)"
		}
		return &OrderError{Ref: o.Ref, Field: o.ResourceType + "." + prefix + field,
			Message: "has the wrong JSON type, want " + jsonTypeName(te.Type)}
	}
	return &OrderError{Ref: o.Ref, Field: o.ResourceType, Message: "cannot be read"}
}

// repairResource fixes the deviations that change nothing clinically. It
// reports whether the tree changed.
func (d *DraftOrders) repairResource(i int, rt string, tree map[string]any) bool {
	r := repairer{d: d, where: fmt.Sprintf("draftOrders.entry[%d] %s", i, safeType(rt))}
	switch rt {
	case "MedicationRequest", "ServiceRequest", "NutritionOrder", "DeviceRequest", "VisionPrescription":
		// Required by R4; a draft order without them is still clearly
		// a proposed order.
		r.defaultString(tree, "status", "draft")
		r.defaultString(tree, "intent", "order")
	}
	switch rt {
	case "MedicationRequest":
		r.concept(tree, "medicationCodeableConcept")
		r.wrap(tree, "contained", "contained")
		// Not read, but an update suggestion starts from the repaired
		// order: the CDS Hooks Sandbox sends category as an object, and
		// would apply a suggestion that is no valid R4 resource.
		r.wrap(tree, "category", "category")
		if list := r.wrap(tree, "dosageInstruction", "dosageInstruction"); list != nil {
			for j, dv := range list {
				if dm, ok := dv.(map[string]any); ok {
					r.dosage(dm, fmt.Sprintf("dosageInstruction[%d]", j))
				}
			}
		}
	case "ServiceRequest":
		r.concept(tree, "code")
	case "Immunization":
		r.concept(tree, "vaccineCode")
		r.concept(tree, "route")
	}
	return r.changed
}

type repairer struct {
	d       *DraftOrders
	where   string
	changed bool
}

func (r *repairer) note(format string, args ...any) {
	r.changed = true
	r.d.repair(r.where+": "+format, args...)
}

func (r *repairer) defaultString(m map[string]any, key, value string) {
	if v, ok := m[key]; !ok || v == nil {
		m[key] = value
		r.note("%s missing, assumed %s", key, value)
	}
}

// wrap turns an object where R4 has an array into an array of one, and
// returns the array (nil when absent or of another type).
func (r *repairer) wrap(m map[string]any, key, path string) []any {
	switch v := m[key].(type) {
	case map[string]any:
		m[key] = []any{v}
		r.note("%s is an object, read as an array of one", path)
		return []any{v}
	case []any:
		return v
	}
	return nil
}

func (r *repairer) concept(m map[string]any, key string) {
	if cc, ok := m[key].(map[string]any); ok {
		r.wrap(cc, "coding", key+".coding")
	}
}

// dosage moves the STU3 dose and rate elements into doseAndRate[0].
func (r *repairer) dosage(dm map[string]any, path string) {
	r.wrap(dm, "doseAndRate", path+".doseAndRate")
	r.concept(dm, "route")
	if t, ok := dm["timing"].(map[string]any); ok {
		r.concept(t, "code")
	}
	for _, k := range []string{"doseQuantity", "doseRange", "rateRatio", "rateRange", "rateQuantity"} {
		v, ok := dm[k]
		if !ok {
			continue
		}
		delete(dm, k)
		list, _ := dm["doseAndRate"].([]any)
		if len(list) == 0 {
			list = []any{map[string]any{}}
		}
		first, ok := list[0].(map[string]any)
		if !ok {
			first = map[string]any{}
			list[0] = first
		}
		if _, has := first[k]; !has {
			first[k] = v
		}
		dm["doseAndRate"] = list
		r.note("%s.%s (STU3) moved to doseAndRate[0]", path, k)
	}
}

// Medication returns the Medication entry with the given id, if any.
func (d *DraftOrders) medication(ref string) *medication {
	if d == nil {
		return nil
	}
	for _, o := range d.Orders {
		if o.med != nil && o.Ref == ref {
			return o.med
		}
	}
	return nil
}

func isNull(b json.RawMessage) bool {
	b = bytes.TrimSpace(b)
	return len(b) == 0 || bytes.Equal(b, []byte("null"))
}

// jsonKind returns the first byte of a JSON value: '{', '[', '"', 't', 'f',
// 'n', or a digit or '-'.
func jsonKind(b json.RawMessage) byte {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return 0
	}
	return b[0]
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		// Only values decoded from JSON reach here and they always encode;
		// never panic on input all the same.
		return json.RawMessage("null")
	}
	return b
}

// safeType keeps a sender-chosen resource type out of notes unless it looks
// like a FHIR type name (so that a note never carries free text).
func safeType(rt string) string {
	if len(rt) == 0 || len(rt) > 64 || rt[0] < 'A' || rt[0] > 'Z' {
		return "resource"
	}
	for _, c := range rt {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return "resource"
		}
	}
	return rt
}
