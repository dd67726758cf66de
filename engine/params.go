package engine

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strings"

	"github.com/labelguard/labelguard/internal/jsonfile"
)

// SiteParamsName names a site parameters file in messages when the caller
// gives no path.
const SiteParamsName = "site parameters"

// ParamsSchema compiles the site parameters schema of the policy set in
// fsys (schema/site-params.schema.json).
func ParamsSchema(fsys fs.FS) (*jsonfile.Schema, error) {
	data, err := fs.ReadFile(fsys, siteParamsSchema)
	if err != nil {
		return nil, fmt.Errorf("read %s (site parameters are validated against it): %w", siteParamsSchema, err)
	}
	s, err := jsonfile.CompileSchema("site-params.schema.json", data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", siteParamsSchema, err)
	}
	return s, nil
}

// loadParams reads the policy set's parameters (data/params.json, where
// every default is stated once), validates them and the site's file (named
// siteName in messages) against the schema, and merges the site's over
// them. Every parameter the schema names is then present and of its type:
// a string where a number belongs would make every comparison with it
// quietly wrong, so it is refused naming the file, line and key.
func loadParams(fsys fs.FS, site []byte, siteName string) (map[string]any, map[string]bool, error) {
	schema, err := ParamsSchema(fsys)
	if err != nil {
		return nil, nil, err
	}
	data, err := fs.ReadFile(fsys, paramsFile)
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", paramsFile, err)
	}
	v, problems := schema.Validate(paramsFile, data)
	if len(problems) > 0 {
		return nil, nil, problems
	}
	params, _ := v.(map[string]any)
	lines := jsonfile.Lines(data)
	props, _ := schema.Doc["properties"].(map[string]any)
	for _, name := range slices.Sorted(maps.Keys(props)) {
		if _, ok := params[name]; !ok && name != "rules" {
			problems = append(problems, jsonfile.Problem{File: paramsFile, Line: lines[""], Path: name,
				Message: "no default: the policy set states every parameter's default here, once"})
		}
	}
	if len(problems) > 0 {
		return nil, nil, problems
	}
	if len(site) > 0 {
		if siteName == "" {
			siteName = SiteParamsName
		}
		sv, problems := schema.Validate(siteName, site)
		if len(problems) > 0 {
			return nil, nil, problems
		}
		siteObj, _ := sv.(map[string]any)
		params = mergeObjects(params, siteObj)
	}
	if err := checkParamRanges(params); err != nil {
		return nil, nil, err
	}
	return params, schemaParamNames(schema), nil
}

// checkParamRanges checks what the schema cannot say: parameters that
// bound a range keep it non-empty.
func checkParamRanges(params map[string]any) error {
	lo, okLo := number(params["reproductiveAgeMin"])
	hi, okHi := number(params["reproductiveAgeMax"])
	if okLo && okHi && lo > hi {
		return fmt.Errorf("site parameters: reproductiveAgeMin (%v) is above reproductiveAgeMax (%v): no patient would have reproductive potential", lo, hi)
	}
	return nil
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case float64:
		return x, true
	}
	return 0, false
}

// jurisdictionOf is the jurisdiction the site parameters select (upper
// case, as the schema's enum), "" when they name none.
func jurisdictionOf(params map[string]any) string {
	j, _ := params["jurisdiction"].(string)
	return strings.ToUpper(j)
}

// Jurisdiction is the jurisdiction whose labels the policy set follows
// (the site parameter jurisdiction): its profiles were merged for it.
func (ps *PolicySet) Jurisdiction() string { return jurisdictionOf(ps.tables.params) }
