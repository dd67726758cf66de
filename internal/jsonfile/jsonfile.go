package jsonfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Problem is one defect of a data file.
type Problem struct {
	File string
	Line int
	// Path is the key path, dotted ("rules.jak.lab-anc-low.enabled"); empty
	// for the whole document.
	Path    string
	Message string
}

func (p Problem) String() string {
	loc := p.File
	if p.Line > 0 {
		loc += ":" + strconv.Itoa(p.Line)
	}
	if p.Path == "" {
		return loc + ": " + p.Message
	}
	return loc + ": " + p.Path + ": " + p.Message
}

// Problems is a list of problems, an error when not empty.
type Problems []Problem

func (ps Problems) Error() string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return strings.Join(out, "\n")
}

// Err returns ps as an error, or nil when it is empty.
func (ps Problems) Err() error {
	if len(ps) == 0 {
		return nil
	}
	return ps
}

// Schema is a compiled JSON Schema.
type Schema struct {
	s *jsonschema.Schema
	// Doc is the schema document as decoded, for tools that derive from it
	// (the chart's values.schema.json).
	Doc map[string]any
}

// CompileSchema compiles one JSON Schema (draft 2020-12 unless it says
// otherwise) named name for messages.
func CompileSchema(name string, data []byte) (*Schema, error) {
	out, err := CompileSchemas(map[string][]byte{name: data}, nil)
	if err != nil {
		return nil, err
	}
	return out[name], nil
}

// CompileSchemas compiles schema files that may refer to each other as
// urn:labelguard:schema:<name>, and inline schemas (name to JSON text)
// that refer to them.
func CompileSchemas(files map[string][]byte, inline map[string]string) (map[string]*Schema, error) {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	docs := map[string]map[string]any{}
	add := func(name string, data []byte) error {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			return fmt.Errorf("jsonfile.CompileSchemas: %s: %w", name, err)
		}
		obj, ok := doc.(map[string]any)
		if !ok {
			return fmt.Errorf("jsonfile.CompileSchemas: %s: a schema is an object", name)
		}
		// The schema's own $id would move it away from the URL it is
		// registered under.
		delete(obj, "$id")
		docs[name] = obj
		if err := c.AddResource(schemaURL(name), obj); err != nil {
			return fmt.Errorf("jsonfile.CompileSchemas: %s: %w", name, err)
		}
		return nil
	}
	for name, data := range files {
		if err := add(name, data); err != nil {
			return nil, err
		}
	}
	for name, text := range inline {
		if err := add(name, []byte(text)); err != nil {
			return nil, err
		}
	}
	out := map[string]*Schema{}
	for name := range docs {
		s, err := c.Compile(schemaURL(name))
		if err != nil {
			return nil, fmt.Errorf("jsonfile.CompileSchemas: %s: %w", name, err)
		}
		out[name] = &Schema{s: s, Doc: docs[name]}
	}
	return out, nil
}

func schemaURL(name string) string { return "urn:labelguard:schema:" + name }

// Decode parses data strictly: it must be one JSON value with no
// duplicated object member (a duplicate is a slip whose last value would
// silently win). Numbers are json.Number.
func Decode(file string, data []byte) (any, Problems) {
	if ps := scan(file, data); len(ps) > 0 {
		return nil, ps
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return nil, Problems{{File: file, Message: "not valid JSON: " + err.Error()}}
	}
	return v, nil
}

// Validate decodes data and validates it against s, reporting every
// problem with its line and key path.
func (s *Schema) Validate(file string, data []byte) (any, Problems) {
	v, ps := Decode(file, data)
	if len(ps) > 0 {
		return nil, ps
	}
	return v, s.ValidateValue(file, data, v)
}

// ValidateValue validates an already decoded value; data (may be nil) is
// its source text, for line numbers.
func (s *Schema) ValidateValue(file string, data []byte, v any) Problems {
	err := s.s.Validate(v)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return Problems{{File: file, Message: err.Error()}}
	}
	lines := Lines(data)
	printer := message.NewPrinter(language.English)
	var out Problems
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				walk(c)
			}
			return
		}
		out = append(out, Problem{
			File:    file,
			Line:    lines[pointer(e.InstanceLocation)],
			Path:    strings.Join(e.InstanceLocation, "."),
			Message: e.ErrorKind.LocalizedString(printer),
		})
	}
	walk(ve)
	slices.SortStableFunc(out, func(a, b Problem) int {
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return strings.Compare(a.Path, b.Path)
	})
	return slices.CompactFunc(out, func(a, b Problem) bool { return a == b })
}

func pointer(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(t))
	}
	return b.String()
}

// Lines maps the JSON pointer of every value in data to the line where
// it starts, or for an object member, where its name starts ("" is the
// document). For invalid JSON it maps what was read before the error.
func Lines(data []byte) map[string]int {
	out := map[string]int{}
	if len(data) == 0 {
		return out
	}
	dec := jsontext.NewDecoder(bytes.NewReader(data), jsontext.AllowDuplicateNames(true))
	for {
		off := dec.InputOffset()
		tok, err := dec.ReadToken()
		if err != nil {
			return out
		}
		if k := tok.Kind(); k == '}' || k == ']' {
			continue
		}
		// The token starts after the whitespace and separator before it.
		for off < int64(len(data)) && strings.IndexByte(" \t\r\n,:", data[off]) >= 0 {
			off++
		}
		ptr := string(dec.StackPointer())
		if _, ok := out[ptr]; !ok {
			out[ptr] = lineAtOffset(data, off)
		}
	}
}

// scan reports the first syntax error or duplicated object member name,
// with its line.
func scan(file string, data []byte) Problems {
	dec := jsontext.NewDecoder(bytes.NewReader(data))
	for {
		_, err := dec.ReadToken()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			var se *jsontext.SyntacticError
			if !errors.As(err, &se) {
				return Problems{{File: file, Message: "not valid JSON: " + err.Error()}}
			}
			line := lineAtOffset(data, se.ByteOffset)
			if errors.Is(err, jsontext.ErrDuplicateName) {
				path := strings.ReplaceAll(strings.TrimPrefix(string(se.JSONPointer), "/"), "/", ".")
				return Problems{{File: file, Line: line, Path: path, Message: "this key appears twice in its object; only one value would be used"}}
			}
			return Problems{{File: file, Line: line, Message: "not valid JSON: " + se.Err.Error()}}
		}
	}
}

func lineAtOffset(data []byte, off int64) int {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	return bytes.Count(data[:off], []byte("\n")) + 1
}
