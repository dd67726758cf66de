package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"

	"github.com/labelguard/labelguard/terminology"
)

// Options control how a policy set is loaded.
type Options struct {
	// SiteParams is a JSON object merged over data/params.json.
	SiteParams []byte
	// SiteParamsFile names SiteParams in messages (its path).
	SiteParamsFile string
	// Revision overrides the content hash (e.g. a bundle's revision).
	Revision string
	// Terminology is the site's RxNorm and NDC codes of the profiles'
	// products (labelguard terminology import): orders coded by them are
	// recognised, and dose suggestions carry them. Nil: text and the
	// profiles' own codes only.
	Terminology *terminology.Site

	// lax compiles without strict checks. Only the engine's own benchmarks
	// set it, to measure policies rewritten so that some assignments go
	// unused (BenchmarkPerfPolicyParts); a policy set that is served is
	// always compiled strictly.
	lax bool
}

// PolicySet is a compiled, ready-to-evaluate policy set. It is immutable
// after Load and safe for concurrent use.
type PolicySet struct {
	Revision string
	Services []Service
	Catalog  map[string]*Rule
	// Packages are the rule packages by name: the units a call evaluates
	// and a failure is isolated to.
	Packages map[string]*RulePackage

	packageNames []string // sorted
	// fsys and opts are what the set was loaded from, so that the same
	// set can be loaded for another jurisdiction (InJurisdiction).
	fsys     fs.FS
	opts     Options
	tables   *tables
	modules  map[string]*ast.Module
	compiler *ast.Compiler
	store    storage.Store
	// queries holds one prepared query per set of packages a call
	// reaches (all packages' findings in one evaluation, so that shared
	// helper rules are evaluated once); a set is prepared on first use.
	queries sync.Map // packageSet -> *packageQuery
	// hookBoundAt says where the rules read which call is asking; "" for
	// a cross-hook set (crosshook.go).
	hookBoundAt string
	// inputReaders are, per optional input member, the packages that can
	// read it (inputreads.go).
	inputReaders map[string]packageSet
	// hookGroup maps each served hook to the first hook whose findings
	// every rule checks and words alike (crosshook.go).
	hookGroup map[string]string
}

// deniedBuiltins are the builtins a policy must not call: network access,
// the runtime environment, and anything that reads the clock or randomness
// (the evaluation time is input.now so that tests are deterministic).
var deniedBuiltins = map[string]bool{
	"http.send":          true,
	"net.lookup_ip_addr": true,
	"opa.runtime":        true,
	"time.now_ns":        true,
	"rand.intn":          true,
	"uuid.rfc4122":       true,
}

// Capabilities returns the restricted capabilities policies compile against.
func Capabilities() *ast.Capabilities {
	c := ast.CapabilitiesForThisVersion()
	c.Builtins = slices.DeleteFunc(slices.Clone(c.Builtins), func(b *ast.Builtin) bool {
		return deniedBuiltins[b.Name]
	})
	c.AllowNet = []string{}
	return c
}

// Load reads, checks and compiles the policy set in fsys. It fails with an
// error naming the file (and rule or key) when a module does not parse or
// compile, calls a denied builtin, when a card-yielding rule lacks
// metadata, a rule package is unreachable, or a data file (site
// parameters, drug profiles) does not hold to its schema.
func Load(ctx context.Context, fsys fs.FS, opts Options) (*PolicySet, error) {
	src, err := readSources(fsys)
	if err != nil {
		return nil, fmt.Errorf("engine.Load: %w", err)
	}
	tbl, err := loadTables(fsys, opts.SiteParams, opts.SiteParamsFile, opts.Terminology)
	if err != nil {
		return nil, fmt.Errorf("engine.Load: %w", err)
	}
	services, err := loadServices(fsys, tbl.labs)
	if err != nil {
		return nil, fmt.Errorf("engine.Load: %w", err)
	}
	catalog, err := buildCatalog(src.modules)
	if err != nil {
		return nil, fmt.Errorf("engine.Load: %w", err)
	}
	if err := addBuiltinRules(catalog); err != nil {
		return nil, fmt.Errorf("engine.Load: %w", err)
	}
	pkgs, problems := discoverPackages(src.modules, catalog)
	if err := problemsErr(problems); err != nil {
		return nil, fmt.Errorf("engine.Load: %w", err)
	}
	if err := problemsErr(applyProfiles(catalog, pkgs, tbl.knowledge, tbl.params, tbl.labs)); err != nil {
		return nil, fmt.Errorf("engine.Load: %w", err)
	}
	if err := problemsErr(resolveTopics(catalog, tbl.knowledge)); err != nil {
		return nil, fmt.Errorf("engine.Load: %w", err)
	}
	if err := problemsErr(checkPackages(pkgs, catalog, services, tbl.targets())); err != nil {
		return nil, fmt.Errorf("engine.Load: %w", err)
	}
	if err := applySiteOverrides(catalog, tbl.params); err != nil {
		return nil, fmt.Errorf("engine.Load: %w", err)
	}
	tbl.tagged = taggedRules(catalog)
	doc, err := tbl.document()
	if err != nil {
		return nil, fmt.Errorf("engine.Load: %w", err)
	}
	serving := map[string]*ast.Module{}
	for p, m := range src.modules {
		if !isTest(p) {
			serving[p] = m
		}
	}
	compiler, err := compile(serving, !opts.lax)
	if err != nil {
		return nil, fmt.Errorf("engine.Load: %w", err)
	}
	// What compiles but would fail or fall silent at run time is refused
	// here too, not only by check: a typo in a finding's rule ID would
	// otherwise drop that finding on every call, a map lacking a drug
	// silence its rule for that drug.
	f := newFlow(compiler.Modules)
	problems = runTimeProblems(f, catalog, pkgs, tbl.knowledge, tbl.targets())
	problems = append(problems, paramNameProblems(f, tbl.paramNames)...)
	problems = append(problems, movedInputProblems(compiler.Modules)...)
	if err := problemsErr(problems); err != nil {
		return nil, fmt.Errorf("engine.Load: %w", err)
	}
	ps := &PolicySet{
		Revision:     src.revision(),
		Services:     services,
		Catalog:      catalog,
		Packages:     pkgs,
		packageNames: slices.Sorted(maps.Keys(pkgs)),
		tables:       tbl,
		fsys:         fsys,
		opts:         opts,
		modules:      src.modules,
		compiler:     compiler,
		store:        inmem.NewFromObjectWithOpts(doc, inmem.OptReturnASTValuesOnRead(true)),
		hookBoundAt:  hookBound(src.modules),
		hookGroup:    hookGroups(services, catalog),
	}
	ps.inputReaders = inputReaders(compiler.Modules, ps.packageNames, pkgs)
	if opts.Revision != "" {
		ps.Revision = opts.Revision
	}
	// Each package alone (isolating a failure), and the sets a call on
	// one drug reaches, are prepared now so that no call pays for it.
	if len(ps.packageNames) > maxPackages {
		return nil, fmt.Errorf("engine.Load: %d rule packages: at most %d are supported", len(ps.packageNames), maxPackages)
	}
	for i := range ps.packageNames {
		if _, err := ps.query(ctx, packageSet(0).with(i)); err != nil {
			return nil, fmt.Errorf("engine.Load: %w", err)
		}
	}
	for _, s := range services {
		for _, d := range slices.Sorted(maps.Keys(tbl.targets())) {
			if _, err := ps.query(ctx, ps.reachableFor(s.Hook, map[string]bool{d: true})); err != nil {
				return nil, fmt.Errorf("engine.Load: %w", err)
			}
		}
	}
	return ps, nil
}

// InJurisdiction returns the policy set loaded from the same files and
// site parameters but for jurisdiction j (the site parameter overridden):
// ps itself when it already follows j. A scenario suite runs in every
// jurisdiction this way, whatever the site's.
func (ps *PolicySet) InJurisdiction(ctx context.Context, j string) (*PolicySet, error) {
	if strings.EqualFold(j, ps.Jurisdiction()) {
		return ps, nil
	}
	site := map[string]any{}
	if len(ps.opts.SiteParams) > 0 {
		if err := json.Unmarshal(ps.opts.SiteParams, &site); err != nil {
			return nil, fmt.Errorf("engine.InJurisdiction: site parameters: %w", err)
		}
	}
	site["jurisdiction"] = j
	data, err := json.Marshal(site)
	if err != nil {
		return nil, fmt.Errorf("engine.InJurisdiction: %w", err)
	}
	opts := ps.opts
	opts.SiteParams = data
	out, err := Load(ctx, ps.fsys, opts)
	if err != nil {
		return nil, fmt.Errorf("engine.InJurisdiction(%s): %w", j, err)
	}
	out.Revision = ps.Revision
	return out, nil
}

// compile compiles modules against the restricted capabilities, strictly
// unless a benchmark asks otherwise.
func compile(modules map[string]*ast.Module, strict bool) (*ast.Compiler, error) {
	c := ast.NewCompiler().
		WithCapabilities(Capabilities()).
		WithStrict(strict).
		WithEnablePrintStatements(false)
	c.Compile(modules)
	if c.Failed() {
		return nil, fmt.Errorf("compile policies: %w", c.Errors)
	}
	return c, nil
}

// applySiteOverrides records, on the catalog, the rules a site switched off
// or lowered, and refuses overrides that name unknown rules or raise an
// indicator.
func applySiteOverrides(catalog map[string]*Rule, params map[string]any) error {
	rules, _ := params["rules"].(map[string]any)
	var problems []error
	for _, id := range slices.Sorted(maps.Keys(rules)) {
		v := rules[id]
		r, ok := catalog[id]
		if !ok {
			problems = append(problems, fmt.Errorf("site parameters: rules.%s: no such rule", id))
			continue
		}
		if r.Builtin {
			problems = append(problems, fmt.Errorf("site parameters: rules.%s: the engine's own card cannot be switched off or lowered: it is how a check that failed is told apart from a pass", id))
			continue
		}
		o, ok := v.(map[string]any)
		if !ok {
			problems = append(problems, fmt.Errorf("site parameters: rules.%s: want an object", id))
			continue
		}
		if en, ok := o["enabled"].(bool); ok && !en {
			r.Disabled = true
		}
		if ind, ok := o["indicator"].(string); ok {
			rank, known := indicatorRank[ind]
			if !known {
				problems = append(problems, fmt.Errorf("site parameters: rules.%s.indicator %q is not critical, warning or info", id, ind))
				continue
			}
			for _, cur := range r.Indicators() {
				if rank < indicatorRank[cur] {
					problems = append(problems, fmt.Errorf("site parameters: rules.%s.indicator may only lower the indicator (%s is above %s)", id, ind, cur))
				}
			}
			r.IndicatorOverride = ind
		}
	}
	return errors.Join(problems...)
}

// Service returns the service with the given id.
func (ps *PolicySet) Service(id string) (Service, bool) {
	for _, s := range ps.Services {
		if s.ID == id {
			return s, true
		}
	}
	return Service{}, false
}

// Tables returns the reference data the facts layer needs.
func (ps *PolicySet) Tables() (terminology.ValueSets, *terminology.LabTable, *terminology.DrugTable) {
	return ps.tables.valueSets, ps.tables.labs, ps.tables.drugs
}

// Rules returns the catalog sorted by rule ID.
func (ps *PolicySet) Rules() []*Rule {
	out := make([]*Rule, 0, len(ps.Catalog))
	for _, r := range ps.Catalog {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b *Rule) int { return strings.Compare(a.ID, b.ID) })
	return out
}
