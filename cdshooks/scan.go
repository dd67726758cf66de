package cdshooks

import "encoding/json"

// scanRequest is the fast path of DecodeRequest: one pass over the body
// that validates it as JSON, bounds its nesting and splits the top-level
// object and its "prefetch" object into their members, with no copy (the
// members are capacity-limited subslices of body). Before it, decoding
// scanned every byte five times: the depth check, then encoding/json's
// validation and skip for the top-level map, then again for the prefetch
// map.
//
// It accepts only what encoding/json accepts, and gives up (ok false) on
// anything unusual: a syntax error, nesting deeper than max, a top level
// that is not an object, an object key with an escape or a non-ASCII byte,
// a member name that appears twice in the top-level or the prefetch
// object. The caller then takes the original path, so that every error
// keeps its exact message and offset, every odd key is decoded by
// encoding/json and a duplicated name is refused naming it. prefetch is nil
// when the body has no "prefetch" object member.
func scanRequest(body []byte, max int) (top, prefetch map[string]json.RawMessage, ok bool) {
	s := scanner{b: body, max: max, pf: &prefetch}
	if top, ok = s.split(); !ok {
		return nil, nil, false
	}
	return top, prefetch, true
}

// scanMembers splits the JSON object raw into its members like
// scanRequest's top level, without a prefetch split. It gives up (ok
// false) on what scanRequest gives up on, a duplicated name included.
func scanMembers(raw []byte, max int) (members map[string]json.RawMessage, ok bool) {
	s := scanner{b: raw, max: max}
	return s.split()
}

// split reads the whole input as one object and returns its members.
func (s *scanner) split() (map[string]json.RawMessage, bool) {
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != '{' {
		return nil, false
	}
	s.top = make(map[string]json.RawMessage, 8)
	if !s.object(0, "") {
		return nil, false
	}
	s.ws()
	return s.top, s.i == len(s.b)
}

type scanner struct {
	b     []byte
	i     int
	depth int
	max   int
	top   map[string]json.RawMessage
	pf    *map[string]json.RawMessage // nil: no prefetch split
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// value reads one JSON value at s.i.
func (s *scanner) value() bool {
	if s.i >= len(s.b) {
		return false
	}
	switch c := s.b[s.i]; {
	case c == '{':
		return s.object(-1, "")
	case c == '[':
		return s.array()
	case c == '"':
		_, ok := s.str()
		return ok
	case c == 't':
		return s.lit("true")
	case c == 'f':
		return s.lit("false")
	case c == 'n':
		return s.lit("null")
	case c == '-' || c >= '0' && c <= '9':
		return s.number()
	}
	return false
}

func (s *scanner) lit(l string) bool {
	if len(s.b)-s.i < len(l) || string(s.b[s.i:s.i+len(l)]) != l {
		return false
	}
	s.i += len(l)
	return true
}

func (s *scanner) number() bool {
	b, i := s.b, s.i
	if b[i] == '-' {
		i++
	}
	if i >= len(b) {
		return false
	}
	switch {
	case b[i] == '0':
		i++
	case b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		start := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == start {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		start := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == start {
			return false
		}
	}
	s.i = i
	return true
}

// str reads a string at s.i; plain is false when it holds an escape or a
// byte outside printable ASCII (such a key is left to encoding/json).
func (s *scanner) str() (plain bool, ok bool) {
	b := s.b
	i := s.i + 1
	plain = true
	for i < len(b) {
		c := b[i]
		switch {
		case c == '"':
			s.i = i + 1
			return plain, true
		case c < 0x20:
			return false, false
		case c == '\\':
			plain = false
			if i+1 >= len(b) {
				return false, false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) {
					return false, false
				}
				for _, h := range b[i+2 : i+6] {
					if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
						return false, false
					}
				}
				i += 6
			default:
				return false, false
			}
		case c >= 0x80:
			plain = false
			i++
		default:
			i++
		}
	}
	return false, false
}

func (s *scanner) enter() bool {
	s.depth++
	return s.depth <= s.max
}

// object reads an object at s.i. level 0 is the body, whose members go to
// s.top; level 1 with parent "prefetch" collects into *s.pf when s.pf is
// set. A name seen twice in a collected object fails the scan.
func (s *scanner) object(level int, parent string) bool {
	if !s.enter() {
		return false
	}
	var into map[string]json.RawMessage
	switch {
	case level == 0:
		into = s.top
	case level == 1 && parent == "prefetch" && s.pf != nil:
		into = make(map[string]json.RawMessage, 8)
		*s.pf = into
	}
	s.i++ // {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == '}' {
		s.i++
		s.depth--
		return true
	}
	for {
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] != '"' {
			return false
		}
		ks := s.i + 1
		plain, ok := s.str()
		if !ok || into != nil && !plain {
			return false
		}
		key := s.b[ks : s.i-1]
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			return false
		}
		s.i++
		s.ws()
		vs := s.i
		if level == 0 && s.pf != nil && s.i < len(s.b) && s.b[s.i] == '{' && string(key) == "prefetch" {
			if !s.object(1, "prefetch") {
				return false
			}
		} else if !s.value() {
			return false
		}
		if into != nil {
			n := len(into)
			into[string(key)] = json.RawMessage(s.b[vs:s.i:s.i])
			if len(into) == n {
				return false // a duplicated name: the original path names it
			}
		}
		s.ws()
		if s.i >= len(s.b) {
			return false
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case '}':
			s.i++
			s.depth--
			return true
		default:
			return false
		}
	}
}

func (s *scanner) array() bool {
	if !s.enter() {
		return false
	}
	s.i++ // [
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == ']' {
		s.i++
		s.depth--
		return true
	}
	for {
		s.ws()
		if !s.value() {
			return false
		}
		s.ws()
		if s.i >= len(s.b) {
			return false
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case ']':
			s.i++
			s.depth--
			return true
		default:
			return false
		}
	}
}
