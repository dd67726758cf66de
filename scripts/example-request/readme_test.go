package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/labelguard/labelguard/api"
	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/internal/timeshift"
	"github.com/labelguard/labelguard/policies"
)

var update = flag.Bool("update", false, "rewrite the README's example output from a run today")

const (
	readme      = "README.md"
	beginMarker = "<!-- example:"
	endMarker   = "<!-- end of example -->"
	// jqFilter is the one filter the test knows how to apply.
	jqFilter = ".cards[] | {indicator, summary}"
)

// example is the README's example block: the command line and the output
// the README says it prints.
type example struct {
	command          string
	output           string
	outStart, outEnd int // byte offsets of output in the README
	scriptArgs       []string
	method, path     string
	headers          http.Header
	stdinBody        bool
}

// TestREADMEExample runs the README's example exactly as written (the
// script with the README's arguments, the curl call's method, path,
// headers and body, the jq filter) against the service, with the clock
// today, two years ahead, and late in the day (when the request's time
// lies almost a day before the service's clock), and checks that it prints
// what the README shows.
func TestREADMEExample(t *testing.T) {
	t.Chdir("../..")
	text, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	ex := parseExample(t, string(text))
	ps, err := engine.Load(context.Background(), policies.FS, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	today := time.Now().UTC()
	clocks := []time.Time{today, today.AddDate(2, 0, 0), time.Date(today.Year()+2, today.Month(), today.Day(), 11, 59, 59, 0, time.UTC)}
	if *update {
		out := runExample(t, ex, ps, today)
		text = append(append(append([]byte{}, text[:ex.outStart]...), out...), text[ex.outEnd:]...)
		if err := os.WriteFile(readme, text, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("rewrote the example output in %s", readme)
		return
	}
	if strings.Count(ex.output, "\n") < 3 {
		t.Fatalf("the README shows %d lines of output; the example gives several cards", strings.Count(ex.output, "\n"))
	}
	for _, clock := range clocks {
		if got := runExample(t, ex, ps, clock); got != ex.output {
			t.Errorf("with the clock at %s the example prints\n%s\nthe README shows\n%s(rewrite it with go test ./scripts/example-request -update after review)",
				clock.Format(time.RFC3339), got, ex.output)
		}
	}
}

// runExample runs the three stages of the command line with the service's
// and the script's clock at clock, and returns what jq prints.
func runExample(t *testing.T, ex example, ps *engine.PolicySet, clock time.Time) string {
	t.Helper()
	var body bytes.Buffer
	if err := run(ex.scriptArgs, &body, func() time.Time { return clock }); err != nil {
		t.Fatalf("go run ./scripts/example-request %s: %v", strings.Join(ex.scriptArgs, " "), err)
	}
	h := api.New(api.Config{Now: func() time.Time { return clock }, AuthDisabled: true, EvalTimeout: time.Minute},
		engine.NewActive(ps), slog.New(slog.DiscardHandler)).Handler()
	srv := httptest.NewServer(h)
	defer srv.Close()
	req, err := http.NewRequest(ex.method, srv.URL+ex.path, &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header = ex.headers
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var resp struct {
		Cards []struct {
			Indicator string `json:"indicator"`
			Summary   string `json:"summary"`
		} `json:"cards"`
	}
	if err := json.NewDecoder(res.Body).Decode(&resp); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("the service answered %d (%v)", res.StatusCode, err)
	}
	// jq -c: one compact object per line, keys in the filter's order,
	// non-ASCII as it is.
	var out strings.Builder
	for _, c := range resp.Cards {
		var line bytes.Buffer
		enc := json.NewEncoder(&line)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(struct {
			Indicator string `json:"indicator"`
			Summary   string `json:"summary"`
		}{c.Indicator, c.Summary}); err != nil {
			t.Fatal(err)
		}
		out.Write(line.Bytes())
	}
	return out.String()
}

var fence = regexp.MustCompile("(?s)```sh\n(.*?)```.*?```json\n(.*?)```")

// parseExample reads the example block and its command line, failing on
// anything the test would not run as the README says.
func parseExample(t *testing.T, text string) example {
	t.Helper()
	begin := strings.Index(text, beginMarker)
	end := strings.Index(text, endMarker)
	if begin < 0 || end < begin {
		t.Fatalf("%s has no example block (%q … %q)", readme, beginMarker, endMarker)
	}
	m := fence.FindStringSubmatchIndex(text[begin:end])
	if m == nil {
		t.Fatalf("the example block has no ```sh block followed by a ```json block")
	}
	ex := example{
		command:  text[begin+m[2] : begin+m[3]],
		output:   text[begin+m[4] : begin+m[5]],
		outStart: begin + m[4], outEnd: begin + m[5],
		headers: http.Header{},
	}
	line := strings.TrimSpace(strings.ReplaceAll(ex.command, "\\\n", " "))
	if strings.Contains(line, "\n") {
		t.Fatalf("the example is more than one command line:\n%s", ex.command)
	}
	stages := splitPipeline(t, line)
	if len(stages) != 3 {
		t.Fatalf("the example is %d commands joined by |, want script | curl | jq: %s", len(stages), line)
	}
	script, curl, jq := stages[0], stages[1], stages[2]
	if len(script) < 3 || script[0] != "go" || script[1] != "run" || script[2] != "./scripts/example-request" {
		t.Fatalf("the example's first command is %q, want go run ./scripts/example-request", script)
	}
	ex.scriptArgs = script[3:]
	if curl[0] != "curl" {
		t.Fatalf("the second command is %q, want curl", curl)
	}
	ex.method = http.MethodGet
	for i := 1; i < len(curl); i++ {
		next := func() string {
			i++
			if i == len(curl) {
				t.Fatalf("curl %s wants a value", curl[i-1])
			}
			return curl[i]
		}
		switch a := curl[i]; {
		case a == "-s":
		case a == "-X":
			ex.method = next()
		case a == "-H":
			k, v, ok := strings.Cut(next(), ":")
			if !ok {
				t.Fatalf("curl -H %q", curl[i])
			}
			ex.headers.Set(k, strings.TrimSpace(v))
		case a == "-d":
			if next() != "@-" {
				t.Fatalf("curl -d %q: the example sends the script's output (-d @-)", curl[i])
			}
			ex.stdinBody = true
		case strings.Contains(a, "localhost:8080/") || strings.Contains(a, "127.0.0.1:8080/"):
			u, err := url.Parse(a)
			if err != nil || u.Host == "" {
				u, err = url.Parse("http://" + a)
			}
			if err != nil {
				t.Fatalf("curl URL %q: %v", a, err)
			}
			ex.path = u.Path
		default:
			t.Fatalf("curl argument %q: the test does not know what it does", a)
		}
	}
	if !ex.stdinBody || ex.path == "" {
		t.Fatalf("curl must POST the script's output (-d @-) to the service: %q", curl)
	}
	if len(jq) != 3 || jq[0] != "jq" || jq[1] != "-c" || jq[2] != jqFilter {
		t.Fatalf("the last command is %q, want jq -c '%s'", jq, jqFilter)
	}
	return ex
}

// splitPipeline splits a shell command line into the words of each
// command of a pipeline: single and double quotes, no escapes or
// expansions (the example needs none).
func splitPipeline(t *testing.T, line string) [][]string {
	t.Helper()
	var stages [][]string
	var words []string
	var word strings.Builder
	inWord := false
	var quote rune
	flush := func() {
		if inWord {
			words = append(words, word.String())
			word.Reset()
			inWord = false
		}
	}
	for _, r := range line {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			word.WriteRune(r)
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			flush()
		case r == '|':
			flush()
			stages = append(stages, words)
			words = nil
		case strings.ContainsRune("$`\\;&<>()", r):
			t.Fatalf("the example uses %q, which this test does not run: %s", r, line)
		default:
			word.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		t.Fatalf("unbalanced quote in %s", line)
	}
	flush()
	return append(stages, words)
}

// TestMovedKeepsTheCommittedRequest: moved by no day, the example is the
// committed request but for its hookInstance, so the README and the golden
// tests speak of the same request.
func TestMovedKeepsTheCommittedRequest(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", DefaultRequest))
	if err != nil {
		t.Fatal(err)
	}
	from, _ := time.Parse(time.RFC3339, DefaultWrittenFor)
	out, err := Moved(raw, timeshift.Between(from, from.Add(23*time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	var a, b map[string]any
	if err := json.Unmarshal(raw, &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out, &b); err != nil {
		t.Fatal(err)
	}
	if a["hookInstance"] == b["hookInstance"] {
		t.Errorf("hookInstance kept: each run is a new hook call")
	}
	delete(a, "hookInstance")
	delete(b, "hookInstance")
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("the request changed when moved by 0 days")
	}
	moved, err := Moved(raw, timeshift.Between(from, from.AddDate(0, 0, 30)))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(moved, []byte(`"effectiveDateTime": "2026-12-16T09:00:00Z"`)) {
		t.Errorf("the ANC result (2026-11-16T09:00:00Z) is not 30 days later")
	}
	for _, bad := range [][]string{{"-as-of", "soon"}, {"-written-for", "2026-11-23"}, {"extra"}, {"-request", "nope.json"}} {
		if err := run(bad, &bytes.Buffer{}, time.Now); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
