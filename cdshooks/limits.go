package cdshooks

import (
	"bytes"
	"fmt"
	"io"
)

// DefaultMaxDepth is the nesting depth allowed when Limits.MaxDepth is zero.
// FHIR resources inside a draftOrders Bundle nest about fifteen levels below
// the request, so 64 leaves ample room while keeping hostile input cheap.
const DefaultMaxDepth = 64

// Limits bounds the work decoding may do. The zero value applies the
// defaults. The body size is not limited here: the HTTP layer caps it (for
// example with http.MaxBytesReader) and its error passes through unchanged.
type Limits struct {
	// MaxDepth is the deepest nesting of JSON arrays and objects accepted;
	// the top-level object counts as depth 1. Zero or less means
	// DefaultMaxDepth.
	MaxDepth int
}

func (l Limits) maxDepth() int {
	if l.MaxDepth <= 0 {
		return DefaultMaxDepth
	}
	return l.MaxDepth
}

// readBody reads r fully and rejects bodies nested deeper than the limit.
// Read errors are returned as they are, so that the HTTP layer can still
// recognise *http.MaxBytesError.
func readBody(r io.Reader, limits Limits) ([]byte, error) {
	body, err := readAll(r)
	if err != nil {
		return nil, err
	}
	if err := checkDepth(body, limits.maxDepth()); err != nil {
		return nil, err
	}
	return body, nil
}

// readAll reads r fully. A reader that reports its length (a
// *bytes.Reader, *bytes.Buffer or *strings.Reader in tests and benchmarks)
// is read into a buffer of that size; io.ReadAll would grow its buffer
// about twenty times, copying the body each time, for a 1 MB body.
func readAll(r io.Reader) ([]byte, error) {
	if r == nil {
		return nil, &RequestError{Message: "body is empty", Err: ErrMalformedJSON}
	}
	var body []byte
	var err error
	if l, ok := r.(interface{ Len() int }); ok && l.Len() > 512 {
		// MinRead spare: ReadFrom grows (doubling) when less is free
		buf := bytes.NewBuffer(make([]byte, 0, l.Len()+bytes.MinRead))
		_, err = buf.ReadFrom(r)
		body = buf.Bytes()
	} else {
		body, err = io.ReadAll(r)
	}
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	return body, nil
}

// checkDepth scans for brackets outside strings. It does not validate the
// JSON, which the decoder does afterwards; it only guarantees that the
// decoder never recurses deeper than max, whatever the input.
func checkDepth(body []byte, max int) error {
	depth := 0
	inString, escaped := false, false
	for i, b := range body {
		if inString {
			switch {
			case escaped:
				escaped = false
			case b == '\\':
				escaped = true
			case b == '"':
				inString = false
			}
			continue
		}
		switch b {
		case '"':
			inString = true
		case '{', '[':
			depth++
			if depth > max {
				return &RequestError{
					Message: fmt.Sprintf("json nesting exceeds the maximum depth of %d at byte offset %d", max, i),
					Err:     ErrTooDeep,
				}
			}
		case '}', ']':
			depth--
			// A closing bracket with nothing open would let later
			// openings hide below the limit; such input is malformed
			// anyway.
			if depth < 0 {
				return &RequestError{
					Message: fmt.Sprintf("malformed json near byte offset %d", i),
					Err:     ErrMalformedJSON,
				}
			}
		}
	}
	return nil
}
