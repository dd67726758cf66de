package terminology

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// maxSourceLine bounds one line of an imported file: the NLM and FDA
// files have lines of a few hundred bytes; a longer one is not theirs.
const maxSourceLine = 1 << 20

// RRFAtom is one row of RXNCONSO.RRF that the import reads.
type RRFAtom struct {
	RXCUI, SAB, TTY, STR string
	Line                 int
}

// rxnormTTYs are the term types the import keeps: ingredient, brand name,
// clinical drug and branded drug.
var rxnormTTYs = map[string]bool{"IN": true, "BN": true, "SCD": true, "SBD": true}

// Fields of RXNCONSO.RRF (RxNorm Technical Documentation, 12.5): RXCUI,
// LAT, TS, LUI, STT, SUI, ISPREF, RXAUI, SAUI, SCUI, SDUI, SAB, TTY, CODE,
// STR, SRL, SUPPRESS, CVF, each followed by "|".
const (
	rrfRXCUI    = 0
	rrfLAT      = 1
	rrfSAB      = 11
	rrfTTY      = 12
	rrfSTR      = 14
	rrfSUPPRESS = 16
	rrfFields   = 18
)

// ParseRRF reads RXNCONSO.RRF and returns the RxNorm atoms (SAB=RXNORM,
// English, not suppressed) of term types IN, BN, SCD and SBD. A line that
// is not an RRF row fails the whole read, naming the line: a file in
// another format must not import as an empty terminology.
func ParseRRF(r io.Reader) ([]RRFAtom, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxSourceLine)
	var out []RRFAtom
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		f := strings.Split(line, "|")
		if len(f) < rrfFields {
			return nil, fmt.Errorf("RXNCONSO.RRF line %d: %d fields, want %d separated by |", n, len(f), rrfFields)
		}
		if f[rrfSAB] != "RXNORM" || !rxnormTTYs[f[rrfTTY]] || f[rrfLAT] != "ENG" {
			continue
		}
		if s := f[rrfSUPPRESS]; s != "" && s != "N" {
			continue // obsolete or suppressed
		}
		if !allDigits(f[rrfRXCUI]) || strings.TrimSpace(f[rrfSTR]) == "" {
			return nil, fmt.Errorf("RXNCONSO.RRF line %d: RXCUI %q must be digits and STR not empty", n, f[rrfRXCUI])
		}
		out = append(out, RRFAtom{RXCUI: f[rrfRXCUI], SAB: f[rrfSAB], TTY: f[rrfTTY], STR: strings.TrimSpace(f[rrfSTR]), Line: n})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("RXNCONSO.RRF line %d: %w", n+1, err)
	}
	return out, nil
}

// NDCProductRow is one row of the FDA NDC Directory's product file.
type NDCProductRow struct {
	ProductNDC, Proprietary, Nonproprietary, DosageForm, Route, Strength, Unit string
	Line                                                                       int
}

// NDCPackageRow is one row of the FDA NDC Directory's package file.
type NDCPackageRow struct {
	ProductNDC, PackageNDC string
	Line                   int
}

// tsvTable reads a tab-separated file with a header row, its columns
// found by name case-insensitively (the FDA has reordered them before).
type tsvTable struct {
	name string
	sc   *bufio.Scanner
	col  map[string]int
	line int
}

func newTSV(name string, r io.Reader, want ...string) (*tsvTable, error) {
	t := &tsvTable{name: name, sc: bufio.NewScanner(r), col: map[string]int{}}
	t.sc.Buffer(make([]byte, 0, 64<<10), maxSourceLine)
	if !t.sc.Scan() {
		if err := t.sc.Err(); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return nil, fmt.Errorf("%s: empty (want a header row)", name)
	}
	t.line = 1
	header := strings.TrimPrefix(strings.TrimRight(t.sc.Text(), "\r"), "\ufeff")
	for i, h := range strings.Split(header, "\t") {
		t.col[strings.ToUpper(strings.TrimSpace(h))] = i
	}
	var missing []string
	for _, w := range want {
		if _, ok := t.col[w]; !ok {
			missing = append(missing, w)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s: header lacks %s (is it the tab-separated FDA NDC Directory file?)", name, strings.Join(missing, ", "))
	}
	return t, nil
}

// next returns the next non-empty row as a column getter.
func (t *tsvTable) next() (func(string) string, bool, error) {
	for t.sc.Scan() {
		t.line++
		line := strings.TrimRight(t.sc.Text(), "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		f := strings.Split(line, "\t")
		return func(name string) string {
			i, ok := t.col[name]
			if !ok || i >= len(f) {
				return ""
			}
			return strings.TrimSpace(f[i])
		}, true, nil
	}
	if err := t.sc.Err(); err != nil {
		return nil, false, fmt.Errorf("%s line %d: %w", t.name, t.line+1, err)
	}
	return nil, false, nil
}

// ParseNDCProducts reads the NDC Directory's product.txt.
func ParseNDCProducts(r io.Reader) ([]NDCProductRow, error) {
	return readTSV("NDC product file", r, []string{"PRODUCTNDC", "PROPRIETARYNAME", "NONPROPRIETARYNAME", "DOSAGEFORMNAME", "ROUTENAME", "ACTIVE_NUMERATOR_STRENGTH", "ACTIVE_INGRED_UNIT"},
		func(get func(string) string, line int) NDCProductRow {
			return NDCProductRow{
				ProductNDC: get("PRODUCTNDC"), Proprietary: get("PROPRIETARYNAME"), Nonproprietary: get("NONPROPRIETARYNAME"),
				DosageForm: get("DOSAGEFORMNAME"), Route: get("ROUTENAME"), Strength: get("ACTIVE_NUMERATOR_STRENGTH"), Unit: get("ACTIVE_INGRED_UNIT"),
				Line: line,
			}
		})
}

// ParseNDCPackages reads the NDC Directory's package.txt.
func ParseNDCPackages(r io.Reader) ([]NDCPackageRow, error) {
	return readTSV("NDC package file", r, []string{"PRODUCTNDC", "NDCPACKAGECODE"},
		func(get func(string) string, line int) NDCPackageRow {
			return NDCPackageRow{ProductNDC: get("PRODUCTNDC"), PackageNDC: get("NDCPACKAGECODE"), Line: line}
		})
}

// readTSV reads every row of a tab-separated file whose header names the
// columns, making one T of each.
func readTSV[T any](name string, r io.Reader, columns []string, row func(get func(string) string, line int) T) ([]T, error) {
	t, err := newTSV(name, r, columns...)
	if err != nil {
		return nil, err
	}
	var out []T
	for {
		get, ok, err := t.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			return out, nil
		}
		out = append(out, row(get, t.line))
	}
}
