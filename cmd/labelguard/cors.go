package main

import (
	"fmt"
	"slices"
	"strings"
)

// corsOrigins decides the browser origins CORS allows. Not given: any
// ("*") without authentication, the local development case, and none with
// it. Given: exactly those, where "*" with authentication is refused at
// startup rather than quietly narrowed, so that the operator learns it
// from the deployment and not from a browser.
func corsOrigins(cfg serveConfig, authOn bool) ([]string, error) {
	if !cfg.corsSet {
		if authOn {
			return nil, nil
		}
		return []string{"*"}, nil
	}
	origins := make([]string, 0, len(cfg.corsOrigins))
	for _, o := range cfg.corsOrigins {
		if o = strings.TrimSpace(o); o != "" {
			origins = append(origins, o)
		}
	}
	if authOn && slices.Contains(origins, "*") {
		return nil, fmt.Errorf("--cors-origins: * is allowed only with --auth disabled; list the browser origins that call the service (an EHR's web client, the CDS Hooks Sandbox)")
	}
	return origins, nil
}
