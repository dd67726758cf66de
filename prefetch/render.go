package prefetch

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/labelguard/labelguard/cdshooks"
)

// Tokens are the values prefetch tokens are replaced with.
type Tokens struct {
	// Context maps the root-level primitive fields of the hook context to
	// their values, by field name: "patientId" → "123", "userId" →
	// "Practitioner/456". The user tokens ({{userPractitionerId}} and its
	// siblings) are derived from "userId".
	Context map[string]string
}

// TokensFromContext returns the tokens of a decoded hook context. Ids come
// as DecodeContext left them: patientId and encounterId bare, userId a
// relative reference.
func TokensFromContext(hc *cdshooks.HookContext) Tokens {
	t := Tokens{Context: map[string]string{}}
	set := func(name, v string) {
		if v != "" {
			t.Context[name] = v
		}
	}
	switch {
	case hc == nil:
	case hc.Order != nil:
		set("patientId", hc.Order.PatientID)
		set("userId", hc.Order.UserID)
		set("encounterId", hc.Order.EncounterID)
	case hc.PatientView != nil:
		set("patientId", hc.PatientView.PatientID)
		set("userId", hc.PatientView.UserID)
		set("encounterId", hc.PatientView.EncounterID)
	}
	return t
}

// ErrToken is wrapped by every Render error: a token that is unknown, not
// closed, or has no usable value. A key whose template does not render
// cannot be fetched.
var ErrToken = errors.New("prefetch: template token")

// userTokens maps the spec's user tokens to the resource type userId must
// reference for the token to have a value.
var userTokens = map[string]string{
	"userPractitionerId":     "Practitioner",
	"userPractitionerRoleId": "PractitionerRole",
	"userPatientId":          "Patient",
	"userRelatedPersonId":    "RelatedPerson",
}

// Render replaces the prefetch tokens of template ({{context.<field>}} and
// the four user tokens of CDS Hooks 2.0) with their values and returns the
// relative FHIR URL. Values are escaped for where they land: query-escaped
// after the "?", path-escaped before it, except that context.userId, a
// relative reference such as "Practitioner/123", keeps its slash so that the
// spec's "{{context.userId}}" read template works. Errors (wrapping ErrToken) name
// the token but never its value, which may identify a patient.
func Render(template string, t Tokens) (string, error) {
	if !strings.Contains(template, "{{") {
		return template, nil
	}
	var b strings.Builder
	b.Grow(len(template) + 32)
	inQuery := false
	rest := template
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			b.WriteString(rest)
			return b.String(), nil
		}
		lit := rest[:i]
		b.WriteString(lit)
		if strings.Contains(lit, "?") {
			inQuery = true
		}
		end := strings.Index(rest[i+2:], "}}")
		if end < 0 {
			return "", fmt.Errorf("%w: unclosed {{", ErrToken)
		}
		name := strings.TrimSpace(rest[i+2 : i+2+end])
		v, err := tokenValue(name, t)
		if err != nil {
			return "", err
		}
		if inQuery {
			b.WriteString(url.QueryEscape(v))
		} else {
			p, err := pathValue(name, v)
			if err != nil {
				return "", err
			}
			b.WriteString(p)
		}
		rest = rest[i+2+end+2:]
	}
}

func tokenValue(name string, t Tokens) (string, error) {
	var v string
	if field, ok := strings.CutPrefix(name, "context."); ok {
		// Only root-level fields are tokens (spec: "Prefetch tokens");
		// context.medication.id is not one.
		if !isFieldName(field) {
			return "", fmt.Errorf("%w: {{%s}} is not a root-level context field", ErrToken, name)
		}
		v = t.Context[field]
	} else if typ, ok := userTokens[name]; ok {
		ref := t.Context["userId"]
		if rt, id, found := strings.Cut(ref, "/"); found && rt == typ {
			v = id
		}
	} else {
		return "", fmt.Errorf("%w: unknown token {{%s}}", ErrToken, name)
	}
	if v == "" {
		return "", fmt.Errorf("%w: {{%s}} has no value", ErrToken, name)
	}
	return v, nil
}

// pathValue escapes v for the path of the URL. Only context.userId, whose
// value the hook definitions make a relative reference, keeps its slash.
// "." and ".." are refused outright: they are valid FHIR ids, but as path
// segments they would move the request to another endpoint of the server.
func pathValue(name, v string) (string, error) {
	if name == "context.userId" {
		if typ, id, found := strings.Cut(v, "/"); found && isResourceType(typ) && id != "" && !strings.Contains(id, "/") {
			if id == "." || id == ".." {
				return "", fmt.Errorf("%w: {{%s}} is not a usable id", ErrToken, name)
			}
			return typ + "/" + url.PathEscape(id), nil
		}
	}
	if v == "." || v == ".." {
		return "", fmt.Errorf("%w: {{%s}} is not a usable id", ErrToken, name)
	}
	return url.PathEscape(v), nil
}

func isFieldName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func isResourceType(s string) bool {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}
