package prefetch

import (
	"errors"
	"strconv"
)

// ErrPatientScopeMismatch is returned by Fill when fhirAuthorization.patient
// names another patient than context.patientId. Nothing is fetched: a token
// scoped to one patient in a request about another means the client is
// confused about whose chart is open, and no data (fetched or prefetched)
// can be trusted to belong to the patient the cards will be shown for. The
// caller answers 412.
var ErrPatientScopeMismatch = errors.New("prefetch: fhirAuthorization.patient does not match context.patientId")

// Reasons a key could not be fetched, used as facts.DataIssue.Detail of a
// fetch-failed issue. A key of which some pages were fetched before the
// failure keeps them; its Detail is "partial: " followed by the reason.
const (
	ReasonNoServer         = "no-server"         // the request has no fhirServer
	ReasonNotAllowed       = "not-allowed"       // fhirServer is not on the allow-list, or not a usable URL
	ReasonRender           = "render"            // the template has an unknown token or one without a value
	ReasonTimeout          = "timeout"           // the deadline passed
	ReasonCanceled         = "canceled"          // the caller gave up
	ReasonUnreachable      = "unreachable"       // connection or protocol failure
	ReasonUnauthorized     = "401"               // token missing, invalid or expired
	ReasonForbidden        = "403"               // token lacks the scope
	ReasonNotFound         = "404"               // no such resource or endpoint
	ReasonServerError      = "5xx"               // the FHIR server failed
	ReasonMalformed        = "malformed"         // not JSON, or not the resource the query asks for
	ReasonOperationOutcome = "operation-outcome" // 200 with an OperationOutcome instead of data
	ReasonTooLarge         = "too-large"         // a page exceeded Config.MaxBodyBytes
	ReasonForeignNext      = "next-link-refused" // a next link or redirect left the FHIR server
	ReasonInvalidToken     = "invalid-token"     // the access token cannot be sent in a header
)

// reasonForStatus maps a non-2xx HTTP status to a reason. Statuses without a
// reason of their own are reported as "http-<code>".
func reasonForStatus(code int) string {
	switch {
	case code == 401:
		return ReasonUnauthorized
	case code == 403:
		return ReasonForbidden
	case code == 404:
		return ReasonNotFound
	case code >= 500 && code <= 599:
		return ReasonServerError
	default:
		return "http-" + strconv.Itoa(code)
	}
}

// fetchError is why one key could not be fetched. Its message holds the
// reason and, for logs, the underlying error without the request URL (which
// carries the patient id); the access token is never part of either.
type fetchError struct {
	reason string
	status int
	err    error
}

func (e *fetchError) Error() string {
	if e.err == nil {
		return "prefetch: fetch failed: " + e.reason
	}
	return "prefetch: fetch failed: " + e.reason + ": " + e.err.Error()
}

func (e *fetchError) Unwrap() error { return e.err }
