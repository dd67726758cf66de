package engine

import (
	"io/fs"
	"os"
	"path/filepath"
)

// DirFS opens a policy directory. A directory mounted from a Kubernetes
// ConfigMap holds the files under a hidden, timestamped directory reached
// through the symlink "..data", with top-level symlinks into it; walking it
// directly would skip the symlinked subdirectories and could read the hidden
// copy too. DirFS reads through "..data" when it exists, resolved at each
// call, so that a reload after the kubelet swaps the symlink sees the new
// files.
func DirFS(dir string) fs.FS {
	data := filepath.Join(dir, "..data")
	if st, err := os.Stat(data); err == nil && st.IsDir() {
		if real, err := filepath.EvalSymlinks(data); err == nil {
			return os.DirFS(real)
		}
	}
	return os.DirFS(dir)
}
