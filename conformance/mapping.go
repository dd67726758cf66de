package conformance

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Statuses of a requirement.
const (
	StatusMet           = "met"
	StatusNotApplicable = "not-applicable"
	StatusNotMet        = "not-met"
)

// MappingFile is the mapping's path relative to the module root.
const MappingFile = "conformance/mapping.json"

// DocFile is the generated document's path relative to the module root.
const DocFile = "docs/conformance.md"

// Mapping is the traceability matrix: requirement sheets and, for every
// service-side requirement of each, its status and tests.
type Mapping struct {
	Sheets       []Sheet       `json:"sheets"`
	Requirements []Requirement `json:"requirements"`
}

// Sheet is one requirement sheet (a CSV file).
type Sheet struct {
	// Key names the sheet in Requirement.Sheet.
	Key   string `json:"key"`
	Title string `json:"title"`
	// File is the CSV path relative to the conformance directory.
	File string `json:"file"`
	// Actor is the value of the sheet's Actors column that denotes the
	// service side ("Service", "Server"); rows naming it, alone or with
	// another actor, are service-side.
	Actor  string `json:"actor"`
	Source string `json:"source"`
}

// Requirement is one service-side requirement and how it is met.
type Requirement struct {
	Sheet string `json:"sheet"`
	ID    string `json:"id"`
	// Text is the requirement in short.
	Text string `json:"text"`
	// Level is the sheet's conformance level, verbatim.
	Level  string   `json:"level"`
	Status string   `json:"status"`
	Tests  []string `json:"tests,omitempty"`
	Note   string   `json:"note,omitempty"`
}

// Row is one service-side row of a sheet.
type Row struct {
	ID, URL, Text, Level, Actors string
}

// LoadMapping reads a mapping strictly: unknown members are errors.
func LoadMapping(path string) (*Mapping, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var m Mapping
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%s: trailing data", path)
	}
	return &m, nil
}

// ReadSheet returns the rows of a requirement sheet whose Actors column
// names actor.
func ReadSheet(r io.Reader, actor string) ([]Row, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	recs, err := cr.ReadAll()
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, errors.New("empty sheet")
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[strings.TrimSuffix(strings.TrimSpace(h), "*")] = i
	}
	for _, h := range []string{"ID", "URL", "Requirement", "Conformance", "Actors"} {
		if _, ok := col[h]; !ok {
			return nil, fmt.Errorf("sheet has no %s column", h)
		}
	}
	get := func(rec []string, h string) string {
		if i := col[h]; i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	var rows []Row
	for _, rec := range recs[1:] {
		r := Row{ID: get(rec, "ID"), URL: get(rec, "URL"), Text: get(rec, "Requirement"),
			Level: get(rec, "Conformance"), Actors: get(rec, "Actors")}
		if r.ID == "" {
			continue
		}
		for _, a := range strings.Split(r.Actors, ",") {
			if strings.TrimSpace(a) == actor {
				rows = append(rows, r)
				break
			}
		}
	}
	return rows, nil
}

// TestIndex holds the test functions of a module: package directory
// (relative to the module root, slash-separated) to function name, and the
// string literals of each package's test files, for subtest names.
type TestIndex struct {
	Funcs    map[string]map[string]bool
	Literals map[string]map[string]bool
}

// IndexTests parses every *_test.go file under root, skipping testdata,
// vendor and hidden directories.
func IndexTests(root string) (*TestIndex, error) {
	idx := &TestIndex{Funcs: map[string]map[string]bool{}, Literals: map[string]map[string]bool{}}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (name == "testdata" || name == "vendor" || name == "node_modules" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, filepath.Dir(path))
		if err != nil {
			return err
		}
		pkg := filepath.ToSlash(rel)
		if idx.Funcs[pkg] == nil {
			idx.Funcs[pkg] = map[string]bool{}
			idx.Literals[pkg] = map[string]bool{}
		}
		for _, decl := range f.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if ok && fd.Recv == nil && isTestFunc(fd) {
				idx.Funcs[pkg][fd.Name.Name] = true
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if bl, ok := n.(*ast.BasicLit); ok && bl.Kind == token.STRING {
				if s, err := strconv.Unquote(bl.Value); err == nil {
					idx.Literals[pkg][s] = true
				}
			}
			return true
		})
		return nil
	})
	return idx, err
}

// isTestFunc reports whether fd is a Test or Fuzz function with the
// signature go test runs.
func isTestFunc(fd *ast.FuncDecl) bool {
	n := fd.Name.Name
	var param string
	switch {
	case strings.HasPrefix(n, "Test") && n != "TestMain":
		param = "T"
	case strings.HasPrefix(n, "Fuzz"):
		param = "F"
	default:
		return false
	}
	if fd.Type.Params == nil || len(fd.Type.Params.List) != 1 || fd.Type.Results != nil {
		return false
	}
	star, ok := fd.Type.Params.List[0].Type.(*ast.StarExpr)
	if !ok {
		return false
	}
	sel, ok := star.X.(*ast.SelectorExpr)
	return ok && sel.Sel.Name == param
}

// HasTest reports whether ref ("dir.TestName" or "dir.TestName/sub/...")
// names an existing test. For a subtest the parent must exist and every
// subtest element must appear in the package's test files as a string
// literal (Go replaces spaces by underscores in subtest names).
func (idx *TestIndex) HasTest(ref string) error {
	pkg, name, ok := strings.Cut(ref, ".")
	if !ok || pkg == "" || name == "" {
		return fmt.Errorf("test %q is not <package dir>.<TestName>", ref)
	}
	parts := strings.Split(name, "/")
	if !idx.Funcs[pkg][parts[0]] {
		return fmt.Errorf("test %q: no func %s in the *_test.go files of %s", ref, parts[0], pkg)
	}
	for _, sub := range parts[1:] {
		if !idx.Literals[pkg][sub] && !idx.Literals[pkg][strings.ReplaceAll(sub, "_", " ")] {
			return fmt.Errorf("test %q: subtest %q not found as a string literal in %s", ref, sub, pkg)
		}
	}
	return nil
}

// Sheets reads the service-side rows of every sheet of m; dir is the
// conformance directory.
func (m *Mapping) ReadSheets(dir string) (map[string][]Row, error) {
	out := map[string][]Row{}
	for _, s := range m.Sheets {
		f, err := os.Open(filepath.Join(dir, filepath.FromSlash(s.File)))
		if err != nil {
			return nil, err
		}
		rows, err := ReadSheet(f, s.Actor)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.File, err)
		}
		out[s.Key] = rows
	}
	return out, nil
}

var statuses = []string{StatusMet, StatusNotApplicable, StatusNotMet}

// Check returns every way in which m fails the conformance rules against
// the sheets' service-side rows and the test index (nil: skip the test
// existence check).
func (m *Mapping) Check(rows map[string][]Row, idx *TestIndex) []error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	sheetRows := map[string]map[string]Row{}
	for _, s := range m.Sheets {
		if s.Key == "" || s.Actor == "" || s.File == "" {
			bad("sheet %+v: key, file and actor are required", s)
		}
		sheetRows[s.Key] = map[string]Row{}
		for _, r := range rows[s.Key] {
			if _, dup := sheetRows[s.Key][r.ID]; dup {
				bad("sheet %s: ID %s appears twice", s.Key, r.ID)
			}
			sheetRows[s.Key][r.ID] = r
		}
	}
	seen := map[[2]string]bool{}
	for _, q := range m.Requirements {
		where := q.Sheet + " #" + q.ID
		known, ok := sheetRows[q.Sheet]
		if !ok {
			bad("%s: unknown sheet %q", where, q.Sheet)
			continue
		}
		k := [2]string{q.Sheet, q.ID}
		if seen[k] {
			bad("%s: mapped twice", where)
		}
		seen[k] = true
		row, ok := known[q.ID]
		if !ok {
			bad("%s: not a service-side requirement of the sheet", where)
		} else if q.Level != row.Level {
			bad("%s: level %q, the sheet says %q", where, q.Level, row.Level)
		}
		if strings.TrimSpace(q.Text) == "" {
			bad("%s: no text", where)
		}
		if !slices.Contains(statuses, q.Status) {
			bad("%s: status %q, want one of %v", where, q.Status, statuses)
		}
		switch q.Status {
		case StatusMet:
			if len(q.Tests) == 0 {
				bad("%s: met, but no test proves it", where)
			}
		case StatusNotMet, StatusNotApplicable:
			if strings.TrimSpace(q.Note) == "" {
				bad("%s: %s without a note saying why", where, q.Status)
			}
		}
		if idx != nil {
			for _, ref := range q.Tests {
				if err := idx.HasTest(ref); err != nil {
					bad("%s: %v", where, err)
				}
			}
		}
	}
	for _, s := range m.Sheets {
		for _, r := range rows[s.Key] {
			if !seen[[2]string{s.Key, r.ID}] {
				bad("%s #%s (%s): service-side requirement missing from the mapping", s.Key, r.ID, r.Level)
			}
		}
	}
	return errs
}
