package policyload

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// kubeletVolume reproduces how the kubelet projects a ConfigMap volume
// (pkg/volume/util AtomicWriter): the files live in a timestamped
// directory "..<timestamp>", "..data" is a symlink to it, and each
// top-level name is a symlink through "..data". An update writes a new
// timestamped directory, points "..data_tmp" at it, renames "..data_tmp"
// over "..data" (the atomic step), fixes the top-level links and removes
// the old directory.
type kubeletVolume struct {
	t    *testing.T
	root string
}

func (v *kubeletVolume) project(src string) {
	t := v.t
	t.Helper()
	ts, err := os.MkdirTemp(v.root, time.Now().UTC().Format("..2006_01_02_15_04_05."))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(ts, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(v.root, "..data")
	old, _ := os.Readlink(data)
	tmp := filepath.Join(v.root, "..data_tmp")
	if err := os.Symlink(filepath.Base(ts), tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, data); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, e := range entries {
		want[e.Name()] = true
		link := filepath.Join(v.root, e.Name())
		if _, err := os.Lstat(link); err != nil {
			if err := os.Symlink(filepath.Join("..data", e.Name()), link); err != nil {
				t.Fatal(err)
			}
		}
	}
	cur, err := os.ReadDir(v.root)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range cur {
		if !strings.HasPrefix(e.Name(), "..") && !want[e.Name()] {
			if err := os.Remove(filepath.Join(v.root, e.Name())); err != nil {
				t.Fatal(err)
			}
		}
	}
	if old != "" {
		if err := os.RemoveAll(filepath.Join(v.root, old)); err != nil {
			t.Fatal(err)
		}
	}
}

// waitStatus polls the manager's status until cond holds; the minute is
// a hang guard, not a performance bound.
func waitStatus(t *testing.T, m *Manager, what string, cond func(Status) bool) Status {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		st := m.Status()
		if cond(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s: status %+v, last attempt %+v", what, st, st.LastAttempt)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestWatchDirFollowsKubeletConfigMapSwap serves a policy ConfigMap as the
// kubelet mounts it (without tests and fixtures, as docs/operations.md has
// it built) and swaps its content three times: a changed set is activated,
// a broken one is refused while the changed set keeps serving and /status
// keeps the refused attempt beside the running revision, and a fixed one
// is activated with the refusal still on record.
func TestWatchDirFollowsKubeletConfigMapSwap(t *testing.T) {
	if testing.Short() {
		t.Skip("fsnotify end-to-end")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	src := copyDir(t, "../policies", "testdata")
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, "_test.rego") {
			err = os.Remove(p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	vol := &kubeletVolume{t: t, root: t.TempDir()}
	vol.project(src)
	first := loadDir(t, filepath.Join(vol.root, "..data"))

	m := newManager(t, first, nil)
	if err := m.WatchDir(ctx, vol.root, ""); err != nil {
		t.Fatal(err)
	}
	if st := m.Status(); st.Revision != first.Revision || st.LastRejected != nil {
		t.Fatalf("status after WatchDir: %+v", st)
	}

	labs := filepath.Join(src, "rules", "jak", "labs.rego")
	orig, err := os.ReadFile(labs)
	if err != nil {
		t.Fatal(err)
	}
	write := func(content string) {
		if err := os.WriteFile(labs, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	write(string(orig) + "\n# ConfigMap revision 2\n")
	second := loadDir(t, src)
	vol.project(src)
	st := waitStatus(t, m, "activation of the second ConfigMap content", func(st Status) bool { return st.Revision == second.Revision })
	if st.LastAttempt.Outcome != OutcomeActivated || st.LastRejected != nil {
		t.Errorf("after the second content: %+v", st)
	}

	write(string(orig) + "\nthis is not rego {{\n")
	vol.project(src)
	st = waitStatus(t, m, "refusal of the broken content", func(st Status) bool { return st.LastRejected != nil })
	if st.Revision != second.Revision || !strings.Contains(st.LastRejected.Error, "labs.rego") {
		t.Errorf("after the broken content: running %s (want %s), refused %+v", st.Revision, second.Revision, st.LastRejected)
	}
	refused := *st.LastRejected

	write(string(orig) + "\n# ConfigMap revision 4\n")
	fourth := loadDir(t, src)
	vol.project(src)
	st = waitStatus(t, m, "activation of the fixed content", func(st Status) bool { return st.Revision == fourth.Revision })
	if st.LastRejected == nil || st.LastRejected.Time != refused.Time || st.LastRejected.Error != refused.Error {
		t.Errorf("the refusal is no longer on record after a later activation: %+v", st.LastRejected)
	}
	if st.Reloads[OutcomeActivated] < 2 || st.Reloads[OutcomeRejected] != 1 {
		t.Errorf("reloads %v", st.Reloads)
	}
}
