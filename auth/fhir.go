package auth

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// FHIRServerAllowed reports whether the FHIR base URL rawURL falls under an
// entry of allowList: same scheme, host and port (default ports made
// explicit, host case-insensitive) and a path equal to the entry's path or
// below it at a segment boundary ("/r4" allows "/r4" and "/r4/x", not
// "/r4evil"). URLs with userinfo, a query, a fragment, dot segments,
// encoded slashes or backslashes are never allowed. Entries must be https,
// except http entries on localhost, 127.0.0.1 or ::1 (tests); invalid
// entries match nothing. It is the guard against server-side request
// forgery through fhirServer: fetch only when it returns true.
func FHIRServerAllowed(allowList []string, rawURL string) bool {
	u, err := parseBase(rawURL)
	if err != nil {
		return false
	}
	for _, entry := range allowList {
		a, err := parseAllowEntry(entry)
		if err != nil {
			continue
		}
		if a.scheme != u.scheme || a.host != u.host || a.port != u.port {
			continue
		}
		if a.path == "" || u.path == a.path || strings.HasPrefix(u.path, a.path+"/") {
			return true
		}
	}
	return false
}

// CheckFHIRAllowList validates allow-list entries (as FHIRServerAllowed
// would accept them), naming the first bad one.
func CheckFHIRAllowList(allowList []string) error {
	for i, entry := range allowList {
		if _, err := parseAllowEntry(entry); err != nil {
			return fmt.Errorf("entry %d (%s): %w", i, logSafe(entry), err)
		}
	}
	return nil
}

type baseURL struct {
	scheme, host, port, path string
}

func parseAllowEntry(raw string) (baseURL, error) {
	a, err := parseBase(raw)
	if err != nil {
		return a, err
	}
	if a.scheme == "http" && !isLoopback(a.host) {
		return a, errors.New("must use https (http only for localhost or 127.0.0.1)")
	}
	return a, nil
}

// parseBase normalizes a FHIR base URL, refusing anything ambiguous.
func parseBase(raw string) (baseURL, error) {
	var b baseURL
	if raw == "" || raw != strings.TrimSpace(raw) || hasControl(raw) || strings.ContainsAny(raw, "\\#?") {
		return b, errors.New("not a plain absolute URL")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return b, errors.New("not a valid URL")
	}
	if u.User != nil {
		return b, errors.New("userinfo not allowed")
	}
	b.scheme = u.Scheme // url.Parse lower-cases the scheme
	if b.scheme != "https" && b.scheme != "http" {
		return b, errors.New("scheme must be https")
	}
	if u.Opaque != "" || u.Host == "" {
		return b, errors.New("must be an absolute URL with a host")
	}
	b.host = strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if b.host == "" {
		return b, errors.New("must be an absolute URL with a host")
	}
	b.port = u.Port()
	if b.port == "" {
		b.port = map[string]string{"https": "443", "http": "80"}[b.scheme]
	} else if n, err := strconv.Atoi(b.port); err != nil || n < 1 || n > 65535 {
		return b, errors.New("invalid port")
	} else {
		b.port = strconv.Itoa(n)
	}
	lower := strings.ToLower(u.EscapedPath())
	if strings.Contains(lower, "%2f") || strings.Contains(lower, "%5c") || strings.Contains(lower, "%2e") || strings.Contains(lower, "%00") {
		return b, errors.New("encoded separators not allowed in the path")
	}
	for seg := range strings.SplitSeq(u.Path, "/") {
		if seg == "." || seg == ".." {
			return b, errors.New("dot segments not allowed in the path")
		}
	}
	b.path = strings.TrimRight(u.Path, "/")
	return b, nil
}
