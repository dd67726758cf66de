package policyload

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"time"

	"github.com/labelguard/labelguard/engine"
)

// BundleStatus reports bundle polling.
type BundleStatus struct {
	URL         string    `json:"url"`
	ETag        string    `json:"etag,omitempty"`
	LastPoll    time.Time `json:"lastPoll"`
	LastOutcome string    `json:"lastOutcome"` // downloaded, not-modified, error
	LastError   string    `json:"lastError,omitempty"`
	Polls       int       `json:"polls"`
}

// PollBundle serves the OPA bundle at rawURL, verified with the PEM
// publicKey, and polls it every interval with If-None-Match (a 304 does
// nothing). A downloaded bundle goes through the same gate as a directory
// (its Rego tests run; bundles carry no scenarios); one whose signature is
// missing or wrong is never activated. Config.SiteParamsFile, when set, is
// applied and watched. The first poll happens before PollBundle returns;
// it returns an error when the settings are wrong, or when that first poll
// yields nothing to serve and nothing else is serving.
func (m *Manager) PollBundle(ctx context.Context, rawURL string, publicKey []byte, every time.Duration) error {
	p, err := m.newPoller(rawURL, publicKey, every)
	if err != nil {
		return fmt.Errorf("policyload.PollBundle: %w", err)
	}
	m.mu.Lock()
	m.bundle = &BundleStatus{URL: rawURL}
	m.mu.Unlock()
	site := ""
	if m.cfg.SiteParamsFile != "" {
		if site, err = filepath.Abs(m.cfg.SiteParamsFile); err != nil {
			return fmt.Errorf("policyload.PollBundle: %w", err)
		}
		if err := m.watchSiteParams(ctx, site); err != nil {
			return fmt.Errorf("policyload.PollBundle: site parameters: %w", err)
		}
	}
	activate := func(data []byte) error {
		return m.attempt(ctx, m.bundleCandidate(rawURL, data, publicKey, site))
	}
	err = p.poll(ctx, m.recordPoll, activate)
	if err != nil && m.cfg.Active.Load() == nil {
		return fmt.Errorf("policyload.PollBundle: %w", err)
	}
	go p.loop(ctx, m.recordPoll, activate)
	return nil
}

func (m *Manager) bundleCandidate(rawURL string, data, publicKey []byte, site string) *candidate {
	sum := sha256.Sum256(data)
	return &candidate{
		source:   "bundle " + rawURL,
		digest:   "sha256:" + hex.EncodeToString(sum[:8]),
		siteFile: site,
		load: func(ctx context.Context, siteParams []byte) (*engine.PolicySet, error) {
			return engine.LoadBundle(ctx, bytes.NewReader(data), engine.BundleOptions{PublicKey: publicKey, SiteParams: siteParams, SiteParamsFile: site, Terminology: m.cfg.Terminology})
		},
		files: func() (fs.FS, error) {
			fsys, _, err := engine.ReadBundle(bytes.NewReader(data), engine.BundleOptions{PublicKey: publicKey})
			return fsys, err
		},
	}
}

func (m *Manager) recordPoll(outcome, etag string, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.bundle == nil {
		return
	}
	b := m.bundle
	b.Polls++
	b.LastPoll = m.cfg.Now()
	b.LastOutcome = outcome
	b.LastError = ""
	if err != nil {
		b.LastError = err.Error()
	}
	if etag != "" {
		b.ETag = etag
	}
}

// poller fetches one bundle URL with ETags.
type poller struct {
	url      string
	every    time.Duration
	client   *http.Client
	maxBytes int64
	log      *slog.Logger
	etag     string
}

func (m *Manager) newPoller(rawURL string, publicKey []byte, every time.Duration) (*poller, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("bundle URL %q: want an http or https URL", rawURL)
	}
	if len(publicKey) == 0 {
		return nil, errors.New("a public key is required: a bundle is only activated with a verified signature")
	}
	if every <= 0 {
		every = time.Minute
	}
	return &poller{url: rawURL, every: every, client: m.cfg.HTTPClient, maxBytes: m.cfg.MaxBundleBytes, log: m.log}, nil
}

func (p *poller) loop(ctx context.Context, record func(string, string, error), activate func([]byte) error) {
	t := time.NewTicker(p.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			_ = p.poll(ctx, record, activate)
		}
	}
}

// poll makes one conditional GET; a new bundle is handed to activate.
func (p *poller) poll(ctx context.Context, record func(string, string, error), activate func([]byte) error) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.url, nil)
	if err != nil {
		record("error", "", err)
		return err
	}
	if p.etag != "" {
		req.Header.Set("If-None-Match", p.etag)
	}
	req.Header.Set("Accept", "application/gzip, application/octet-stream")
	resp, err := p.client.Do(req)
	if err != nil {
		err = fmt.Errorf("fetch bundle: %w", err)
		record("error", "", err)
		p.log.Warn("bundle poll failed", slog.String("url", p.url), slog.String("error", err.Error()))
		return err
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusNotModified:
		record("not-modified", "", nil)
		return nil
	case http.StatusOK:
	default:
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		err := fmt.Errorf("fetch bundle: %s", resp.Status)
		record("error", "", err)
		p.log.Warn("bundle poll failed", slog.String("url", p.url), slog.String("error", err.Error()))
		return err
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, p.maxBytes+1))
	if err == nil && int64(len(data)) > p.maxBytes {
		err = fmt.Errorf("bundle larger than %d bytes", p.maxBytes)
	}
	if err != nil {
		err = fmt.Errorf("fetch bundle: %w", err)
		record("error", "", err)
		return err
	}
	etag := resp.Header.Get("ETag")
	// Remember the ETag even when the bundle is rejected: the same bad
	// bundle is not downloaded and rejected again on every poll.
	p.etag = etag
	record("downloaded", etag, nil)
	return activate(data)
}
