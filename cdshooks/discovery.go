package cdshooks

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Discovery is the body of GET {baseUrl}/cds-services.
type Discovery struct {
	// Services is always serialized, as [] when the server hosts none.
	Services []Service `json:"services"`
}

// MarshalJSON writes a nil Services as [], the documented answer of a server
// that hosts no services.
func (d Discovery) MarshalJSON() ([]byte, error) {
	type plain Discovery
	if d.Services == nil {
		d.Services = []Service{}
	}
	return json.Marshal(plain(d))
}

// Service describes one CDS service in discovery.
type Service struct {
	Hook        string `json:"hook"`
	Title       string `json:"title,omitempty"`
	Description string `json:"description"`
	ID          string `json:"id"`
	// Prefetch maps prefetch keys to FHIR query templates.
	Prefetch          map[string]string `json:"prefetch,omitempty"`
	UsageRequirements string            `json:"usageRequirements,omitempty"`
	Extension         map[string]any    `json:"extension,omitempty"`
}

// Validate reports the first invalid service, or two services sharing both
// id and hook, which would make the service URL ambiguous for that hook. The
// specification allows one id for several hooks. Errors are
// *ValidationError.
func (d Discovery) Validate() error {
	seen := map[[2]string]int{}
	for i, s := range d.Services {
		p := indexPath("services", i)
		if err := s.Validate(); err != nil {
			return within(p, err)
		}
		k := [2]string{s.ID, s.Hook}
		if j, dup := seen[k]; dup {
			return verr(p, fmt.Sprintf("repeats the id and hook of services[%d]", j))
		}
		seen[k] = i
	}
	return nil
}

// Validate reports the first way in which s must not be published: a
// missing id, hook or description (title is only recommended), an id that
// is not a plain URL path segment, or a prefetch template that is empty or
// uses a token the hook does not offer. Errors are *ValidationError.
func (s Service) Validate() error {
	if s.ID == "" {
		return verr("id", "is required")
	}
	if !isPathSegment(s.ID) {
		return verr("id", "must use only letters, digits and - . _ ~")
	}
	if s.Hook == "" {
		return verr("hook", "is required")
	}
	if s.Description == "" {
		return verr("description", "is required")
	}
	keys := make([]string, 0, len(s.Prefetch))
	for k := range s.Prefetch {
		keys = append(keys, k)
	}
	// Sorted so that the same invalid service always reports the same key.
	sort.Strings(keys)
	for _, k := range keys {
		if k == "" {
			return verr("prefetch", "keys must not be empty")
		}
		p := "prefetch." + k
		if s.Prefetch[k] == "" {
			return verr(p, "must not be empty")
		}
		if err := checkTemplate(s.Hook, s.Prefetch[k]); err != nil {
			return within(p, err)
		}
	}
	return nil
}

// userTokens are the prefetch tokens the specification defines besides
// context fields.
var userTokens = []string{"userPractitionerId", "userPractitionerRoleId", "userPatientId", "userRelatedPersonId"}

// tokenFields are the context fields each known hook marks as usable in
// prefetch tokens. Templates for other hooks may use any field name.
var tokenFields = map[string][]string{
	HookOrderSelect: {"userId", "patientId", "encounterId"},
	HookOrderSign:   {"userId", "patientId", "encounterId"},
	HookPatientView: {"userId", "patientId", "encounterId"},
}

// checkTemplate checks the prefetch tokens of a template: each {{...}} must
// name a user token or context.<field>, and no brace pair may be left open,
// since a client would otherwise send the literal braces to its FHIR server.
func checkTemplate(hook, tmpl string) error {
	rest := tmpl
	for {
		open := strings.Index(rest, "{{")
		end := strings.Index(rest, "}}")
		if open < 0 {
			if end >= 0 {
				return verr("", "has }} without {{")
			}
			return nil
		}
		if end < 0 || end < open {
			return verr("", "has an unterminated or unbalanced prefetch token")
		}
		if err := checkToken(hook, rest[open+2:end]); err != nil {
			return err
		}
		rest = rest[end+2:]
	}
}

func checkToken(hook, tok string) error {
	if contains(userTokens, tok) {
		return nil
	}
	field, ok := strings.CutPrefix(tok, "context.")
	if !ok || !isIdentifier(field) {
		return verr("", "has a prefetch token that is neither context.<field> nor a user token")
	}
	if allowed, known := tokenFields[hook]; known && !contains(allowed, field) {
		return verr("", "has a prefetch token for a context field the hook does not offer as a token")
	}
	return nil
}

func isIdentifier(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// isPathSegment reports whether s uses only RFC 3986 unreserved characters
// and is not a dot segment, so that {baseUrl}/cds-services/{id} needs no
// escaping and cannot be normalised into another path.
func isPathSegment(s string) bool {
	if s == "" || s == "." || s == ".." {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._~", c) >= 0) {
			return false
		}
	}
	return true
}
