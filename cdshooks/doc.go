// Package cdshooks defines the CDS Hooks 2.0 wire types that labelguard
// receives and sends, and the checks that keep both directions honest.
//
// Inbound documents (service requests, feedback) come from CDS clients that
// labelguard does not control, so they are decoded by hand, field by field,
// with DecodeRequest, DecodeContext and DecodeFeedback. That yields errors
// which name the offending field path and never echo a value from the body,
// because bodies carry patient data and errors end up in logs and in HTTP
// responses. The JSON nesting depth is checked with a byte scan before any
// decoding so that a hostile body cannot drive the decoder into deep
// recursion; the body size is the HTTP layer's business.
//
// Outbound documents (cards, discovery) are built by labelguard itself, so
// their Validate methods are strict: they reject anything the specification
// forbids and, where the specification merely allows, anything labelguard
// has decided never to send (a card or suggestion without a uuid, for
// example, could never receive feedback).
//
// A member name that appears twice in an object this package defines (the
// request envelope, its context, fhirAuthorization, the prefetch keys, a
// feedback entry) is refused naming it: JSON leaves duplicates to the
// reader, so two readers of one body could act on different values. FHIR
// content (draftOrders, prefetch values) keeps encoding/json's tolerance.
//
// Where the specification requires a field that real clients omit and no
// harm follows (context.userId, fhirAuthorization.subject), decoding succeeds
// and records a Deviation so callers can log or count it. Where a value ends
// up in a FHIR query or drives a clinical check (patientId, draftOrders,
// selections), decoding is strict.
//
// The package depends on the standard library only, and on
// go-json-experiment/json (encoding/json/v2 ahead of its release) for
// encoding responses quickly; see Response.Encode.
package cdshooks
