package terminology

import "strings"

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

// ContainsWord reports whether name occurs in text as a whole word: at the
// start or end of text or next to a character that is not a letter or digit.
// Both are expected in lower case.
func ContainsWord(text, name string) bool {
	if name == "" {
		return false
	}
	for from := 0; from <= len(text)-len(name); {
		i := strings.Index(text[from:], name)
		if i < 0 {
			return false
		}
		start := from + i
		end := start + len(name)
		if (start == 0 || !isWordByte(text[start-1])) && (end == len(text) || !isWordByte(text[end])) {
			return true
		}
		from = start + 1
	}
	return false
}

func isWordByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b >= 0x80
}
