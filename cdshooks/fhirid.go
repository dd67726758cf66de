package cdshooks

import "strings"

// isFHIRID reports whether s matches the FHIR id datatype,
// [A-Za-z0-9\-\.]{1,64}. Ids are substituted into FHIR URLs, so this is also
// what keeps "&", "/" or "?" from reaching a query.
func isFHIRID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// isResourceType reports whether s looks like a FHIR resource type name: an
// upper-case ASCII letter followed by ASCII letters.
func isResourceType(s string) bool {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// splitReference splits a relative reference "Type/id" and reports whether
// both parts are well formed.
func splitReference(ref string) (typ, id string, ok bool) {
	typ, id, found := strings.Cut(ref, "/")
	if !found || !isResourceType(typ) || !isFHIRID(id) {
		return "", "", false
	}
	return typ, id, true
}
