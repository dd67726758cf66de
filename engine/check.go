package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/format"

	"github.com/labelguard/labelguard/terminology"
)

// Checks run by Check, in the order they are reported.
const (
	CheckParse    = "parse"
	CheckBuiltin  = "builtin"
	CheckCompile  = "compile"
	CheckFormat   = "format"
	CheckMetadata = "metadata"
	CheckRuleID   = "rule-id"
	CheckSummary  = "summary-length"
	CheckValueSet = "valueset"
	CheckData     = "data"
)

// MaxSummary is the longest card summary CDS Hooks allows (characters).
const MaxSummary = 140

// deniedReason says why a denied builtin is denied, for check's report.
var deniedReason = map[string]string{
	"http.send":          "policies must not reach the network; the service fetches FHIR data itself",
	"net.lookup_ip_addr": "policies must not reach the network",
	"opa.runtime":        "policies must not read the runtime environment",
	"time.now_ns":        "policies must not read the clock; use input.now so evaluations are reproducible",
	"rand.intn":          "policies must be deterministic",
	"uuid.rfc4122":       "policies must be deterministic; the engine assigns card UUIDs",
}

// Problem is one defect Check found.
type Problem struct {
	// Severity is "error" (check fails) or "warning".
	Severity string `json:"severity"`
	Check    string `json:"check"`
	File     string `json:"file,omitempty"`
	Row      int    `json:"row,omitempty"`
	Message  string `json:"message"`
}

func (p Problem) String() string {
	loc := p.File
	if p.Row > 0 {
		loc += ":" + strconv.Itoa(p.Row)
	}
	if loc == "" {
		return fmt.Sprintf("%s[%s] %s", warnPrefix(p), p.Check, p.Message)
	}
	return fmt.Sprintf("%s: %s[%s] %s", loc, warnPrefix(p), p.Check, p.Message)
}

func warnPrefix(p Problem) string {
	if p.Severity == SeverityWarning {
		return "warning "
	}
	return ""
}

// Severities of problems.
const (
	SeverityError   = "error"
	SeverityWarning = "warning"
)

// CheckReport is the outcome of Check. Problems are sorted by check, file
// and row; an empty list means the policy set passed every check.
type CheckReport struct {
	Problems []Problem `json:"problems"`
	Modules  int       `json:"modules"`
	Rules    int       `json:"rules"`
	// Unformatted lists the modules `opa fmt` would change, with their
	// formatted text, so a tool can fix them.
	Unformatted map[string][]byte `json:"-"`
	// Counts of what the lint rules looked at.
	SummariesChecked int `json:"summariesChecked"`
	ValueSetRefs     int `json:"valueSetRefsChecked"`
}

// OK reports whether no error was found (warnings allowed).
func (r *CheckReport) OK() bool {
	for _, p := range r.Problems {
		if p.Severity != SeverityWarning {
			return false
		}
	}
	return true
}

// Check runs every check on the policy set in fsys and reports all the
// problems found, not only the first:
//
//   - parse: every module parses as Rego v1 with METADATA;
//   - builtin: no call to a builtin the sandbox denies (http.send,
//     time.now_ns, ...), with the reason;
//   - compile: the modules, tests included, compile in strict mode under the
//     serving capabilities (unused variables and imports, shadowing, ...);
//   - format: every module is formatted as `opa fmt` formats it;
//   - metadata: every rule adding to findings under data.labelguard.rules
//     has METADATA with title, custom.id, indicator and source (the same
//     check Load makes, but all problems are listed);
//   - rule-id: rule IDs are unique per variant set: no two variants of an
//     ID have the same drugs and hooks (error); a variant whose drugs and
//     hooks are covered by an earlier variant is never chosen (warning); a
//     rule body that names a catalog rule ID literally names its own;
//   - summary-length: a "summary" that is a string literal is at most 140
//     characters; for sprintf with a literal format, the format with its
//     verbs removed is at most 140 (the substituted values are unknown
//     until run time; scenario tests check real cards);
//   - valueset: every string literal passed as a value set ID resolves to a
//     loaded ValueSet. A function parameter is a value set ID when it flows
//     into data.labelguard.valuesets[...] (directly, through object.get, or
//     through another such function): lib.in_valueset, lib.match_valueset,
//     lib.active_meds_in, lib.valueset_name, ... are found, not listed.
//     IDs computed at run time (e.g. from the drug table) are not checked;
//   - data: services.json and the data files load.
func Check(_ context.Context, fsys fs.FS) (*CheckReport, error) {
	rep := &CheckReport{Unformatted: map[string][]byte{}}
	add := func(check, file string, row int, format string, args ...any) {
		rep.Problems = append(rep.Problems, Problem{Severity: SeverityError, Check: check, File: file, Row: row, Message: fmt.Sprintf(format, args...)})
	}
	warn := func(check, file string, row int, format string, args ...any) {
		rep.Problems = append(rep.Problems, Problem{Severity: SeverityWarning, Check: check, File: file, Row: row, Message: fmt.Sprintf(format, args...)})
	}
	modules := map[string]*ast.Module{}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == "testdata" || (strings.HasPrefix(d.Name(), ".") && p != ".") {
				return fs.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".rego") {
			return nil
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return fmt.Errorf("read %s: %w", p, err)
		}
		m, err := ast.ParseModuleWithOpts(p, string(data), ast.ParserOptions{ProcessAnnotation: true, RegoVersion: ast.RegoV1})
		if err != nil {
			addASTErrors(rep, CheckParse, p, err)
			return nil
		}
		modules[p] = m
		formatted, err := format.SourceWithOpts(p, data, format.Opts{RegoVersion: ast.RegoV1})
		if err == nil && !bytes.Equal(formatted, data) {
			rep.Unformatted[p] = formatted
			add(CheckFormat, p, firstDiffRow(data, formatted), "not formatted as opa fmt formats it (labelguard check --fix rewrites it)")
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("engine.Check: %w", err)
	}
	rep.Modules = len(modules)

	denied := checkBuiltins(modules, add)

	compiler := ast.NewCompiler().
		WithCapabilities(Capabilities()).
		WithStrict(true).
		WithEnablePrintStatements(true)
	if len(modules) > 0 {
		compiler.Compile(modules)
	}
	if compiler.Failed() {
		for _, e := range compiler.Errors {
			if name, ok := strings.CutPrefix(e.Message, "undefined function "); ok && denied[name] {
				continue // reported as a builtin problem
			}
			file, row := "", 0
			if e.Location != nil {
				file, row = e.Location.File, e.Location.Row
			}
			add(CheckCompile, file, row, "%s", e.Message)
		}
	}

	entries, err := metadataEntries(modules, add)
	if err == nil {
		checkRuleIDs(entries, add, warn)
		rep.Rules = len(uniqueIDs(entries))
	}
	rep.SummariesChecked = checkSummaries(modules, add)

	vs, err := terminology.LoadValueSets(fsys, valueSetsDir)
	if err != nil {
		add(CheckData, valueSetsDir, 0, "%v", err)
	}
	if _, err := loadServices(fsys); err != nil {
		add(CheckData, servicesFile, 0, "%v", err)
	}
	if vs != nil {
		if _, err := loadTables(fsys, nil, ""); err != nil {
			add(CheckData, "", 0, "%v", err)
		}
		if compiler.Failed() || len(modules) == 0 {
			warn(CheckValueSet, "", 0, "value set references not checked: the policy set does not compile")
		} else {
			rep.ValueSetRefs = checkValueSetRefs(compiler.Modules, vs, add)
		}
	}

	order := []string{CheckParse, CheckBuiltin, CheckCompile, CheckFormat, CheckMetadata, CheckRuleID, CheckSummary, CheckValueSet, CheckData}
	slices.SortStableFunc(rep.Problems, func(a, b Problem) int {
		if d := slices.Index(order, a.Check) - slices.Index(order, b.Check); d != 0 {
			return d
		}
		if c := strings.Compare(a.File, b.File); c != 0 {
			return c
		}
		return a.Row - b.Row
	})
	return rep, nil
}

func addASTErrors(rep *CheckReport, check, file string, err error) {
	var errs ast.Errors
	if errors.As(err, &errs) {
		for _, e := range errs {
			row := 0
			if e.Location != nil {
				row = e.Location.Row
			}
			rep.Problems = append(rep.Problems, Problem{Severity: SeverityError, Check: check, File: file, Row: row, Message: e.Message})
		}
		return
	}
	rep.Problems = append(rep.Problems, Problem{Severity: SeverityError, Check: check, File: file, Message: err.Error()})
}

func firstDiffRow(a, b []byte) int {
	la, lb := bytes.Split(a, []byte("\n")), bytes.Split(b, []byte("\n"))
	for i := range min(len(la), len(lb)) {
		if !bytes.Equal(la[i], lb[i]) {
			return i + 1
		}
	}
	return min(len(la), len(lb))
}

type addFunc func(check, file string, row int, format string, args ...any)

// forEachCall calls fn for every call in x: call expressions (f(a, b),
// including x := f(a) as compiled) and call terms nested in other terms.
func forEachCall(x any, fn func(op ast.Ref, args []*ast.Term, loc *ast.Location)) {
	ast.WalkExprs(x, func(e *ast.Expr) bool {
		if e.IsCall() {
			if op := e.Operator(); op != nil {
				fn(op, e.Operands(), e.Location)
			}
		}
		return false
	})
	ast.WalkTerms(x, func(t *ast.Term) bool {
		if c, ok := t.Value.(ast.Call); ok && len(c) > 0 {
			if op, ok := c[0].Value.(ast.Ref); ok {
				fn(op, c[1:], t.Location)
			}
		}
		return false
	})
}

// checkBuiltins reports calls to denied builtins and returns their names.
func checkBuiltins(modules map[string]*ast.Module, add addFunc) map[string]bool {
	found := map[string]bool{}
	for _, p := range slices.Sorted(maps.Keys(modules)) {
		forEachCall(modules[p], func(op ast.Ref, _ []*ast.Term, loc *ast.Location) {
			name := op.String()
			if !deniedBuiltins[name] {
				return
			}
			found[name] = true
			row := 0
			if loc != nil {
				row = loc.Row
			}
			add(CheckBuiltin, p, row, "%s is not allowed in labelguard policies: %s", name, deniedReason[name])
		})
	}
	return found
}

// metaEntry is one card-yielding rule body with its METADATA.
type metaEntry struct {
	id      string
	pkg     string
	file    string
	row     int
	variant *Variant
	rule    *ast.Rule
}

// metadataEntries reads the METADATA of every findings rule under
// data.labelguard.rules, reporting every incomplete one.
func metadataEntries(modules map[string]*ast.Module, add addFunc) ([]metaEntry, error) {
	var mods []*ast.Module
	for _, p := range slices.Sorted(maps.Keys(modules)) {
		if !isTest(p) {
			mods = append(mods, modules[p])
		}
	}
	as, errs := ast.BuildAnnotationSet(mods)
	if len(errs) > 0 {
		for _, e := range errs {
			file, row := "", 0
			if e.Location != nil {
				file, row = e.Location.File, e.Location.Row
			}
			add(CheckMetadata, file, row, "%s", e.Message)
		}
		return nil, errs
	}
	var out []metaEntry
	for _, m := range mods {
		if !m.Package.Path.HasPrefix(rulesRoot) {
			continue
		}
		pkg := strings.TrimPrefix(m.Package.Path.String(), "data.")
		for _, r := range m.Rules {
			if r.Head.Name.String() != findingsRule && r.Head.Ref().String() != findingsRule {
				continue
			}
			id, v, err := variantFromAnnotation(ruleAnnotation(as, r))
			if err != nil {
				add(CheckMetadata, r.Location.File, r.Location.Row, "rule %s.%s: %v", pkg, findingsRule, err)
				continue
			}
			out = append(out, metaEntry{id: id, pkg: pkg, file: r.Location.File, row: r.Location.Row, variant: v, rule: r})
		}
	}
	if len(out) == 0 && len(mods) > 0 {
		add(CheckMetadata, "", 0, "no rule adds to %s in a package under %s", findingsRule, rulesRoot)
	}
	return out, nil
}

func uniqueIDs(entries []metaEntry) map[string]bool {
	ids := map[string]bool{}
	for _, e := range entries {
		ids[e.id] = true
	}
	return ids
}

// checkRuleIDs: distinguishable variants (unique per drugs and hooks), no
// variant shadowed by an earlier one (a warning), and bodies that name
// their own ID. One ID may have variants in several packages (the
// monitoring service words the lab rules for patients on treatment).
func checkRuleIDs(entries []metaEntry, add, warn addFunc) {
	ids := uniqueIDs(entries)
	byID := map[string][]metaEntry{}
	for _, e := range entries {
		byID[e.id] = append(byID[e.id], e)
	}
	for _, id := range slices.Sorted(maps.Keys(byID)) {
		var distinct []metaEntry
		for _, e := range byID[id] {
			dup := false
			for _, d := range distinct {
				switch {
				case sameVariant([]*Variant{d.variant}, e.variant) != nil:
					dup = true
				case sameScope(d.variant, e.variant):
					add(CheckRuleID, e.file, e.row, "rule ID %s: this variant has the same drugs and hooks as the one at %s:%d but different METADATA; only the first is ever used on cards", id, d.file, d.row)
					dup = true
				case covers(d.variant, e.variant):
					warn(CheckRuleID, e.file, e.row, "rule ID %s: this variant (hooks %v, drugs %v) is shadowed by the one at %s:%d (hooks %v, drugs %v), which is chosen first; narrow the earlier variant's hooks or drugs", id,
						orAll(e.variant.Hooks), orAll(e.variant.Drugs), d.file, d.row, orAll(d.variant.Hooks), orAll(d.variant.Drugs))
					dup = true
				}
				if dup {
					break
				}
			}
			if !dup {
				distinct = append(distinct, e)
			}
		}
	}
	for _, e := range entries {
		named := map[string]bool{}
		ast.WalkTerms(e.rule, func(t *ast.Term) bool {
			if s, ok := t.Value.(ast.String); ok && ids[string(s)] {
				named[string(s)] = true
			}
			return false
		})
		if len(named) > 0 && !named[e.id] {
			add(CheckRuleID, e.file, e.row, "METADATA says %s but the rule names %s", e.id, strings.Join(slices.Sorted(maps.Keys(named)), ", "))
		}
	}
}

// covers reports whether variantFor would always choose a before b: every
// hook and drug of b is one of a's (an empty list means all).
func covers(a, b *Variant) bool {
	sub := func(x, y []string) bool { // x within y
		if len(y) == 0 {
			return true
		}
		if len(x) == 0 {
			return false
		}
		for _, e := range x {
			if !slices.Contains(y, e) {
				return false
			}
		}
		return true
	}
	return sub(b.Hooks, a.Hooks) && sub(b.Drugs, a.Drugs)
}

func orAll(l []string) string {
	if len(l) == 0 {
		return "all"
	}
	return strings.Join(l, ",")
}

func sameScope(a, b *Variant) bool {
	return slices.Equal(slices.Sorted(slices.Values(a.Drugs)), slices.Sorted(slices.Values(b.Drugs))) &&
		slices.Equal(slices.Sorted(slices.Values(a.Hooks)), slices.Sorted(slices.Values(b.Hooks)))
}

var fmtVerb = regexp.MustCompile(`%[-+# 0]*[0-9]*(\.[0-9]+)?[a-zA-Z%]`)

// checkSummaries checks "summary": <literal> and "summary": sprintf(<literal>, ...)
// in the policy modules (tests excluded) and returns how many it checked.
func checkSummaries(modules map[string]*ast.Module, add addFunc) int {
	n := 0
	for _, p := range slices.Sorted(maps.Keys(modules)) {
		if isTest(p) {
			continue
		}
		ast.WalkTerms(modules[p], func(t *ast.Term) bool {
			obj, ok := t.Value.(ast.Object)
			if !ok {
				return false
			}
			v := obj.Get(ast.StringTerm("summary"))
			if v == nil {
				return false
			}
			row := t.Location.Row
			if v.Location != nil {
				row = v.Location.Row
			}
			switch x := v.Value.(type) {
			case ast.String:
				n++
				if l := utf8.RuneCountInString(string(x)); l > MaxSummary {
					add(CheckSummary, p, row, "summary is %d characters; CDS Hooks allows %d", l, MaxSummary)
				}
			case ast.Call:
				if len(x) == 3 && x[0].String() == "sprintf" {
					if f, ok := x[1].Value.(ast.String); ok {
						n++
						fixed := fmtVerb.ReplaceAllString(string(f), "")
						if l := utf8.RuneCountInString(fixed); l > MaxSummary {
							add(CheckSummary, p, row, "summary format has %d characters before its values are substituted; CDS Hooks allows %d", l, MaxSummary)
						}
					}
				}
			}
			return false
		})
	}
	return n
}

var valueSetsRef = ast.MustParseRef("data.labelguard.valuesets")

// checkValueSetRefs finds the value set parameters of every function by
// data flow over the compiled modules, then checks every literal value set
// ID; it returns how many references it checked.
func checkValueSetRefs(modules map[string]*ast.Module, vs terminology.ValueSets, add addFunc) int {
	positions := valueSetParams(modules)
	n := 0
	check := func(file string, loc *ast.Location, id string) {
		n++
		if _, ok := vs[id]; ok {
			return
		}
		row := 0
		if loc != nil {
			row = loc.Row
			if loc.File != "" {
				file = loc.File
			}
		}
		add(CheckValueSet, file, row, "value set %q is not loaded (no valuesets/*.json has that id)", id)
	}
	for _, p := range slices.Sorted(maps.Keys(modules)) {
		m := modules[p]
		forEachCall(m, func(op ast.Ref, args []*ast.Term, loc *ast.Location) {
			if op.Equal(ast.MustParseRef("object.get")) && len(args) >= 2 && args[0].Value.Compare(valueSetsRef) == 0 {
				if s, ok := firstKey(args[1]).(ast.String); ok {
					check(p, loc, string(s))
				}
				return
			}
			for j := range positions[op.String()] {
				if j < len(args) {
					if s, ok := args[j].Value.(ast.String); ok {
						check(p, loc, string(s))
					}
				}
			}
		})
		ast.WalkRefs(m, func(r ast.Ref) bool {
			if len(r) > len(valueSetsRef) && r.HasPrefix(valueSetsRef) {
				if s, ok := r[len(valueSetsRef)].Value.(ast.String); ok {
					check(p, r[0].Location, string(s))
				}
			}
			return false
		})
	}
	return n
}

// firstKey is the key a path argument of object.get starts with.
func firstKey(t *ast.Term) ast.Value {
	if a, ok := t.Value.(*ast.Array); ok {
		if a.Len() == 0 {
			return nil
		}
		return a.Elem(0).Value
	}
	return t.Value
}

// valueSetParams returns, per function (full path), the argument positions
// that are value set IDs: those whose variable reaches
// data.labelguard.valuesets[...] or another function's value set position.
func valueSetParams(modules map[string]*ast.Module) map[string]map[int]bool {
	out := map[string]map[int]bool{}
	var rules []*ast.Rule
	for _, p := range slices.Sorted(maps.Keys(modules)) {
		for _, r := range modules[p].Rules {
			if len(r.Head.Args) > 0 {
				rules = append(rules, r)
			}
		}
	}
	for changed := true; changed; {
		changed = false
		for _, r := range rules {
			name := r.Path().String()
			for i, a := range r.Head.Args {
				v, ok := a.Value.(ast.Var)
				if !ok || out[name][i] || !flowsToValueSet(r, v, out) {
					continue
				}
				if out[name] == nil {
					out[name] = map[int]bool{}
				}
				out[name][i] = true
				changed = true
			}
		}
	}
	return out
}

func flowsToValueSet(r *ast.Rule, v ast.Var, known map[string]map[int]bool) bool {
	found := false
	ast.WalkRefs(r, func(ref ast.Ref) bool {
		if len(ref) > len(valueSetsRef) && ref.HasPrefix(valueSetsRef) && ref[len(valueSetsRef)].Value.Compare(v) == 0 {
			found = true
		}
		return found
	})
	if found {
		return true
	}
	forEachCall(r, func(op ast.Ref, args []*ast.Term, _ *ast.Location) {
		if found {
			return
		}
		if op.Equal(ast.MustParseRef("object.get")) && len(args) >= 2 && args[0].Value.Compare(valueSetsRef) == 0 {
			if k := firstKey(args[1]); k != nil && k.Compare(v) == 0 {
				found = true
			}
			return
		}
		for j := range known[op.String()] {
			if j < len(args) && args[j].Value.Compare(v) == 0 {
				found = true
			}
		}
	})
	return found
}

// RuleFacts are the facts a rule names literally in its body: lab analytes,
// value sets and site parameters. They explain why a rule stayed silent
// (a named lab absent or stale, nothing in a named value set); facts a rule
// reaches only through helper rules are not listed.
type RuleFacts struct {
	Analytes  []string `json:"analytes,omitempty"`
	ValueSets []string `json:"valueSets,omitempty"`
	Params    []string `json:"params,omitempty"`
}

// RuleFacts returns, per rule ID, the facts its bodies name literally.
func (ps *PolicySet) RuleFacts() map[string]RuleFacts {
	var analytes map[string]bool
	if ps.tables.labs != nil {
		analytes = map[string]bool{}
		for a := range ps.tables.labs.Analytes {
			analytes[a] = true
		}
	}
	paramsRef := ast.MustParseRef("data.labelguard.params")
	out := map[string]RuleFacts{}
	sets := map[string][3]map[string]bool{}
	for _, m := range ps.compiler.Modules {
		if !m.Package.Path.HasPrefix(rulesRoot) {
			continue
		}
		for _, r := range m.Rules {
			if r.Head.Name.String() != findingsRule && r.Head.Ref().String() != findingsRule {
				continue
			}
			// The rule ID is the METADATA's; match by location.
			id := ps.ruleAt(r.Location)
			if id == "" {
				continue
			}
			s, ok := sets[id]
			if !ok {
				s = [3]map[string]bool{{}, {}, {}}
				sets[id] = s
			}
			ast.WalkTerms(r, func(t *ast.Term) bool {
				str, ok := t.Value.(ast.String)
				if !ok {
					return false
				}
				x := string(str)
				if analytes[x] {
					s[0][x] = true
				}
				if _, ok := ps.tables.valueSets[x]; ok {
					s[1][x] = true
				}
				if _, ok := ps.tables.params[x]; ok && x != "rules" {
					s[2][x] = true
				}
				return false
			})
			ast.WalkRefs(r, func(ref ast.Ref) bool {
				if len(ref) > len(paramsRef) && ref.HasPrefix(paramsRef) {
					if k, ok := ref[len(paramsRef)].Value.(ast.String); ok {
						s[2][string(k)] = true
					}
				}
				return false
			})
		}
	}
	for id, s := range sets {
		out[id] = RuleFacts{
			Analytes:  slices.Sorted(maps.Keys(s[0])),
			ValueSets: slices.Sorted(maps.Keys(s[1])),
			Params:    slices.Sorted(maps.Keys(s[2])),
		}
	}
	return out
}

// ruleAt returns the ID of the catalog rule with a variant at loc.
func (ps *PolicySet) ruleAt(loc *ast.Location) string {
	if loc == nil {
		return ""
	}
	want := fmt.Sprintf("%s:%d", loc.File, loc.Row)
	for id, r := range ps.Catalog {
		for _, v := range r.Variants {
			if slices.Contains(v.Locations, want) {
				return id
			}
		}
	}
	return ""
}
