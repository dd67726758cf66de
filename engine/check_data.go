package engine

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/labelguard/labelguard/internal/jsonfile"
	"github.com/labelguard/labelguard/terminology"
)

// checkedData is what the data checks loaded, for the checks that follow
// references into it; a part that did not load is nil.
type checkedData struct {
	valueSets terminology.ValueSets
	drugs     *terminology.DrugTable
	services  []Service
	params    map[string]bool // the site parameters the schema names
	// paramValues are the default site parameters (METADATA text may
	// show them).
	paramValues map[string]any
	labs        *terminology.LabTable
	knowledge   *knowledge
	// others are the profiles merged for each other jurisdiction than the
	// default's, so that check finds what would fail at a site there.
	others     map[string]*knowledge
	servicesOK bool
}

func (d *checkedData) targets() map[string]bool {
	if d.drugs == nil {
		return nil
	}
	return (&tables{drugs: d.drugs}).targets()
}

// checkData loads each data file of the policy set on its own and reports
// each problem with its file, and its line and key where the file is JSON
// the informaticists edit (site parameters, profiles).
func checkData(fsys fs.FS, add addFunc) *checkedData {
	d := &checkedData{}
	var err error
	if d.labs, err = terminology.LoadLabTable(fsys, labsFile); err != nil {
		add(CheckData, labsFile, 0, "%v", err)
	}
	if d.services, err = loadServices(fsys, d.labs); err != nil {
		add(CheckData, servicesFile, 0, "%v", err)
	} else {
		d.servicesOK = true
	}
	if d.valueSets, err = terminology.LoadValueSets(fsys, valueSetsDir); err != nil {
		add(CheckData, valueSetsDir, 0, "%v", err)
	}
	if d.valueSets != nil {
		if d.drugs, err = terminology.LoadDrugTable(fsys, drugsFile, d.valueSets); err != nil {
			add(CheckData, drugsFile, 0, "%v", err)
		}
	}
	if d.paramValues, _, err = loadParams(fsys, nil, ""); err != nil {
		addFileProblems(add, CheckData, paramsFile, err)
	}
	if s, err := ParamsSchema(fsys); err == nil {
		d.params = schemaParamNames(s)
	}
	if d.knowledge, err = loadKnowledge(fsys, jurisdictionOf(d.paramValues)); err != nil {
		addFileProblems(add, CheckData, profilesDir, err)
		d.knowledge = nil
	} else if d.drugs != nil {
		if err := addTargets(d.drugs, d.knowledge, d.valueSets); err != nil {
			addFileProblems(add, CheckData, profilesDir, err)
		}
		if err := checkProfilesMatchTargets(d.knowledge, d.targets()); err != nil {
			addFileProblems(add, CheckData, profilesDir, err)
		}
		d.others = map[string]*knowledge{}
		for _, j := range Jurisdictions {
			if j == jurisdictionOf(d.paramValues) {
				continue
			}
			// loadKnowledge validated every jurisdiction's merge above;
			// the value sets addTargets gave the profiles are the same.
			if k, err := loadKnowledge(fsys, j); err == nil {
				for id, p := range k.profiles {
					if q := d.knowledge.profiles[id]; q != nil {
						p.ValueSet, p.raw["valueSet"] = q.ValueSet, q.ValueSet
					}
				}
				d.others[j] = k
			}
		}
	}
	return d
}

// addFileProblems reports a loader's error: each jsonfile problem with its
// file, line and key; anything else under file.
func addFileProblems(add addFunc, check, file string, err error) {
	var ps jsonfile.Problems
	if errors.As(err, &ps) {
		for _, p := range ps {
			msg := p.Message
			if p.Path != "" {
				msg = p.Path + ": " + msg
			}
			add(check, p.File, p.Line, "%s", msg)
		}
		return
	}
	add(check, file, 0, "%v", err)
}

// CheckSiteParams validates a site's parameters file (named name in the
// problems) against the policy set's schema, as Load does: each problem
// with its line and key.
func CheckSiteParams(fsys fs.FS, data []byte, name string) []Problem {
	var out []Problem
	add := func(check, file string, row int, format string, args ...any) {
		out = append(out, Problem{Severity: SeverityError, Check: check, File: file, Row: row, Message: fmt.Sprintf(format, args...)})
	}
	if _, _, err := loadParams(fsys, data, name); err != nil {
		addFileProblems(add, CheckParams, name, err)
	}
	return out
}

// paramNameProblems reports a site parameter a policy reads that the
// schema does not name: lib.param("labWindowDay") is undefined, and a rule
// that reads it would silently never fire.
func paramNameProblems(f *flow, params map[string]bool) []Problem {
	if params == nil {
		return nil
	}
	var out []Problem
	positions := f.params(indexSink(paramsRef))
	for _, path := range f.order {
		for _, r := range f.rules[path] {
			for _, l := range f.literals(r, positions, indexLiterals(f, paramsRef)) {
				if !params[l.value] {
					file, row := where(l.loc)
					out = append(out, Problem{Severity: SeverityError, Check: CheckParams, File: file, Row: row,
						Message: fmt.Sprintf("site parameter %q is not in %s: reading it is undefined, and a rule that reads it would never fire", l.value, siteParamsSchema)})
				}
			}
		}
	}
	return out
}

// schemaParamNames are the parameters a site parameters schema names.
func schemaParamNames(s *jsonfile.Schema) map[string]bool {
	out := map[string]bool{}
	props, _ := s.Doc["properties"].(map[string]any)
	for name := range props {
		out[name] = true
	}
	return out
}
