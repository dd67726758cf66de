package facts

// Version is the policy input version. Policies may check input.version.
const Version = 1

// Input is what every rule sees as `input`. Conventions: codes are
// "system|code" strings (ICD-10-CM codes upper case without the dot, so that
// value set prefixes match), times are RFC 3339 UTC, references are
// "Type/id", and optional fields are omitted rather than null.
type Input struct {
	Version      int    `json:"version"`
	Service      string `json:"service"`
	Hook         string `json:"hook"`
	HookInstance string `json:"hookInstance"`
	// Now is the evaluation time: the clock in serve, a fixed time in tests.
	// Policies never read the clock themselves.
	Now     string   `json:"now"`
	Patient *Patient `json:"patient,omitempty"`
	// Orders are the orders of interest (docs/clinical/conventions.md#orders-of-interest): target-drug draft
	// orders, and interacting-drug draft orders while a target is active or
	// drafted. For order-select only those named in context.selections.
	Orders []Med `json:"orders,omitempty"`
	// Medications are the active medications (MedicationRequest active or
	// on-hold, MedicationStatement active or intended) and every draft order
	// of the request, including the orders of interest (Draft set), so that
	// interaction rules treat other draft orders like active medications.
	Medications   []Med          `json:"medications,omitempty"`
	Conditions    []Condition    `json:"conditions,omitempty"`
	Immunizations []Immunization `json:"immunizations,omitempty"`
	Allergies     []Allergy      `json:"allergies,omitempty"`
	// Labs holds, per analyte of the lab table (anc, alc, hgb, platelets,
	// egfr, alt, ast, lipids, tb, hbsag, hcv, hcg, pregnancy-status,
	// breastfeeding, smoking, weight, bsa, cyp2c19), the latest usable result
	// not after Now, converted to the canonical unit. Windows are applied in
	// Rego so that a site can change them.
	Labs map[string]Lab `json:"labs,omitempty"`
	// Dispense holds, per medication ref (an order or an active
	// medication), what its dispenseRequest asks for. It is apart from
	// the medication facts because few rules read it (the cream's
	// amount): a call whose rule packages do not name input.dispense is
	// evaluated, and its decision cached, without it, so that an edit of
	// the dispense of an oral order is answered from the decision made
	// before it (engine.PolicySet.EvaluationInput).
	Dispense map[string]Dispense `json:"dispense,omitempty"`
	// DataIssues lists what could not be obtained or was dropped.
	DataIssues []DataIssue `json:"dataIssues,omitempty"`
}

// Patient holds the demographic facts the rules read.
type Patient struct {
	Ref       string `json:"ref"`
	BirthDate string `json:"birthDate,omitempty"`
	// AgeYears is the age in completed years at Now; omitted when the birth
	// date is unknown.
	AgeYears *int   `json:"ageYears,omitempty"`
	Sex      string `json:"sex,omitempty"` // FHIR administrative gender
	Deceased bool   `json:"deceased,omitempty"`
}

// Med is a medication fact: an order of interest, another draft order, or an
// active medication. Order-only fields (Selected, Phase, Started, dose
// derivation details) are set on Input.Orders.
type Med struct {
	Ref          string   `json:"ref"`          // "MedicationRequest/id"
	ResourceType string   `json:"resourceType"` // MedicationRequest, MedicationStatement, ServiceRequest, Immunization
	Codes        []string `json:"codes,omitempty"`
	// Text is every name the resource carries for its medication (code
	// text, coding displays, contained or referenced Medication names),
	// normalized for word matching (terminology.NormalizeText: lower case,
	// words separated by single spaces, a space at each end).
	Text string `json:"text,omitempty"`
	// Display is the medication's name as sent, for card wording.
	Display string `json:"display,omitempty"`
	// ValueSets lists the IDs of the value sets the resource belongs to (by
	// code, or by name in Text), computed once by the facts layer with the
	// policy set's own value sets; always present, possibly empty, so that
	// lib.in_valueset needs no per-rule matching.
	ValueSets []string `json:"valueSets"`

	// Ingredients are the drug-table ingredient IDs found by code or name.
	Ingredients []string `json:"ingredients,omitempty"`
	// Target is the target drug ID (upadacitinib, abrocitinib, baricitinib,
	// ruxolitinib-cream) when the medication is one; empty otherwise.
	Target  string `json:"target,omitempty"`
	Route   string `json:"route,omitempty"` // lower-cased route text or display
	Topical bool   `json:"topical,omitempty"`
	Status  string `json:"status,omitempty"`
	Intent  string `json:"intent,omitempty"`
	Draft   bool   `json:"draft,omitempty"`  // a draft order of this request
	Active  bool   `json:"active,omitempty"` // active medication per docs/clinical/conventions.md#active-medication (never set on drafts)
	// Start is authoredOn (MedicationRequest), the effective start
	// (MedicationStatement) or the occurrence (ServiceRequest, Immunization).
	Start             string `json:"start,omitempty"`
	PriorPrescription bool   `json:"priorPrescription,omitempty"`
	AsNeeded          bool   `json:"asNeeded,omitempty"`

	// Dose facts, when derivable.
	StrengthMg      *float64 `json:"strengthMg,omitempty"`
	DoseMg          *float64 `json:"doseMg,omitempty"` // one administration
	FrequencyPerDay *float64 `json:"frequencyPerDay,omitempty"`
	DailyDoseMg     *float64 `json:"dailyDoseMg,omitempty"`
	// DoseNote says why DailyDoseMg could not be derived, for the
	// jak.dose-unverifiable card.
	DoseNote string `json:"doseNote,omitempty"`

	// Order-only facts.
	Selected bool   `json:"selected,omitempty"` // named in context.selections (order-select)
	Phase    string `json:"phase,omitempty"`    // "initiation" or "continuation" (target orders)
	// Started is the earliest start among the active medications with the
	// same target, or Now at initiation.
	Started string `json:"started,omitempty"`
}

// Dispense is what a medication's dispenseRequest asks for.
type Dispense struct {
	Quantity           *Quantity `json:"quantity,omitempty"`           // dispenseRequest.quantity
	SupplyDurationDays *float64  `json:"supplyDurationDays,omitempty"` // expectedSupplyDuration in days
}

// Quantity is a value with its unit as sent.
type Quantity struct {
	Value float64 `json:"value"`
	Unit  string  `json:"unit,omitempty"`
}

// Condition is a Condition resource reduced to what rules match on.
type Condition struct {
	Ref                string   `json:"ref"`
	Codes              []string `json:"codes,omitempty"`
	Text               string   `json:"text,omitempty"` // code text and displays, normalized for word matching
	Display            string   `json:"display,omitempty"`
	ValueSets          []string `json:"valueSets"` // as Med.ValueSets
	ClinicalStatus     string   `json:"clinicalStatus,omitempty"`
	VerificationStatus string   `json:"verificationStatus,omitempty"`
	// Active: clinicalStatus active, recurrence, relapse or absent, and not
	// refuted or entered-in-error. History: Active, or inactive, resolved or
	// remission (history codes such as Z86.x are matched in Rego).
	Active   bool   `json:"active,omitempty"`
	History  bool   `json:"history,omitempty"`
	Onset    string `json:"onset,omitempty"`
	Recorded string `json:"recorded,omitempty"`
}

// Immunization is a given (or draft) immunization.
type Immunization struct {
	Ref       string   `json:"ref"`
	Codes     []string `json:"codes,omitempty"` // CVX among them
	Text      string   `json:"text,omitempty"`
	Display   string   `json:"display,omitempty"`
	ValueSets []string `json:"valueSets"` // as Med.ValueSets
	Status    string   `json:"status,omitempty"`
	Date      string   `json:"date,omitempty"` // occurrenceDateTime
}

// Allergy is an AllergyIntolerance reduced to its substance.
type Allergy struct {
	Ref       string   `json:"ref"`
	Codes     []string `json:"codes,omitempty"`
	Text      string   `json:"text,omitempty"` // code text, displays, reaction substances, normalized
	Display   string   `json:"display,omitempty"`
	ValueSets []string `json:"valueSets"` // as Med.ValueSets
	Active    bool     `json:"active,omitempty"`
}

// Lab is the latest usable result of one analyte.
type Lab struct {
	Ref  string `json:"ref"`
	Code string `json:"code"` // "http://loinc.org|751-8"
	// Value in the canonical unit, for quantitative analytes.
	Value *float64 `json:"value,omitempty"`
	Unit  string   `json:"unit,omitempty"`
	// Result is positive, negative or indeterminate for qualitative
	// analytes (TB screen, HBsAg, HCV antibody, hCG).
	Result string `json:"result,omitempty"`
	// ValueCodes are the "system|code" of a coded value (pregnancy status,
	// breastfeeding, smoking status); ValueText its names normalised for
	// word matching (lower case, punctuation as spaces: "Poor metabolizer
	// (*2/*2)" is " poor metabolizer 2 2 "), ValueDisplay the value as
	// recorded, for card words and for patterns that need its punctuation
	// (a CYP2C19 diplotype "*2/*3").
	ValueCodes   []string `json:"valueCodes,omitempty"`
	ValueText    string   `json:"valueText,omitempty"`
	ValueDisplay string   `json:"valueDisplay,omitempty"`
	// ValueSets are the value sets of the coded value (ValueCodes and
	// ValueText), computed like Med.ValueSets; present, possibly empty, on
	// every coded result and absent on the others, so that
	// lib.coded_lab_in needs no per-rule matching.
	ValueSets *[]string `json:"valueSets,omitempty"`
	Time      string    `json:"time"`
	// AgeDays is (Now - Time) in days, never negative: results after Now
	// are not used.
	AgeDays float64 `json:"ageDays"`
}

// DataIssue records data that could not be obtained or were dropped.
type DataIssue struct {
	Kind   string `json:"kind"` // missing-key, fetch-failed, dropped, paging-capped
	Key    string `json:"key,omitempty"`
	Count  int    `json:"count,omitempty"`
	Detail string `json:"detail,omitempty"`
}
