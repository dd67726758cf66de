package fhir

import (
	"reflect"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/labelguard/labelguard/terminology"
)

// vsMatcher is terminology.ValueSets.Membership with the value set names
// normalized once per policy set instead of once per resource, value set
// and name (which cost a third of Derive). It gives the same answers:
// membership by code is asked of the value set itself; only when no code is
// a member and one of the precomputed names occurs in the text does it ask
// the value set's own Matches, which applies the exclusions.
//
// Names are found by their first word: one pass over the words of a text
// looks up the patterns that start with each word, instead of a substring
// search of the whole text for every name of every value set (which was
// half of Derive on a 50 KB request).
type vsMatcher struct {
	src     terminology.ValueSets
	ids     []string
	sets    []*terminology.ValueSet
	byFirst map[string][]namePattern // first word of a name -> its patterns
}

// namePattern is a normalized value set name as " name ", with the index
// of its value set.
type namePattern struct {
	set int
	pat string
}

// lastMatcher caches the matcher of the most recent policy set: a reload
// builds one more, once.
var lastMatcher atomic.Pointer[vsMatcher]

func matcherFor(vs terminology.ValueSets) *vsMatcher {
	if m := lastMatcher.Load(); m != nil && sameMap(m.src, vs) {
		return m
	}
	m := &vsMatcher{src: vs, byFirst: map[string][]namePattern{}}
	for id := range vs {
		m.ids = append(m.ids, id)
	}
	slices.Sort(m.ids)
	for i, id := range m.ids {
		set := vs[id]
		for _, n := range set.Names {
			if nn := terminology.NormalizeName(n); nn != "" {
				first, _, _ := strings.Cut(nn, " ")
				m.byFirst[first] = append(m.byFirst[first], namePattern{set: i, pat: " " + nn + " "})
			}
		}
		m.sets = append(m.sets, set)
	}
	lastMatcher.Store(m)
	return m
}

func sameMap(a, b terminology.ValueSets) bool {
	return len(a) == len(b) && reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer()
}

// membership returns the sorted IDs of the value sets the codes and text
// belong to; never nil.
func (m *vsMatcher) membership(codes []string, text string) []string {
	out := []string{}
	t := text
	if t != "" && (!strings.HasPrefix(t, " ") || !strings.HasSuffix(t, " ")) {
		t = terminology.NormalizeText(text)
	}
	var buf [maxStackSets]bool
	named := m.namedSets(t, buf[:0])
	for i, set := range m.sets {
		if m.member(set, codes, text, named[i]) {
			out = append(out, m.ids[i])
		}
	}
	return out
}

// maxStackSets bounds the value sets whose name hits namedSets keeps on
// the stack; a policy set with more uses the heap.
const maxStackSets = 128

// namedSets reports in buf, per value set, whether one of its names occurs
// in the normalized text: exactly strings.Contains(normalized, " name ")
// for each name, since an occurrence starts with a space followed by the
// name's first word, which is then a whole word of the text.
func (m *vsMatcher) namedSets(normalized string, buf []bool) []bool {
	named := slices.Grow(buf[:0], len(m.sets))[:len(m.sets)]
	clear(named)
	for i := 0; i < len(normalized); i++ {
		if normalized[i] != ' ' {
			continue
		}
		end := strings.IndexByte(normalized[i+1:], ' ')
		if end <= 0 {
			continue // no word here: the end, or a second space
		}
		for _, p := range m.byFirst[normalized[i+1:i+1+end]] {
			if !named[p.set] && strings.HasPrefix(normalized[i:], p.pat) {
				named[p.set] = true
			}
		}
	}
	return named
}

func (m *vsMatcher) member(set *terminology.ValueSet, codes []string, text string, named bool) bool {
	for _, c := range codes {
		if set.ContainsCode(c) {
			return true
		}
	}
	// A name occurs: let the value set decide, exclusions included.
	return named && set.Matches(codes, text)
}
