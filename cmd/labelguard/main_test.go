package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
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
	ps, err := loadPolicies(context.Background(), "", "")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := printRules(&buf, ps, "markdown"); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "..", "docs", "rules.md")
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
		t.Errorf("docs/rules.md is stale: run go test ./cmd/labelguard -run TestRulesDocIsCurrent -update")
	}
}
