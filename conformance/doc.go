// Package conformance traces the CDS Hooks requirements a service must meet
// to the tests that prove them, and checks a running service over HTTP.
//
// # Traceability matrix
//
// mapping.json lists every service-side requirement of two requirement
// sheets (testdata/requirements): CDS Hooks 2.0 (actor Service, or Client
// and Service) and the CDS Hooks hook library 1.0.1 (actor Server). Each
// entry has the requirement's ID, a short text, its conformance level as the
// sheet gives it (SHALL, SHALL NOT, SHOULD, SHOULD NOT, MAY, DEPRECATED), a
// status (met, not-applicable, not-met), the tests that prove it
// ("<package dir>.TestName" or "<package dir>.TestName/subtest", the
// package dir relative to the module root) and a note: why it does not
// apply, or why it is not met and what meeting it would take.
//
// docs/conformance.md is generated from the mapping:
//
//	go run ./conformance/cmd/gen
//
// The package's tests fail the build when the document is stale, a mapped
// test no longer exists (found by parsing every *_test.go with go/parser),
// a requirement is met without a test or not met or not applicable without
// a note, the mapping's level differs from the sheet's, or a service-side
// requirement of a sheet is missing from the mapping.
//
// # Black-box runner
//
// Run exercises the black-box requirements against any deployed instance
// over HTTP: discovery, a minimal valid call of every service, {"cards": []}
// for an order the service does not check, 400, 404, 412 and 413 answers,
// CORS preflight, feedback, authentication (401 without or with a wrong
// token; with Config.Token, every call is signed) and the absence of null or
// empty JSON values in every answer. "labelguard conformance --url" prints
// its results as a table.
//
// The runner's calls are marked as a tester's so that the instance keeps
// them out of its decision audit: without authentication by the
// X-Labelguard-Conformance header every call carries, with authentication
// by the runner's issuer being flagged "conformance": true in the
// instance's trusted-issuers file (the header alone is then ignored).
package conformance
