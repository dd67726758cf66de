package store_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/labelguard/labelguard/store"
)

// TestDeferredOpensWhenTheDatabaseComesBack starts with a data directory
// that cannot hold a database, then fixes it: writes fail with ErrNotOpen
// until the next retry opens the database.
func TestDeferredOpensWhenTheDatabaseComesBack(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.WriteFile(dir, []byte("not a directory"), 0o600); err != nil {
		t.Fatal(err)
	}
	d := store.NewDeferred(store.Config{DataDir: dir}, time.Millisecond)
	defer d.Close()
	ctx := context.Background()
	if err := d.Open(ctx); !errors.Is(err, store.ErrNotOpen) {
		t.Fatalf("Open = %v, want ErrNotOpen", err)
	}
	if err := d.Ping(ctx); !errors.Is(err, store.ErrNotOpen) {
		t.Fatalf("Ping = %v, want ErrNotOpen", err)
	}
	if err := os.Remove(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond) // let the retry interval pass
	if err := d.Ping(ctx); err != nil {
		t.Fatalf("Ping after recovery = %v", err)
	}
	if d.Backend() != "sqlite" {
		t.Errorf("backend %s", d.Backend())
	}
}
