package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestApplyEnvPrecedence(t *testing.T) {
	t.Setenv("LABELGUARD_ADDR", "127.0.0.1:9999")
	t.Setenv("LABELGUARD_MAX_BODY_BYTES", "1234")
	fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "")
	maxBody := fs.Int64("max-body-bytes", 10, "")
	logLevel := fs.String("log-level", "info", "")
	if err := fs.Parse([]string{"--max-body-bytes", "99"}); err != nil {
		t.Fatal(err)
	}
	if err := applyEnv(fs); err != nil {
		t.Fatal(err)
	}
	if *addr != "127.0.0.1:9999" {
		t.Errorf("addr = %s, want the environment's value", *addr)
	}
	if *maxBody != 99 {
		t.Errorf("max-body-bytes = %d, want the flag's value (flag wins over environment)", *maxBody)
	}
	if *logLevel != "info" {
		t.Errorf("log-level = %s, want the default", *logLevel)
	}
	t.Setenv("LABELGUARD_MAX_BODY_BYTES", "lots")
	fs2 := pflag.NewFlagSet("y", pflag.ContinueOnError)
	fs2.Int64("max-body-bytes", 10, "")
	if err := applyEnv(fs2); err == nil {
		t.Error("an invalid environment value was accepted")
	}
}

// TestRulesDocIsCurrent fails when docs/rules.md no longer matches the
// policies' METADATA; regenerate with go test ./cmd/labelguard -run TestRulesDoc -update.
func TestRulesDocIsCurrent(t *testing.T) {
	ps, err := loadPolicies(context.Background(), "", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := printRules(&buf, ps, "markdown"); err != nil {
		t.Fatal(err)
	}
	checkGeneratedDoc(t, "docs/rules.md", buf.Bytes())
}

// checkGeneratedDoc fails when the generated document rel (a path from the
// repository root) differs from got, and rewrites it with -update.
func checkGeneratedDoc(t *testing.T, rel string, got []byte) {
	t.Helper()
	path := filepath.Join("..", "..", filepath.FromSlash(rel))
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (generate it with -update)", err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s is stale: run go test ./cmd/labelguard -run %s -update", rel, t.Name())
	}
}

func TestConfigFilePrecedence(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "labelguard.yaml")
	if err := os.WriteFile(path, []byte("addr: 0.0.0.0:7000\nlog-level: debug\nmax-body-bytes: 5000\ncors-origins: [https://a.example, https://b.example]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("LABELGUARD_LOG_LEVEL", "warn")
	cmd := newServeCmd()
	if err := cmd.ParseFlags([]string{"--config", path, "--max-body-bytes", "42"}); err != nil {
		t.Fatal(err)
	}
	if err := applySettings(cmd.Flags()); err != nil {
		t.Fatal(err)
	}
	got := func(name string) string { return cmd.Flags().Lookup(name).Value.String() }
	for name, want := range map[string]string{
		"addr":           "0.0.0.0:7000",                          // file
		"log-level":      "warn",                                  // environment over file
		"max-body-bytes": "42",                                    // flag over file
		"cors-origins":   "[https://a.example,https://b.example]", // list from file
		"log-format":     "json",                                  // default
	} {
		if g := got(name); g != want {
			t.Errorf("%s = %q, want %q", name, g, want)
		}
	}

	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("adress: x\nmax-body-bytes: lots\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd = newServeCmd()
	if err := cmd.ParseFlags([]string{"--config", bad}); err != nil {
		t.Fatal(err)
	}
	err := applySettings(cmd.Flags())
	if err == nil || !strings.Contains(err.Error(), "adress: unknown setting") || !strings.Contains(err.Error(), "max-body-bytes") {
		t.Errorf("bad config error = %v, want it to name both settings", err)
	}
}

// TestConfigDocIsCurrent fails when docs/configuration.md no longer matches
// the serve flags; regenerate with -update.
func TestConfigDocIsCurrent(t *testing.T) {
	var buf bytes.Buffer
	writeConfigDoc(&buf)
	path := filepath.Join("..", "..", "docs", "configuration.md")
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (generate it with -update)", err)
	}
	if !bytes.Equal(want, buf.Bytes()) {
		t.Errorf("docs/configuration.md is stale: run go test ./cmd/labelguard -run TestConfigDocIsCurrent -update")
	}
}

// TestChartFlagsExist checks that every flag the Helm chart passes to
// `labelguard serve` exists, so a deployment never dies on an unknown flag.
func TestChartFlagsExist(t *testing.T) {
	tmpl, err := os.ReadFile(filepath.Join("..", "..", "charts", "labelguard", "templates", "deployment.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	flags := regexp.MustCompile(`- --([a-z][a-z0-9-]*)`).FindAllStringSubmatch(string(tmpl), -1)
	if len(flags) < 5 {
		t.Fatalf("found only %d flags in the chart's deployment", len(flags))
	}
	serve := newServeCmd()
	for _, f := range flags {
		if serve.Flags().Lookup(f[1]) == nil {
			t.Errorf("the chart passes --%s, which labelguard serve does not have", f[1])
		}
	}
	envs := regexp.MustCompile(`name: (LABELGUARD_[A-Z_]+)`).FindAllStringSubmatch(string(tmpl), -1)
	for _, e := range envs {
		name := strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(e[1], "LABELGUARD_"), "_", "-"))
		if serve.Flags().Lookup(name) == nil {
			t.Errorf("the chart sets %s, which matches no serve flag", e[1])
		}
	}
}
