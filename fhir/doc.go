// Package fhir turns the FHIR content of a CDS Hooks request (the draft
// orders and the prefetch) into the policy input of package facts.
//
// Two parsers with different costs are used on purpose. The draft orders the
// service actually checks (target drugs and interacting drugs, including
// live-vaccine ServiceRequests and Immunizations) are few and must be right,
// so each is parsed as a typed R4 resource with github.com/google/fhir/go
// after a cheap encoding/json pre-screen has found it to be of interest.
// The prefetch can hold hundreds of resources, of which the rules read a
// handful of fields; it is decoded into minimal structs with
// encoding/json/v2 (github.com/go-json-experiment/json, the mirror of the
// standard library's v2 API), which reads each value in one pass: about
// 4 µs per prefetch resource against 70 µs for the typed parse of one
// order (BenchmarkPrefetchDecode, BenchmarkTypedParse).
// A differential test and fuzz target derive every input with encoding/json
// as well and require the same facts (lightdecode_test.go).
//
// The package is liberal where no harm follows: it repairs common sender
// deviations (a Bundle without type, STU3-shaped dosages, an object where an
// array belongs) and records each repair as a short string without patient
// data. It rejects a draft order (*OrderError, answered 400) only when a field
// it reads has the wrong JSON type, and drops and counts invalid prefetch
// resources (facts.DataIssue) instead of failing the request, so that a
// silent pass is never mistaken for a check.
//
// Files: drafts.go (draftOrders Bundle, repairs, pre-screen), typed.go (the
// google/fhir/go parse), prefetch.go (prefetch shapes, references, duplicates),
// medication.go (medication facts), dose.go (daily dose), labs.go (lab
// results), clinical.go (patient, conditions, immunizations, allergies),
// derive.go (the policy input), clock.go (the evaluation time as derive reads
// it, and Derived.At, which gives the facts for a later call on the same
// data), light.go and fhirtime.go (shared helpers).
package fhir
