package main

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/labelguard/labelguard/auth"
	"github.com/labelguard/labelguard/loadgen"
)

// The bench command's JWT mode must produce what the service accepts: keys
// and a trusted-issuers file from --write-issuer, tokens from the signer
// that the service's verifier admits, each with its own jti.
func TestBenchIssuerAndSigner(t *testing.T) {
	dir := t.TempDir()
	cmd := newBenchCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetArgs([]string{"--write-issuer", dir, "--issuer", "https://bench.example"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	issuers, err := auth.LoadIssuers(filepath.Join(dir, "trusted-issuers.json"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewVerifier(auth.Config{Issuers: issuers, BaseURL: "http://127.0.0.1:8080"})
	if err != nil {
		t.Fatal(err)
	}
	for _, kid := range []string{"es256", "es384"} {
		s, err := loadgen.NewSigner(filepath.Join(dir, kid+".pem"), "", "https://bench.example", "http://127.0.0.1:8080/")
		if err != nil {
			t.Fatal(err)
		}
		if s.Alg() != map[string]string{"es256": "ES256", "es384": "ES384"}[kid] {
			t.Fatalf("%s: alg %s", kid, s.Alg())
		}
		for range 2 { // two tokens: distinct jti, both accepted
			tok, err := s.Token("/cds-services/jak-order-sign")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := v.Verify(context.Background(), "Bearer "+tok, "/cds-services/jak-order-sign"); err != nil {
				t.Fatalf("%s: %v", kid, err)
			}
		}
	}
}

func TestBenchNeedsATarget(t *testing.T) {
	cmd := newBenchCmd()
	cmd.SetArgs([]string{"--url", ""})
	cmd.SetOut(&bytes.Buffer{})
	if err := cmd.Execute(); err == nil {
		t.Fatal("bench without --url or --opa-url ran")
	}
}
