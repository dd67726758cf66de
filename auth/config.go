package auth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// Issuer is one trusted CDS Client (token issuer) as configured in the
// trusted-issuers file. The JSON names are given in the struct tags; see the
// package documentation for the file format.
type Issuer struct {
	// ISS is the exact iss claim value the client sends (no normalization:
	// a trailing slash matters).
	ISS string `json:"iss"`
	// JWKSURL is the issuer's JWK Set URL, fetched, cached and refreshed
	// on an unknown kid.
	JWKSURL string `json:"jwksUrl,omitempty"`
	// JWKSFile is a JWK Set file shared out of band. LoadIssuers resolves
	// a relative path against the trusted-issuers file's directory.
	JWKSFile string `json:"jwksFile,omitempty"`
	// JWKS is an inline JWK Set; it excludes JWKSFile.
	JWKS json.RawMessage `json:"jwks,omitempty"`
	// JKUAllow lists the exact URLs a token's jku header may name. A jku
	// not on this list is rejected without any fetch.
	JKUAllow []string `json:"jkuAllow,omitempty"`
	// Tenant, when set, must equal the token's tenant claim. Several
	// entries may share one iss when each names a different tenant.
	Tenant string `json:"tenant,omitempty"`
	// FHIRServers lists the FHIR base URLs requests from this issuer
	// (tenant) may name as fhirServer; the service fetches from no other.
	FHIRServers []string `json:"fhirServers,omitempty"`
	// Conformance marks a client that only tests the service (labelguard
	// conformance, a certification tool): its calls are answered as any
	// other and kept out of the decision audit. Give such a client a key
	// of its own, never an EHR's.
	Conformance bool `json:"conformance,omitempty"`
}

// issuersFile is the top level of the trusted-issuers file.
type issuersFile struct {
	Issuers []Issuer `json:"issuers"`
}

// maxConfigBytes bounds the trusted-issuers file and JWK Set files.
const maxConfigBytes = 1 << 20

// LoadIssuers reads and validates a trusted-issuers file. Relative jwksFile
// paths are resolved against the file's directory, and the key sets named
// by jwksFile or jwks are parsed, so that every configuration mistake is
// reported at startup with the setting it concerns.
func LoadIssuers(path string) ([]Issuer, error) {
	data, err := readLimited(path)
	if err != nil {
		return nil, fmt.Errorf("trusted issuers file: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f issuersFile
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("trusted issuers file %s: %w", path, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("trusted issuers file %s: unexpected data after the JSON object", path)
	}
	if len(f.Issuers) == 0 {
		return nil, fmt.Errorf("trusted issuers file %s: \"issuers\" is empty", path)
	}
	dir := filepath.Dir(path)
	for i := range f.Issuers {
		if p := f.Issuers[i].JWKSFile; p != "" && !filepath.IsAbs(p) {
			f.Issuers[i].JWKSFile = filepath.Join(dir, p)
		}
	}
	if err := validateIssuers(f.Issuers); err != nil {
		return nil, fmt.Errorf("trusted issuers file %s: %w", path, err)
	}
	return f.Issuers, nil
}

func readLimited(path string) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, maxConfigBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxConfigBytes {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, maxConfigBytes)
	}
	return data, nil
}

// validateIssuers checks every entry and the iss/tenant combinations.
func validateIssuers(list []Issuer) error {
	if len(list) == 0 {
		return errors.New("no trusted issuers configured")
	}
	byISS := map[string][]int{}
	for i := range list {
		if err := validateIssuer(&list[i]); err != nil {
			return fmt.Errorf("issuers[%d] (iss %s): %w", i, logSafe(list[i].ISS), err)
		}
		byISS[list[i].ISS] = append(byISS[list[i].ISS], i)
	}
	for iss, idx := range byISS {
		if len(idx) == 1 {
			continue
		}
		seen := map[string]bool{}
		for _, i := range idx {
			t := list[i].Tenant
			if t == "" {
				return fmt.Errorf("issuers[%d] (iss %s): tenant: required when several entries share an iss", i, logSafe(iss))
			}
			if seen[t] {
				return fmt.Errorf("issuers[%d] (iss %s): tenant: duplicate tenant for this iss", i, logSafe(iss))
			}
			seen[t] = true
		}
	}
	return nil
}

func validateIssuer(is *Issuer) error {
	if strings.TrimSpace(is.ISS) == "" {
		return errors.New("iss: required")
	}
	if hasControl(is.ISS) || hasControl(is.Tenant) {
		return errors.New("iss/tenant: control characters not allowed")
	}
	if is.JWKSURL == "" && is.JWKSFile == "" && len(is.JWKS) == 0 && len(is.JKUAllow) == 0 {
		return errors.New("one of jwksUrl, jwksFile, jwks or jkuAllow is required")
	}
	if is.JWKSFile != "" && len(is.JWKS) > 0 {
		return errors.New("jwksFile and jwks: set only one")
	}
	if is.JWKSURL != "" {
		if err := checkFetchURL(is.JWKSURL); err != nil {
			return fmt.Errorf("jwksUrl: %w", err)
		}
	}
	for i, u := range is.JKUAllow {
		if err := checkFetchURL(u); err != nil {
			return fmt.Errorf("jkuAllow[%d]: %w", i, err)
		}
	}
	if _, err := staticKeys(is); err != nil {
		return err
	}
	if err := CheckFHIRAllowList(is.FHIRServers); err != nil {
		return fmt.Errorf("fhirServers: %w", err)
	}
	return nil
}

// staticKeys parses the out-of-band key set of an issuer (jwksFile or jwks);
// it returns nil when there is none.
func staticKeys(is *Issuer) (map[string]publicKey, error) {
	switch {
	case is.JWKSFile != "":
		data, err := readLimited(is.JWKSFile)
		if err != nil {
			return nil, fmt.Errorf("jwksFile: %w", err)
		}
		keys, err := parseJWKS(data, true)
		if err != nil {
			return nil, fmt.Errorf("jwksFile %s: %w", is.JWKSFile, err)
		}
		return keys, nil
	case len(is.JWKS) > 0:
		keys, err := parseJWKS(is.JWKS, true)
		if err != nil {
			return nil, fmt.Errorf("jwks: %w", err)
		}
		return keys, nil
	}
	return nil, nil
}

// checkFetchURL validates a URL the verifier may fetch a key set from:
// absolute https (http only for a loopback host, for tests), no userinfo,
// no fragment.
func checkFetchURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("not a valid URL")
	}
	if u.User != nil {
		return errors.New("userinfo not allowed")
	}
	if u.Host == "" || u.Opaque != "" {
		return errors.New("must be an absolute URL")
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return errors.New("fragment not allowed")
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return errors.New("must use https (http only for localhost or 127.0.0.1)")
		}
	default:
		return errors.New("must use https")
	}
	return nil
}

func isLoopback(host string) bool {
	switch strings.ToLower(host) {
	case "localhost", "127.0.0.1", "::1":
		return true
	}
	return false
}

func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
}
