package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/labelguard/labelguard/internal/logging"
)

func TestRedactDSN(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"postgres://lg:s3cret@db.example:5432/lg?sslmode=require", "postgres://lg:REDACTED@db.example:5432/lg?sslmode=require"},
		{"postgres://lg@db.example/lg", "postgres://lg@db.example/lg"},
		{"postgres://db.example/lg?user=lg&password=s3cret", "postgres://db.example/lg?password=REDACTED&user=lg"},
		{"host=db.example user=lg password=s3cret dbname=lg", "host=db.example user=lg password=REDACTED dbname=lg"},
		{"host=db.example password = 's3 cr\\'et' dbname=lg", "host=db.example password = REDACTED dbname=lg"},
		{"postgres://lg:s3cret@db.example:5432/%zz", "REDACTED"},
	} {
		if got := redactDSN(tc.in); got != tc.want {
			t.Errorf("redactDSN(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestStartupLine: the startup line is one JSON object with the version,
// revision, policy revision and every setting's effective value,
// durations in milliseconds, and no secret: not the database password,
// not the hash key.
func TestStartupLine(t *testing.T) {
	dir := t.TempDir()
	const key = "00112233445566778899aabbccddeeff-hash-key"
	keyFile := filepath.Join(dir, "hash.key")
	if err := os.WriteFile(keyFile, []byte(key), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("LABELGUARD_DRAIN_DELAY", "7s")
	cmd := newServeCmd()
	if err := cmd.ParseFlags([]string{"--database-dsn", "postgres://lg:pg-s3cret@db.example/lg", "--hash-key-file", keyFile,
		"--cors-origins", "https://a.example,https://b.example", "--max-body-bytes", "1234"}); err != nil {
		t.Fatal(err)
	}
	if err := applySettings(cmd.Flags()); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	log, err := logging.New("info", "json", &buf)
	if err != nil {
		t.Fatal(err)
	}
	log.Info("labelguard started", startupAttrs(cmd.Flags(), startup{addr: "127.0.0.1:8080", scheme: "http",
		auth: "required", policyRevision: "rev-42", corsOrigins: []string{"https://a.example"}})...)
	out := buf.String()
	if strings.Count(out, "\n") != 1 {
		t.Fatalf("want one line, got %q", out)
	}
	for _, secret := range []string{"pg-s3cret", key} {
		if strings.Contains(out, secret) {
			t.Errorf("the startup line leaks %q: %s", secret, out)
		}
	}
	var line struct {
		Version, Revision, URL, Auth string
		Policy                       string         `json:"policy_revision"`
		Config                       map[string]any `json:"config"`
	}
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatal(err)
	}
	if line.Version == "" || line.Revision == "" || line.Policy != "rev-42" || line.URL != "http://127.0.0.1:8080" || line.Auth != "required" {
		t.Errorf("startup line = %+v", line)
	}
	want := map[string]any{
		"drain-delay_ms":      7000.0, // environment
		"shutdown-timeout_ms": 20000.0,
		"max-body-bytes":      1234.0,
		"strict-env":          false,
		"hash-key-file":       keyFile,
		"database-dsn":        "postgres://lg:REDACTED@db.example/lg",
		"cors-origins":        []any{"https://a.example", "https://b.example"},
	}
	for k, v := range want {
		if got, _ := json.Marshal(line.Config[k]); string(got) != mustJSON(t, v) {
			t.Errorf("config[%s] = %s, want %s", k, got, mustJSON(t, v))
		}
	}
	n := 0
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if f.Name != "help" {
			n++
		}
	})
	if len(line.Config) != n {
		t.Errorf("config has %d settings, the command %d", len(line.Config), n)
	}
}

func mustJSON(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestUnknownEnv(t *testing.T) {
	fs := newServeCmd().Flags()
	environ := []string{
		"LABELGUARD_ADRR=:8080",                   // a typo
		"LABELGUARD_ADDR=:8080",                   // a flag
		"LABELGUARD_TEST_POSTGRES_DSN=postgres:/", // the tests'
		"LABELGUARD_TOOLS=/tmp/tools",             // charts/ci.sh
		"LABELGUARD_SERVICE_HOST=10.0.0.1",        // Kubernetes service links
		"LABELGUARD_SERVICE_PORT_HTTP=8080",
		"LABELGUARD_PORT=tcp://10.0.0.1:8080",
		"LABELGUARD_PORT_8080_TCP_ADDR=10.0.0.1",
		"LABELGUARD_ADMIN_SERVICE_HOST=10.0.0.2",
		"LABELGUARD_TRUSTED_ISSUER=/etc/x", // a typo
		"LABELGUARD_ADRR=again",
		"OTHER_ADRR=1",
		"LABELGUARDADDR=1",
	}
	got := unknownEnv(fs, environ)
	if want := []string{"LABELGUARD_ADRR", "LABELGUARD_TRUSTED_ISSUER"}; !slices.Equal(got, want) {
		t.Errorf("unknownEnv = %v, want %v", got, want)
	}
	for name, want := range map[string]string{
		"LABELGUARD_ADRR": "LABELGUARD_ADDR", "LABELGUARD_TRUSTED_ISSUER": "LABELGUARD_TRUSTED_ISSUERS", "LABELGUARD_XYZZY": "",
	} {
		if near := closestEnv(fs, name); near != want {
			t.Errorf("closestEnv(%s) = %q, want %q", name, near, want)
		}
	}
}

func TestCheckEnv(t *testing.T) {
	t.Setenv("LABELGUARD_ADRR", ":8080")
	cfg := serveConfig{flags: newServeCmd().Flags()}
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	if err := checkEnv(log, cfg); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"name":"LABELGUARD_ADRR"`) || !strings.Contains(buf.String(), `"did_you_mean":"LABELGUARD_ADDR"`) ||
		!strings.Contains(buf.String(), `"level":"WARN"`) {
		t.Errorf("warning = %s", buf.String())
	}
	cfg.strictEnv = true
	if err := checkEnv(log, cfg); err == nil || !strings.Contains(err.Error(), "LABELGUARD_ADRR") {
		t.Errorf("--strict-env: %v", err)
	}
}

func TestCORSOrigins(t *testing.T) {
	for _, tc := range []struct {
		name    string
		set     bool
		origins []string
		authOn  bool
		want    []string
		fails   bool
	}{
		{"default without auth", false, nil, false, []string{"*"}, false},
		{"default with auth", false, nil, true, nil, false},
		{"listed with auth", true, []string{" https://a.example ", ""}, true, []string{"https://a.example"}, false},
		{"explicitly none", true, nil, false, []string{}, false},
		{"star without auth", true, []string{"*"}, false, []string{"*"}, false},
		{"star with auth", true, []string{"https://a.example", "*"}, true, nil, true},
	} {
		got, err := corsOrigins(serveConfig{corsSet: tc.set, corsOrigins: tc.origins}, tc.authOn)
		if (err != nil) != tc.fails || !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, %v; want %v (error %v)", tc.name, got, err, tc.want, tc.fails)
		}
	}
}

// TestReportError: serve's errors are JSON log lines (those serve logged
// itself are not printed again); the other commands print plain text.
func TestReportError(t *testing.T) {
	root := newRootCmd()
	serve, _, _ := root.Find([]string{"serve"})
	eval, _, _ := root.Find([]string{"eval"})
	var buf bytes.Buffer
	reportError(&buf, serve, errors.New("invalid environment: LABELGUARD_MAX_BODY_BYTES: lots"))
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil || line["level"] != "ERROR" || !strings.Contains(line["error"].(string), "LABELGUARD_MAX_BODY_BYTES") {
		t.Errorf("serve error: %q", buf.String())
	}
	buf.Reset()
	reportError(&buf, serve, reportedError{errors.New("already logged")})
	if buf.Len() != 0 {
		t.Errorf("a logged error was printed again: %q", buf.String())
	}
	reportError(&buf, eval, errors.New("no such file"))
	if buf.String() != "labelguard: no such file\n" {
		t.Errorf("eval error: %q", buf.String())
	}
}
