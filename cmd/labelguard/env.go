package main

import (
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/spf13/pflag"
)

// allowedEnv are LABELGUARD_ variables that set no flag of serve on
// purpose: the tests' and the chart's tooling.
var allowedEnv = regexp.MustCompile(`^LABELGUARD_(TEST_[A-Z0-9_]+|TOOLS)$`)

// serviceLinkEnv matches the variables Kubernetes injects for a Service
// whose name starts with "labelguard" when the pod does not disable
// service links (the chart does): LABELGUARD_SERVICE_HOST,
// LABELGUARD_PORT_8080_TCP_ADDR and the like. They are not settings.
var serviceLinkEnv = regexp.MustCompile(`^LABELGUARD_([A-Z0-9_]+_)?(SERVICE_(HOST|PORT(_[A-Z0-9_]+)?)|PORT(_[0-9]+_(TCP|UDP|SCTP)(_(PROTO|PORT|ADDR))?)?)$`)

// unknownEnv returns, sorted, the LABELGUARD_ variables of environ that
// set no flag of fs and are not allowed otherwise: most likely a typo
// (LABELGUARD_ADRR), which would otherwise be ignored without a word.
func unknownEnv(fs *pflag.FlagSet, environ []string) []string {
	known := map[string]bool{}
	fs.VisitAll(func(f *pflag.Flag) { known[envName(f.Name)] = true })
	var out []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, envPrefix) || known[name] || allowedEnv.MatchString(name) || serviceLinkEnv.MatchString(name) {
			continue
		}
		out = append(out, name)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// closestEnv suggests the flag variable nearest to a mistyped name, or ""
// when none is close (more than two edits away).
func closestEnv(fs *pflag.FlagSet, name string) string {
	best, bestD := "", 3
	fs.VisitAll(func(f *pflag.Flag) {
		if d := editDistance(name, envName(f.Name)); d < bestD {
			best, bestD = envName(f.Name), d
		}
	})
	return best
}

// editDistance is the Levenshtein distance of a and b (bytes).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// checkEnv warns about each unknown LABELGUARD_ variable, naming it and
// the nearest flag variable, or with --strict-env refuses to start.
func checkEnv(log *slog.Logger, cfg serveConfig) error {
	if cfg.flags == nil {
		return nil
	}
	unknown := unknownEnv(cfg.flags, os.Environ())
	if len(unknown) == 0 {
		return nil
	}
	if cfg.strictEnv {
		return fmt.Errorf("--strict-env: environment variables that set no flag (mistyped?): %s", strings.Join(unknown, ", "))
	}
	for _, name := range unknown {
		attrs := []any{slog.String("name", name)}
		if near := closestEnv(cfg.flags, name); near != "" {
			attrs = append(attrs, slog.String("did_you_mean", near))
		}
		log.Warn("environment variable ignored: it sets no flag (mistyped?); --strict-env refuses to start instead", attrs...)
	}
	return nil
}
