package cdshooks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/go-json-experiment/json/jsontext"
)

// object is a decoded JSON object whose members are still raw. Decoding
// member by member, rather than into a struct, is what lets errors name the
// exact field and JSON type without quoting the value.
type object struct {
	path   string
	fields map[string]json.RawMessage
	devs   *[]Deviation
}

func joinPath(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}

func indexPath(parent string, i int) string {
	return fmt.Sprintf("%s[%d]", parent, i)
}

// jsonKind names the JSON type of raw from its first significant byte.
func jsonKind(raw json.RawMessage) string {
	for _, b := range raw {
		switch b {
		case ' ', '\t', '\r', '\n':
			continue
		case '{':
			return "object"
		case '[':
			return "array"
		case '"':
			return "string"
		case 't', 'f':
			return "boolean"
		case 'n':
			return "null"
		default:
			return "number"
		}
	}
	return ""
}

// parseTopLevel decodes a whole body that must be a JSON object. A member
// name that appears twice is refused, as in parseObject.
func parseTopLevel(body []byte, devs *[]Deviation) (object, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			if len(body) == 0 {
				return object{}, &RequestError{Message: "body is empty", Err: ErrMalformedJSON}
			}
			// The decoder's own message quotes the offending character,
			// which is body content; the offset alone is enough to debug.
			return object{}, &RequestError{
				Message: fmt.Sprintf("malformed json near byte offset %d", se.Offset),
				Err:     ErrMalformedJSON,
			}
		}
		return object{}, invalid("", "body must be a JSON object")
	}
	if m == nil {
		return object{}, invalid("", "body must be a JSON object")
	}
	if err := checkDuplicates(body, ""); err != nil {
		return object{}, err
	}
	return object{fields: m, devs: devs}, nil
}

// parseObject decodes raw, a CDS Hooks object found at path (the context,
// fhirAuthorization, the prefetch keys, a feedback entry). A member name
// that appears twice is refused naming it: encoding/json would keep the
// last one silently, and another reader of the same body (a proxy, an
// audit tool, the EHR's own log) may keep the first, so the body means
// different things to different readers. FHIR content inside is not
// parsed here and stays tolerant (parseFHIRObject).
func parseObject(raw json.RawMessage, path string, devs *[]Deviation) (object, error) {
	if jsonKind(raw) != "object" {
		return object{}, invalid(path, "must be a JSON object")
	}
	// The members of a valid object are split without a copy; anything
	// unusual (an escaped name, a duplicate) takes encoding/json and the
	// duplicate check.
	if m, ok := scanMembers(raw, DefaultMaxDepth); ok {
		return object{path: path, fields: m, devs: devs}, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return object{}, invalid(path, "must be a JSON object")
	}
	if err := checkDuplicates(raw, path); err != nil {
		return object{}, err
	}
	return object{path: path, fields: m, devs: devs}, nil
}

// parseFHIRObject decodes raw, a FHIR object (the draftOrders Bundle, its
// entries and resources) found at path. FHIR content keeps encoding/json's
// tolerance: a duplicated name is not this service's to police, the FHIR
// parser that reads the resource decides.
func parseFHIRObject(raw json.RawMessage, path string) (object, error) {
	if jsonKind(raw) != "object" {
		return object{}, invalid(path, "must be a JSON object")
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return object{}, invalid(path, "must be a JSON object")
	}
	return object{path: path, fields: m}, nil
}

// checkDuplicates refuses a JSON object, already known to be valid, in
// which a member name appears twice, comparing names after unescaping
// ("hoo\u006b" is "hook"). Only the object's own members are compared:
// jsontext's own check would also refuse duplicates deep inside FHIR
// resources, which stay tolerant.
func checkDuplicates(raw []byte, path string) error {
	dec := jsontext.NewDecoder(bytes.NewReader(raw), jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return nil // not an object: the caller's decode has said so
	}
	seen := make(map[string]bool, 8)
	for dec.PeekKind() == '"' {
		tok, err := dec.ReadToken()
		if err != nil {
			return nil
		}
		name := tok.String()
		if seen[name] {
			return duplicate(path, name)
		}
		seen[name] = true
		if err := dec.SkipValue(); err != nil {
			return nil
		}
	}
	return nil
}

// duplicate names the repeated member when the name is a plain identifier
// (every name CDS Hooks defines, and every sane prefetch key); any other
// name is client text that could be anything, so it is not echoed.
func duplicate(path, name string) *RequestError {
	if !plainName(name) {
		return invalid(path, "a member name appears more than once")
	}
	return invalid(joinPath(path, name), "appears more than once")
}

func plainName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

func (o object) fieldPath(name string) string { return joinPath(o.path, name) }

func (o object) note(field, message string) {
	if o.devs != nil {
		*o.devs = append(*o.devs, Deviation{Field: field, Message: message})
	}
}

// present reports whether name exists with a value other than null. The
// specification forbids null for optional members; reading null as absent is
// the liberal reading and loses nothing, so it is noted rather than refused.
func (o object) present(name string) (json.RawMessage, bool) {
	raw, ok := o.fields[name]
	if !ok {
		return nil, false
	}
	if jsonKind(raw) == "null" {
		o.note(o.fieldPath(name), "null treated as absent")
		return nil, false
	}
	return raw, true
}

// requiredString returns a member that must be a non-empty string.
func (o object) requiredString(name string) (string, error) {
	raw, ok := o.fields[name]
	if !ok {
		return "", invalid(o.fieldPath(name), "is required")
	}
	return o.stringValue(name, raw)
}

// optionalString returns a member that, when present and not null, must be a
// string. An empty string is read as absent and noted, like null.
func (o object) optionalString(name string) (string, bool, error) {
	raw, ok := o.present(name)
	if !ok {
		return "", false, nil
	}
	if jsonKind(raw) != "string" {
		return "", false, invalid(o.fieldPath(name), "must be a string")
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false, invalid(o.fieldPath(name), "must be a string")
	}
	if s == "" {
		o.note(o.fieldPath(name), "empty string treated as absent")
		return "", false, nil
	}
	return s, true, nil
}

func (o object) stringValue(name string, raw json.RawMessage) (string, error) {
	path := o.fieldPath(name)
	if jsonKind(raw) != "string" {
		return "", invalid(path, "must be a string")
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", invalid(path, "must be a string")
	}
	if s == "" {
		return "", invalid(path, "must not be empty")
	}
	return s, nil
}

// array decodes raw, found at path, as a JSON array of raw elements.
func array(raw json.RawMessage, path string) ([]json.RawMessage, error) {
	if jsonKind(raw) != "array" {
		return nil, invalid(path, "must be a JSON array")
	}
	var a []json.RawMessage
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, invalid(path, "must be a JSON array")
	}
	return a, nil
}
