package policyload

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/facts"
	"github.com/labelguard/labelguard/scenario"
	"github.com/labelguard/labelguard/terminology"
)

// Outcomes of a reload attempt (the outcome label of
// labelguard_policy_reload_total).
const (
	OutcomeActivated = "activated"
	OutcomeRejected  = "rejected"
	// OutcomeUnchanged: the candidate is what is already serving; nothing
	// was done. Not reported to OnReload.
	OutcomeUnchanged = "unchanged"
)

// Config configures a Manager.
type Config struct {
	// Active is the holder the HTTP layer evaluates against. Required.
	Active *engine.Active
	// Logger receives activations and rejections (no patient data).
	Logger *slog.Logger
	// OnReload is called after each attempt that activated or rejected a
	// set, with the outcome; wire it to labelguard_policy_reload_total.
	OnReload func(outcome string)
	// OnActivate is called with every set put in service (e.g. to update
	// labelguard_policy_revision_info).
	OnActivate func(ps *engine.PolicySet)
	// OnShadowChange is called for every card difference shadow mode
	// finds (metrics, audit); it must not block.
	OnShadowChange func(service string, c Change)
	// OnShadowResult is called with every shadow evaluation (the candidate
	// set's revision and result), so that its cards can be audited beside
	// the active set's; it must not block.
	OnShadowResult func(service string, in *facts.Input, revision string, res *engine.Result)
	// Debounce is how long a directory must be quiet before a reload
	// (default 500ms): an editor's save or a git checkout is one reload.
	Debounce time.Duration
	// ScenarioDir is the scenario directory run on a directory candidate;
	// default <dir>/testdata/scenarios when it exists; "-" runs none.
	ScenarioDir string
	// SiteParamsFile is the site parameters file applied to bundles
	// (WatchDir takes its own); it is watched for changes.
	SiteParamsFile string
	// Terminology is the site terminology every set is loaded with
	// (serve --terminology, read once at start; a new one needs a restart).
	Terminology *terminology.Site
	// HTTPClient polls bundles (default: 30s timeout).
	HTTPClient *http.Client
	// MaxBundleBytes bounds a downloaded bundle (default 64 MiB).
	MaxBundleBytes int64
	// ShadowQueue bounds the calls waiting for shadow evaluation
	// (default 256); a call that finds the queue full is dropped and
	// counted.
	ShadowQueue int
	// ShadowTimeout bounds one shadow evaluation (default 2s).
	ShadowTimeout time.Duration
	// Now is the clock (tests fix it).
	Now func() time.Time
}

// Manager activates policy sets that pass the gate and reports on them.
// Its methods are safe for concurrent use.
type Manager struct {
	cfg Config
	log *slog.Logger

	attemptMu sync.Mutex // serializes attempts

	mu          sync.Mutex
	source      string
	digest      string // source digest + site parameters digest of the active set
	loadedAt    time.Time
	site        *SiteParams
	last        *Attempt
	rejected    *Attempt // the last attempt refused, kept after later ones
	counts      map[string]int
	bundle      *BundleStatus
	lastGood    *candidate // re-activated when the site parameters change
	shadowState *shadow
}

// Attempt is one reload attempt.
type Attempt struct {
	Time     time.Time `json:"time"`
	Source   string    `json:"source"`
	Outcome  string    `json:"outcome"`
	Revision string    `json:"revision,omitempty"`
	Error    string    `json:"error,omitempty"`
	// Check, Tests and Scenarios count the checks the candidate went
	// through (Check counts the errors `labelguard check` found).
	Check      *Counts `json:"check,omitempty"`
	Tests      *Counts `json:"tests,omitempty"`
	Scenarios  *Counts `json:"scenarios,omitempty"`
	DurationMS int64   `json:"durationMs"`
}

// Counts of passed and failed tests.
type Counts struct {
	Passed int `json:"passed"`
	Failed int `json:"failed"`
}

// SiteParams describes the site parameters of the active set.
type SiteParams struct {
	File         string     `json:"file,omitempty"`
	Digest       string     `json:"digest,omitempty"`
	Jurisdiction string     `json:"jurisdiction,omitempty"`
	Overrides    []Override `json:"overrides"`
}

// Override is a rule a site switched off or lowered.
type Override struct {
	Rule      string `json:"rule"`
	Disabled  bool   `json:"disabled,omitempty"`
	Indicator string `json:"indicator,omitempty"`
}

// Status is what /status shows about policies. It is JSON-able.
type Status struct {
	Revision    string         `json:"revision"`
	Source      string         `json:"source"`
	LoadedAt    time.Time      `json:"loadedAt"`
	Rules       int            `json:"rules"`
	Reloads     map[string]int `json:"reloads"`
	LastAttempt *Attempt       `json:"lastAttempt,omitempty"`
	SiteParams  SiteParams     `json:"siteParams"`
	Bundle      *BundleStatus  `json:"bundle,omitempty"`
	Shadow      *ShadowStatus  `json:"shadow,omitempty"`
	// Content is, per drug, the label revisions the active set follows
	// and how old its last review is; ContentOverdue names the drugs
	// whose review is older than the site's contentReviewMonths.
	Content        []engine.ContentReview `json:"content"`
	ContentOverdue []string               `json:"contentOverdue"`

	// LastRejected is the last candidate refused, kept when later attempts
	// activate or find nothing new, so that what was refused and why stays
	// visible beside the running Revision. Its revision is empty when the
	// candidate did not load (its error names the file).
	LastRejected *Attempt `json:"lastRejected,omitempty"`
}

// New returns a Manager for cfg.Active; the set it holds (if any) is the
// starting point, reported with source "startup".
func New(cfg Config) (*Manager, error) {
	if cfg.Active == nil {
		return nil, errors.New("policyload.New: Config.Active is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Debounce <= 0 {
		cfg.Debounce = 500 * time.Millisecond
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.MaxBundleBytes <= 0 {
		cfg.MaxBundleBytes = 64 << 20
	}
	if cfg.ShadowQueue <= 0 {
		cfg.ShadowQueue = 256
	}
	if cfg.ShadowTimeout <= 0 {
		cfg.ShadowTimeout = 2 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	m := &Manager{cfg: cfg, log: cfg.Logger, counts: map[string]int{}, source: "startup", loadedAt: cfg.Now()}
	if ps := cfg.Active.Load(); ps != nil {
		m.site = siteParams(ps, "", nil)
	}
	return m, nil
}

// Status reports the active set, the last attempt, the site overrides,
// bundle polling and the shadow summary.
func (m *Manager) Status() Status {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := Status{Source: m.source, LoadedAt: m.loadedAt, Reloads: map[string]int{}}
	for k, v := range m.counts {
		st.Reloads[k] = v
	}
	st.Content, st.ContentOverdue = []engine.ContentReview{}, []string{}
	if ps := m.cfg.Active.Load(); ps != nil {
		st.Revision = ps.Revision
		st.Rules = len(ps.Catalog)
		st.Content = ps.ContentReviews(m.cfg.Now())
		for _, c := range st.Content {
			if c.Overdue {
				st.ContentOverdue = append(st.ContentOverdue, c.Drug)
			}
		}
	}
	if m.last != nil {
		a := *m.last
		st.LastAttempt = &a
	}
	if m.rejected != nil {
		a := *m.rejected
		st.LastRejected = &a
	}
	if m.site != nil {
		st.SiteParams = *m.site
	}
	if st.SiteParams.Overrides == nil {
		st.SiteParams.Overrides = []Override{}
	}
	if m.bundle != nil {
		b := *m.bundle
		st.Bundle = &b
	}
	if m.shadowState != nil {
		st.Shadow = m.shadowState.status()
	}
	return st
}

// candidate is a policy set to go through the gate.
type candidate struct {
	source string
	// digest identifies the content (a directory's revision, a bundle's
	// SHA-256), so that an unchanged candidate is not activated again.
	digest string
	load   func(ctx context.Context, siteParams []byte) (*engine.PolicySet, error)
	// files opens the candidate's files for `check`.
	files       func() (fs.FS, error)
	scenarioDir string
	siteFile    string
}

// ErrRejected wraps the reason a candidate was refused.
var ErrRejected = errors.New("policy set rejected")

// attempt runs the gate on c and activates it when it passes. It returns
// nil when the candidate was activated or unchanged.
func (m *Manager) attempt(ctx context.Context, c *candidate) error {
	m.attemptMu.Lock()
	defer m.attemptMu.Unlock()
	start := m.cfg.Now()
	a := &Attempt{Time: start, Source: c.source}
	finish := func(outcome string, err error) error {
		a.Outcome = outcome
		a.DurationMS = time.Since(start).Milliseconds()
		if err != nil {
			a.Error = err.Error()
		}
		m.mu.Lock()
		m.last = a
		if outcome == OutcomeRejected {
			m.rejected = a
		}
		m.counts[outcome]++
		m.mu.Unlock()
		switch outcome {
		case OutcomeRejected:
			m.log.Error("policy set rejected; the last good set keeps serving",
				slog.String("source", c.source), slog.String("revision", a.Revision), slog.String("error", a.Error))
		case OutcomeActivated:
			m.log.Info("policy set activated", slog.String("source", c.source), slog.String("revision", a.Revision))
		}
		if outcome != OutcomeUnchanged && m.cfg.OnReload != nil {
			m.cfg.OnReload(outcome)
		}
		if err != nil {
			return fmt.Errorf("%w: %s: %w", ErrRejected, c.source, err)
		}
		return nil
	}

	var site []byte
	if c.siteFile != "" {
		b, err := os.ReadFile(c.siteFile)
		if err != nil {
			return finish(OutcomeRejected, fmt.Errorf("site parameters: %w", err))
		}
		site = b
	}
	digest := c.digest + "+" + digestOf(site)
	authored, err := c.load(ctx, nil)
	if err != nil {
		return finish(OutcomeRejected, fmt.Errorf("load: %w", err))
	}
	a.Revision = authored.Revision
	if c.digest == "" {
		digest = authored.Revision + "+" + digestOf(site)
	}
	m.mu.Lock()
	same := digest == m.digest && m.cfg.Active.Load() != nil
	m.mu.Unlock()
	if same {
		return finish(OutcomeUnchanged, nil)
	}
	// check finds what compiles but would fail at run time (a typo in a
	// finding's rule ID, a package no service reaches, a map lacking a
	// drug): such a set is refused here, not found by a patient's call.
	if c.files != nil {
		if err := runCheck(ctx, c.files, a); err != nil {
			return finish(OutcomeRejected, err)
		}
	}
	// The tests check the policy set as authored: site parameters change
	// windows and switch rules off, which the tests do not know about.
	results, err := authored.RunTests(ctx, "")
	if err != nil {
		return finish(OutcomeRejected, fmt.Errorf("rego tests: %w", err))
	}
	a.Tests = &Counts{}
	var failed []string
	for _, r := range results {
		if r.Pass || r.Skip {
			a.Tests.Passed++
			continue
		}
		a.Tests.Failed++
		failed = append(failed, fmt.Sprintf("%s.%s (%s)", r.Package, r.Name, r.Location))
	}
	if len(failed) > 0 {
		return finish(OutcomeRejected, fmt.Errorf("%d of %d Rego tests failed: %s", len(failed), len(results), firstN(failed, 5)))
	}
	if c.scenarioDir != "" {
		if err := runScenarios(ctx, authored, c.scenarioDir, a); err != nil {
			return finish(OutcomeRejected, err)
		}
	}
	ps := authored
	if site != nil {
		if ps, err = c.load(ctx, site); err != nil {
			return finish(OutcomeRejected, fmt.Errorf("load with site parameters %s: %w", c.siteFile, err))
		}
	}
	m.cfg.Active.Store(ps)
	m.mu.Lock()
	m.digest = digest
	m.source = c.source
	m.loadedAt = m.cfg.Now()
	m.site = siteParams(ps, c.siteFile, site)
	m.lastGood = c
	if m.shadowState != nil {
		m.shadowState.reset()
	}
	m.mu.Unlock()
	if m.cfg.OnActivate != nil {
		m.cfg.OnActivate(ps)
	}
	return finish(OutcomeActivated, nil)
}

// runCheck runs engine.Check on the candidate's files and refuses it on
// any error, naming the first few (file:line and message).
func runCheck(ctx context.Context, files func() (fs.FS, error), a *Attempt) error {
	fsys, err := files()
	if err != nil {
		return fmt.Errorf("check: %w", err)
	}
	rep, err := engine.Check(ctx, fsys)
	if err != nil {
		return fmt.Errorf("check: %w", err)
	}
	a.Check = &Counts{}
	var failed []string
	for _, p := range rep.Problems {
		if p.Severity == engine.SeverityWarning {
			continue
		}
		a.Check.Failed++
		failed = append(failed, p.String())
	}
	if len(failed) > 0 {
		return fmt.Errorf("check found %d error(s): %s", len(failed), firstN(failed, 5))
	}
	return nil
}

func runScenarios(ctx context.Context, ps *engine.PolicySet, dir string, a *Attempt) error {
	all, err := scenario.Load(dir)
	if err != nil {
		return fmt.Errorf("scenarios: %w", err)
	}
	a.Scenarios = &Counts{}
	var failed []string
	for _, s := range all {
		res, err := scenario.Run(ctx, ps, s)
		switch {
		case err != nil:
			failed = append(failed, err.Error())
		case !res.Passed():
			failed = append(failed, res.String())
		default:
			a.Scenarios.Passed++
			continue
		}
		a.Scenarios.Failed++
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d scenarios failed: %s", len(failed), len(all), firstN(failed, 3))
	}
	return nil
}

// siteParams describes the site parameters of ps.
func siteParams(ps *engine.PolicySet, file string, data []byte) *SiteParams {
	sp := &SiteParams{File: file, Overrides: []Override{}}
	if data != nil {
		sp.Digest = digestOf(data)
	}
	if v, err := ps.Query(context.Background(), "data.labelguard.params.jurisdiction", nil); err == nil {
		sp.Jurisdiction, _ = v.(string)
	}
	for _, r := range ps.Rules() {
		if r.Disabled || r.IndicatorOverride != "" {
			sp.Overrides = append(sp.Overrides, Override{Rule: r.ID, Disabled: r.Disabled, Indicator: r.IndicatorOverride})
		}
	}
	return sp
}

func digestOf(b []byte) string {
	if b == nil {
		return ""
	}
	h := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(h[:8])
}

func firstN(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, "; ")
	}
	return strings.Join(items[:n], "; ") + fmt.Sprintf("; and %d more", len(items)-n)
}
