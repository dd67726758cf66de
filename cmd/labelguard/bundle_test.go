package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBundleBuildSignVerify(t *testing.T) {
	dir := t.TempDir()
	priv, pub := writeKeys(t, dir)
	_, otherPub := writeKeys(t, t.TempDir())
	b := filepath.Join(dir, "b.tar.gz")
	if _, _, err := runCmd(t, newBundleCmd(), "build", "--revision", "r1", "-o", b); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runCmd(t, newBundleCmd(), "verify", "--public-key", pub, b); err == nil || !strings.Contains(err.Error(), "missing .signatures.json") {
		t.Errorf("unsigned bundle verified: %v", err)
	}
	// eval reads an unsigned bundle without a key, with a warning.
	_, errOut, err := runCmd(t, newEvalCmd(), "--bundle", b, "--request", lowANCRequest, "--now", "2026-11-23T12:00:00Z")
	if err != nil || !strings.Contains(errOut, "signature not verified") {
		t.Errorf("eval of an unsigned bundle: %v %s", err, errOut)
	}
	signed := filepath.Join(dir, "signed.tar.gz")
	if _, _, err := runCmd(t, newBundleCmd(), "sign", "--key", priv, "-o", signed, b); err != nil {
		t.Fatal(err)
	}
	out, _, err := runCmd(t, newBundleCmd(), "verify", "--public-key", pub, signed)
	if err != nil || !strings.Contains(out, "revision r1") {
		t.Errorf("verify: %v %s", err, out)
	}
	if _, _, err := runCmd(t, newBundleCmd(), "verify", "--public-key", otherPub, signed); err == nil {
		t.Error("verified with the wrong key")
	}
	if _, _, err := runCmd(t, newEvalCmd(), "--bundle", signed, "--bundle-public-key", otherPub, "--request", lowANCRequest); err == nil {
		t.Error("eval accepted a bundle signed with another key")
	}
	if st, err := os.Stat(signed); err != nil || st.Size() == 0 {
		t.Error("no signed bundle written")
	}
}
