package fhir

import "encoding/json"

// resource is the union of the fields the rules read from every resource
// type of interest (Patient, Condition, MedicationRequest,
// MedicationStatement, Medication, Immunization, AllergyIntolerance,
// Observation, OperationOutcome, and draft ServiceRequests). FHIR gives an
// element name the same type across these resources, so one struct decodes
// any of them in a single encoding/json pass.
type resource struct {
	ResourceType string `json:"resourceType"`
	ID           string `json:"id"`

	// Subject and Patient only serve to drop another patient's resources;
	// a malformed one is ignored rather than failing the resource.
	Subject *looseRef `json:"subject"`
	Patient *looseRef `json:"patient"`
	Status  string    `json:"status"`

	// Patient
	BirthDate        string `json:"birthDate"`
	Gender           string `json:"gender"`
	DeceasedBoolean  *bool  `json:"deceasedBoolean"`
	DeceasedDateTime string `json:"deceasedDateTime"`

	// Condition, AllergyIntolerance, Observation, Medication, ServiceRequest
	Code               *codeableConcept `json:"code"`
	ClinicalStatus     *statusCC        `json:"clinicalStatus"`
	VerificationStatus *statusCC        `json:"verificationStatus"`
	OnsetDateTime      string           `json:"onsetDateTime"`
	OnsetPeriod        *period          `json:"onsetPeriod"`
	RecordedDate       string           `json:"recordedDate"`
	// Condition.abatement[x]: only its presence (and a date in the future)
	// matters, and a malformed one must not drop the Condition.
	AbatementDateTime looseString `json:"abatementDateTime"`
	AbatementAge      present     `json:"abatementAge"`
	AbatementPeriod   present     `json:"abatementPeriod"`
	AbatementRange    present     `json:"abatementRange"`
	AbatementString   present     `json:"abatementString"`
	AbatementBoolean  jsonTrue    `json:"abatementBoolean"` // STU3
	Reaction          []struct {
		Substance *codeableConcept `json:"substance"`
	} `json:"reaction"`

	// Immunization
	VaccineCode        *codeableConcept `json:"vaccineCode"`
	OccurrenceDateTime string           `json:"occurrenceDateTime"`
	OccurrencePeriod   *period          `json:"occurrencePeriod"`
	Route              *codeableConcept `json:"route"`

	// MedicationRequest, MedicationStatement, Medication
	Intent                    string            `json:"intent"`
	MedicationCodeableConcept *codeableConcept  `json:"medicationCodeableConcept"`
	MedicationReference       *reference        `json:"medicationReference"`
	Contained                 []json.RawMessage `json:"contained"`
	AuthoredOn                string            `json:"authoredOn"`
	DosageInstruction         []dosage          `json:"dosageInstruction"`
	Dosage                    []dosage          `json:"dosage"`
	DispenseRequest           *dispenseRequest  `json:"dispenseRequest"`
	PriorPrescription         *reference        `json:"priorPrescription"`
	Form                      *codeableConcept  `json:"form"`

	// Observation, MedicationStatement
	EffectiveDateTime    string           `json:"effectiveDateTime"`
	EffectivePeriod      *period          `json:"effectivePeriod"`
	Issued               string           `json:"issued"`
	ValueQuantity        *quantity        `json:"valueQuantity"`
	ValueCodeableConcept *codeableConcept `json:"valueCodeableConcept"`
	ValueString          *string          `json:"valueString"`
	Interpretation       ccList           `json:"interpretation"`

	// OperationOutcome
	Issue []struct {
		Severity string `json:"severity"`
		Code     string `json:"code"`
	} `json:"issue"`
}

// medView is a medication-like order or statement reduced to what the
// medication facts need. It is filled from the light decode (prefetch, and
// draft orders that are not of interest) or from the typed google/fhir/go
// parse (draft orders of interest), so both paths share one derivation.
type medView struct {
	ResourceType      string
	ID                string
	Status            string
	Intent            string
	Concept           *codeableConcept // medication[x] concept, ServiceRequest.code, Immunization.vaccineCode
	MedRef            string           // medicationReference.reference
	MedRefDisplay     string           // medicationReference.display, often the drug name
	Contained         []medication
	Start             string // RFC 3339 UTC
	PriorPrescription bool
	Dosages           []dosage
	Dispense          *dispenseRequest
	Route             *codeableConcept // Immunization.route
}

// medTypes are the resource types that become medication facts.
var medTypes = map[string]bool{
	"MedicationRequest": true, "MedicationStatement": true,
	"ServiceRequest": true, "Immunization": true,
}

// orderTypes are the draft order types that can be orders of interest:
// target and interacting drugs, and live vaccines ordered as a
// ServiceRequest or an Immunization.
var orderTypes = map[string]bool{"MedicationRequest": true, "ServiceRequest": true, "Immunization": true}

// viewFromLight builds the medication view of a light-decoded resource.
// Contained resources that are not a valid Medication are ignored.
func viewFromLight(r *resource) medView {
	v := medView{ResourceType: r.ResourceType, ID: r.ID, Status: lower(r.Status), Intent: lower(r.Intent)}
	switch r.ResourceType {
	case "MedicationRequest":
		v.Concept = r.MedicationCodeableConcept
		v.Start = normTime(r.AuthoredOn)
		v.Dosages = r.DosageInstruction
		v.Dispense = r.DispenseRequest
		v.PriorPrescription = r.PriorPrescription != nil && (r.PriorPrescription.Reference != "" || r.PriorPrescription.Display != "")
	case "MedicationStatement":
		v.Concept = r.MedicationCodeableConcept
		v.Start = normTime(r.EffectiveDateTime)
		if v.Start == "" && r.EffectivePeriod != nil {
			v.Start = normTime(r.EffectivePeriod.Start)
		}
		v.Dosages = r.Dosage
	case "ServiceRequest":
		v.Concept = r.Code
		v.Start = normTime(r.OccurrenceDateTime)
		if v.Start == "" && r.OccurrencePeriod != nil {
			v.Start = normTime(r.OccurrencePeriod.Start)
		}
		if v.Start == "" {
			v.Start = normTime(r.AuthoredOn)
		}
	case "Immunization":
		v.Concept = r.VaccineCode
		v.Start = normTime(r.OccurrenceDateTime)
		v.Route = r.Route
	}
	if r.MedicationReference != nil {
		v.MedRef = r.MedicationReference.Reference
		v.MedRefDisplay = r.MedicationReference.Display
	}
	for _, c := range r.Contained {
		var m medication
		if decodeLight(c, &m) == nil && m.ResourceType == "Medication" {
			v.Contained = append(v.Contained, m)
		}
	}
	return v
}
