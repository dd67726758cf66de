// Command testreport reads `go test -json` and prints what `go test` prints
// without -v (each package's ok or FAIL line, the output of the tests that
// failed, build errors), then every skipped test with the reason it gave,
// so that a test skipped for want of a service (PostgreSQL, Node,
// Chromium) is seen at the end of a run rather than lost in its middle:
//
//	go test -json ./... | go run ./internal/tools/testreport [-skipped FILE]
//
// -skipped FILE also writes the list of skipped tests to FILE, for a script
// to print it again at its very end. It exits 1 when a test, a package or a build failed, or when the input
// is not go test -json output; .ci/run also keeps go test's own status.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Action     string
	Package    string
	ImportPath string
	Test       string
	Output     string
}

func main() {
	skippedFile := flag.String("skipped", "", "also write the list of skipped tests to this file")
	flag.Parse()
	var skipped bytes.Buffer
	ok, err := report(os.Stdin, os.Stdout, &skipped)
	if err == nil && *skippedFile != "" {
		err = os.WriteFile(*skippedFile, skipped.Bytes(), 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "testreport:", err)
		os.Exit(1)
	}
	if !ok {
		os.Exit(1)
	}
}

type key struct{ pkg, test string }

// report copies the run's summary from r to w and lists the skipped
// tests, on w and on list; it reports whether everything passed.
func report(r io.Reader, w, list io.Writer) (bool, error) {
	var (
		output  = map[key][]string{}
		skipped []key
		reasons = map[key]string{}
		failed  bool
		events  int
	)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if err := json.Unmarshal(line, &e); err != nil || e.Action == "" {
			// go test prints build errors of a package that does not
			// compile as plain text before its JSON.
			fmt.Fprintln(w, string(line))
			continue
		}
		events++
		k := key{e.Package, e.Test}
		switch e.Action {
		case "build-output":
			fmt.Fprint(w, e.Output)
		case "build-fail":
			failed = true
		case "output":
			if e.Test == "" {
				// The package's own lines: ok, FAIL, [no test files],
				// and what is printed outside tests. "PASS" is -v noise.
				if strings.TrimSpace(e.Output) != "PASS" {
					fmt.Fprint(w, e.Output)
				}
				continue
			}
			output[k] = append(output[k], e.Output)
		case "fail":
			failed = true
			if e.Test != "" {
				fmt.Fprint(w, strings.Join(output[k], ""))
			}
		case "skip":
			if e.Test != "" {
				skipped = append(skipped, k)
				reasons[k] = skipReason(output[k])
			}
		}
		if e.Action == "pass" || e.Action == "fail" || e.Action == "skip" {
			delete(output, k)
		}
	}
	if err := sc.Err(); err != nil {
		return false, fmt.Errorf("reading go test -json: %w", err)
	}
	if events == 0 {
		return false, fmt.Errorf("no go test -json events on the input")
	}
	sort.Slice(skipped, func(i, j int) bool {
		if skipped[i].pkg != skipped[j].pkg {
			return skipped[i].pkg < skipped[j].pkg
		}
		return skipped[i].test < skipped[j].test
	})
	var b strings.Builder
	fmt.Fprintf(&b, "== skipped tests: %d\n", len(skipped))
	for _, k := range skipped {
		fmt.Fprintf(&b, "%s %s: %s\n", k.pkg, k.test, reasons[k])
	}
	fmt.Fprint(w, "\n"+b.String())
	fmt.Fprint(list, b.String())
	return !failed, nil
}

// skipReason is what a skipped test printed, without the RUN and SKIP
// lines go test adds.
func skipReason(lines []string) string {
	var out []string
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "=== ") || strings.HasPrefix(t, "--- SKIP") {
			continue
		}
		// "file_test.go:12: reason": the reason.
		if i := strings.Index(t, ".go:"); i > 0 && !strings.Contains(t[:i], " ") {
			if j := strings.Index(t[i+4:], ": "); j >= 0 {
				t = t[i+4+j+2:]
			}
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		return "(no reason given)"
	}
	return strings.Join(out, " ")
}
