package fhir

import (
	"slices"
	"strings"
	"time"

	"github.com/labelguard/labelguard/facts"
	"github.com/labelguard/labelguard/terminology"
)

// Qualitative answers (docs/clinical/conventions.md#lab-result, data/labs.json: positive / negative /
// indeterminate from a coded or string value).
var resultCodes = map[string]string{
	terminology.SystemSNOMED + "|10828004":  "positive",
	terminology.SystemSNOMED + "|260385009": "negative",
	terminology.SystemSNOMED + "|82334004":  "indeterminate",
	terminology.SystemLOINC + "|LA6576-8":   "positive",
	terminology.SystemLOINC + "|LA6577-6":   "negative",
	terminology.SystemLOINC + "|LA11884-6":  "indeterminate",
}

// Result words, most specific first: "not detected" contains "detected".
var resultWords = []struct{ word, result string }{
	{"non-reactive", "negative"}, {"nonreactive", "negative"}, {"not detected", "negative"},
	{"negative", "negative"}, {"indeterminate", "indeterminate"}, {"equivocal", "indeterminate"},
	{"positive", "positive"}, {"detected", "positive"}, {"reactive", "positive"},
}

// Interpretation codes (v3-ObservationInterpretation).
var interpretationResults = map[string]string{
	"POS": "positive", "NEG": "negative", "DET": "positive", "ND": "negative", "IND": "indeterminate",
}

var usableStatus = map[string]bool{"final": true, "amended": true, "corrected": true}

type labCollector struct {
	t      Tables
	clk    *clock
	labs   map[string]facts.Lab
	times  map[string]time.Time
	issues func(kind, key, detail string, n int)
}

// observationTime is effectiveDateTime, else effectivePeriod.end, else
// issued (docs/clinical/conventions.md#lab-result).
func observationTime(r *resource) (time.Time, bool) {
	if t, ok := parseTime(r.EffectiveDateTime); ok {
		return t, true
	}
	if r.EffectivePeriod != nil {
		if t, ok := parseTime(r.EffectivePeriod.End); ok {
			return t, true
		}
	}
	return parseTime(r.Issued)
}

// add considers one Observation: a usable status, an analyte of the lab
// table, a time not after now, and a value of the analyte's kind. The
// latest wins; on equal times the first in document order stays.
func (c *labCollector) add(key string, r *resource) {
	if c.t.Labs == nil || !usableStatus[lower(r.Status)] {
		return
	}
	codes := r.Code.codes()
	id, ok := c.t.Labs.AnalyteFor(codes, r.Code.text)
	if !ok {
		return
	}
	a := c.t.Labs.Analytes[id]
	when, ok := observationTime(r)
	if !ok || c.clk.after(when) {
		return
	}
	if prev, ok := c.times[id]; ok && !when.After(prev) {
		return
	}
	lab := facts.Lab{Ref: "Observation/" + r.ID, Code: labCode(codes, a), Time: formatTime(when),
		AgeDays: labAgeDays(c.clk.now, when)}
	switch a.Kind {
	case terminology.KindQuantity:
		q := r.ValueQuantity
		if q == nil || q.Value == nil {
			return
		}
		v, ok := a.Convert(*q.Value, q.Code)
		if !ok {
			v, ok = a.Convert(*q.Value, q.Unit)
		}
		if !ok {
			c.issues("dropped", key, "unit not convertible for "+id, 1)
			return
		}
		lab.Value, lab.Unit = ptr(round(v)), a.Unit
	case terminology.KindResult:
		lab.Result = qualitative(r)
		if lab.Result == "" {
			c.issues("dropped", key, "result not interpretable for "+id, 1)
			return
		}
	case terminology.KindCoded:
		lab.ValueCodes = r.ValueCodeableConcept.codes()
		lab.ValueText = r.ValueCodeableConcept.text()
		lab.ValueDisplay = r.ValueCodeableConcept.display()
		if lab.ValueText == "" && r.ValueString != nil {
			lab.ValueText = terminology.NormalizeText(*r.ValueString)
		}
		if lab.ValueDisplay == "" && r.ValueString != nil {
			lab.ValueDisplay = strings.TrimSpace(*r.ValueString)
		}
		if len(lab.ValueCodes) == 0 && lab.ValueText == "" {
			return
		}
	}
	c.labs[id] = lab
	c.times[id] = when
}

// labCode is the observation's code that put it in the analyte, else its
// first code.
func labCode(codes []string, a *terminology.Analyte) string {
	for _, c := range codes {
		if slices.Contains(a.Codes, c) {
			return c
		}
	}
	if len(codes) > 0 {
		return codes[0]
	}
	return ""
}

// qualitative reads positive / negative / indeterminate from the coded
// value, its text, a string value, or the interpretation.
func qualitative(r *resource) string {
	if cc := r.ValueCodeableConcept; cc != nil {
		for _, c := range cc.codes() {
			if res, ok := resultCodes[c]; ok {
				return res
			}
		}
		if res := resultWord(cc.text()); res != "" {
			return res
		}
	}
	if r.ValueString != nil {
		if res := resultWord(lower(*r.ValueString)); res != "" {
			return res
		}
	}
	for _, cc := range r.Interpretation {
		for _, c := range cc.Coding {
			if res, ok := interpretationResults[strings.ToUpper(strings.TrimSpace(c.Code))]; ok {
				return res
			}
		}
	}
	return ""
}

func resultWord(text string) string {
	for _, w := range resultWords {
		if terminology.ContainsWord(text, w.word) {
			return w.result
		}
	}
	return ""
}
