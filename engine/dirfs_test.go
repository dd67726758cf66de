package engine_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/labelguard/labelguard/engine"
)

// TestDirFSReadsAConfigMapMount lays out a directory the way the kubelet
// mounts a ConfigMap (files under ..<timestamp>, "..data" and top-level
// symlinks) and loads the policy set from it.
func TestDirFSReadsAConfigMapMount(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	stamp := filepath.Join(dir, "..2026_11_23_12_00_00.123")
	for p, f := range testSet() {
		full := filepath.Join(stamp, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Base(stamp), filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(stamp)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if err := os.Symlink(filepath.Join("..data", e.Name()), filepath.Join(dir, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	// Read directly, the symlinked directories are not walked.
	if _, err := engine.Load(context.Background(), os.DirFS(dir), engine.Options{}); err == nil {
		t.Log("os.DirFS happened to work on this layout")
	}
	ps, err := engine.Load(context.Background(), engine.DirFS(dir), engine.Options{})
	if err != nil {
		t.Fatalf("load through ..data: %v", err)
	}
	if ps.Catalog["upadacitinib.dose-max"] == nil {
		t.Error("rule missing")
	}
	if _, err := fs.Stat(engine.DirFS(t.TempDir()), "."); err != nil {
		t.Errorf("a plain directory: %v", err)
	}
}
