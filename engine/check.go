package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/format"
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
	CheckReach    = "reach"
	CheckLookup   = "lookup"
	CheckParams   = "params"
	CheckData     = "data"
	CheckInput    = "input"
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
	// HookBound says where the rules read which call asks (input.hook,
	// ...), "" when nowhere: not a defect, but the set is not cross-hook
	// and an order-sign is evaluated again after its order-select
	// (crosshook.go).
	HookBound string `json:"hookBound,omitempty"`
	// IndirectInputReads lists the rule packages that read a member few
	// rules read (input.dispense) only through other packages: not a
	// defect, but their calls are evaluated, and keyed, with it
	// (inputreads.go).
	IndirectInputReads []string `json:"indirectInputReads,omitempty"`
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
	rep.HookBound = hookBound(modules)

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

	entries, metaErr := metadataEntries(modules, add)
	if metaErr == nil {
		checkRuleIDs(entries, add, warn)
		rep.Rules = len(uniqueIDs(entries))
	}
	rep.SummariesChecked = checkSummaries(modules, add) + checkCardTemplates(modules, add)
	data := checkData(fsys, add)
	if compiler.Failed() || len(modules) == 0 {
		warn(CheckValueSet, "", 0, "value set, parameter and lookup references not checked: the policy set does not compile")
	} else {
		f := newFlow(compiler.Modules)
		if data.valueSets != nil {
			rep.ValueSetRefs = checkValueSetRefs(f, data.valueSets, add)
		}
		for _, p := range append(paramNameProblems(f, data.params), movedInputProblems(compiler.Modules)...) {
			add(p.Check, p.File, p.Row, "%s", p.Message)
		}
		rep.IndirectInputReads = indirectReads(compiler.Modules)
		if metaErr == nil && data.servicesOK && data.drugs != nil && data.knowledge != nil {
			checkReach(f, modules, data, add, warn)
		}
	}
	order := []string{CheckParse, CheckBuiltin, CheckCompile, CheckFormat, CheckMetadata, CheckRuleID, CheckSummary, CheckValueSet, CheckReach, CheckLookup, CheckParams, CheckData, CheckInput}
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

// locatedProblem is an error at "file:row" (as catalog locations are
// written).
func locatedProblem(check, loc, msg string) Problem {
	file, rowText, _ := strings.Cut(loc, ":")
	row, _ := strconv.Atoi(rowText)
	return Problem{Severity: SeverityError, Check: check, File: file, Row: row, Message: msg}
}

// problemsErr joins the errors among problems into one error (for Load),
// one line each.
func problemsErr(problems []Problem) error {
	var errs []error
	for _, p := range problems {
		if p.Severity != SeverityWarning {
			errs = append(errs, errors.New(p.String()))
		}
	}
	return errors.Join(errs...)
}
