// Package testpolicies gives tests the default policy set with files added
// or replaced, to try a defect (a rule that fails, a typo) against the real
// rules without touching them.
package testpolicies

import (
	"io/fs"
	"testing"
	"testing/fstest"

	"github.com/labelguard/labelguard/policies"
)

// With is the default policy set with files (path to content) added or
// replaced.
func With(tb testing.TB, files map[string]string) fstest.MapFS {
	tb.Helper()
	set := fstest.MapFS{}
	err := fs.WalkDir(policies.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(policies.FS, p)
		set[p] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	for p, c := range files {
		set[p] = &fstest.MapFile{Data: []byte(c)}
	}
	return set
}

// TypoRule is a new rule in the package of the neutrophil rule whose
// finding misspells its own rule ID (jak.new-chek for jak.new-check).
// Written literally, Load and check refuse it; built at run time (as here)
// no static check sees it, and the engine must isolate it. Add it as
// rules/jak/typo.rego.
const TypoRule = `package labelguard.rules.jak

import data.labelguard.lib

# METADATA
# title: A new check
# custom:
#   id: jak.new-check
#   indicator: warning
#   drugs: [upadacitinib, abrocitinib, baricitinib]
#   source:
#     topic: labs
findings contains {"rule": concat(".", ["jak", "new-chek"]), "indicator": "warning", "summary": "A new check", "order": order.ref} if {
	some order in lib.oral_jaki_orders
}
`
