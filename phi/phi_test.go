package phi

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var key1 = []byte("0123456789abcdef0123456789abcdef")

func TestHash(t *testing.T) {
	h, err := NewHasher(key1)
	if err != nil {
		t.Fatal(err)
	}
	id := "pat-12345"
	a, b := h.Hash(id), h.Hash(id)
	if a != b {
		t.Errorf("same id hashed differently: %s %s", a, b)
	}
	if len(a) != HashLen || strings.Trim(a, "0123456789abcdef") != "" {
		t.Errorf("hash %q is not %d lower-case hex characters", a, HashLen)
	}
	if strings.Contains(a, id) || strings.Contains(a, "12345") {
		t.Errorf("hash %q contains the id", a)
	}
	if h.Hash("pat-12346") == a {
		t.Error("different ids hashed the same")
	}
	h2, err := NewHasher([]byte("another key, 16+ bytes long"))
	if err != nil {
		t.Fatal(err)
	}
	if h2.Hash(id) == a {
		t.Error("a different key gave the same hash")
	}
	if h.Hash("") != "" {
		t.Error("the empty id should stay empty")
	}
}

func TestHashRef(t *testing.T) {
	h, _ := NewHasher(key1)
	got := h.HashRef("MedicationRequest/order-77")
	if !strings.HasPrefix(got, "MedicationRequest/") || strings.Contains(got, "order-77") {
		t.Errorf("HashRef = %q", got)
	}
	if got != h.HashRef("MedicationRequest/order-77") {
		t.Error("HashRef is not deterministic")
	}
	if strings.Contains(h.HashRef("noslash-77"), "77") {
		t.Error("a bare id leaked")
	}
}

func TestConcurrentHash(t *testing.T) {
	h, _ := NewHasher(key1)
	want := h.Hash("x")
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				if h.Hash("x") != want {
					t.Error("concurrent hash differs")
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestShortKeyRefused(t *testing.T) {
	if _, err := NewHasher([]byte("short")); !errors.Is(err, ErrShortKey) {
		t.Errorf("err = %v, want ErrShortKey", err)
	}
}

func TestLoadKey(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "key")
	if err := os.WriteFile(p, append(key1, '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
	k, err := LoadKey(p)
	if err != nil {
		t.Fatal(err)
	}
	if string(k) != string(key1) {
		t.Errorf("LoadKey = %q", k)
	}
	if err := os.WriteFile(p, []byte("  tiny \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKey(p); !errors.Is(err, ErrShortKey) {
		t.Errorf("short key file: err = %v", err)
	}
	if _, err := LoadKey(filepath.Join(dir, "missing")); err == nil {
		t.Error("missing file accepted")
	}
}

func BenchmarkHash(b *testing.B) {
	h, _ := NewHasher(key1)
	for b.Loop() {
		h.Hash("pat-12345")
	}
}
