package fhir

import (
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/labelguard/labelguard/facts"
	"github.com/labelguard/labelguard/terminology"
)

// Dose notes: why DailyDoseMg could not be derived (jak.dose-unverifiable).
const (
	noteNoDosage  = "no dosage instruction"
	noteNoDose    = "no dose quantity"
	noteDoseRange = "dose is a range"
	noteUnit      = "dose unit not convertible"
	noteNoUnit    = "dose has no unit"
	// A bare number at least as large as the strength: tablets or mg?
	noteNoUnitAmbiguous = "dose has no unit, and the number could be tablets or mg"
	noteNoFrequency     = "no frequency"
	notePeriodUnit      = "period unit not convertible"
	noteAsNeeded        = "as needed"
	noteMixedDosages    = "dosage instructions not combinable"
	noteZeroFrequency   = "frequency is zero"
)

// strength is the amount of drug in one unit of the product's dose form.
type strength struct {
	mg  float64
	per string // "unit" (tablet, capsule...), "ml", "actuat", "g"
}

// A strength in an RxNorm-style name: "15 MG", "1 MG/ML", "0.4 MG/ACTUAT",
// "15 MG/G", "100 MCG".
var strengthRE = regexp.MustCompile(`(?i)(?:^|[^0-9a-z.])(\d+(?:\.\d+)?)\s*(mg|mcg|µg|ug|g)\b(?:\s*/\s*(ml|actuat|actuation|g|hr|24hr|day))?`)

var massMg = map[string]float64{"mg": 1, "mcg": 0.001, "µg": 0.001, "ug": 0.001, "g": 1000,
	"milligram": 1, "milligrams": 1, "microgram": 0.001, "micrograms": 0.001}

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
	unitDoseUnits = set("tbl", "tab", "tabs", "tablet", "tablets", "tablet(s)", "tab(s)", "tablet dosing unit", "c48542",
		"cap", "caps", "capsule", "capsules", "capsule(s)", "cap(s)", "capsule dosing unit", "c48480",
		"pill", "pills", "pill(s)", "caplet", "caplets", "each", "ea",
		"1") // UCUM's unity: a count of the product's units
	mlUnits     = set("ml", "milliliter", "milliliters", "millilitre", "millilitres", "c28254")
	actuatUnits = set("actuat", "actuation", "actuations", "puff", "puffs", "spray", "sprays", "c48537")
	gramUnits   = set("g", "gram", "grams")
	// countWords name one unit of a solid dose form inside a longer unit
	// text ("Tablet (unit of presentation)", "Modified-release oral
	// tablet(s)").
	countWords = set("tablet", "tablets", "tab", "tabs", "tbl", "capsule", "capsules", "cap", "caps", "pill", "pills", "caplet", "caplets")
)

// SNOMED CT codes of dose units. Only codes read in a stored public source
// are listed, each with that source:
//   - 732936001 Tablet (unit of presentation): hl7ch/ch-core,
//     input/fsh/instances/medication/Triatec.fsh (strength denominator);
//     hl7ch/ch-emed, input/fsh/instances/medication/Nitrostat.fsh.
//   - 732937005 Capsule (unit of presentation): ahdis/chmed,
//     input/fsh/instances/medication/s01-1-roaccutan.fsh.
//   - 385055001 Tablet(s), 385061003 Modified-release oral tablet(s),
//     447079001 Orodispersible tablet(s), 420692007 Capsule(s), 385054002
//     Modified release capsule(s), and the units 258684004 mg, 258685003
//     microgram, 258682000 g, 258773002 mL: HL7NZ/cca,
//     input/fsh/terminology/doseUnit.fsh (value set "Medication dose unit").
var (
	snomedUnitDose = set("732936001", "732937005", "385055001", "385061003", "447079001", "420692007", "385054002")
	snomedMassMg   = map[string]float64{"258684004": 1, "258685003": 0.001}
	snomedGram     = "258682000"
	snomedML       = "258773002"
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

// doseUnit is how one administration is measured.
type doseUnit struct {
	mgFactor float64 // mass unit: mg per unit
	gram     bool    // g: mass, or grams of a product dosed per g
	per      string  // dose-form unit: "unit" (tablet...), "ml", "actuat"
	noun     string  // the form's plural for notes: "tablets", "capsules"...
	bare     bool    // a number without any unit
	unity    bool    // UCUM's unity "1": a count of whatever the product is
}

// readDoseUnit classifies a dose quantity: the SNOMED CT code when the
// system is SNOMED CT, else the code (UCUM) and then the free-text unit.
func readDoseUnit(q *quantity) (doseUnit, bool) {
	if terminology.NormalizeSystem(q.System) == terminology.SystemSNOMED {
		c := strings.TrimSpace(q.Code)
		switch {
		case snomedUnitDose[c]:
			return doseUnit{per: "unit", noun: formNoun(q.Unit, "units")}, true
		case snomedMassMg[c] > 0:
			return doseUnit{mgFactor: snomedMassMg[c]}, true
		case c == snomedGram:
			return doseUnit{mgFactor: 1000, gram: true}, true
		case c == snomedML:
			return doseUnit{per: "ml", noun: "mL"}, true
		}
	}
	if strings.TrimSpace(q.Code) == "" && strings.TrimSpace(q.Unit) == "" {
		return doseUnit{bare: true, per: "unit", noun: "units"}, true
	}
	for _, raw := range []string{q.Code, q.Unit} {
		u := normDoseUnit(raw)
		if u == "" {
			continue
		}
		if gramUnits[u] {
			return doseUnit{mgFactor: 1000, gram: true}, true
		}
		if f, ok := massMg[u]; ok {
			return doseUnit{mgFactor: f}, true
		}
		switch {
		case unitDoseUnits[u]:
			return doseUnit{per: "unit", noun: formNoun(raw+" "+q.Unit, "units"), unity: u == "1"}, true
		case mlUnits[u]:
			return doseUnit{per: "ml", noun: "mL"}, true
		case actuatUnits[u]:
			return doseUnit{per: "actuat", noun: "actuations"}, true
		}
		if countText(u) {
			return doseUnit{per: "unit", noun: formNoun(u, "units")}, true
		}
	}
	return doseUnit{}, false
}

// countText reports whether a unit text names a solid dose form and no
// unit of mass or volume ("mg/tablet" is a strength, not a count).
func countText(u string) bool {
	count := false
	for w := range strings.FieldsSeq(terminology.NormalizeText(u)) {
		if massMg[w] > 0 || gramUnits[w] || mlUnits[w] {
			return false
		}
		if countWords[w] {
			count = true
		}
	}
	return count
}

// formNoun names the counted form for a note: "tablets", "capsules", or
// def.
func formNoun(u, def string) string {
	t := terminology.NormalizeText(u)
	switch {
	case strings.Contains(t, " tab") || strings.Contains(t, " tbl") || strings.Contains(t, " pill") || strings.Contains(t, " caplet"):
		return "tablets"
	case strings.Contains(t, " cap"):
		return "capsules"
	}
	return def
}

// strengthSource is what a dose in dose-form units is multiplied by: the
// product's strength (coded product, else the medication's name), else the
// drug's only strength for the dose's form.
type strengthSource struct {
	s     strength
	ok    bool
	t     Tables
	m     *facts.Med
	fluid bool // the medication names a liquid or semisolid form
	used  *strength
}

// Words that make a medication liquid or semisolid: a bare number of it is
// not a count of tablets.
var fluidFormWords = []string{"solution", "suspension", "syrup", "elixir", "liquid", "drops", "cream", "ointment",
	"gel", "lotion", "foam", "injection", "injectable", "spray", "inhaler", "inhalation", "emulsion", "powder"}

func newStrengthSource(t Tables, m *facts.Med, names []string) *strengthSource {
	src := &strengthSource{t: t, m: m}
	src.s, src.ok = productStrength(t, m, names)
	for _, w := range fluidFormWords {
		if terminology.ContainsWord(m.Text, w) { // m.Text: the names, normalized
			src.fluid = true
			break
		}
	}
	return src
}

// forForm returns the strength for a dose measured per "unit", "ml" or
// "actuat". fromProduct is false when it is the drug's only strength for
// that form rather than the product's own.
func (src *strengthSource) forForm(per string) (s strength, found, fromProduct bool) {
	if src.ok {
		return src.s, true, true
	}
	if s, ok := onlyStrength(src.t, src.m, per); ok {
		return s, true, false
	}
	return strength{}, false, false
}

// onlyStrength is the one strength the drug table lists for the
// medication's single ingredient in the dose's form ("unit": tablets and
// capsules; "ml"; ...). It assumes the table lists every strength the
// site can dispense: a site that trims it must keep each form complete.
func onlyStrength(t Tables, m *facts.Med, per string) (strength, bool) {
	d := singleDrug(t, m)
	if d == nil {
		return strength{}, false
	}
	var found []float64
	for _, p := range d.Products {
		if p.StrengthMg <= 0 || productPer(p) != per {
			continue
		}
		if !slices.Contains(found, p.StrengthMg) {
			found = append(found, p.StrengthMg)
		}
	}
	if len(found) != 1 {
		return strength{}, false
	}
	return strength{mg: found[0], per: per}, true
}

// strengthsOf lists the drug's strengths in a form for a note ("15, 30 or
// 45 mg"), or "" when the table has none.
func strengthsOf(t Tables, m *facts.Med, per string) string {
	d := singleDrug(t, m)
	if d == nil {
		return ""
	}
	var mg []float64
	for _, p := range d.Products {
		if p.StrengthMg > 0 && productPer(p) == per && !slices.Contains(mg, p.StrengthMg) {
			mg = append(mg, p.StrengthMg)
		}
	}
	slices.Sort(mg)
	var parts []string
	for _, v := range mg {
		parts = append(parts, strconv.FormatFloat(v, 'f', -1, 64))
	}
	switch len(parts) {
	case 0:
		return ""
	case 1:
		return parts[0] + " mg"
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " or " + parts[len(parts)-1] + " mg"
}

func singleDrug(t Tables, m *facts.Med) *terminology.Drug {
	if t.Drugs == nil || len(m.Ingredients) != 1 {
		return nil
	}
	return t.Drugs.Drugs[m.Ingredients[0]]
}

// productPer is what a drug-table product's strength is per: its display's
// denominator ("1 MG/ML" per mL), else one unit.
func productPer(p terminology.Product) string {
	if ps, ok := parseStrength(p.Display); ok {
		return ps.per
	}
	return "unit"
}

// doseMg converts one administration to mg.
func doseMg(q *quantity, src *strengthSource) (float64, string) {
	u, ok := readDoseUnit(q)
	switch {
	case !ok:
		return 0, noteUnit
	case u.gram:
		if src.ok && src.s.per == "g" {
			return *q.Value * src.s.mg, ""
		}
		return *q.Value * u.mgFactor, ""
	case u.mgFactor > 0:
		return *q.Value * u.mgFactor, ""
	case u.bare:
		return bareDoseMg(*q.Value, src)
	case u.unity && src.fluid:
		// A count of a liquid or a cream measures nothing.
		return 0, noteUnit
	}
	s, found, fromProduct := src.forForm(u.per)
	if !found {
		return 0, noStrengthNote(u, src)
	}
	if s.per != u.per {
		return 0, noteUnit
	}
	if !fromProduct {
		src.used = &s
	}
	return *q.Value * s.mg, ""
}

// bareDoseMg reads a dose without any unit. For a solid product (a
// strength per unit and no liquid or semisolid form named) it is a count
// of units, as EHRs that leave the unit out mean it; but a number at
// least as large as the strength reads as plausibly as mg as a count (15
// of a 15 mg tablet), and the two readings differ, so that is not
// verifiable.
func bareDoseMg(v float64, src *strengthSource) (float64, string) {
	s, found, fromProduct := src.forForm("unit")
	if !found || src.fluid {
		return 0, noteNoUnit
	}
	if s.per != "unit" {
		return 0, noteNoUnit
	}
	if v >= s.mg && s.mg != 1 {
		return 0, noteNoUnitAmbiguous
	}
	if !fromProduct {
		src.used = &s
	}
	return v * s.mg, ""
}

// noStrengthNote says which part is missing: the strength of one unit of
// the form, with the strengths the drug comes in when the table knows them.
func noStrengthNote(u doseUnit, src *strengthSource) string {
	note := "dose in " + u.noun + ", and the order names no strength per " + singular(u.noun)
	if list := strengthsOf(src.t, src.m, u.per); list != "" {
		note += "; " + src.m.Ingredients[0] + " comes in " + list
	}
	return note
}

func singular(noun string) string {
	switch noun {
	case "mL":
		return "mL"
	case "units":
		return "unit"
	}
	return strings.TrimSuffix(noun, "s")
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

func oneDosage(d *dosage, src *strengthSource) doseResult {
	var r doseResult
	q, note := firstDose(d)
	if q != nil {
		r.dose, note = doseMg(q, src)
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
// DoseNote when the daily dose cannot be derived (docs/clinical/conventions.md#daily-dose).
// Dosage instructions with the same sequence run concurrently and add up;
// different sequences follow each other, and the highest counts.
func doseFacts(t Tables, m *facts.Med, dosages []dosage, names []string) {
	doseFactsCoded(t, m, dosages, names, nil)
}

// doseFactsCoded is doseFacts for a medication whose code the site
// terminology knows (sc, or nil): the coded product's strength counts
// before any strength its names state.
func doseFactsCoded(t Tables, m *facts.Med, dosages []dosage, names []string, sc *terminology.SiteCode) {
	src := newStrengthSource(t, m, names)
	if sc != nil && sc.StrengthMg > 0 {
		src.s, src.ok = strength{mg: sc.StrengthMg, per: sc.Per}, true
	}
	if src.ok {
		m.StrengthMg = ptr(src.s.mg)
	}
	if len(dosages) == 0 {
		m.DoseNote = noteNoDosage
		return
	}
	results := make([]doseResult, len(dosages))
	for i := range dosages {
		results[i] = oneDosage(&dosages[i], src)
	}
	if !src.ok && src.used != nil {
		// The drug's only strength for the form was used: it is the
		// product's strength as far as anything can tell.
		m.StrengthMg = ptr(src.used.mg)
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
