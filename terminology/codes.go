package terminology

import (
	"strings"
	"unicode"
)

// Code systems the policies refer to.
const (
	SystemICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
	SystemSNOMED  = "http://snomed.info/sct"
	SystemLOINC   = "http://loinc.org"
	SystemRxNorm  = "http://www.nlm.nih.gov/research/umls/rxnorm"
	SystemCVX     = "http://hl7.org/fhir/sid/cvx"
)

// icd10Aliases are system URIs real senders use for ICD-10-CM.
var icd10Aliases = map[string]bool{
	SystemICD10CM:                    true,
	"http://hl7.org/fhir/sid/icd-10": true,
	"urn:oid:2.16.840.1.113883.6.90": true,
}

// NormalizeCode returns the "system|code" key for a coding. ICD-10-CM codes
// lose their dot and are upper-cased; an empty code yields "".
func NormalizeCode(system, code string) string {
	code = strings.TrimSpace(code)
	if code == "" {
		return ""
	}
	system = strings.TrimSpace(system)
	if icd10Aliases[system] {
		system = SystemICD10CM
		code = NormalizeICD10(code)
	}
	return system + "|" + code
}

// NormalizeICD10 removes the dot and upper-cases an ICD-10-CM code.
func NormalizeICD10(code string) string {
	return strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(code), ".", ""))
}

// SplitCode splits a "system|code" key.
func SplitCode(key string) (system, code string) {
	i := strings.LastIndexByte(key, '|')
	if i < 0 {
		return "", key
	}
	return key[:i], key[i+1:]
}

// NormalizeText folds text for word matching: lower case, every run of
// characters other than letters and digits read as one space, and a space
// at each end, so that a whole-word match is a plain substring search for
// " name ". The facts layer stores every text field this way, and value set
// names are normalized with NormalizeName, so policies match with one
// contains() instead of a regular expression per resource and name.
func NormalizeText(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte(' ')
	space := true
	rs := []rune(strings.ToLower(s))
	for i, r := range rs {
		// A decimal point between digits is kept: "1.5 mg" is not "1 5 mg".
		decimal := r == '.' && i > 0 && i+1 < len(rs) && unicode.IsDigit(rs[i-1]) && unicode.IsDigit(rs[i+1])
		if unicode.IsLetter(r) || unicode.IsDigit(r) || decimal {
			b.WriteRune(r)
			space = false
			continue
		}
		if !space {
			b.WriteByte(' ')
			space = true
		}
	}
	if !space {
		b.WriteByte(' ')
	}
	if b.Len() == 1 {
		return ""
	}
	return b.String()
}

// NormalizeName folds a name the way NormalizeText folds text, without the
// surrounding spaces: "St. John's wort" becomes "st john s wort".
func NormalizeName(s string) string {
	return strings.TrimSpace(NormalizeText(s))
}

// ContainsWord reports whether name occurs in text as a whole word or
// phrase, comparing their normalized forms.
func ContainsWord(text, name string) bool {
	n := NormalizeName(name)
	if n == "" {
		return false
	}
	t := text
	if !strings.HasPrefix(t, " ") || !strings.HasSuffix(t, " ") {
		t = NormalizeText(text)
	}
	return strings.Contains(t, " "+n+" ")
}
