package terminology

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"slices"
)

// DrugTable is data/drugs.json: the ingredients the facts layer recognizes.
type DrugTable struct {
	Drugs map[string]*Drug `json:"drugs"`
	// Interacting lists the value sets that make a draft order an order of
	// interest while a target drug is active or drafted.
	Interacting []string `json:"interacting"`

	// site indexes the site terminology's codes (SetSite); nil without one.
	site *siteIndex
}

// SetSite makes the table recognise the site terminology's codes.
func (t *DrugTable) SetSite(s *Site) {
	if s == nil {
		t.site = nil
		return
	}
	t.site = newSiteIndex(s)
}

// SiteCode returns the site terminology's entry for the most specific of
// an order's codes ("system|code", NDCs in any of their written forms)
// that it knows, or nil: one map lookup per code.
func (t *DrugTable) SiteCode(codes []string) *SiteCode {
	if t == nil || t.site == nil {
		return nil
	}
	return t.site.lookup(codes)
}

// SiteProductCodes lists the site codes matched to a profile's product.
func (t *DrugTable) SiteProductCodes(profile, product string) []*SiteCode {
	if t == nil || t.site == nil {
		return nil
	}
	return t.site.byProduct[profile+"\x00"+product]
}

// Drug is one ingredient.
type Drug struct {
	Display string `json:"display"`
	// Target is the target-drug ID when any form of the ingredient is one.
	Target string `json:"target,omitempty"`
	// TopicalTarget is the target-drug ID when only topical forms are one
	// (ruxolitinib cream; oral ruxolitinib is not a target).
	TopicalTarget string    `json:"topicalTarget,omitempty"`
	ValueSet      string    `json:"valueSet,omitempty"`
	Names         []string  `json:"names"`
	Products      []Product `json:"products,omitempty"`
}

// Product is a clinical drug with its strength.
type Product struct {
	Display    string   `json:"display"`
	StrengthMg float64  `json:"strengthMg,omitempty"`
	Form       string   `json:"form,omitempty"`
	Codes      []string `json:"codes,omitempty"`
}

// ParseDrugTable decodes data/drugs.json and checks its references.
func ParseDrugTable(data []byte, vs ValueSets) (*DrugTable, error) {
	var t DrugTable
	if err := json.Unmarshal(data, &t); err != nil {
		return nil, fmt.Errorf("decode drug table: %w", err)
	}
	ids := make([]string, 0, len(t.Drugs))
	for id := range t.Drugs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		d := t.Drugs[id]
		if len(d.Names) == 0 && d.ValueSet == "" {
			return nil, fmt.Errorf("drug %s: needs names or a valueSet", id)
		}
		if d.ValueSet != "" && vs != nil && vs[d.ValueSet] == nil {
			return nil, fmt.Errorf("drug %s: value set %q not found", id, d.ValueSet)
		}
		for i := range d.Products {
			for j, c := range d.Products[i].Codes {
				sys, code := SplitCode(c)
				d.Products[i].Codes[j] = NormalizeCode(sys, code)
			}
		}
	}
	for _, v := range t.Interacting {
		if vs != nil && vs[v] == nil {
			return nil, fmt.Errorf("interacting value set %q not found", v)
		}
	}
	return &t, nil
}

// LoadDrugTable reads the drug table at p in fsys.
func LoadDrugTable(fsys fs.FS, p string, vs ValueSets) (*DrugTable, error) {
	data, err := fs.ReadFile(fsys, p)
	if err != nil {
		return nil, fmt.Errorf("read drug table: %w", err)
	}
	t, err := ParseDrugTable(data, vs)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return t, nil
}

// Ingredients returns the sorted IDs of the drugs a medication contains,
// by value set code or by name in its lower-cased text.
func (t *DrugTable) Ingredients(codes []string, text string, vs ValueSets) []string {
	var out []string
	for id, d := range t.Drugs {
		if t.hasDrug(d, codes, text, vs) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

func (t *DrugTable) hasDrug(d *Drug, codes []string, text string, vs ValueSets) bool {
	if set := vs[d.ValueSet]; set != nil && set.Matches(codes, text) {
		return true
	}
	for _, p := range d.Products {
		for _, c := range p.Codes {
			if slices.Contains(codes, c) {
				return true
			}
		}
	}
	for _, n := range d.Names {
		if ContainsWord(text, n) {
			return true
		}
	}
	return false
}

// ProductStrength returns the strength of the product with one of codes.
func (t *DrugTable) ProductStrength(ingredient string, codes []string) (float64, bool) {
	d := t.Drugs[ingredient]
	if d == nil {
		return 0, false
	}
	for _, p := range d.Products {
		if p.StrengthMg <= 0 {
			continue
		}
		for _, c := range p.Codes {
			if slices.Contains(codes, c) {
				return p.StrengthMg, true
			}
		}
	}
	return 0, false
}
