package cdshooks

import "errors"

// Sentinel errors that RequestError and ValidationError wrap, so that callers
// can pick an HTTP status with errors.Is without parsing messages.
var (
	// ErrMalformedJSON means the body is not a single well-formed JSON value.
	ErrMalformedJSON = errors.New("malformed json")
	// ErrTooDeep means the body nests arrays and objects deeper than
	// Limits.MaxDepth.
	ErrTooDeep = errors.New("json nesting too deep")
	// ErrInvalid means a field is missing, has the wrong JSON type or has a
	// value the specification does not allow.
	ErrInvalid = errors.New("invalid field")
	// ErrUnsupportedHook means DecodeContext does not know the hook.
	ErrUnsupportedHook = errors.New("unsupported hook")
)

// RequestError reports a problem with a document sent by a CDS client. Field
// is a JSON path such as "context.draftOrders" or "feedback[1].outcome", empty
// when the problem concerns the whole body. Message never contains values
// taken from the body.
type RequestError struct {
	Field   string
	Message string
	// Err is one of the sentinel errors of this package.
	Err error
}

func (e *RequestError) Error() string {
	if e.Field == "" {
		return e.Message
	}
	return e.Field + ": " + e.Message
}

// Unwrap lets errors.Is match the sentinel the error was built with.
func (e *RequestError) Unwrap() error { return e.Err }

func invalid(field, message string) *RequestError {
	return &RequestError{Field: field, Message: message, Err: ErrInvalid}
}

// ValidationError reports a document built by labelguard that must not be
// sent. Field is a JSON path relative to the validated value, for example
// "cards[2].links[0].url".
type ValidationError struct {
	Field   string
	Message string
}

func (e *ValidationError) Error() string {
	if e.Field == "" {
		return e.Message
	}
	return e.Field + ": " + e.Message
}

// within re-roots a validation error under a parent path, so that a card's
// own Validate can report "summary" while Response.Validate reports
// "cards[3].summary".
func within(prefix string, err error) error {
	var ve *ValidationError
	if err == nil || !errors.As(err, &ve) {
		return err
	}
	field := prefix
	if ve.Field != "" {
		if ve.Field[0] == '[' {
			field += ve.Field
		} else {
			field += "." + ve.Field
		}
	}
	return &ValidationError{Field: field, Message: ve.Message}
}

func verr(field, message string) *ValidationError {
	return &ValidationError{Field: field, Message: message}
}

// Deviation records a departure from the specification that decoding
// tolerated because no harm follows from it. Field is a JSON path; Message
// never contains values taken from the body.
type Deviation struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is the JSON body labelguard sends with a 4xx or 5xx status:
//
//	{"error": {"code": "invalid_request", "message": "context: must be a JSON object"}}
//
// The specification leaves error bodies to the service; this shape is small,
// stable and free of patient data when built from this package's errors.
type Error struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the content of an Error body. Code is a stable, machine
// readable token; Message is for humans and may change between releases.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error codes for Error bodies. The HTTP layer may add its own.
const (
	CodeInvalidRequest  = "invalid_request"
	CodeMalformedJSON   = "malformed_json"
	CodeTooDeep         = "too_deep"
	CodeUnsupportedHook = "unsupported_hook"
)

// NewError builds an Error body.
func NewError(code, message string) Error {
	return Error{Error: ErrorDetail{Code: code, Message: message}}
}

// ErrorFor builds the Error body for an error returned by DecodeRequest,
// DecodeContext or DecodeFeedback. It reports false for any other error, whose
// text the caller should not expose.
func ErrorFor(err error) (Error, bool) {
	var re *RequestError
	if !errors.As(err, &re) {
		return Error{}, false
	}
	code := CodeInvalidRequest
	switch {
	case errors.Is(re, ErrMalformedJSON):
		code = CodeMalformedJSON
	case errors.Is(re, ErrTooDeep):
		code = CodeTooDeep
	case errors.Is(re, ErrUnsupportedHook):
		code = CodeUnsupportedHook
	}
	return NewError(code, re.Error()), true
}
