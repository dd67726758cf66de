package cdshooks

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
)

// ConformanceHeader, set to "true" on a service call, marks a call made by
// a conformance tester (labelguard conformance) rather than an EHR. It is
// labelguard's own, not part of CDS Hooks, and is honoured only where no
// authentication is required; with authentication the trusted-issuers
// file marks such clients instead.
const ConformanceHeader = "X-Labelguard-Conformance"

// Request is the body a CDS client POSTs to {baseUrl}/cds-services/{id}.
type Request struct {
	Hook              string             `json:"hook"`
	HookInstance      string             `json:"hookInstance"`
	FHIRServer        string             `json:"fhirServer,omitempty"`
	FHIRAuthorization *FHIRAuthorization `json:"fhirAuthorization,omitempty"`
	// Context is kept raw because its shape depends on the hook; decode it
	// with DecodeContext once the hook is known to be served.
	Context json.RawMessage `json:"context"`
	// Prefetch keeps each value raw. A key the client sent as JSON null
	// maps to the bytes "null" ("no data exists") and is distinct from an
	// absent key ("not prefetched, fetch it yourself"); see Prefetched.
	Prefetch  map[string]json.RawMessage `json:"prefetch,omitempty"`
	Extension json.RawMessage            `json:"extension,omitempty"`

	// Deviations lists departures from the specification that decoding
	// tolerated. It is never serialized.
	Deviations []Deviation `json:"-"`
}

// FHIRAuthorization is the bearer token a CDS client may hand to the service
// for calls to its FHIR server. Its String, GoString and LogValue methods
// redact the token so that logging a request never leaks it.
type FHIRAuthorization struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	Scope       string `json:"scope"`
	Subject     string `json:"subject"`
	Patient     string `json:"patient,omitempty"`
}

const redacted = "REDACTED"

func (a FHIRAuthorization) String() string {
	return "{access_token:" + redacted + " token_type:" + a.TokenType +
		" expires_in:" + strconv.FormatInt(a.ExpiresIn, 10) +
		" scope:" + a.Scope + " subject:" + a.Subject + "}"
}

// GoString keeps %#v, which bypasses String, from printing the token.
func (a FHIRAuthorization) GoString() string { return "cdshooks.FHIRAuthorization" + a.String() }

// LogValue keeps slog from printing the token.
func (a FHIRAuthorization) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("access_token", redacted),
		slog.String("token_type", a.TokenType),
		slog.Int64("expires_in", a.ExpiresIn),
		slog.String("scope", a.Scope),
		slog.String("subject", a.Subject),
	)
}

// PrefetchStatus says what a CDS client did with one prefetch template.
type PrefetchStatus int

const (
	// PrefetchAbsent means the client did not satisfy the template; the
	// service must fetch the data itself or answer 412.
	PrefetchAbsent PrefetchStatus = iota
	// PrefetchNull means the client looked and found no data.
	PrefetchNull
	// PrefetchPresent means the client supplied a value.
	PrefetchPresent
)

// Prefetched returns the prefetched value for key and whether the client
// supplied data, supplied null, or left the key out.
func (r *Request) Prefetched(key string) (json.RawMessage, PrefetchStatus) {
	raw, ok := r.Prefetch[key]
	switch {
	case !ok:
		return nil, PrefetchAbsent
	case jsonKind(raw) == "null" || len(raw) == 0:
		return nil, PrefetchNull
	default:
		return raw, PrefetchPresent
	}
}

// DecodeRequest reads and checks a service request. It rejects bodies that
// are not one JSON object, nest deeper than limits allow, lack hook,
// hookInstance or context, or carry members of the wrong JSON type. The
// context is only checked to be an object; DecodeContext checks it against
// the hook definition. Errors are *RequestError unless reading r failed.
func DecodeRequest(r io.Reader, limits Limits) (*Request, error) {
	body, err := readAll(r)
	if err != nil {
		return nil, err
	}
	return DecodeRequestBytes(body, limits)
}

// DecodeRequestBytes is DecodeRequest of a body already read (the HTTP
// handler's), without copying it: the request's raw members (context,
// prefetch) alias body, which the caller must not change afterwards.
func DecodeRequestBytes(body []byte, limits Limits) (*Request, error) {
	var err error
	req := &Request{}
	// The fast path validates, bounds and splits the body in one pass;
	// anything it does not accept takes the original path, which yields
	// the precise error.
	fields, prefetch, fast := scanRequest(body, limits.maxDepth())
	top := object{fields: fields, devs: &req.Deviations}
	if !fast {
		if err := checkDepth(body, limits.maxDepth()); err != nil {
			return nil, err
		}
		if top, err = parseTopLevel(body, &req.Deviations); err != nil {
			return nil, err
		}
	}
	if req.Hook, err = top.requiredString("hook"); err != nil {
		return nil, err
	}
	if req.HookInstance, err = top.requiredString("hookInstance"); err != nil {
		return nil, err
	}
	if err := decodeFHIRAccess(top, req); err != nil {
		return nil, err
	}
	raw, ok := top.fields["context"]
	if !ok {
		return nil, invalid("context", "is required")
	}
	if jsonKind(raw) != "object" {
		return nil, invalid("context", "must be a JSON object")
	}
	req.Context = raw
	if raw, ok := top.present("prefetch"); ok {
		if fast && prefetch != nil {
			req.Prefetch = prefetch
		} else {
			p, err := parseObject(raw, "prefetch", nil)
			if err != nil {
				return nil, err
			}
			req.Prefetch = p.fields
		}
	}
	if raw, ok := top.present("extension"); ok {
		if jsonKind(raw) != "object" {
			return nil, invalid("extension", "must be a JSON object")
		}
		req.Extension = raw
	}
	return req, nil
}

func decodeFHIRAccess(top object, req *Request) error {
	server, hasServer, err := top.optionalString("fhirServer")
	if err != nil {
		return err
	}
	if hasServer {
		// The service may send the access token to this URL, so anything
		// but an absolute http(s) URL is refused rather than tolerated.
		// Requiring https in production is deployment policy, left to the
		// caller.
		if !isAbsoluteHTTPURL(server) {
			return invalid("fhirServer", "must be an absolute http or https URL")
		}
		req.FHIRServer = server
	}
	raw, ok := top.present("fhirAuthorization")
	if !ok {
		return nil
	}
	if !hasServer {
		return invalid("fhirServer", "is required when fhirAuthorization is present")
	}
	auth, err := decodeFHIRAuthorization(raw, top.devs)
	if err != nil {
		return err
	}
	req.FHIRAuthorization = auth
	return nil
}

// decodeFHIRAuthorization is strict about what using the token needs
// (access_token, token_type) and liberal about the descriptive members
// (expires_in, scope, subject), whose absence only costs information.
func decodeFHIRAuthorization(raw json.RawMessage, devs *[]Deviation) (*FHIRAuthorization, error) {
	o, err := parseObject(raw, "fhirAuthorization", devs)
	if err != nil {
		return nil, err
	}
	a := &FHIRAuthorization{}
	if a.AccessToken, err = o.requiredString("access_token"); err != nil {
		return nil, err
	}
	if a.TokenType, err = o.requiredString("token_type"); err != nil {
		return nil, err
	}
	// OAuth 2.0 token types are case-insensitive (RFC 6749 section 5.1).
	if !strings.EqualFold(a.TokenType, "Bearer") {
		return nil, invalid("fhirAuthorization.token_type", "must be Bearer")
	}
	if raw, ok := o.present("expires_in"); ok {
		n, err := strconv.ParseInt(string(raw), 10, 64)
		if err != nil || n < 0 {
			return nil, invalid("fhirAuthorization.expires_in", "must be a non-negative integer")
		}
		a.ExpiresIn = n
	} else {
		o.note("fhirAuthorization.expires_in", "missing, required by the specification")
	}
	for _, f := range []struct {
		name string
		dst  *string
	}{{"scope", &a.Scope}, {"subject", &a.Subject}} {
		s, ok, err := o.optionalString(f.name)
		if err != nil {
			return nil, err
		}
		if !ok {
			o.note(o.fieldPath(f.name), "missing, required by the specification")
		}
		*f.dst = s
	}
	if a.Patient, _, err = o.optionalString("patient"); err != nil {
		return nil, err
	}
	return a, nil
}

// isAbsoluteHTTPURL reports whether s is an absolute http or https URL with a
// host. Other schemes (javascript:, data:, file:) are never acceptable in
// anything a browser or this service will follow.
func isAbsoluteHTTPURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil {
		return false
	}
	return (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.Opaque == ""
}
