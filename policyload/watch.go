package policyload

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/labelguard/labelguard/engine"
)

// WatchDir serves the policy directory dir with the site parameters file
// siteParamsFile (optional) and reloads both on change. It makes a first
// attempt at once (an unchanged set is left alone) and returns an error
// when the watch cannot be set up, or when that first attempt is rejected
// while nothing else is serving. The watch runs until ctx is done.
func (m *Manager) WatchDir(ctx context.Context, dir, siteParamsFile string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("policyload.WatchDir: %w", err)
	}
	if st, err := os.Stat(abs); err != nil || !st.IsDir() {
		return fmt.Errorf("policyload.WatchDir: %s is not a directory", dir)
	}
	site := ""
	if siteParamsFile != "" {
		if site, err = filepath.Abs(siteParamsFile); err != nil {
			return fmt.Errorf("policyload.WatchDir: %w", err)
		}
	}
	c := m.dirCandidate(abs, site)
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("policyload.WatchDir: %w", err)
	}
	if err := addTree(w, abs); err != nil {
		w.Close()
		return fmt.Errorf("policyload.WatchDir: %w", err)
	}
	if site != "" {
		if err := w.Add(filepath.Dir(site)); err != nil {
			w.Close()
			return fmt.Errorf("policyload.WatchDir: site parameters: %w", err)
		}
	}
	if err := m.attempt(ctx, c); err != nil && m.cfg.Active.Load() == nil {
		w.Close()
		return fmt.Errorf("policyload.WatchDir: %w", err)
	}
	go m.watchLoop(ctx, w, abs, func() {
		// A fresh candidate each time: the scenario directory may appear.
		_ = m.attempt(ctx, m.dirCandidate(abs, site))
	})
	return nil
}

func (m *Manager) dirCandidate(dir, site string) *candidate {
	scen := m.cfg.ScenarioDir
	switch scen {
	case "-":
		scen = ""
	case "":
		if st, err := os.Stat(filepath.Join(dir, "testdata", "scenarios")); err == nil && st.IsDir() {
			scen = filepath.Join(dir, "testdata", "scenarios")
		}
	}
	return &candidate{
		source:      "directory " + dir,
		scenarioDir: scen,
		siteFile:    site,
		load: func(ctx context.Context, siteParams []byte) (*engine.PolicySet, error) {
			return engine.Load(ctx, engine.DirFS(dir), engine.Options{SiteParams: siteParams, SiteParamsFile: site, Terminology: m.cfg.Terminology})
		},
		files: func() (fs.FS, error) { return engine.DirFS(dir), nil },
	}
}

// addTree watches dir and every directory below it (fsnotify does not
// recurse), skipping hidden ones.
func addTree(w *fsnotify.Watcher, dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if p != dir && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir
		}
		return w.Add(p)
	})
}

// watchLoop calls reload once the watched paths have been quiet for the
// debounce interval after a change.
func (m *Manager) watchLoop(ctx context.Context, w *fsnotify.Watcher, root string, reload func()) {
	defer w.Close()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case ev, ok := <-w.Events:
			if !ok {
				return
			}
			if ev.Op == fsnotify.Chmod {
				continue
			}
			if root != "" && ev.Op.Has(fsnotify.Create) {
				if st, err := os.Stat(ev.Name); err == nil && st.IsDir() && strings.HasPrefix(ev.Name, root) {
					if err := addTree(w, ev.Name); err != nil {
						m.log.Warn("policy watch: cannot watch new directory", slog.String("dir", ev.Name), slog.String("error", err.Error()))
					}
				}
			}
			timer.Reset(m.cfg.Debounce)
		case err, ok := <-w.Errors:
			if !ok {
				return
			}
			if !errors.Is(err, fsnotify.ErrEventOverflow) {
				m.log.Warn("policy watch error", slog.String("error", err.Error()))
			}
			timer.Reset(m.cfg.Debounce)
		case <-timer.C:
			reload()
		}
	}
}

// watchSiteParams re-activates the last good candidate when the site
// parameters file changes (bundle mode; WatchDir covers its own).
func (m *Manager) watchSiteParams(ctx context.Context, file string) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	if err := w.Add(filepath.Dir(file)); err != nil {
		w.Close()
		return err
	}
	go m.watchLoop(ctx, w, "", func() {
		m.mu.Lock()
		c := m.lastGood
		m.mu.Unlock()
		if c != nil {
			_ = m.attempt(ctx, c)
		}
	})
	return nil
}
