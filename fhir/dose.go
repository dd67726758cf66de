package fhir

import (
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/labelguard/labelguard/facts"
)

// Dose notes: why DailyDoseMg could not be derived (jak.dose-unverifiable).
const (
	noteNoDosage      = "no dosage instruction"
	noteNoDose        = "no dose quantity"
	noteDoseRange     = "dose is a range"
	noteUnit          = "dose unit not convertible"
	noteNoStrength    = "no strength for the dose unit"
	noteNoFrequency   = "no frequency"
	notePeriodUnit    = "period unit not convertible"
	noteAsNeeded      = "as needed"
	noteMixedDosages  = "dosage instructions not combinable"
	noteZeroFrequency = "frequency is zero"
)

// strength is the amount of drug in one unit of the product's dose form.
type strength struct {
	mg  float64
	per string // "unit" (tablet, capsule...), "ml", "actuat", "g"
}

// A strength in an RxNorm-style name: "15 MG", "1 MG/ML", "0.4 MG/ACTUAT",
// "15 MG/G", "100 MCG".
var strengthRE = regexp.MustCompile(`(?i)(?:^|[^0-9a-z.])(\d+(?:\.\d+)?)\s*(mg|mcg|µg|ug|g)\b(?:\s*/\s*(ml|actuat|actuation|g|hr|24hr|day))?`)

var massMg = map[string]float64{"mg": 1, "mcg": 0.001, "µg": 0.001, "ug": 0.001, "g": 1000}

func parseStrength(name string) (strength, bool) {
	m := strengthRE.FindStringSubmatch(name)
	if m == nil {
		return strength{}, false
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil || v <= 0 || math.IsInf(v, 0) {
		return strength{}, false
	}
	per := "unit"
	switch strings.ToLower(m[3]) {
	case "":
	case "ml":
		per = "ml"
	case "actuat", "actuation":
		per = "actuat"
	case "g":
		per = "g"
	default:
		return strength{}, false // per hour or day: a rate, not a unit strength
	}
	return strength{mg: v * massMg[strings.ToLower(m[2])], per: per}, true
}

// productStrength finds the strength of a medication: a drug-table product
// with one of its codes (the form taken from the product's display), else
// parsed from its names. In a multi-ingredient name ("A 5 MG / B 10 MG") the
// segment naming one of its ingredients counts; with no known ingredient only
// a single-ingredient name does.
func productStrength(t Tables, m *facts.Med, names []string) (strength, bool) {
	if t.Drugs != nil {
		for _, ing := range m.Ingredients {
			d := t.Drugs.Drugs[ing]
			if d == nil {
				continue
			}
			for _, p := range d.Products {
				if p.StrengthMg <= 0 || !anyIn(p.Codes, m.Codes) {
					continue
				}
				s := strength{mg: p.StrengthMg, per: "unit"}
				if ps, ok := parseStrength(p.Display); ok {
					s.per = ps.per
				}
				return s, true
			}
		}
	}
	for _, n := range names {
		segs := strings.Split(n, " / ")
		for _, seg := range segs {
			if len(segs) > 1 && !namesIngredient(t, m, seg) {
				continue
			}
			if s, ok := parseStrength(seg); ok {
				return s, true
			}
		}
	}
	return strength{}, false
}

func namesIngredient(t Tables, m *facts.Med, seg string) bool {
	if t.Drugs == nil {
		return false
	}
	for _, ing := range m.Ingredients {
		if d := t.Drugs.Drugs[ing]; d != nil {
			for _, n := range d.Names {
				if n != "" && strings.Contains(seg, strings.ToLower(n)) {
					return true
				}
			}
		}
	}
	return false
}

func anyIn(a, b []string) bool {
	for _, x := range a {
		if slices.Contains(b, x) {
			return true
		}
	}
	return false
}

// Dose units by class, compared after lower-casing and removing braces.
var (
	unitDoseUnits = set("tbl", "tab", "tabs", "tablet", "tablets", "tablet(s)", "tablet dosing unit", "c48542",
		"cap", "caps", "capsule", "capsules", "capsule(s)", "capsule dosing unit", "c48480", "each", "ea")
	mlUnits     = set("ml", "milliliter", "milliliters", "millilitre", "millilitres", "c28254")
	actuatUnits = set("actuat", "actuation", "actuations", "puff", "puffs", "spray", "sprays", "c48537")
	gramUnits   = set("g", "gram", "grams")
)

func set(s ...string) map[string]bool {
	m := make(map[string]bool, len(s))
	for _, v := range s {
		m[v] = true
	}
	return m
}

func normDoseUnit(u string) string {
	return strings.ToLower(strings.NewReplacer("{", "", "}", "").Replace(strings.TrimSpace(u)))
}

// doseMg converts one administration to mg, with the product strength for
// dose-form units. The code (UCUM) is preferred over the free-text unit.
func doseMg(q *quantity, s strength, hasStrength bool) (float64, string) {
	for _, u := range []string{q.Code, q.Unit} {
		u = normDoseUnit(u)
		if u == "" {
			continue
		}
		if gramUnits[u] && hasStrength && s.per == "g" {
			return *q.Value * s.mg, ""
		}
		if f, ok := massMg[u]; ok {
			return *q.Value * f, ""
		}
		if per := doseForm(u); per != "" {
			if !hasStrength {
				return 0, noteNoStrength
			}
			if s.per != per {
				return 0, noteUnit
			}
			return *q.Value * s.mg, ""
		}
	}
	return 0, noteUnit
}

func doseForm(u string) string {
	switch {
	case unitDoseUnits[u]:
		return "unit"
	case mlUnits[u]:
		return "ml"
	case actuatUnits[u]:
		return "actuat"
	}
	return ""
}

// Days per FHIR unit of time (UCUM: mo and a are the mean Julian month and
// year).
var unitDays = map[string]float64{
	"s": 1.0 / 86400, "min": 1.0 / 1440, "h": 1.0 / 24, "d": 1, "wk": 7, "mo": 30.4375, "a": 365.25,
}

// Timing codes of http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation
// (and the usual spellings of the same abbreviations), matched by code
// case-insensitively, in administrations per day.
var timingCodes = map[string]float64{
	"QD": 1, "BID": 2, "TID": 3, "QID": 4, "QOD": 0.5, "AM": 1, "PM": 1, "QAM": 1, "QPM": 1, "QHS": 1,
	"Q4H": 6, "Q6H": 4, "Q8H": 3, "Q12H": 2, "Q24H": 1,
}

// perDay derives administrations per day: timing.repeat.frequency / period
// (frequency defaults to 1), else the number of times of day, else the
// timing code.
func perDay(d *dosage) (float64, string) {
	if d.Timing == nil {
		return 0, noteNoFrequency
	}
	if r := d.Timing.Repeat; r != nil {
		if r.Period != nil {
			f := 1.0
			if r.Frequency != nil {
				f = *r.Frequency
			}
			days, ok := unitDays[strings.TrimSpace(r.PeriodUnit)]
			if !ok {
				return 0, notePeriodUnit
			}
			if *r.Period <= 0 {
				return 0, noteNoFrequency
			}
			return f / (*r.Period * days), ""
		}
		if n := len(r.TimeOfDay); n > 0 {
			return float64(n), ""
		}
	}
	if c := d.Timing.Code; c != nil {
		for _, cd := range c.Coding {
			if f, ok := timingCodes[strings.ToUpper(strings.TrimSpace(cd.Code))]; ok {
				return f, ""
			}
		}
		if f, ok := timingCodes[strings.ToUpper(strings.TrimSpace(c.Text))]; ok {
			return f, ""
		}
	}
	return 0, noteNoFrequency
}

// firstDose returns doseAndRate[0].doseQuantity, or the STU3 doseQuantity.
func firstDose(d *dosage) (*quantity, string) {
	if len(d.DoseAndRate) > 0 {
		dr := d.DoseAndRate[0]
		if dr.DoseQuantity != nil && dr.DoseQuantity.Value != nil {
			return dr.DoseQuantity, ""
		}
		if dr.DoseRange != nil {
			return nil, noteDoseRange
		}
	}
	if d.DoseQuantity != nil && d.DoseQuantity.Value != nil {
		return d.DoseQuantity, ""
	}
	if d.DoseRange != nil {
		return nil, noteDoseRange
	}
	return nil, noteNoDose
}

type doseResult struct {
	dose, freq       float64
	hasDose, hasFreq bool
	note             string
}

func oneDosage(d *dosage, s strength, hasStrength bool) doseResult {
	var r doseResult
	q, note := firstDose(d)
	if q != nil {
		r.dose, note = doseMg(q, s, hasStrength)
		r.hasDose = note == ""
	}
	r.note = note
	f, fnote := perDay(d)
	r.freq, r.hasFreq = f, fnote == ""
	if r.note == "" {
		r.note = fnote
	}
	if r.note == "" && r.freq <= 0 {
		r.note = noteZeroFrequency
	}
	return r
}

// doseFacts sets StrengthMg, DoseMg, FrequencyPerDay and DailyDoseMg, or
// DoseNote when the daily dose cannot be derived (RULES.md §1 daily dose).
// Dosage instructions with the same sequence run concurrently and add up;
// different sequences follow each other, and the highest counts.
func doseFacts(t Tables, m *facts.Med, dosages []dosage, names []string) {
	s, hasStrength := productStrength(t, m, names)
	if hasStrength {
		m.StrengthMg = ptr(s.mg)
	}
	if len(dosages) == 0 {
		m.DoseNote = noteNoDosage
		return
	}
	results := make([]doseResult, len(dosages))
	for i := range dosages {
		results[i] = oneDosage(&dosages[i], s, hasStrength)
	}
	if r := results[0]; r.hasDose {
		m.DoseMg = ptr(r.dose)
	}
	if r := results[0]; r.hasFreq {
		m.FrequencyPerDay = ptr(r.freq)
	}
	bySeq := map[float64]float64{}
	for i, r := range results {
		if r.note != "" {
			m.DoseNote = r.note
			if m.AsNeeded && r.note == noteNoFrequency {
				m.DoseNote = noteAsNeeded
			}
			return
		}
		seq := 0.0
		if q := dosages[i].Sequence; q != nil {
			seq = *q
		}
		bySeq[seq] += r.dose * r.freq
	}
	if m.AsNeeded {
		// The dose taken is not known; rules use the strength instead.
		m.DoseNote = noteAsNeeded
		return
	}
	daily := 0.0
	for _, v := range bySeq {
		daily = math.Max(daily, v)
	}
	if math.IsInf(daily, 0) || math.IsNaN(daily) {
		m.DoseNote = noteMixedDosages
		return
	}
	m.DailyDoseMg = ptr(round(daily))
}

// durationDays converts expectedSupplyDuration to days.
func durationDays(q *quantity) (float64, bool) {
	if q == nil || q.Value == nil {
		return 0, false
	}
	for _, u := range []string{q.Code, q.Unit} {
		u = strings.ToLower(strings.TrimSpace(u))
		switch u {
		case "day", "days":
			u = "d"
		case "week", "weeks":
			u = "wk"
		case "month", "months":
			u = "mo"
		case "hour", "hours":
			u = "h"
		}
		if f, ok := unitDays[u]; ok {
			return round(*q.Value * f), true
		}
	}
	return 0, false
}

func ptr(v float64) *float64 { return &v }

// round removes binary noise (0.1 × 3) so that facts compare cleanly.
func round(v float64) float64 {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return v
	}
	return math.Round(v*1e9) / 1e9
}
