package terminology

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/labelguard/labelguard/internal/jsonfile"
)

// SiteFile is the file a site terminology directory holds
// (labelguard terminology import writes it, serve --terminology reads it).
const SiteFile = "terminology.json"

// Routes of a site code.
const (
	RouteOral    = "oral"
	RouteTopical = "topical"
)

// Site is a site's terminology: the RxNorm and NDC codes of its formulary
// that name the profiles' drugs, each mapped to an ingredient of the drug
// table and, where the import could match it, to one profile product.
// No product code is shipped with the policies (none can be verified
// offline): a site imports its own.
type Site struct {
	// Note says where the codes came from ("synthetic" for a test set).
	Note string `json:"note,omitempty"`
	// Sources are the files imported, by role (rxnorm, ndcProducts,
	// ndcPackages).
	Sources map[string]string `json:"sources,omitempty"`
	Codes   []SiteCode        `json:"codes"`

	file  string
	lines map[string]int // JSON pointer -> line, from ParseSite
}

// SiteCode is one code of the site terminology.
type SiteCode struct {
	// System is SystemRxNorm or SystemNDC.
	System string `json:"system"`
	// Code is the RxCUI, or the NDC as the FDA writes it (hyphenated).
	Code string `json:"code"`
	// TTY is the RxNorm term type (IN, BN, SCD, SBD), or "product" or
	// "package" for an NDC.
	TTY  string `json:"tty"`
	Name string `json:"name"`
	// Ingredient is the drug table's ingredient the code contains.
	Ingredient string `json:"ingredient"`
	// Route is oral or topical when the code names a dose form (SCD, SBD,
	// NDC) or a brand whose forms all share a route; "" for an
	// ingredient, whose route the order must state.
	Route string `json:"route,omitempty"`
	// Profile is the target drug the code is a form of, "" when it is
	// none (oral ruxolitinib: Jakafi is not the cream).
	Profile string `json:"profile,omitempty"`
	// Product is the display of the profile product the code was matched
	// to by ingredient, strength, form and route.
	Product string `json:"product,omitempty"`
	// StrengthMg per Per ("unit", "ml", "g") of a coded dose form.
	StrengthMg float64 `json:"strengthMg,omitempty"`
	Per        string  `json:"per,omitempty"`
}

// Key is the code's "system|code" key as the facts layer writes codes.
func (c *SiteCode) Key() string { return c.System + "|" + c.Code }

// ParseSite decodes and checks a site terminology; file names it in errors.
func ParseSite(file string, data []byte) (*Site, error) {
	var s Site
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	s.file = file
	var problems jsonfile.Problems
	lines := jsonfile.Lines(data)
	s.lines = lines
	bad := func(i int, key, format string, args ...any) {
		ptr := fmt.Sprintf("/codes/%d/%s", i, key)
		line, ok := lines[ptr]
		if !ok {
			line = lines[fmt.Sprintf("/codes/%d", i)]
		}
		problems = append(problems, jsonfile.Problem{File: file, Line: line, Path: fmt.Sprintf("codes.%d.%s", i, key), Message: fmt.Sprintf(format, args...)})
	}
	seen := map[string]int{}
	for i := range s.Codes {
		c := &s.Codes[i]
		switch c.System {
		case SystemRxNorm:
			if !allDigits(c.Code) {
				bad(i, "code", "RxCUI %q must be digits", c.Code)
			}
			if !slices.Contains([]string{"IN", "BN", "SCD", "SBD"}, c.TTY) {
				bad(i, "tty", "%q: want IN, BN, SCD or SBD", c.TTY)
			}
		case SystemNDC:
			k, err := NormalizeNDC(c.Code)
			if err != nil {
				bad(i, "code", "%v", err)
				break
			}
			if want := map[NDCKind]string{NDCProduct: "product", NDCPackage: "package"}[k.Kind()]; c.TTY != want {
				bad(i, "tty", "%q: the code is an NDC %s", c.TTY, want)
			}
		default:
			bad(i, "system", "%q: want %s or %s", c.System, SystemRxNorm, SystemNDC)
		}
		if c.Ingredient == "" {
			bad(i, "ingredient", "missing")
		}
		if c.Route != "" && c.Route != RouteOral && c.Route != RouteTopical {
			bad(i, "route", "%q: want oral, topical or none", c.Route)
		}
		if c.StrengthMg < 0 || c.StrengthMg > 0 && !slices.Contains([]string{"unit", "ml", "g"}, c.Per) {
			bad(i, "per", "%q: a strength is per unit, ml or g", c.Per)
		}
		if c.Product != "" && c.Profile == "" {
			bad(i, "profile", "a product needs its profile")
		}
		key := c.Key()
		if c.System == SystemNDC {
			if k, err := NormalizeNDC(c.Code); err == nil {
				key = SystemNDC + "|" + string(k)
			}
		}
		if j, dup := seen[key]; dup {
			bad(i, "code", "%s is also codes[%d]", c.Code, j)
		}
		seen[key] = i
	}
	if err := problems.Err(); err != nil {
		return nil, err
	}
	return &s, nil
}

// LoadSite reads DIR/terminology.json.
func LoadSite(dir string) (*Site, error) {
	file := filepath.Join(dir, SiteFile)
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("site terminology: %w", err)
	}
	return ParseSite(file, data)
}

// File is the path the terminology was read from.
func (s *Site) File() string { return s.file }

// Where locates codes[i].key for a message: "file:line: codes.i.key".
func (s *Site) Where(i int, key string) string {
	loc := s.file
	line, ok := s.lines[fmt.Sprintf("/codes/%d/%s", i, key)]
	if !ok {
		line = s.lines[fmt.Sprintf("/codes/%d", i)]
	}
	if line > 0 {
		loc += ":" + strconv.Itoa(line)
	}
	return fmt.Sprintf("%s: codes.%d.%s", loc, i, key)
}

// siteIndex finds a site code by an order's "system|code" in one map
// lookup per key (an NDC: per configuration it can mean).
type siteIndex struct {
	rxnorm map[string]*SiteCode
	// ndc maps canonical keys: packages (11 digits) and products (9).
	ndc map[NDCKey]*SiteCode
	// byProduct lists the codes of each profile product, by display.
	byProduct map[string][]*SiteCode
}

func newSiteIndex(s *Site) *siteIndex {
	ix := &siteIndex{rxnorm: map[string]*SiteCode{}, ndc: map[NDCKey]*SiteCode{}, byProduct: map[string][]*SiteCode{}}
	for i := range s.Codes {
		c := &s.Codes[i]
		switch c.System {
		case SystemRxNorm:
			ix.rxnorm[c.Code] = c
		case SystemNDC:
			k, _ := NormalizeNDC(c.Code) // checked by ParseSite
			ix.ndc[k] = c
		}
		if c.Product != "" {
			ix.byProduct[c.Profile+"\x00"+c.Product] = append(ix.byProduct[c.Profile+"\x00"+c.Product], c)
		}
	}
	return ix
}

// lookupNDC resolves an NDC as written: the package when the list has it,
// else its product. An unhyphenated 10-digit code resolves only when
// exactly one of its configurations is in the list.
func (ix *siteIndex) lookupNDC(code string) *SiteCode {
	cands, err := NDCCandidates(code)
	if err != nil {
		return nil
	}
	var found *SiteCode
	for _, k := range cands {
		c := ix.ndc[k]
		if c == nil && k.Kind() == NDCPackage {
			c = ix.ndc[k.Product()]
		}
		if c == nil {
			continue
		}
		if found != nil && found != c {
			return nil // two configurations name two listed codes: ambiguous
		}
		found = c
	}
	return found
}

// specificity ranks what a code names: a dose form (clinical or branded
// drug, NDC) says more than a brand, a brand more than an ingredient.
var specificity = map[string]int{"IN": 1, "BN": 2, "SCD": 3, "SBD": 3, "product": 3, "package": 3}

// lookup returns the site code of an order's codes that the site
// terminology knows and that says most about the product; among equals,
// the first.
func (ix *siteIndex) lookup(codes []string) *SiteCode {
	var best *SiteCode
	for _, key := range codes {
		sys, code := SplitCode(key)
		var c *SiteCode
		switch sys {
		case SystemRxNorm:
			c = ix.rxnorm[code]
		case SystemNDC:
			c = ix.lookupNDC(code)
		}
		if c != nil && (best == nil || specificity[c.TTY] > specificity[best.TTY]) {
			best = c
		}
	}
	return best
}
