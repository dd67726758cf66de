package fhir

import (
	"strings"
	"time"

	"github.com/labelguard/labelguard/facts"
)

// patientFacts reads the demographic facts. Age is in completed years at
// now: the 65th birthday counts as 65. A partial birth date (YYYY, YYYY-MM)
// is read as the start of the period, like every partial date.
func patientFacts(r *resource, clk *clock) *facts.Patient {
	p := &facts.Patient{Ref: "Patient/" + r.ID, Sex: lower(r.Gender)}
	p.Deceased = r.DeceasedBoolean != nil && *r.DeceasedBoolean || strings.TrimSpace(r.DeceasedDateTime) != ""
	if b, ok := parseTime(r.BirthDate); ok {
		p.BirthDate = strings.TrimSpace(r.BirthDate)
		if age, ok := ageYears(b, clk); ok {
			p.AgeYears = &age
		}
	}
	return p
}

// ageYears is the age in completed years at the clock's time; none for a
// birth after it (a birth date with a time of day, not FHIR's date, can be
// later the same day).
func ageYears(birth time.Time, clk *clock) (int, bool) {
	if clk.after(birth) {
		return 0, false
	}
	birth, now := birth.UTC(), clk.now.UTC()
	age := now.Year() - birth.Year()
	if now.Month() < birth.Month() || now.Month() == birth.Month() && now.Day() < birth.Day() {
		age--
	}
	return age, true
}

// conditionFacts applies docs/clinical/conventions.md#active-condition: active is clinicalStatus active,
// recurrence, relapse or absent, and not refuted or entered-in-error;
// history also accepts inactive, resolved and remission. A Condition with
// no clinicalStatus but an abatement[x] has abated (FHIR R4 con-4 requires
// inactive, resolved or remission then): history, not active.
func conditionFacts(r *resource, clk *clock) facts.Condition {
	c := facts.Condition{
		Ref:                "Condition/" + r.ID,
		Codes:              r.Code.codes(),
		Text:               r.Code.text(),
		Display:            r.Code.display(),
		ClinicalStatus:     r.ClinicalStatus.code(),
		VerificationStatus: r.VerificationStatus.code(),
		Recorded:           normTime(r.RecordedDate),
	}
	c.Onset = normTime(r.OnsetDateTime)
	if c.Onset == "" && r.OnsetPeriod != nil {
		c.Onset = normTime(r.OnsetPeriod.Start)
	}
	valid := c.VerificationStatus != "refuted" && c.VerificationStatus != "entered-in-error"
	switch c.ClinicalStatus {
	case "":
		c.History = valid
		c.Active = valid && !abated(r, clk)
	case "active", "recurrence", "relapse":
		c.Active = valid
		c.History = valid
	case "inactive", "resolved", "remission":
		c.History = valid
	}
	return c
}

// abated reports whether a Condition carries an abatement[x] that has
// happened: any abatement except abatementBoolean false (STU3) and an
// abatementDateTime after now.
func abated(r *resource, clk *clock) bool {
	switch {
	case bool(r.AbatementAge || r.AbatementPeriod || r.AbatementRange || r.AbatementString) || bool(r.AbatementBoolean):
		return true
	case r.AbatementDateTime.Sent:
		t, ok := parseTime(r.AbatementDateTime.Value)
		return !ok || !clk.after(t)
	}
	return false
}

// immunizationFacts skips immunizations that were not given.
func immunizationFacts(r *resource) (facts.Immunization, bool) {
	st := lower(r.Status)
	if st == "entered-in-error" || st == "not-done" {
		return facts.Immunization{}, false
	}
	return facts.Immunization{
		Ref:     "Immunization/" + r.ID,
		Codes:   r.VaccineCode.codes(),
		Text:    r.VaccineCode.text(),
		Display: r.VaccineCode.display(),
		Status:  st,
		Date:    normTime(r.OccurrenceDateTime),
	}, true
}

// allergyFacts: the substance from the code and the reactions; active when
// clinicalStatus is active or absent and the allergy is not refuted or
// entered in error.
func allergyFacts(r *resource) facts.Allergy {
	codes := r.Code.codes()
	names := r.Code.names()
	for _, re := range r.Reaction {
		for _, c := range re.Substance.codes() {
			codes = appendUnique(codes, c)
		}
		for _, n := range re.Substance.names() {
			names = appendUnique(names, n)
		}
	}
	cs, vs := r.ClinicalStatus.code(), r.VerificationStatus.code()
	return facts.Allergy{
		Ref:     "AllergyIntolerance/" + r.ID,
		Codes:   codes,
		Text:    joinNames(names),
		Display: r.Code.display(),
		Active:  (cs == "" || cs == "active") && vs != "refuted" && vs != "entered-in-error",
	}
}
