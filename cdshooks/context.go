package cdshooks

import (
	"encoding/json"
	"strings"
)

// Hooks whose context DecodeContext understands.
const (
	HookOrderSelect = "order-select"
	HookOrderSign   = "order-sign"
	HookPatientView = "patient-view"
)

// OrderContext is the context of the order-select and order-sign hooks
// (CDS Hooks Library 1.0). Selections is set for order-select only.
type OrderContext struct {
	UserID      string   `json:"userId,omitempty"`
	PatientID   string   `json:"patientId"`
	EncounterID string   `json:"encounterId,omitempty"`
	Selections  []string `json:"selections,omitempty"`
	// DraftOrders is the FHIR Bundle as sent; DecodeContext has checked its
	// outline (resourceType, entries, entry resources) but no FHIR content.
	DraftOrders json.RawMessage `json:"draftOrders"`
}

// PatientViewContext is the context of the patient-view hook.
type PatientViewContext struct {
	UserID      string `json:"userId,omitempty"`
	PatientID   string `json:"patientId"`
	EncounterID string `json:"encounterId,omitempty"`
}

// HookContext is a decoded context. Exactly one of Order and PatientView is
// set, according to Hook.
type HookContext struct {
	Hook        string
	Order       *OrderContext
	PatientView *PatientViewContext
	// Deviations lists departures from the hook definition that decoding
	// tolerated, such as a missing userId.
	Deviations []Deviation
}

// DecodeContext checks raw, the context member of a request, against the
// definition of hook and returns it typed. An unknown hook yields a
// *RequestError wrapping ErrUnsupportedHook.
//
// patientId, encounterId and userId become FHIR query parameters through
// prefetch tokens, so their syntax is checked strictly; a "Patient/" or
// "Encounter/" prefix, which some clients add, is removed and noted. A
// missing userId is tolerated and noted: the hook definitions require it, but
// no labelguard check depends on who the user is. draftOrders must be a
// Bundle whose entries hold resources, and for order-select every selection
// must name a resource in it, because an order the service cannot find is an
// order it silently fails to check.
func DecodeContext(hook string, raw json.RawMessage) (*HookContext, error) {
	hc := &HookContext{Hook: hook}
	switch hook {
	case HookOrderSelect, HookOrderSign, HookPatientView:
	default:
		return nil, &RequestError{Field: "hook", Message: "unsupported hook", Err: ErrUnsupportedHook}
	}
	o, err := parseObject(raw, "context", &hc.Deviations)
	if err != nil {
		return nil, err
	}
	var ids patientContext
	if err := ids.decode(o, hook); err != nil {
		return nil, err
	}
	if hook == HookPatientView {
		hc.PatientView = &PatientViewContext{UserID: ids.user, PatientID: ids.patient, EncounterID: ids.encounter}
		return hc, nil
	}
	oc := &OrderContext{UserID: ids.user, PatientID: ids.patient, EncounterID: ids.encounter}
	draft, ok := o.present("draftOrders")
	if !ok {
		return nil, invalid("context.draftOrders", "is required")
	}
	refs, err := checkBundle(draft, "context.draftOrders")
	if err != nil {
		return nil, err
	}
	oc.DraftOrders = draft
	if hook == HookOrderSelect {
		if oc.Selections, err = decodeSelections(o, refs); err != nil {
			return nil, err
		}
	}
	hc.Order = oc
	return hc, nil
}

type patientContext struct {
	user, patient, encounter string
}

// userTypes are the resource types a hook definition expects userId to
// reference.
var userTypes = map[string][]string{
	HookOrderSelect: {"Practitioner", "PractitionerRole"},
	HookOrderSign:   {"Practitioner", "PractitionerRole"},
	HookPatientView: {"Practitioner", "PractitionerRole", "Patient", "RelatedPerson"},
}

func (p *patientContext) decode(o object, hook string) error {
	user, ok, err := o.optionalString("userId")
	if err != nil {
		return err
	}
	if !ok {
		o.note("context.userId", "missing, required by the hook definition")
	} else {
		typ, _, valid := splitReference(user)
		if !valid {
			return invalid("context.userId", "must be a relative reference such as Practitioner/123")
		}
		if !contains(userTypes[hook], typ) {
			o.note("context.userId", "references a resource type the hook definition does not expect")
		}
		p.user = user
	}
	patient, err := o.requiredString("patientId")
	if err != nil {
		return err
	}
	if p.patient, err = bareID(o, "patientId", patient, "Patient/"); err != nil {
		return err
	}
	if enc, ok, err := o.optionalString("encounterId"); err != nil {
		return err
	} else if ok {
		if p.encounter, err = bareID(o, "encounterId", enc, "Encounter/"); err != nil {
			return err
		}
	}
	return nil
}

// bareID strips a tolerated type prefix and checks FHIR id syntax.
func bareID(o object, name, v, prefix string) (string, error) {
	if rest, ok := strings.CutPrefix(v, prefix); ok {
		o.note(o.fieldPath(name), "type prefix removed")
		v = rest
	}
	if !isFHIRID(v) {
		return "", invalid(o.fieldPath(name), "must be a FHIR resource id")
	}
	return v, nil
}

// checkBundle checks the outline of a FHIR Bundle and returns the
// "Type/id" references of its entry resources.
func checkBundle(raw json.RawMessage, path string) (map[string]bool, error) {
	b, err := parseFHIRObject(raw, path)
	if err != nil {
		return nil, err
	}
	var rt string
	if raw, ok := b.fields["resourceType"]; !ok || json.Unmarshal(raw, &rt) != nil || rt != "Bundle" {
		return nil, invalid(path, "must be a FHIR Bundle")
	}
	refs := map[string]bool{}
	entries, ok := b.present("entry")
	if !ok {
		return refs, nil
	}
	list, err := array(entries, path+".entry")
	if err != nil {
		return nil, err
	}
	for i, e := range list {
		ep := indexPath(path+".entry", i)
		eo, err := parseFHIRObject(e, ep)
		if err != nil {
			return nil, err
		}
		res, ok := eo.present("resource")
		if !ok {
			return nil, invalid(ep+".resource", "is required")
		}
		ro, err := parseFHIRObject(res, ep+".resource")
		if err != nil {
			return nil, err
		}
		typ, err := ro.requiredString("resourceType")
		if err != nil {
			return nil, err
		}
		if id, ok, err := ro.optionalString("id"); err != nil {
			return nil, err
		} else if ok {
			refs[typ+"/"+id] = true
		}
	}
	return refs, nil
}

func decodeSelections(o object, refs map[string]bool) ([]string, error) {
	raw, ok := o.present("selections")
	if !ok {
		return nil, invalid("context.selections", "is required for order-select")
	}
	list, err := array(raw, "context.selections")
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, invalid("context.selections", "must not be empty")
	}
	out := make([]string, 0, len(list))
	for i, item := range list {
		p := indexPath("context.selections", i)
		var s string
		if jsonKind(item) != "string" || json.Unmarshal(item, &s) != nil {
			return nil, invalid(p, "must be a string")
		}
		if s == "" {
			return nil, invalid(p, "must not be empty")
		}
		if !refs[s] {
			return nil, invalid(p, "does not match any resource in context.draftOrders")
		}
		out = append(out, s)
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
