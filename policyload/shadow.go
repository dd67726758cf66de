package policyload

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/facts"
	"github.com/labelguard/labelguard/pipeline"
)

// ShadowCall is one answered call, handed to shadow evaluation.
type ShadowCall struct {
	Service string
	// Input is the derived policy input the active set was evaluated on;
	// it must not be modified afterwards.
	Input  *facts.Input
	Orders map[string]json.RawMessage
	// Active are the findings the active set returned.
	Active []engine.Finding
}

// CallFromOutcome builds the shadow call of an answered call; false when
// there is nothing to compare (no order of interest, no derived input).
func CallFromOutcome(service string, out *pipeline.Outcome) (ShadowCall, bool) {
	if out == nil || out.Input == nil || out.Result == nil {
		return ShadowCall{}, false
	}
	return ShadowCall{Service: service, Input: &out.Input.Input, Orders: out.Input.OrderResources, Active: out.Findings}, true
}

// ShadowStatus is the shadow summary in Status.
type ShadowStatus struct {
	Revision       string    `json:"revision"`
	Source         string    `json:"source"`
	ActiveRevision string    `json:"activeRevision"`
	Since          time.Time `json:"since"`
	Errors         int64     `json:"errors"`
	Dropped        int64     `json:"dropped"`
	LastError      string    `json:"lastError,omitempty"`
	Summary
}

// shadow holds the candidate, the queue and the tally.
type shadow struct {
	ps     atomic.Pointer[engine.PolicySet]
	source string
	queue  chan ShadowCall

	dropped atomic.Int64
	mu      sync.Mutex
	tally   Tally
	since   time.Time
	errors  int64
	lastErr string
	active  string
	now     func() time.Time
}

func (s *shadow) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tally = Tally{}
	s.since = s.now()
	s.errors = 0
	s.lastErr = ""
	s.dropped.Store(0)
}

func (s *shadow) status() *ShadowStatus {
	ps := s.ps.Load()
	if ps == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return &ShadowStatus{
		Revision: ps.Revision, Source: s.source, ActiveRevision: s.active, Since: s.since,
		Errors: s.errors, Dropped: s.dropped.Load(), LastError: s.lastErr, Summary: s.tally.Summary(),
	}
}

// SetShadow runs ps beside the active set (nil stops shadow mode); the
// summary starts afresh. The first call starts the shadow worker, which
// stops when ctx is done.
func (m *Manager) SetShadow(ctx context.Context, ps *engine.PolicySet, source string) {
	m.mu.Lock()
	s := m.shadowState
	if s == nil {
		s = &shadow{queue: make(chan ShadowCall, m.cfg.ShadowQueue), now: m.cfg.Now}
		m.shadowState = s
		go m.shadowWorker(ctx, s)
	}
	s.source = source
	s.ps.Store(ps)
	m.mu.Unlock()
	s.reset()
	if ps != nil {
		m.log.Info("shadow policy set", slog.String("source", source), slog.String("revision", ps.Revision))
	}
}

// SetShadowDir loads the policy directory dir (with the site parameters
// file, optional) as the shadow candidate. Its tests are not run: a
// shadow set is only observed.
func (m *Manager) SetShadowDir(ctx context.Context, dir, siteParamsFile string) error {
	var site []byte
	if siteParamsFile != "" {
		b, err := os.ReadFile(siteParamsFile)
		if err != nil {
			return fmt.Errorf("policyload.SetShadowDir: %w", err)
		}
		site = b
	}
	ps, err := engine.Load(ctx, engine.DirFS(dir), engine.Options{SiteParams: site, SiteParamsFile: siteParamsFile, Terminology: m.cfg.Terminology})
	if err != nil {
		return fmt.Errorf("policyload.SetShadowDir: %w", err)
	}
	m.SetShadow(ctx, ps, "directory "+dir)
	return nil
}

// PollShadowBundle polls a bundle as PollBundle does and makes each new,
// verified bundle the shadow candidate.
func (m *Manager) PollShadowBundle(ctx context.Context, rawURL string, publicKey []byte, every time.Duration) error {
	p, err := m.newPoller(rawURL, publicKey, every)
	if err != nil {
		return fmt.Errorf("policyload.PollShadowBundle: %w", err)
	}
	var site []byte
	if m.cfg.SiteParamsFile != "" {
		if site, err = os.ReadFile(m.cfg.SiteParamsFile); err != nil {
			return fmt.Errorf("policyload.PollShadowBundle: %w", err)
		}
	}
	record := func(outcome, _ string, err error) {
		if err != nil {
			m.log.Warn("shadow bundle poll failed", slog.String("url", rawURL), slog.String("error", err.Error()))
		}
	}
	activate := func(data []byte) error {
		ps, err := engine.LoadBundle(ctx, bytes.NewReader(data), engine.BundleOptions{PublicKey: publicKey, SiteParams: site, Terminology: m.cfg.Terminology})
		if err != nil {
			m.log.Error("shadow bundle rejected", slog.String("url", rawURL), slog.String("error", err.Error()))
			return err
		}
		m.SetShadow(ctx, ps, "bundle "+rawURL)
		return nil
	}
	_ = p.poll(ctx, record, activate)
	go p.loop(ctx, record, activate)
	return nil
}

// Shadow queues an answered call for evaluation by the shadow candidate,
// without blocking: it returns false when shadow mode is off or the queue
// is full (the call is dropped and counted). Call it after the response
// is written; the candidate's cards never reach the EHR.
func (m *Manager) Shadow(call ShadowCall) bool {
	m.mu.Lock()
	s := m.shadowState
	m.mu.Unlock()
	if s == nil || s.ps.Load() == nil || call.Input == nil {
		return false
	}
	select {
	case s.queue <- call:
		return true
	default:
		s.dropped.Add(1)
		return false
	}
}

// ShadowOutcome is Shadow for a pipeline outcome.
func (m *Manager) ShadowOutcome(service string, out *pipeline.Outcome) bool {
	call, ok := CallFromOutcome(service, out)
	if !ok {
		return false
	}
	return m.Shadow(call)
}

func (m *Manager) shadowWorker(ctx context.Context, s *shadow) {
	for {
		select {
		case <-ctx.Done():
			return
		case call := <-s.queue:
			m.shadowOne(ctx, s, call)
		}
	}
}

func (m *Manager) shadowOne(ctx context.Context, s *shadow, call ShadowCall) {
	ps := s.ps.Load()
	if ps == nil {
		return
	}
	active := ""
	if a := m.cfg.Active.Load(); a != nil {
		active = a.Revision
	}
	ectx, cancel := context.WithTimeout(ctx, m.cfg.ShadowTimeout)
	defer cancel()
	res, err := ps.Evaluate(ectx, engine.Request{Service: call.Service, Input: call.Input, Orders: call.Orders})
	s.mu.Lock()
	defer s.mu.Unlock()
	s.active = active
	if err != nil {
		s.errors++
		s.lastErr = err.Error()
		return
	}
	if m.cfg.OnShadowResult != nil {
		m.cfg.OnShadowResult(call.Service, call.Input, ps.Revision, res)
	}
	changes := Compare(call.Active, res.Findings)
	s.tally.Add(changes)
	if m.cfg.OnShadowChange != nil {
		for _, c := range changes {
			m.cfg.OnShadowChange(call.Service, c)
		}
	}
}
