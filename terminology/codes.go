package terminology

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Code systems the policies refer to.
const (
	SystemICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
	SystemSNOMED  = "http://snomed.info/sct"
	SystemLOINC   = "http://loinc.org"
	SystemRxNorm  = "http://www.nlm.nih.gov/research/umls/rxnorm"
	SystemCVX     = "http://hl7.org/fhir/sid/cvx"
	SystemNDC     = "http://hl7.org/fhir/sid/ndc"
	SystemUCUM    = "http://unitsofmeasure.org"
)

// icd10Aliases are system URIs real senders use for ICD-10-CM.
var icd10Aliases = map[string]bool{
	SystemICD10CM:                    true,
	"http://hl7.org/fhir/sid/icd-10": true,
	"urn:oid:2.16.840.1.113883.6.90": true,
}

// oidSystems maps the OIDs of code systems, as senders that grew up on HL7
// v3 and CDA write them in Coding.system, to the FHIR URI the value sets
// use. The OIDs are those of the FHIR specification's table of known
// terminologies (https://hl7.org/fhir/stu3/namingsystem-terminologies.html).
var oidSystems = map[string]string{
	"urn:oid:2.16.840.1.113883.6.1":    SystemLOINC,
	"urn:oid:2.16.840.1.113883.6.96":   SystemSNOMED,
	"urn:oid:2.16.840.1.113883.6.88":   SystemRxNorm,
	"urn:oid:2.16.840.1.113883.12.292": SystemCVX,
	"urn:oid:2.16.840.1.113883.6.69":   SystemNDC,
	"urn:oid:2.16.840.1.113883.6.8":    SystemUCUM,
}

// NormalizeSystem returns the FHIR URI of a code system written as its OID
// (urn:oid:...), and any other system trimmed but unchanged.
func NormalizeSystem(system string) string {
	system = strings.TrimSpace(system)
	if s, ok := oidSystems[system]; ok {
		return s
	}
	return system
}

// NormalizeCode returns the "system|code" key for a coding. A system
// written as an OID becomes its FHIR URI; ICD-10-CM codes lose their dot
// and are upper-cased; an empty code yields "".
func NormalizeCode(system, code string) string {
	code = strings.TrimSpace(code)
	if code == "" {
		return ""
	}
	system = NormalizeSystem(system)
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
	if isASCII(s) {
		return normalizeASCII(s)
	}
	return normalizeRunes(s)
}

// normalizeRunes is NormalizeText for any text.
func normalizeRunes(s string) string {
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

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// normalizeASCII is NormalizeText for ASCII text, which is nearly all of
// what EHRs send: the same folding byte by byte, without decoding runes or
// lower-casing into a copy first.
func normalizeASCII(s string) string {
	b := make([]byte, 0, len(s)+2)
	b = append(b, ' ')
	space := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		decimal := c == '.' && i > 0 && i+1 < len(s) && isDigit(s[i-1]) && isDigit(s[i+1])
		if 'a' <= c && c <= 'z' || isDigit(c) || decimal {
			b = append(b, c)
			space = false
			continue
		}
		if !space {
			b = append(b, ' ')
			space = true
		}
	}
	if !space {
		b = append(b, ' ')
	}
	if len(b) == 1 {
		return ""
	}
	return string(b)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// NormalizeName folds a name the way NormalizeText folds text, without the
// surrounding spaces: "St. John's wort" becomes "st john s wort".
func NormalizeName(s string) string {
	return strings.TrimSpace(NormalizeText(s))
}

// ContainsWord reports whether name occurs in text as a whole word or
// phrase, comparing their normalized forms.
func ContainsWord(text, name string) bool {
	n := name
	if !isNormalizedName(n) {
		n = NormalizeName(name)
	}
	if n == "" {
		return false
	}
	t := text
	if !strings.HasPrefix(t, " ") || !strings.HasSuffix(t, " ") {
		t = NormalizeText(text)
	}
	return containsWordAt(t, n)
}

// containsWordAt reports whether the normalized name n occurs in the
// normalized text t (a space at each end, words separated by one space)
// between two spaces: the substring search for " n " without building it.
func containsWordAt(t, n string) bool {
	for i := 0; ; {
		j := strings.Index(t[i:], n)
		if j < 0 {
			return false
		}
		j += i
		if j > 0 && t[j-1] == ' ' && j+len(n) < len(t) && t[j+len(n)] == ' ' {
			return true
		}
		i = j + 1
	}
}

// isNormalizedName reports whether s is already what NormalizeName makes
// of it, as the value set and drug table names are (they are normalized
// when loaded): ASCII lower-case letters and digits in words separated by
// single spaces, with a decimal point only between digits. Such names skip
// normalization; any other name is normalized as before.
func isNormalizedName(s string) bool {
	if s == "" || s[0] == ' ' || s[len(s)-1] == ' ' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', isDigit(c):
		case c == ' ':
			if s[i-1] == ' ' {
				return false
			}
		case c == '.':
			if i == 0 || i+1 == len(s) || !isDigit(s[i-1]) || !isDigit(s[i+1]) {
				return false
			}
		default:
			return false
		}
	}
	return true
}
