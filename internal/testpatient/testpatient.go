// Package testpatient finds the repository's Synthea sample patients and
// the focused request of the performance benchmarks, for tests and
// benchmarks in any package: paths are resolved from this source file, so
// nothing here works outside a checkout. Production code reads records with
// package record, from a directory it is given.
package testpatient

import (
	"path/filepath"
	"runtime"
)

// SamplesDir is where the Synthea bundles live, relative to the repository
// root (copied there with their licence noted, so a clone is self-contained).
const SamplesDir = "policies/testdata/patients"

// SamplePath returns the path of a Synthea bundle by file name, resolved
// from this source file so tests in any package find it.
func SamplePath(name string) string {
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	return filepath.Join(root, filepath.FromSlash(SamplesDir), name)
}
