package terminology

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
	"strings"
)

// Analyte kinds.
const (
	KindQuantity = "quantity" // numeric value converted to the canonical unit
	KindResult   = "result"   // positive, negative or indeterminate
	KindCoded    = "coded"    // value codes and text kept as they are
)

// LabTable is data/labs.json: the analytes the rules read.
type LabTable struct {
	// DisplayUnits is how card text writes each canonical (UCUM) unit
	// ("10*9/L" as "×10⁹/L"): the one table every unit shown reads.
	DisplayUnits map[string]string   `json:"displayUnits"`
	Analytes     map[string]*Analyte `json:"analytes"`

	byCode map[string]string
	ids    []string // sorted analyte IDs, so that text matching is deterministic
}

// Analyte is one row of the lab table.
type Analyte struct {
	Display string `json:"display"`
	// Short is how card text names the analyte ("ANC").
	Short        string             `json:"short,omitempty"`
	Kind         string             `json:"kind"`
	Codes        []string           `json:"codes"`
	Unit         string             `json:"unit,omitempty"`
	Units        map[string]float64 `json:"units,omitempty"`
	TextMatch    []string           `json:"textMatch,omitempty"`
	TextMatchAll [][]string         `json:"textMatchAll,omitempty"`
	Panel        *Panel             `json:"panel,omitempty"`

	units map[string]float64
}

// Panel is the orderable a suggestion creates for an analyte.
type Panel struct {
	Code    string `json:"code"`
	Display string `json:"display"`
}

// ParseLabTable decodes and checks data/labs.json.
func ParseLabTable(data []byte) (*LabTable, error) {
	var t LabTable
	if err := json.Unmarshal(data, &t); err != nil {
		return nil, fmt.Errorf("decode lab table: %w", err)
	}
	t.byCode = map[string]string{}
	for id := range t.Analytes {
		t.ids = append(t.ids, id)
	}
	sort.Strings(t.ids)
	for id, a := range t.Analytes {
		if a == nil {
			return nil, fmt.Errorf("lab table %s: want an object, not null", id)
		}
		switch a.Kind {
		case KindQuantity:
			if a.Unit == "" || len(a.Units) == 0 {
				return nil, fmt.Errorf("lab table %s: a quantity needs unit and units", id)
			}
		case KindResult, KindCoded:
		default:
			return nil, fmt.Errorf("lab table %s: kind %q is not quantity, result or coded", id, a.Kind)
		}
		if len(a.Codes) == 0 && len(a.TextMatch) == 0 && len(a.TextMatchAll) == 0 {
			return nil, fmt.Errorf("lab table %s: no codes and no text match", id)
		}
		for i, c := range a.Codes {
			sys, code := SplitCode(c)
			k := NormalizeCode(sys, code)
			if k == "" || sys == "" {
				return nil, fmt.Errorf("lab table %s: code %q is not system|code", id, c)
			}
			a.Codes[i] = k
			if other, dup := t.byCode[k]; dup && other != id {
				return nil, fmt.Errorf("lab table %s: code %s already belongs to %s", id, k, other)
			}
			t.byCode[k] = id
		}
		a.units = make(map[string]float64, len(a.Units))
		for u, f := range a.Units {
			if f <= 0 {
				return nil, fmt.Errorf("lab table %s: unit %q has factor %v", id, u, f)
			}
			a.units[normalizeUnit(u)] = f
		}
		if a.Kind == KindQuantity {
			if _, ok := a.units[normalizeUnit(a.Unit)]; !ok {
				return nil, fmt.Errorf("lab table %s: canonical unit %q missing from units", id, a.Unit)
			}
			if t.DisplayUnits[a.Unit] == "" {
				return nil, fmt.Errorf("lab table %s: canonical unit %q has no displayUnits entry (how cards write it)", id, a.Unit)
			}
		}
	}
	return &t, nil
}

// DisplayUnit is how card text writes a canonical unit; the unit itself
// when the table has none.
func (t *LabTable) DisplayUnit(ucum string) string {
	if d := t.DisplayUnits[ucum]; d != "" {
		return d
	}
	return ucum
}

// Codes returns every analyte's codes, normalized: the analytes by ID, each
// one's codes in its own order. The order depends on the table's content,
// not on how its file was written, so that a policy set loaded from a
// directory and from a bundle (whose JSON is re-encoded with sorted keys)
// ask for the codes alike.
func (t *LabTable) Codes() []string {
	var out []string
	for _, id := range t.ids {
		out = append(out, t.Analytes[id].Codes...)
	}
	return out
}

// LoadLabTable reads the lab table at p in fsys.
func LoadLabTable(fsys fs.FS, p string) (*LabTable, error) {
	data, err := fs.ReadFile(fsys, p)
	if err != nil {
		return nil, fmt.Errorf("read lab table: %w", err)
	}
	t, err := ParseLabTable(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return t, nil
}

// AnalyteFor finds the analyte of an observation from its normalized codes,
// else from its lower-cased code text. text is called only when no code
// matches: most results are found by LOINC code, and building the text of
// every observation cost more than the lookup.
func (t *LabTable) AnalyteFor(codes []string, text func() string) (string, bool) {
	for _, c := range codes {
		if id, ok := t.byCode[c]; ok {
			return id, true
		}
	}
	return t.analyteByText(text())
}

func (t *LabTable) analyteByText(text string) (string, bool) {
	if text == "" {
		return "", false
	}
	for _, id := range t.ids {
		a := t.Analytes[id]
		for _, m := range a.TextMatch {
			if strings.Contains(text, m) {
				return id, true
			}
		}
		for _, all := range a.TextMatchAll {
			if len(all) > 0 && containsAll(text, all) {
				return id, true
			}
		}
	}
	return "", false
}

func containsAll(text string, parts []string) bool {
	for _, p := range parts {
		if !strings.Contains(text, p) {
			return false
		}
	}
	return true
}

// Convert returns value expressed in the analyte's canonical unit. ok is
// false when the unit is unknown: such a result is not used.
func (a *Analyte) Convert(value float64, unit string) (float64, bool) {
	f, ok := a.units[normalizeUnit(unit)]
	if !ok {
		return 0, false
	}
	return value * f, true
}

// unitFolder drops what normalizeUnit ignores. Built once: a Replacer
// builds its lookup table on first use, which cost more than the
// replacement itself when it was made per call.
var unitFolder = strings.NewReplacer("{", "", "}", "", "_", "", " ", "")

// normalizeUnit folds the spellings of one unit: UCUM annotations in braces,
// underscores, spaces and case do not change its meaning here.
func normalizeUnit(u string) string {
	return strings.ToLower(unitFolder.Replace(strings.TrimSpace(u)))
}
