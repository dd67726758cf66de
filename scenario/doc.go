// Package scenario runs whole-patient scenario tests: one JSON file per
// clinical case (policies/testdata/scenarios/<NN>-<slug>.json, documented in
// that directory's README.md) names a Synthea patient or a synthetic one, the
// resources the case adds or removes, the draft orders and the rule IDs
// expected on each order.
//
// A scenario is turned into the CDS Hooks request an EHR would send
// (Scenario.Request): the patient's resources are split into the service's
// prefetch keys by internal/record, filtered as the service's prefetch
// templates ask (MedicationRequest status, Observation codes), and the
// request is decoded by cdshooks exactly as the HTTP handler decodes it. Run
// evaluates it with pipeline.Run, the function the service itself calls, and
// compares the rule IDs per order with the expectation.
//
// Files: scenario.go (format, Load and validation), request.go (the CDS
// Hooks request), run.go (evaluation and diff).
//
// Scenario files are test data: they are never embedded in the default
// policy set (policies/embed.go embeds named directories only).
package scenario
