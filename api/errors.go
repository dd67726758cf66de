package api

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/labelguard/labelguard/cdshooks"
)

// apiError is an error with the HTTP status and code a client should see.
// Its message must never contain patient data.
type apiError struct {
	status  int
	code    string
	message string
	err     error // the cause, for the log only
}

func (e *apiError) Error() string { return e.message }
func (e *apiError) Unwrap() error { return e.err }

// Error codes the HTTP layer adds to those of cdshooks.
const (
	codeNotFound           = "not_found"
	codeTooLarge           = "request_too_large"
	codeUnsupportedMedia   = "unsupported_media_type"
	codePreconditionFailed = "precondition_failed"
	codeInternal           = "internal_error"
	codeUnavailable        = "unavailable"
	codeOverloaded         = "overloaded"
	codeInvalidOrder       = "invalid_order"
)

func newError(status int, code, message string, cause error) *apiError {
	return &apiError{status: status, code: code, message: message, err: cause}
}

// writeError maps any error to a status and a JSON body in one place:
// client mistakes get a 4xx with a message built from field names only;
// everything else is a 500 whose cause stays in the log.
func writeError(c *gin.Context, err error) {
	var ae *apiError
	if errors.As(err, &ae) {
		c.Set(logErrorKey, err)
		c.AbortWithStatusJSON(ae.status, cdshooks.NewError(ae.code, ae.message))
		return
	}
	if body, ok := cdshooks.ErrorFor(err); ok {
		c.Set(logErrorKey, err)
		c.AbortWithStatusJSON(http.StatusBadRequest, body)
		return
	}
	c.Set(logErrorKey, err)
	c.AbortWithStatusJSON(http.StatusInternalServerError,
		cdshooks.NewError(codeInternal, "internal error; see the service log for request "+requestID(c)))
}

// errorCode is the stable code a client saw for err, for the audit.
func errorCode(err error) string {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.code
	}
	if body, ok := cdshooks.ErrorFor(err); ok {
		return body.Error.Code
	}
	return codeInternal
}
