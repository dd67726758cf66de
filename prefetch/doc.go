// Package prefetch completes a CDS Hooks request's prefetch from the CDS
// client's FHIR server, as CDS Hooks 2.0 ("Providing FHIR Resources to a CDS
// Service") asks of a service: every prefetch key the client left out is
// rendered from the service's template, fetched with the client's bearer
// token, and handed on with the client's own values to package fhir, which
// parses fetched and prefetched data the same way.
//
// What the caller can rely on:
//
//   - A key sent as JSON null means "no data" and is never fetched; only
//     absent keys are, and the pages that follow a searchset page the
//     client sent with a next link (CDS clients such as the CDS Hooks
//     Sandbox prefetch one page): those are fetched from the same server,
//     with the same token, deadline and page limit, and merged with the
//     client's page, until the next links run out or the matches reach
//     the Bundle's total. Without an allowed fhirServer the page stays as
//     sent (package fhir then reports it paging-capped).
//   - A search sorted newest first (_sort=-date) stops paging after a page
//     whose results are all older than the key's horizon
//     (FillRequest.Horizons: the oldest result a rule reads): the rest is
//     older still.
//   - Templates render with the spec's tokens ({{context.patientId}},
//     {{userPractitionerId}}, ...). A template that cannot be rendered
//     cannot be fetched (fetch-failed, reason "render").
//   - Nothing is sent to a fhirServer the Config.Allowed hook does not
//     allow (a request could otherwise point the service, and the token, at
//     an internal address), nor to any other origin: next links and
//     redirects that leave the FHIR server are refused.
//   - A token whose patient scope names another patient than
//     context.patientId stops the whole Fill (ErrPatientScopeMismatch).
//   - Every key that could not be fetched is reported as a facts.DataIssue
//     (fetch-failed with a short reason, paging-capped when next links
//     remained), so that a silent gap is never mistaken for a clean check.
//     A failed key stays absent; for the patient key package fhir then
//     reports the patient unavailable, which the caller answers with 412.
//   - The access token is never logged, returned in an error or kept: the
//     cache is keyed by its SHA-256.
//   - Keys are fetched concurrently (bounded) under one deadline for the
//     whole Fill, pages of one key in sequence.
//   - Fetched results are cached briefly, keyed by (FHIR server, rendered
//     query, token digest): the query carries the patient id, so no
//     patient's data answer another's request, and another token never
//     reuses data fetched with the first. Errors are never cached.
//
// Responses are classified, not parsed: a read must return the resource it
// names (same type, same id), a search or operation a Bundle; an
// OperationOutcome where data was expected is a failure ("operation-
// outcome"), as is anything else ("malformed"). Entries are passed on raw
// and checked by package fhir.
//
// Files: render.go (tokens), fetcher.go (Config, Fill), fetch.go (one key:
// requests, paging, completion of a client's page, horizons,
// classification), cache.go (LRU), errors.go (reasons).
// testdata/fhirserver is the FHIR server the tests run against: Medplum's
// in-memory FHIR router behind a small Node HTTP wrapper (see server.js).
package prefetch
