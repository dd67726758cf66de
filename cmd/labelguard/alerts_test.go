package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/labelguard/labelguard/internal/hang"
)

// rulesFile holds the alert rules the chart ships (PrometheusRule) and
// docs/operations.md shows.
var rulesFile = filepath.Join("..", "..", "charts", "labelguard", "files", "prometheus-rules.yaml")

type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Alert       string            `yaml:"alert"`
			Expr        string            `yaml:"expr"`
			For         string            `yaml:"for"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

func readRules(t *testing.T) (ruleFile, []byte) {
	t.Helper()
	raw, err := os.ReadFile(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	var rf ruleFile
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&rf); err != nil {
		t.Fatalf("%s: %v", rulesFile, err)
	}
	if len(rf.Groups) == 0 {
		t.Fatalf("%s has no rule groups", rulesFile)
	}
	return rf, raw
}

// series is one sample line of the text exposition.
type series struct {
	name   string
	labels map[string]string
}

var (
	sampleLine = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+\S+`)
	labelPair  = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"`)
	selector   = regexp.MustCompile(`\b(labelguard_[a-z0-9_]+)\b(\{[^}]*\})?`)
	matcher    = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"([^"]*)"`)
	grouping   = regexp.MustCompile(`\b(?:by|without)\s*\(([^)]*)\)`)
)

func parseExposition(text string) []series {
	var out []series
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		m := sampleLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		s := series{name: m[1], labels: map[string]string{}}
		for _, p := range labelPair.FindAllStringSubmatch(m[2], -1) {
			s.labels[p[1]] = p[2]
		}
		out = append(out, s)
	}
	return out
}

// matches reports whether s satisfies one PromQL matcher.
func (s series) matches(label, op, value string) bool {
	v := s.labels[label]
	switch op {
	case "=":
		return v == value
	case "!=":
		return v != value
	}
	re := regexp.MustCompile("^(?:" + value + ")$")
	if op == "=~" {
		return re.MatchString(v)
	}
	return !re.MatchString(v)
}

// targetLabels are added by Prometheus to every scraped series (and le by
// histograms), so a rule may group by them.
var targetLabels = map[string]bool{"namespace": true, "job": true, "pod": true, "instance": true,
	"service": true, "endpoint": true, "container": true, "le": true}

// freePort returns a loopback address nothing listens on.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// TestAlertRuleSeriesExistAtStart starts serve with an admin port and
// checks, before any hook call, that every labelguard_* selector of the
// shipped alert rules matches a series on /metrics (so that no rule waits
// for a first event to have anything to evaluate), that the labels the
// rules group by exist, and that labelguard_build_info names the build.
// It also checks the admin split: /metrics and /status answer only on the
// admin port, /healthz and /readyz on both.
func TestAlertRuleSeriesExistAtStart(t *testing.T) {
	rf, _ := readRules(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	admin := freePort(t)
	cfg := serveConfig{
		addr: "127.0.0.1:0", adminAddr: admin, maxBodyBytes: 1 << 20, maxDepth: 64,
		logLevel: "info", logFormat: "json", shutdownTimeout: hang.Guard,
		dataDir: t.TempDir(), auditQueueSize: 100,
	}
	base, done := startServe(ctx, t, cfg, "http")
	adminBase := "http://" + admin

	for _, c := range []struct {
		url  string
		want int
	}{
		{base + "/healthz", 200}, {base + "/readyz", 200}, {base + "/metrics", 404}, {base + "/status", 404},
		{adminBase + "/healthz", 200}, {adminBase + "/readyz", 200}, {adminBase + "/status", 200},
	} {
		if code, body := get(t, c.url); code != c.want {
			t.Errorf("GET %s: %d, want %d: %s", c.url, code, c.want, body)
		}
	}
	code, text := get(t, adminBase+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("admin /metrics: %d", code)
	}
	exposed := parseExposition(text)

	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			t.Run(r.Alert, func(t *testing.T) {
				sels := selector.FindAllStringSubmatch(r.Expr, -1)
				if len(sels) == 0 {
					t.Fatalf("expr selects no labelguard_* series: %s", r.Expr)
				}
				known := map[string]bool{}
				for _, sel := range sels {
					ms := matcher.FindAllStringSubmatch(sel[2], -1)
					found := false
					for _, s := range exposed {
						if s.name != sel[1] {
							continue
						}
						ok := true
						for _, m := range ms {
							ok = ok && s.matches(m[1], m[2], m[3])
						}
						if ok {
							found = true
							for l := range s.labels {
								known[l] = true
							}
						}
					}
					if !found {
						t.Errorf("no series on /metrics of a fresh service matches %s%s", sel[1], sel[2])
					}
				}
				for _, by := range grouping.FindAllStringSubmatch(r.Expr, -1) {
					for _, l := range strings.Split(by[1], ",") {
						if l = strings.TrimSpace(l); l != "" && !targetLabels[l] && !known[l] {
							t.Errorf("the rule groups by %q, which neither its series nor the scrape carry", l)
						}
					}
				}
				if r.Labels["severity"] != "critical" && r.Labels["severity"] != "warning" {
					t.Errorf("severity %q, want critical or warning", r.Labels["severity"])
				}
				if r.Annotations["summary"] == "" || r.Annotations["runbook_url"] == "" {
					t.Errorf("summary or runbook_url missing: %v", r.Annotations)
				}
			})
		}
	}

	// The series the issue names: reload outcomes, audit drops, prefetch
	// errors at zero, and the build.
	want := []string{
		`labelguard_policy_reload_total{outcome="activated"} 0`,
		`labelguard_policy_reload_total{outcome="rejected"} 0`,
		`labelguard_audit_dropped_total 0`,
		`labelguard_data_issues_total{key="patient",kind="fetch-failed"} 0`,
		`labelguard_http_requests_total{code="500",route="/cds-services/:id",service="jak-order-sign"} 0`,
		`labelguard_policy_last_reload_successful 1`,
	}
	for _, w := range want {
		if !strings.Contains(text, w+"\n") {
			t.Errorf("/metrics lacks %s", w)
		}
	}
	var build *series
	for i, s := range exposed {
		if s.name == "labelguard_build_info" {
			build = &exposed[i]
		}
	}
	if build == nil {
		t.Fatal("/metrics lacks labelguard_build_info")
	}
	if build.labels["version"] != version || build.labels["goversion"] != runtime.Version() || build.labels["revision"] == "" {
		t.Errorf("labelguard_build_info labels %v", build.labels)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve returned %v on shutdown", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("serve did not stop after its context was cancelled")
	}
}

// TestAlertRulesDocumented: docs/operations.md shows the shipped rules
// verbatim and has a section for each alert's runbook_url.
func TestAlertRulesDocumented(t *testing.T) {
	rf, raw := readRules(t)
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "operations.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(doc, append([]byte("```yaml\n"), append(raw, []byte("```\n")...)...)) {
		t.Errorf("docs/operations.md does not show %s verbatim in a yaml block", rulesFile)
	}
	anchors := map[string]bool{}
	for _, line := range strings.Split(string(doc), "\n") {
		if strings.HasPrefix(line, "#") {
			anchors[slug(strings.TrimLeft(line, "# "))] = true
		}
	}
	const prefix = "https://github.com/labelguard/labelguard/blob/main/docs/operations.md#"
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			u := r.Annotations["runbook_url"]
			if !strings.HasPrefix(u, prefix) || !anchors[strings.TrimPrefix(u, prefix)] {
				t.Errorf("%s: runbook_url %s names no heading of docs/operations.md", r.Alert, u)
			}
		}
	}
}

// slug is GitHub's anchor for a Markdown heading (ASCII headings).
func slug(h string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(h) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		case r == ' ':
			b.WriteByte('-')
		}
	}
	return b.String()
}
