package fhir

import "errors"

// ErrPatientUnavailable means that no Patient resource for the request's
// patient was found in the prefetch. CDS Hooks asks for 412 then: the service
// could not obtain the data it requires.
var ErrPatientUnavailable = errors.New("fhir: the patient resource is not available")

// OrderError is a draft order the service cannot read: a field it reads has
// the wrong JSON type, or the draftOrders Bundle is not a Bundle. The HTTP
// layer answers 400. Ref, Field and Message never contain patient values,
// only resource references, JSON paths and fixed wording.
type OrderError struct {
	Ref     string // "MedicationRequest/abc", or "" when the Bundle itself is wrong
	Field   string // JSON path such as "MedicationRequest.dosageInstruction"
	Message string
}

func (e *OrderError) Error() string {
	s := "draft order"
	if e.Ref != "" {
		s += " " + e.Ref
	}
	if e.Field != "" {
		s += ": " + e.Field
	}
	return s + ": " + e.Message
}
