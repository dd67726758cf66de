package fhir

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/labelguard/labelguard/terminology"
)

// The minimal FHIR shapes the rules read. A field with the wrong JSON type
// makes decoding fail, which is how an invalid resource is recognised
// (dropped in the prefetch, rejected in draft orders). A few types accept
// the shapes real senders use besides R4 (an object where R4 has an array,
// an STU3 status string), because reading them is harmless.
//
// The prefetch, most of a request's bytes, is decoded with encoding/json/v2
// (github.com/go-json-experiment/json, the module that mirrors the
// standard library's encoding/json/v2 and aliases it from Go 1.27): it
// reads each value in one pass, where encoding/json validates its whole
// input before decoding it and rescans every value handed to an
// UnmarshalJSON method. The types below therefore have both methods:
// UnmarshalJSONFrom for the prefetch, UnmarshalJSON for the draft orders,
// which are small and keep encoding/json's error types for their messages.

// lightOptions make v2 read what encoding/json reads: a repeated member
// name (the last one wins) and invalid UTF-8 (replaced by U+FFFD), since
// the request was accepted on encoding/json's terms. Member names match
// exactly, as FHIR's JSON format defines them; encoding/json also accepted
// other cases ("Code" for "code"), which is not FHIR.
var lightOptions = jsonv2.JoinOptions(jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))

// decodeLight decodes one prefetch value (or part of one) into v. It is a
// variable so that a test can derive the same prefetch with encoding/json
// and compare (TestPrefetchDecodeAgreesWithEncodingJSON).
var decodeLight = func(data []byte, v any) error { return jsonv2.Unmarshal(data, v, lightOptions) }

type coding struct {
	System  string `json:"system"`
	Code    string `json:"code"`
	Display string `json:"display"`
}

type codeableConcept struct {
	Coding codingList `json:"coding"`
	Text   string     `json:"text"`
}

// codes returns the normalized "system|code" keys, in order, without repeats.
func (cc *codeableConcept) codes() []string {
	if cc == nil {
		return nil
	}
	var out []string
	for _, c := range cc.Coding {
		out = appendUnique(out, terminology.NormalizeCode(c.System, c.Code))
	}
	return out
}

// names returns the text and displays, lower-cased, without repeats.
func (cc *codeableConcept) names() []string {
	if cc == nil {
		return nil
	}
	var out []string
	out = appendUnique(out, lower(cc.Text))
	for _, c := range cc.Coding {
		out = appendUnique(out, lower(c.Display))
	}
	return out
}

// display is the concept's name as sent: its text, else the first coding
// display, for card wording.
func (cc *codeableConcept) display() string {
	if cc == nil {
		return ""
	}
	if t := strings.TrimSpace(cc.Text); t != "" {
		return t
	}
	for _, c := range cc.Coding {
		if d := strings.TrimSpace(c.Display); d != "" {
			return d
		}
	}
	return ""
}

// text is names joined for word matching.
func (cc *codeableConcept) text() string { return joinNames(cc.names()) }

// firstCode returns the first non-empty code of any system.
func (cc *codeableConcept) firstCode() string {
	if cc == nil {
		return ""
	}
	for _, c := range cc.Coding {
		if s := strings.TrimSpace(c.Code); s != "" {
			return s
		}
	}
	return ""
}

type reference struct {
	Reference string `json:"reference"`
	Display   string `json:"display"`
}

// looseRef is a reference whose wrong JSON type is ignored.
// present records whether a member was sent with a value, whatever its
// JSON type: for members of which only presence is read, so that a
// malformed one neither drops its resource nor costs more than a byte.
type present bool

func (p *present) UnmarshalJSON(b []byte) error {
	*p = present(!isNull(b))
	return nil
}

func (p *present) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	v, err := dec.ReadValue()
	if err != nil {
		return err
	}
	*p = present(!isNull(json.RawMessage(v)))
	return nil
}

// looseString is a member that should be a string: its value when it is
// one, and whether anything was sent.
type looseString struct {
	Value string
	Sent  bool
}

func (l *looseString) UnmarshalJSON(b []byte) error {
	l.Sent = !isNull(b)
	if decodeLight(b, &l.Value) != nil {
		l.Value = ""
	}
	return nil
}

func (l *looseString) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	v, err := dec.ReadValue()
	if err != nil {
		return err
	}
	return l.UnmarshalJSON(v)
}

// jsonTrue is a member that counts only when it is the JSON literal true.
type jsonTrue bool

func (j *jsonTrue) UnmarshalJSON(b []byte) error {
	*j = jsonTrue(string(bytes.TrimSpace(b)) == "true")
	return nil
}

func (j *jsonTrue) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	v, err := dec.ReadValue()
	if err != nil {
		return err
	}
	return j.UnmarshalJSON(v)
}

// notMatch reads Bundle.entry.search: true for an entry of mode "include"
// or "outcome", which Bundle.total does not count. A malformed search
// counts as a match and costs the entry nothing.
type notMatch bool

func (n *notMatch) UnmarshalJSON(b []byte) error {
	*n = false
	// Nearly every entry is a match: decode only what may say otherwise.
	if !bytes.Contains(b, []byte(`"include"`)) && !bytes.Contains(b, []byte(`"outcome"`)) {
		return nil
	}
	var s struct {
		Mode string `json:"mode"`
	}
	*n = notMatch(decodeLight(b, &s) == nil && s.Mode != "" && s.Mode != "match")
	return nil
}

func (n *notMatch) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	v, err := dec.ReadValue()
	if err != nil {
		return err
	}
	return n.UnmarshalJSON(v)
}

type looseRef struct{ Reference string }

func (l *looseRef) UnmarshalJSON(b []byte) error {
	var r reference
	if json.Unmarshal(b, &r) == nil {
		l.Reference = r.Reference
	}
	return nil
}

func (l *looseRef) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	v, err := dec.ReadValue()
	if err != nil {
		return err
	}
	var r reference
	if decodeLight(v, &r) == nil {
		l.Reference = r.Reference
	}
	return nil
}

type quantity struct {
	Value  *float64 `json:"value"`
	Unit   string   `json:"unit"`
	System string   `json:"system"`
	Code   string   `json:"code"`
}

type rangeQ struct {
	Low  *quantity `json:"low"`
	High *quantity `json:"high"`
}

type period struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

type repeat struct {
	Frequency  *float64 `json:"frequency"`
	Period     *float64 `json:"period"`
	PeriodUnit string   `json:"periodUnit"`
	TimeOfDay  []string `json:"timeOfDay"`
	When       []string `json:"when"`
}

type timing struct {
	Repeat *repeat          `json:"repeat"`
	Code   *codeableConcept `json:"code"`
}

type doseAndRate struct {
	DoseQuantity *quantity `json:"doseQuantity"`
	DoseRange    *rangeQ   `json:"doseRange"`
}

type dosage struct {
	Sequence                *float64         `json:"sequence"`
	Text                    string           `json:"text"`
	Timing                  *timing          `json:"timing"`
	AsNeededBoolean         *bool            `json:"asNeededBoolean"`
	AsNeededCodeableConcept *codeableConcept `json:"asNeededCodeableConcept"`
	Route                   *codeableConcept `json:"route"`
	DoseAndRate             doseAndRateList  `json:"doseAndRate"`
	// STU3 put the dose directly on the dosage; read as doseAndRate[0].
	DoseQuantity *quantity `json:"doseQuantity"`
	DoseRange    *rangeQ   `json:"doseRange"`
}

type dispenseRequest struct {
	Quantity               *quantity `json:"quantity"`
	ExpectedSupplyDuration *quantity `json:"expectedSupplyDuration"`
}

// medication is a Medication resource, contained or referenced.
type medication struct {
	ResourceType string           `json:"resourceType"`
	ID           string           `json:"id"`
	Code         *codeableConcept `json:"code"`
	Form         *codeableConcept `json:"form"`
}

// codingList, ccList and doseAndRateList accept one object where R4 has an
// array (STU3 Observation.interpretation, senders that flatten arrays).
type codingList []coding
type ccList []codeableConcept
type doseAndRateList []doseAndRate

func (l *codingList) UnmarshalJSON(b []byte) error { return oneOrMany(b, (*[]coding)(l)) }
func (l *ccList) UnmarshalJSON(b []byte) error     { return oneOrMany(b, (*[]codeableConcept)(l)) }
func (l *doseAndRateList) UnmarshalJSON(b []byte) error {
	return oneOrMany(b, (*[]doseAndRate)(l))
}

func (l *codingList) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	return oneOrManyFrom(dec, (*[]coding)(l))
}

func (l *ccList) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	return oneOrManyFrom(dec, (*[]codeableConcept)(l))
}

func (l *doseAndRateList) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	return oneOrManyFrom(dec, (*[]doseAndRate)(l))
}

func oneOrManyFrom[T any](dec *jsontext.Decoder, dst *[]T) error {
	if dec.PeekKind() == '{' {
		var one T
		if err := jsonv2.UnmarshalDecode(dec, &one); err != nil {
			return err
		}
		*dst = []T{one}
		return nil
	}
	return jsonv2.UnmarshalDecode(dec, dst)
}

func oneOrMany[T any](b []byte, dst *[]T) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '{' {
		var one T
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		*dst = []T{one}
		return nil
	}
	return json.Unmarshal(b, dst)
}

// statusCC is a status CodeableConcept (R4 Condition.clinicalStatus) that
// also accepts the STU3 code string.
type statusCC struct{ Code string }

func (s *statusCC) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &s.Code)
	}
	var cc codeableConcept
	if err := json.Unmarshal(b, &cc); err != nil {
		return err
	}
	s.Code = cc.firstCode()
	return nil
}

func (s *statusCC) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	if dec.PeekKind() == '"' {
		return jsonv2.UnmarshalDecode(dec, &s.Code)
	}
	var cc codeableConcept
	if err := jsonv2.UnmarshalDecode(dec, &cc); err != nil {
		return err
	}
	s.Code = cc.firstCode()
	return nil
}

func (s *statusCC) code() string {
	if s == nil {
		return ""
	}
	return strings.ToLower(strings.TrimSpace(s.Code))
}

func lower(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func appendUnique(list []string, s string) []string {
	if s == "" {
		return list
	}
	for _, v := range list {
		if v == s {
			return list
		}
	}
	return append(list, s)
}

// joinNames joins lower-cased names so that word matching sees a boundary
// between them.
// joinNames makes the Text of a fact: every name, normalized for word
// matching (terminology.NormalizeText), so that policies match names with
// one substring search.
func joinNames(names []string) string { return terminology.NormalizeText(strings.Join(names, " | ")) }

// jsonTypeName names the JSON type a Go type decodes from, for messages that
// must not quote the offending value.
func jsonTypeName(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Float32, reflect.Float64, reflect.Int, reflect.Int64, reflect.Int32, reflect.Uint, reflect.Uint32, reflect.Uint64:
		return "a number"
	}
	return "another type"
}
