// Package playground serves the policy playground: a page, served by
// labelguard itself, where informaticists and clinical reviewers pick or
// upload a patient, build an order and see the cards the active policy set
// yields, rendered as an EHR renders them, with the reasons behind each
// (issue 10).
//
// The page is plain HTML, CSS and a little vanilla JavaScript embedded with
// embed.FS (static/), so there is no build step and nothing to fetch at run
// time. At the service's clock it calls the same CDS Hooks endpoint an EHR
// calls (POST /cds-services/{id}), so what a reviewer sees is what a
// clinician would see; the playground's own endpoints help it build that
// request and explain the answer:
//
//	GET  /playground/                 the page (and /playground/static/*)
//	GET  /playground/api/info         active revision, services, drugs, rule catalog
//	GET  /playground/api/samples      sample patients (Synthea bundles, scenarios)
//	GET  /playground/api/samples/{id} one sample's summary (?asOf=TIME)
//	POST /playground/api/summary      summary of an uploaded FHIR R4 Bundle (?asOf=TIME)
//	POST /playground/api/request      the CDS Hooks request for a patient and an order
//	POST /playground/api/explain      policy input, fired rules with evidence, and the
//	                                  cards, evaluated at the clock or at asOf
//
// Samples never expire: each is written for an evaluation time (a
// scenario's "now"; for a Synthea patient, that of the scenarios built on
// it) and is served with every date moved by whole days (internal/timeshift)
// so that this time falls within the day before the playground's clock: its
// as-of time. The page evaluates a sample at its as-of time, so that it
// gives the cards it was written to give, today as in two years. A reviewer
// may set another as-of time (the same record, read earlier or later). The
// CDS Hooks API takes no clock from a caller, so a run at any as-of time
// other than the service's clock is evaluated by the playground
// (POST /playground/api/explain runs pipeline.Run, the function the service
// runs) and the page says so.
//
// The endpoints exist only while the playground is mounted (serve
// --playground); they are read-only: nothing a reviewer uploads is stored or
// logged, and the server keeps no session, so an uploaded bundle travels
// with each call. Every call reads the active policy set afresh, so a hot
// reload shows its new revision on the next run.
//
// Samples come from a directory laid out like policies/testdata (patients/
// with Synthea bundles, scenarios/ with the scenario corpus); testdata is
// not embedded in the binary, so a server without that directory offers
// uploads only.
//
// Files: playground.go (routes, errors, authentication), samples.go (sample
// index and bundle parsing), summary.go (patient summary), request.go (the
// CDS Hooks request), explain.go (the why panel), static/ (the page).
package playground
