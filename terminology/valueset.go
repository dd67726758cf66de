package terminology

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
)

// NameExtension is the ValueSet extension whose valueString is a name that
// identifies a member by text when no listed code is present.
const NameExtension = "urn:labelguard:valueset-name"

// ValueSet is the indexed form of a FHIR ValueSet: the shape stored in
// data.labelguard.valuesets[id] and read by lib.in_valueset in Rego.
type ValueSet struct {
	ID              string              `json:"id"`
	URL             string              `json:"url,omitempty"`
	Title           string              `json:"title,omitempty"`
	Codes           map[string]bool     `json:"codes"`
	Prefixes        map[string][]string `json:"prefixes"`
	Regexes         map[string][]string `json:"regexes"`
	ExcludeCodes    map[string]bool     `json:"excludeCodes"`
	ExcludePrefixes map[string][]string `json:"excludePrefixes"`
	ExcludeRegexes  map[string][]string `json:"excludeRegexes"`
	Names           []string            `json:"names"`

	compiled, excludeCompiled map[string][]*regexp.Regexp
}

// The subset of FHIR ValueSet that the loader reads.
type rawValueSet struct {
	ResourceType string `json:"resourceType"`
	ID           string `json:"id"`
	URL          string `json:"url"`
	Title        string `json:"title"`
	Extension    []struct {
		URL         string `json:"url"`
		ValueString string `json:"valueString"`
	} `json:"extension"`
	Compose *struct {
		Include []rawInclude `json:"include"`
		Exclude []rawInclude `json:"exclude"`
	} `json:"compose"`
	Expansion *struct {
		Contains []struct {
			System string `json:"system"`
			Code   string `json:"code"`
		} `json:"contains"`
	} `json:"expansion"`
}

type rawInclude struct {
	System  string `json:"system"`
	Concept []struct {
		Code string `json:"code"`
	} `json:"concept"`
	Filter []struct {
		Property string `json:"property"`
		Op       string `json:"op"`
		Value    string `json:"value"`
	} `json:"filter"`
	ValueSet []string `json:"valueSet"`
}

// ParseValueSet indexes one FHIR ValueSet resource.
func ParseValueSet(data []byte) (*ValueSet, error) {
	var raw rawValueSet
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("decode ValueSet: %w", err)
	}
	if raw.ResourceType != "ValueSet" {
		return nil, fmt.Errorf("resourceType is %q, want ValueSet", raw.ResourceType)
	}
	if raw.ID == "" {
		return nil, fmt.Errorf("ValueSet has no id")
	}
	vs := &ValueSet{
		ID: raw.ID, URL: raw.URL, Title: raw.Title,
		Codes: map[string]bool{}, Prefixes: map[string][]string{}, Regexes: map[string][]string{},
		ExcludeCodes: map[string]bool{}, ExcludePrefixes: map[string][]string{}, ExcludeRegexes: map[string][]string{},
		Names: []string{},
	}
	for _, ext := range raw.Extension {
		if ext.URL == NameExtension {
			if n := NormalizeName(ext.ValueString); n != "" {
				vs.Names = append(vs.Names, n)
			}
		}
	}
	if raw.Compose != nil {
		for i, inc := range raw.Compose.Include {
			if err := vs.add(inc, vs.Codes, vs.Prefixes, vs.Regexes); err != nil {
				return nil, fmt.Errorf("ValueSet %s compose.include[%d]: %w", raw.ID, i, err)
			}
		}
		for i, exc := range raw.Compose.Exclude {
			if err := vs.add(exc, vs.ExcludeCodes, vs.ExcludePrefixes, vs.ExcludeRegexes); err != nil {
				return nil, fmt.Errorf("ValueSet %s compose.exclude[%d]: %w", raw.ID, i, err)
			}
		}
	}
	if raw.Expansion != nil {
		for _, c := range raw.Expansion.Contains {
			if k := NormalizeCode(c.System, c.Code); k != "" {
				vs.Codes[k] = true
			}
		}
	}
	if err := vs.compile(); err != nil {
		return nil, fmt.Errorf("ValueSet %s: %w", raw.ID, err)
	}
	return vs, nil
}

func (vs *ValueSet) add(inc rawInclude, codes map[string]bool, prefixes, regexes map[string][]string) error {
	if len(inc.ValueSet) > 0 {
		return fmt.Errorf("valueSet references are not supported; list the codes or a filter")
	}
	if inc.System == "" {
		return fmt.Errorf("system is required")
	}
	system, _ := SplitCode(NormalizeCode(inc.System, "x"))
	for _, c := range inc.Concept {
		k := NormalizeCode(inc.System, c.Code)
		if k == "" {
			return fmt.Errorf("concept without code")
		}
		codes[k] = true
	}
	for _, f := range inc.Filter {
		v := strings.TrimSpace(f.Value)
		switch {
		case f.Op == "is-a" || f.Op == "descendent-of":
			if system == SystemICD10CM {
				v = NormalizeICD10(v)
			}
			if v == "" {
				return fmt.Errorf("filter %s without value", f.Op)
			}
			prefixes[system] = append(prefixes[system], v)
		case f.Op == "regex":
			if _, err := regexp.Compile(v); err != nil {
				return fmt.Errorf("filter regex %q: %w", v, err)
			}
			regexes[system] = append(regexes[system], v)
		default:
			return fmt.Errorf("filter op %q is not supported (use is-a or regex)", f.Op)
		}
	}
	return nil
}

func (vs *ValueSet) compile() error {
	var err error
	if vs.compiled, err = compileAll(vs.Regexes); err != nil {
		return err
	}
	vs.excludeCompiled, err = compileAll(vs.ExcludeRegexes)
	return err
}

func compileAll(in map[string][]string) (map[string][]*regexp.Regexp, error) {
	out := make(map[string][]*regexp.Regexp, len(in))
	for sys, pats := range in {
		for _, p := range pats {
			re, err := regexp.Compile(p)
			if err != nil {
				return nil, fmt.Errorf("regex %q: %w", p, err)
			}
			out[sys] = append(out[sys], re)
		}
	}
	return out, nil
}

// ContainsCode reports whether a normalized "system|code" key is a member.
func (vs *ValueSet) ContainsCode(key string) bool {
	return vs.match(key, vs.Codes, vs.Prefixes, vs.compiled) &&
		!vs.match(key, vs.ExcludeCodes, vs.ExcludePrefixes, vs.excludeCompiled)
}

func (vs *ValueSet) match(key string, codes map[string]bool, prefixes map[string][]string, res map[string][]*regexp.Regexp) bool {
	if codes[key] {
		return true
	}
	system, code := SplitCode(key)
	for _, p := range prefixes[system] {
		if strings.HasPrefix(code, p) {
			return true
		}
	}
	for _, re := range res[system] {
		if re.MatchString(code) {
			return true
		}
	}
	return false
}

// MatchesText reports whether one of the value set's names occurs in the
// lower-cased text as a whole word.
func (vs *ValueSet) MatchesText(text string) bool {
	for _, n := range vs.Names {
		if ContainsWord(text, n) {
			return true
		}
	}
	return false
}

// Matches reports membership by any code, else by name in text. A code
// the value set excludes also blocks the name match, so that a resource
// coded "not pregnant" never matches the name "pregnant".
func (vs *ValueSet) Matches(codes []string, text string) bool {
	excluded := false
	for _, c := range codes {
		if vs.ContainsCode(c) {
			return true
		}
		if vs.match(c, vs.ExcludeCodes, vs.ExcludePrefixes, vs.excludeCompiled) {
			excluded = true
		}
	}
	return !excluded && vs.MatchesText(text)
}

// Membership returns the sorted IDs of the value sets a resource with these
// codes and text belongs to; never nil.
func (all ValueSets) Membership(codes []string, text string) []string {
	out := []string{}
	for id, vs := range all {
		if vs.Matches(codes, text) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// NamedValueSet is a value set of names and codes (system|code), made
// for a target drug whose profile names no value set file: its ingredient
// and brand names and its product codes.
func NamedValueSet(id, title string, names, codes []string) (*ValueSet, error) {
	vs := &ValueSet{
		ID: id, Title: title,
		Codes: map[string]bool{}, Prefixes: map[string][]string{}, Regexes: map[string][]string{},
		ExcludeCodes: map[string]bool{}, ExcludePrefixes: map[string][]string{}, ExcludeRegexes: map[string][]string{},
		Names: []string{},
	}
	vs.Include(names, codes)
	if err := vs.compile(); err != nil {
		return nil, fmt.Errorf("ValueSet %s: %w", id, err)
	}
	return vs, nil
}

// Include adds names and codes (system|code) to the value set: a target
// drug's profile says which class value sets it belongs to (memberOf), so
// that its names are stated once, in the profile.
func (vs *ValueSet) Include(names, codes []string) {
	for _, n := range names {
		if n := NormalizeName(n); n != "" && !slices.Contains(vs.Names, n) {
			vs.Names = append(vs.Names, n)
		}
	}
	slices.Sort(vs.Names)
	for _, c := range codes {
		sys, code := SplitCode(c)
		if k := NormalizeCode(sys, code); k != "" {
			vs.Codes[k] = true
		}
	}
}

// ValueSets maps ValueSet.id to its index.
type ValueSets map[string]*ValueSet

// LoadValueSets reads every *.json file in dir of fsys as a FHIR ValueSet.
// Ids must be unique.
func LoadValueSets(fsys fs.FS, dir string) (ValueSets, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("read value sets: %w", err)
	}
	out := ValueSets{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		p := path.Join(dir, e.Name())
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", p, err)
		}
		vs, err := ParseValueSet(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		if _, dup := out[vs.ID]; dup {
			return nil, fmt.Errorf("%s: duplicate ValueSet id %q", p, vs.ID)
		}
		slices.Sort(vs.Names)
		out[vs.ID] = vs
	}
	return out, nil
}
