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
type vsMatcher struct {
	src   terminology.ValueSets
	ids   []string
	sets  []*terminology.ValueSet
	names [][]string // per set: " name " patterns, normalized
}

// lastMatcher caches the matcher of the most recent policy set: a reload
// builds one more, once.
var lastMatcher atomic.Pointer[vsMatcher]

func matcherFor(vs terminology.ValueSets) *vsMatcher {
	if m := lastMatcher.Load(); m != nil && sameMap(m.src, vs) {
		return m
	}
	m := &vsMatcher{src: vs}
	for id := range vs {
		m.ids = append(m.ids, id)
	}
	slices.Sort(m.ids)
	for _, id := range m.ids {
		set := vs[id]
		var pats []string
		for _, n := range set.Names {
			if nn := terminology.NormalizeName(n); nn != "" {
				pats = append(pats, " "+nn+" ")
			}
		}
		m.sets = append(m.sets, set)
		m.names = append(m.names, pats)
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
	for i, set := range m.sets {
		if m.member(set, m.names[i], codes, text, t) {
			out = append(out, m.ids[i])
		}
	}
	return out
}

func (m *vsMatcher) member(set *terminology.ValueSet, names, codes []string, text, normalized string) bool {
	for _, c := range codes {
		if set.ContainsCode(c) {
			return true
		}
	}
	if normalized == "" {
		return false
	}
	for _, n := range names {
		if strings.Contains(normalized, n) {
			// A name occurs: let the value set decide, exclusions
			// included.
			return set.Matches(codes, text)
		}
	}
	return false
}
