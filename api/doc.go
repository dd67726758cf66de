// Package api is labelguard's HTTP surface: the CDS Hooks discovery, service
// and feedback endpoints, health and readiness, and the middleware around
// them (request IDs, recovery, structured logging without patient data,
// body limits, CORS).
//
// Handlers orchestrate the pipeline and decide status codes in one place
// (errors.go); they know no clinical rule and no FHIR detail: the fhir
// package derives the policy input and the engine package evaluates it.
package api
