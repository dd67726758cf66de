package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/util"

	"github.com/labelguard/labelguard/cdshooks"
	"github.com/labelguard/labelguard/terminology"
)

// File names inside a policy set.
const (
	servicesFile        = "services.json"
	paramsFile          = "data/params.json"
	labsFile            = "data/labs.json"
	drugsFile           = "data/drugs.json"
	overrideReasonsFile = "data/override-reasons.json"
	valueSetsDir        = "valuesets"
)

// Service is a CDS service declared by the policy set. The rules it runs
// are the rule packages whose package METADATA names its hook.
type Service struct {
	cdshooks.Service
}

// Source files of a policy set, read once.
type sources struct {
	modules map[string]*ast.Module // path -> parsed module, tests included
	raw     map[string][]byte      // every file that makes up the revision
}

// readSources parses every .rego file under fsys, skipping testdata, and
// keeps the bytes of every file for the revision hash.
func readSources(fsys fs.FS) (*sources, error) {
	src := &sources{modules: map[string]*ast.Module{}, raw: map[string][]byte{}}
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
		if !strings.HasSuffix(p, ".rego") && !strings.HasSuffix(p, ".json") {
			return nil
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return fmt.Errorf("read %s: %w", p, err)
		}
		src.raw[p] = data
		if strings.HasSuffix(p, ".rego") {
			m, err := ast.ParseModuleWithOpts(p, string(data), ast.ParserOptions{
				ProcessAnnotation: true,
				RegoVersion:       ast.RegoV1,
			})
			if err != nil {
				return fmt.Errorf("parse %s: %w", p, err)
			}
			src.modules[p] = m
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(src.modules) == 0 {
		return nil, fmt.Errorf("no .rego files found")
	}
	return src, nil
}

// revision is a content hash of the policy set, stable across file order.
func (s *sources) revision() string {
	paths := make([]string, 0, len(s.raw))
	for p := range s.raw {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	h := sha256.New()
	for _, p := range paths {
		fmt.Fprintf(h, "%s\x00%d\x00", p, len(s.raw[p]))
		h.Write(s.raw[p])
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))[:16]
}

// isTest reports whether a module path is a Rego test file.
func isTest(p string) bool { return strings.HasSuffix(p, "_test.rego") }

// tables holds the reference data of a policy set.
type tables struct {
	valueSets       terminology.ValueSets
	labs            *terminology.LabTable
	drugs           *terminology.DrugTable
	params          map[string]any
	paramNames      map[string]bool // the parameters the schema names
	overrideReasons []cdshooks.Coding
	knowledge       *knowledge
	// tagged lists, per tag and drug, the rules with that tag that apply
	// to the drug ({id, title}), from the catalog: a rule that names the
	// checks it stands in for reads them (jak.dose-unverifiable lists the
	// dose rules), so that a new dose rule is listed without editing it.
	tagged map[string]map[string][]taggedRule
}

type taggedRule struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

// targets are the target drug IDs of the drug table.
func (t *tables) targets() map[string]bool {
	out := map[string]bool{}
	for _, d := range t.drugs.Drugs {
		if d.Target != "" {
			out[d.Target] = true
		}
		if d.TopicalTarget != "" {
			out[d.TopicalTarget] = true
		}
	}
	return out
}

func loadTables(fsys fs.FS, siteParams []byte, siteName string, site *terminology.Site) (*tables, error) {
	vs, err := terminology.LoadValueSets(fsys, valueSetsDir)
	if err != nil {
		return nil, err
	}
	labs, err := terminology.LoadLabTable(fsys, labsFile)
	if err != nil {
		return nil, err
	}
	drugs, err := terminology.LoadDrugTable(fsys, drugsFile, vs)
	if err != nil {
		return nil, err
	}
	params, paramNames, err := loadParams(fsys, siteParams, siteName)
	if err != nil {
		return nil, err
	}
	k, err := loadKnowledge(fsys, jurisdictionOf(params))
	if err != nil {
		return nil, err
	}
	if err := applySite(k, site); err != nil {
		return nil, err
	}
	if err := addTargets(drugs, k, vs); err != nil {
		return nil, err
	}
	drugs.SetSite(site)
	var or struct {
		Reasons []cdshooks.Coding `json:"reasons"`
	}
	data, err := fs.ReadFile(fsys, overrideReasonsFile)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", overrideReasonsFile, err)
	}
	if err := json.Unmarshal(data, &or); err != nil {
		return nil, fmt.Errorf("%s: %w", overrideReasonsFile, err)
	}
	for i, r := range or.Reasons {
		if r.System == "" || r.Code == "" {
			return nil, fmt.Errorf("%s: reasons[%d] needs system and code", overrideReasonsFile, i)
		}
	}
	t := &tables{valueSets: vs, labs: labs, drugs: drugs, params: params, paramNames: paramNames, overrideReasons: or.Reasons, knowledge: k}
	if err := checkProfilesMatchTargets(k, t.targets()); err != nil {
		return nil, err
	}
	return t, nil
}

// mergeObjects overlays b on a recursively: a site file changes only the
// parameters it names.
func mergeObjects(a, b map[string]any) map[string]any {
	out := make(map[string]any, len(a))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		if bo, ok := v.(map[string]any); ok {
			if ao, ok := out[k].(map[string]any); ok {
				out[k] = mergeObjects(ao, bo)
				continue
			}
		}
		out[k] = v
	}
	return out
}

// document is the data tree under data.labelguard.
func (t *tables) document() (map[string]any, error) {
	doc := map[string]any{
		"params":          t.params,
		"labs":            t.labs,
		"drugs":           t.drugs,
		"valuesets":       t.valueSets,
		"overrideReasons": t.overrideReasons,
		"profiles":        t.knowledge.profiles,
		"citations":       t.knowledge.citations(),
		"documents":       t.knowledge.documents,
		"tagged":          t.tagged,
	}
	// Round-trip through JSON so the store holds only JSON types.
	data, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("encode data document: %w", err)
	}
	var out map[string]any
	if err := util.UnmarshalJSON(data, &out); err != nil {
		return nil, fmt.Errorf("decode data document: %w", err)
	}
	return map[string]any{"labelguard": out}, nil
}

// dataPath names where a file of the set lives, for error messages.
func dataPath(p string) string { return path.Clean(p) }
