package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/labelguard/labelguard/api"
	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/policies"
)

func runConformanceCmd(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newConformanceCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), err
}

func TestConformanceCommand(t *testing.T) {
	ps, err := engine.Load(context.Background(), policies.FS, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.New(api.Config{MaxBodyBytes: 1 << 20, CORSOrigins: []string{"*"}, AuthDisabled: true, EvalTimeout: time.Minute},
		engine.NewActive(ps), nil).Handler())
	defer srv.Close()
	out, err := runConformanceCmd(t, "--url", srv.URL, "--huge-body-bytes", "2097152")
	if err != nil {
		t.Fatalf("against the real handler: %v\n%s", err, out)
	}
	if !regexp.MustCompile(`PASS\s+discovery`).MatchString(out) || !strings.Contains(out, " 0 failed") {
		t.Errorf("table:\n%s", out)
	}
	out, err = runConformanceCmd(t, "--url", srv.URL, "--huge-body-bytes", "2097152", "--json")
	var results []map[string]any
	if err != nil || json.Unmarshal([]byte(out), &results) != nil || len(results) < 10 {
		t.Errorf("--json: %v\n%s", err, out)
	}

	// A server that answers everything with 500 fails, with a non-zero exit.
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "boom", http.StatusInternalServerError)
	}))
	defer broken.Close()
	out, err = runConformanceCmd(t, "--url", broken.URL)
	if err == nil || !regexp.MustCompile(`FAIL\s+discovery`).MatchString(out) {
		t.Errorf("broken server: err %v\n%s", err, out)
	}

	// Usage errors.
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	keyFile := filepath.Join(t.TempDir(), "key.pem")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{},
		{"--url", "cds.example.org"},
		{"--url", srv.URL, "--token-key", keyFile},
		{"--url", srv.URL, "--token-key", filepath.Join(t.TempDir(), "missing.pem"), "--issuer", "i", "--kid", "k"},
	} {
		if _, err := runConformanceCmd(t, args...); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}
