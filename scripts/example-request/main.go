// Command example-request prints the README's example: a CDS Hooks
// order-sign request for upadacitinib 45 mg once daily for a man whose
// neutrophil count was 0.8 and hemoglobin 7.6 a week ago, with every date
// moved to today, so that the example gives the cards the README shows
// whatever the date:
//
//	go run ./scripts/example-request | curl -s -X POST localhost:8080/cds-services/jak-order-sign \
//	  -H 'Content-Type: application/json' -d @- | jq -c '.cards[] | {indicator, summary}'
//
// The request is api/testdata/requests/upadacitinib-45mg-low-anc.json,
// which stays dated for 2026-11-23T12:00:00Z, the time the API's golden
// tests and the benchmarks evaluate it at. The dates move by whole days
// (internal/timeshift), so that this time falls within the day before now;
// the hookInstance is new on every run, as an EHR's is. Run it from the
// repository root.
//
// -o FILE writes the request to a file; -as-of TIME moves it to another day
// (the service always evaluates at its own clock, so only a request moved
// to the service's day gives the README's cards); -request and -written-for
// move another request.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/google/uuid"

	"github.com/labelguard/labelguard/internal/timeshift"
)

const (
	// DefaultRequest is the example, relative to the repository root.
	DefaultRequest = "api/testdata/requests/upadacitinib-45mg-low-anc.json"
	// DefaultWrittenFor is the time DefaultRequest is written for.
	DefaultWrittenFor = "2026-11-23T12:00:00Z"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, time.Now); err != nil {
		fmt.Fprintln(os.Stderr, "example-request:", err)
		os.Exit(1)
	}
}

// run is the command with its clock given, so that a test runs the
// README's command line as written at any date.
func run(args []string, stdout io.Writer, clock func() time.Time) error {
	fl := flag.NewFlagSet("example-request", flag.ContinueOnError)
	fl.SetOutput(io.Discard)
	var (
		path       = fl.String("request", DefaultRequest, "the CDS Hooks request to move")
		writtenFor = fl.String("written-for", DefaultWrittenFor, "the evaluation time the request is written for")
		asOf       = fl.String("as-of", "", "move the request to this day instead of today (a date, a UTC date and time, or RFC 3339)")
		out        = fl.String("o", "", "write the request to this file instead of the standard output")
	)
	if err := fl.Parse(args); err != nil {
		return fmt.Errorf("%w (flags: -request FILE, -written-for TIME, -as-of TIME, -o FILE)", err)
	}
	if fl.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fl.Arg(0))
	}
	from, err := time.Parse(time.RFC3339, *writtenFor)
	if err != nil {
		return fmt.Errorf("-written-for: %w", err)
	}
	to := clock()
	if *asOf != "" {
		if to, err = timeshift.ParseTime(*asOf); err != nil {
			return fmt.Errorf("-as-of: %w", err)
		}
	}
	raw, err := os.ReadFile(*path)
	if errors.Is(err, fs.ErrNotExist) && *path == DefaultRequest {
		return fmt.Errorf("%s not found: run this from the repository root", DefaultRequest)
	}
	if err != nil {
		return err
	}
	body, err := Moved(raw, timeshift.Between(from, to))
	if err != nil {
		return fmt.Errorf("%s: %w", *path, err)
	}
	if *out != "" {
		return os.WriteFile(*out, body, 0o644)
	}
	_, err = stdout.Write(body)
	return err
}

// Moved is the request with its dates moved and a new hookInstance,
// indented as the committed requests are.
func Moved(raw []byte, m timeshift.Move) ([]byte, error) {
	moved, err := m.JSON(raw)
	if err != nil {
		return nil, err
	}
	var req map[string]json.RawMessage
	if err := json.Unmarshal(moved, &req); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	if _, ok := req["hookInstance"]; !ok {
		return nil, errors.New("not a CDS Hooks request: no hookInstance")
	}
	req["hookInstance"], _ = json.Marshal(uuid.NewString())
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(req); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
