package engine_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"io"
	"strings"
	"testing"

	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/policies"
)

// testKeys returns a PEM private and public key pair.
func testKeys(t *testing.T, kind string) (priv, pub []byte) {
	t.Helper()
	var key any
	var pubKey any
	switch kind {
	case "rsa":
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		key, pubKey = k, &k.PublicKey
	case "ec":
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		key, pubKey = k, &k.PublicKey
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	pder, err := x509.MarshalPKIXPublicKey(pubKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pder})
}

func buildBundle(t *testing.T, opts engine.BuildOptions) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := engine.BuildBundle(context.Background(), &buf, testSet(), opts); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// rewriteTar applies edit to every file of a .tar.gz (nil drops the file)
// and may append files.
func rewriteTar(t *testing.T, in []byte, edit func(name string, data []byte) []byte, extra map[string]string) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	tw := tar.NewWriter(zw)
	write := func(name string, data []byte) {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(tr)
		if data = edit(h.Name, data); data != nil {
			write(h.Name, data)
		}
	}
	for name, data := range extra {
		write(name, []byte(data))
	}
	tw.Close()
	zw.Close()
	return out.Bytes()
}

func TestBundleRoundTrip(t *testing.T) {
	ctx := context.Background()
	for _, kind := range []string{"rsa", "ec"} {
		t.Run(kind, func(t *testing.T) {
			priv, pub := testKeys(t, kind)
			b := buildBundle(t, engine.BuildOptions{Revision: "2026.11.1", SigningKey: priv})
			ps, err := engine.LoadBundle(ctx, bytes.NewReader(b), engine.BundleOptions{PublicKey: pub})
			if err != nil {
				t.Fatal(err)
			}
			if ps.Revision != "2026.11.1" {
				t.Errorf("revision %q, want the manifest's", ps.Revision)
			}
			direct, err := engine.Load(ctx, testSet(), engine.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(ps.Catalog) != len(direct.Catalog) || len(ps.Services) != len(direct.Services) {
				t.Errorf("bundle loads %d rules and %d services, directory %d and %d", len(ps.Catalog), len(ps.Services), len(direct.Catalog), len(direct.Services))
			}
			res, err := ps.RunTests(ctx, "")
			if err != nil || len(res) != 2 {
				t.Errorf("the bundle carries the Rego tests: %d results, %v", len(res), err)
			}
		})
	}
}

func TestBundleDefaultPolicySet(t *testing.T) {
	ctx := context.Background()
	priv, pub := testKeys(t, "ec")
	var buf bytes.Buffer
	bi, err := engine.BuildBundle(ctx, &buf, policies.FS, engine.BuildOptions{SigningKey: priv})
	if err != nil {
		t.Fatal(err)
	}
	direct, err := engine.Load(ctx, policies.FS, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if bi.Revision != direct.Revision {
		t.Errorf("default revision %s, want the content hash %s", bi.Revision, direct.Revision)
	}
	ps, err := engine.LoadBundle(ctx, &buf, engine.BundleOptions{PublicKey: pub})
	if err != nil {
		t.Fatal(err)
	}
	if len(ps.Catalog) != len(direct.Catalog) {
		t.Errorf("%d rules from the bundle, %d from the directory", len(ps.Catalog), len(direct.Catalog))
	}
}

func TestBundleRejected(t *testing.T) {
	ctx := context.Background()
	priv, pub := testKeys(t, "rsa")
	_, otherPub := testKeys(t, "rsa")
	signed := buildBundle(t, engine.BuildOptions{Revision: "r1", SigningKey: priv})
	unsigned := buildBundle(t, engine.BuildOptions{Revision: "r1"})
	tests := []struct {
		name string
		data []byte
		opts engine.BundleOptions
		want string
	}{
		{"wrong key", signed, engine.BundleOptions{PublicKey: otherPub}, "verification"},
		{"unsigned", unsigned, engine.BundleOptions{PublicKey: pub}, "missing .signatures.json"},
		{"no key configured", signed, engine.BundleOptions{}, "no public key"},
		{"tampered module", rewriteTar(t, signed, func(name string, d []byte) []byte {
			if strings.HasSuffix(name, "upa.rego") {
				return bytes.Replace(d, []byte("> 30"), []byte("> 300"), 1)
			}
			return d
		}, nil), engine.BundleOptions{PublicKey: pub}, "digest mismatch"},
		{"tampered data", rewriteTar(t, signed, func(name string, d []byte) []byte {
			if strings.HasSuffix(name, "data.json") {
				return bytes.Replace(d, []byte(`"labWindowDays":90`), []byte(`"labWindowDays":9000`), 1)
			}
			return d
		}, nil), engine.BundleOptions{PublicKey: pub}, "digest mismatch"},
		{"module added", rewriteTar(t, signed, func(_ string, d []byte) []byte { return d },
			map[string]string{"/rules/upa/evil.rego": "package labelguard.rules.upa\n\nx := 1\n"}), engine.BundleOptions{PublicKey: pub}, "not included in bundle signature"},
		{"module removed", rewriteTar(t, signed, func(name string, d []byte) []byte {
			if strings.HasSuffix(name, "upa_test.rego") {
				return nil
			}
			return d
		}, nil), engine.BundleOptions{PublicKey: pub}, "not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := engine.LoadBundle(ctx, bytes.NewReader(tt.data), tt.opts)
			if err == nil {
				t.Fatal("loaded")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to mention %q", err, tt.want)
			}
		})
	}
	// Authoring tools may read an unsigned bundle explicitly.
	if _, err := engine.LoadBundle(ctx, bytes.NewReader(unsigned), engine.BundleOptions{SkipVerify: true}); err != nil {
		t.Errorf("SkipVerify: %v", err)
	}
}

func TestSignBundle(t *testing.T) {
	priv, pub := testKeys(t, "ec")
	var signed bytes.Buffer
	bi, err := engine.SignBundle(bytes.NewReader(buildBundle(t, engine.BuildOptions{Revision: "r2"})), &signed, priv, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if !bi.Signed || bi.Revision != "r2" {
		t.Errorf("info %+v", bi)
	}
	ps, err := engine.LoadBundle(context.Background(), &signed, engine.BundleOptions{PublicKey: pub})
	if err != nil {
		t.Fatal(err)
	}
	if ps.Revision != "r2" {
		t.Errorf("revision %s", ps.Revision)
	}
}
