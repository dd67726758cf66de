package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/KimMachineGun/automemlimit/memlimit"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/labelguard/labelguard/api"
	"github.com/labelguard/labelguard/auth"
	"github.com/labelguard/labelguard/cdshooks"
	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/facts"
	"github.com/labelguard/labelguard/fhir"
	"github.com/labelguard/labelguard/internal/drain"
	"github.com/labelguard/labelguard/internal/logging"
	"github.com/labelguard/labelguard/metrics"
	"github.com/labelguard/labelguard/phi"
	"github.com/labelguard/labelguard/pipeline"
	"github.com/labelguard/labelguard/playground"
	"github.com/labelguard/labelguard/policies"
	"github.com/labelguard/labelguard/policyload"
	"github.com/labelguard/labelguard/prefetch"
	"github.com/labelguard/labelguard/store"
	"github.com/labelguard/labelguard/terminology"
)

type serveConfig struct {
	addr        string
	policyDir   string
	siteParams  string
	terminology string
	// site is the terminology read from the terminology directory at start.
	site              *terminology.Site
	maxBodyBytes      int64
	maxDepth          int
	corsOrigins       []string
	logLevel          string
	logFormat         string
	shutdownTimeout   time.Duration
	authMode          string
	trustedIssuers    string
	baseURL           string
	clockSkew         time.Duration
	fhirAllow         []string
	fhirTimeout       time.Duration
	evalTimeout       time.Duration
	watch             bool
	bundleURL         string
	bundlePublicKey   string
	bundlePoll        time.Duration
	shadowPolicies    string
	shadowBundleURL   string
	playground        string
	playgroundSamples string
	dataDir           string
	databaseDSN       string
	auditRetention    time.Duration
	auditQueueSize    int
	hashKeyFile       string
	tlsCert           string
	tlsKey            string
	maxDraftOrders    int
	maxResources      int
	fhirMaxPages      int
	debugAddr         string
	adminAddr         string
	maxConcurrent     int
	queueWait         time.Duration
	prefetchCacheTTL  time.Duration
	prefetchCacheSize int
	decisionCacheTTL  time.Duration
	decisionCacheSize int
	staleGuidanceID   string
	drainDelay        time.Duration
	strictEnv         bool
	// flags is the command's flag set, for the startup line and the
	// environment check; nil when a test calls runServe directly.
	flags *pflag.FlagSet
	// corsSet says --cors-origins was given (flag, environment or file).
	corsSet bool
}

func newServeCmd() *cobra.Command {
	cfg := serveConfig{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the CDS Hooks service",
		Long: `Run the CDS Hooks service on the embedded default policies (or --policies).

Endpoints: GET /cds-services (discovery), POST /cds-services/{id},
POST /cds-services/{id}/feedback, GET /healthz, GET /readyz, and for the
operator GET /metrics and GET /status, which --admin-addr moves to a port
of their own.

The default address is 127.0.0.1:8080 so that a local, unauthenticated run
is not exposed; the Helm chart listens on :8080.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg.flags, cfg.corsSet = cmd.Flags(), cmd.Flags().Changed("cors-origins")
			return runServe(cmd.Context(), cfg, cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.String("config", "", "YAML file of settings (keys are flag names); flags and environment override it")
	f.StringVar(&cfg.addr, "addr", "127.0.0.1:8080", "listen address HOST:PORT")
	f.StringVar(&cfg.policyDir, "policies", "", "policy directory to serve instead of the embedded default set")
	f.StringVar(&cfg.siteParams, "site-params", "", "JSON file of site parameters merged over the policy set's data/params.json")
	f.StringVar(&cfg.terminology, "terminology", "", "site terminology directory written by \"labelguard terminology import\": orders coded by its RxNorm and NDC codes are recognised (read at start)")
	f.Int64Var(&cfg.maxBodyBytes, "max-body-bytes", api.DefaultMaxBodyBytes, "largest accepted request body in bytes (larger: 413)")
	f.IntVar(&cfg.maxDepth, "max-json-depth", cdshooks.DefaultMaxDepth, "deepest accepted JSON nesting in a request")
	f.StringSliceVar(&cfg.corsOrigins, "cors-origins", nil, "browser origins allowed by CORS (comma-separated; empty to disable); * allows any and is refused with --auth required; default: * with --auth disabled, none with --auth required")
	f.StringVar(&cfg.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	f.StringVar(&cfg.logFormat, "log-format", "json", "log format: json or text")
	f.DurationVar(&cfg.shutdownTimeout, "shutdown-timeout", 20*time.Second, "how long in-flight requests may take to finish once the listener closes on SIGTERM (after --drain-delay), audit flush included")
	f.DurationVar(&cfg.drainDelay, "drain-delay", 0, "on SIGTERM, how long calls are still served with /readyz answering 503, so that load balancers stop routing to the pod before it stops accepting (a second signal ends it early)")
	f.BoolVar(&cfg.strictEnv, "strict-env", false, "refuse to start when a LABELGUARD_* environment variable sets no flag (a typo); without it the variable is logged as a warning")
	f.StringVar(&cfg.authMode, "auth", "", "authentication of CDS clients: required or disabled (default: required when --trusted-issuers is set, else disabled with a warning)")
	f.StringVar(&cfg.trustedIssuers, "trusted-issuers", "", "JSON file of trusted JWT issuers (see SECURITY.md)")
	f.StringVar(&cfg.baseURL, "base-url", "", "this service's public base URL, as CDS clients call it (the JWT aud is base URL + endpoint path)")
	f.DurationVar(&cfg.clockSkew, "clock-skew", time.Minute, "tolerated clock difference for JWT exp, iat and nbf")
	f.IntVar(&cfg.maxDraftOrders, "max-draft-orders", api.DefaultMaxDraftOrders, "most draft orders accepted in one request (more: 400)")
	f.IntVar(&cfg.maxResources, "max-resources", api.DefaultMaxResources, "most FHIR resources accepted in one request (more: 413)")
	f.DurationVar(&cfg.evalTimeout, "eval-timeout", api.DefaultEvalTimeout, "deadline for evaluating the policies of one request (past it the answer is a data.incomplete card)")
	f.BoolVar(&cfg.watch, "watch", false, "reload --policies and --site-params when they change (compiled and tested first; a failing set is rejected)")
	f.StringVar(&cfg.bundleURL, "bundle-url", "", "poll this signed OPA bundle (HTTP, ETag) instead of --policies")
	f.StringVar(&cfg.bundlePublicKey, "bundle-public-key", "", "PEM public key bundles must be signed with")
	f.DurationVar(&cfg.bundlePoll, "bundle-poll", time.Minute, "bundle polling interval")
	f.StringVar(&cfg.shadowPolicies, "shadow-policies", "", "candidate policy directory evaluated in shadow beside the active set (never returned to the EHR)")
	f.StringVar(&cfg.shadowBundleURL, "shadow-bundle-url", "", "candidate bundle evaluated in shadow (verified with --bundle-public-key)")
	f.StringVar(&cfg.playground, "playground", "auto", "serve the policy playground at /playground/: true, false, or auto (on when authentication is disabled)")
	f.StringVar(&cfg.playgroundSamples, "playground-samples", "", "directory of sample patients and scenarios for the playground (default: policies/testdata when present)")
	f.StringVar(&cfg.dataDir, "data-dir", "./data", "directory of the embedded SQLite database (feedback and decision audit) and its generated hash key")
	f.StringVar(&cfg.databaseDSN, "database-dsn", "", "PostgreSQL DSN (postgres://...); when set, PostgreSQL is used instead of SQLite")
	f.DurationVar(&cfg.auditRetention, "audit-retention", 30*24*time.Hour, "age after which decision audit rows are purged (0 keeps them)")
	f.IntVar(&cfg.auditQueueSize, "audit-queue-size", 10000, "decisions buffered in memory while the database is slow or down")
	f.StringVar(&cfg.hashKeyFile, "hash-key-file", "", "secret key for the keyed hashes of patient identifiers (at least 16 bytes); default with SQLite: generated once in --data-dir; required with PostgreSQL")
	f.StringVar(&cfg.tlsCert, "tls-cert", "", "TLS certificate file (PEM); with --tls-key the service speaks HTTPS and HTTP/2")
	f.StringVar(&cfg.tlsKey, "tls-key", "", "TLS private key file (PEM)")
	f.DurationVar(&cfg.fhirTimeout, "fhir-timeout", time.Second, "deadline for fetching missing prefetch from the FHIR server, per request")
	f.IntVar(&cfg.fhirMaxPages, "fhir-max-pages", prefetch.DefaultMaxPages, "most search result pages followed per prefetch key")
	f.IntVar(&cfg.maxConcurrent, "max-concurrent-calls", 0, "hook calls worked on at once, and as many JWT checks at once; more wait up to --queue-wait, then get 503 with Retry-After (0: 4 per CPU)")
	f.DurationVar(&cfg.queueWait, "queue-wait", api.DefaultQueueWait, "how long a call waits for each free slot it needs (a JWT check, then evaluation) before it is refused with 503 (0: refuse at once)")
	f.DurationVar(&cfg.prefetchCacheTTL, "prefetch-cache-ttl", 2*time.Minute, "how long the decoding of a prefetch value, and the typed parse of a draft order, is kept for a call that sends it again unchanged (order-select, then order-sign); 0 disables the cache")
	f.IntVar(&cfg.prefetchCacheSize, "prefetch-cache-bytes", 16<<20, "most source JSON bytes whose decoding the prefetch cache keeps in memory (decoded, about 1.4 times as much heap)")
	f.DurationVar(&cfg.decisionCacheTTL, "decision-cache-ttl", 2*time.Minute, "how long the rules' decision on a call is reused for a call of the same service whose policy input is the same but for its hookInstance and time (order-select fired again by an edit the rules do not read, a repeated order-sign), on the same UTC date; cards are built for each call; 0 disables the cache")
	f.IntVar(&cfg.decisionCacheSize, "decision-cache-bytes", 8<<20, "most bytes of decisions (their JSON form) the decision cache keeps in memory, oldest dropped first, and as many bytes of heap of the policy inputs calls derived: a decision of six cards takes 6-7 KB (about 1.5 times that in heap), a derived input about 13 KB of heap for a Synthea patient (see docs/performance.md for sizing)")
	f.StringVar(&cfg.adminAddr, "admin-addr", "", "serve /metrics and /status on this separate HOST:PORT instead of --addr (/healthz and /readyz answer on both); empty keeps everything on --addr")
	f.StringVar(&cfg.debugAddr, "debug-addr", "", "serve Go's pprof profiles (/debug/pprof/) on this separate HOST:PORT; off when empty; never expose it beyond loopback")
	f.StringSliceVar(&cfg.fhirAllow, "fhir-allow", nil, "FHIR base URLs the service may fetch missing prefetch from when authentication is disabled (issuers carry their own list)")
	f.StringVar(&cfg.staleGuidanceID, "stale-guidance-id", "", "list the order-select and order-sign services in discovery under this one id (CDS Hooks \"update stale guidance\": a client that replaces a service's cards at its next hook drops the order-select cards at order-sign); off when empty, since the CDS Hooks Sandbox keeps only one of two services sharing an id")
	return cmd
}

// policyFS is the policy set --policies names: the embedded default set
// when dir is empty.
func policyFS(dir string) (fs.FS, error) {
	if dir == "" {
		return policies.FS, nil
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("--policies %q is not a directory", dir)
	}
	return engine.DirFS(dir), nil
}

// loadPolicies loads the embedded default set or a directory.
func loadPolicies(ctx context.Context, dir, siteParamsFile string, site *terminology.Site) (*engine.PolicySet, error) {
	fsys, err := policyFS(dir)
	if err != nil {
		return nil, err
	}
	opts := engine.Options{Terminology: site}
	if siteParamsFile != "" {
		b, err := os.ReadFile(siteParamsFile)
		if err != nil {
			return nil, fmt.Errorf("--site-params: %w", err)
		}
		opts.SiteParams, opts.SiteParamsFile = b, siteParamsFile
	}
	return engine.Load(ctx, fsys, opts)
}

func runServe(ctx context.Context, cfg serveConfig, stderr io.Writer) (err error) {
	log, err := logging.New(cfg.logLevel, cfg.logFormat, stderr)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			log.Error("labelguard serve stopped", slog.String("error", err.Error()))
			err = reportedError{err}
		}
	}()
	if err := checkEnv(log, cfg); err != nil {
		return err
	}
	if gcPercent, ok := serveGCPercent(os.LookupEnv); ok {
		debug.SetGCPercent(gcPercent)
	}
	setMemoryLimit(log, memlimit.FromCgroup)
	if cfg.maxBodyBytes <= 0 {
		return fmt.Errorf("--max-body-bytes must be positive")
	}
	if cfg.maxDepth <= 0 {
		return fmt.Errorf("--max-json-depth must be positive")
	}
	if cfg.maxConcurrent < 0 {
		return fmt.Errorf("--max-concurrent-calls must not be negative")
	}
	if (cfg.tlsCert == "") != (cfg.tlsKey == "") {
		return fmt.Errorf("--tls-cert and --tls-key go together")
	}
	if id := cfg.staleGuidanceID; id != "" {
		if err := (cdshooks.Service{ID: id, Hook: "order-sign", Description: "x"}).Validate(); err != nil {
			return fmt.Errorf("--stale-guidance-id %q: %w", id, err)
		}
	}
	hasher, err := loadHasher(cfg)
	if err != nil {
		return err
	}
	st := store.NewDeferred(store.Config{DataDir: cfg.dataDir, PostgresDSN: cfg.databaseDSN}, 5*time.Second)
	defer st.Close()
	octx, ocancel := context.WithTimeout(ctx, 10*time.Second)
	if err := st.Open(octx); err != nil {
		// Not fatal: hooks answer while the audit queue buffers and retries.
		log.Error("database unavailable at startup; audit records will wait in the queue", slog.String("backend", st.Backend()), slog.String("error", err.Error()))
	}
	ocancel()
	queue := store.NewAuditQueue(st, store.QueueOptions{Capacity: cfg.auditQueueSize, Logger: log})
	if cfg.auditRetention > 0 {
		go store.RunRetention(ctx, st, time.Hour, cfg.auditRetention, log)
	}

	replay := &auth.LayeredReplayCache{Shared: st, Local: auth.NewMemoryReplayCache(0, nil), Logger: log}
	verifier, err := newVerifier(cfg, log, replay)
	if err != nil {
		return err
	}
	if cfg.watch && cfg.policyDir == "" {
		return fmt.Errorf("--watch needs --policies DIR (the embedded set never changes)")
	}
	if (cfg.bundleURL != "" || cfg.shadowBundleURL != "") && cfg.bundlePublicKey == "" {
		return fmt.Errorf("--bundle-url and --shadow-bundle-url need --bundle-public-key: an unsigned bundle is never activated")
	}
	site, err := loadSiteTerminology(cfg.terminology)
	if err != nil {
		return err
	}
	cfg.site = site
	if site != nil {
		log.Info("site terminology loaded", slog.String("file", site.File()), slog.Int("codes", len(site.Codes)))
	}
	active := engine.NewActive(nil)
	if cfg.bundleURL == "" {
		ps, err := loadPolicies(ctx, cfg.policyDir, cfg.siteParams, site)
		if err != nil {
			return fmt.Errorf("policies refused: %w", err)
		}
		log.Info("policies loaded", slog.String("revision", ps.Revision),
			slog.Int("rules", len(ps.Catalog)), slog.Int("services", len(ps.Services)))
		active.Store(ps)
	}

	origins, err := corsOrigins(cfg, verifier != nil)
	if err != nil {
		return err
	}
	m := newServeMetrics()
	if ps := active.Load(); ps != nil {
		policyActivated(m, ps)
	}
	mgr, err := startPolicyManager(ctx, cfg, active, m, shadowAuditor(queue, hasher), log)
	if err != nil {
		return err
	}
	registerReloadState(m, mgr)
	registerContentReview(m, mgr)
	m.Func("labelguard_audit_queue_depth", "Decision records waiting to be written.", false, func() float64 { return float64(queue.Depth()) })
	m.Func("labelguard_audit_queue_capacity", "Capacity of the decision audit queue.", false, func() float64 { return float64(queue.Capacity()) })
	m.Func("labelguard_audit_dropped_total", "Decision records dropped because the queue was full or closed.", true, func() float64 { return float64(queue.Dropped()) })
	m.Func("labelguard_audit_write_errors_total", "Failed attempts to write decision records.", true, func() float64 { return float64(queue.WriteErrors()) })
	m.Func("labelguard_audit_written_total", "Decision records written.", true, func() float64 { return float64(queue.Written()) })
	m.Func("labelguard_replay_cache_fallbacks_total", "JWT replay checks the shared (database) cache did not answer in time, decided by this replica's cache alone.", true,
		func() float64 { return float64(replay.Fallbacks()) })
	apiCfg := api.Config{
		MaxBodyBytes:       cfg.maxBodyBytes,
		Limits:             cdshooks.Limits{MaxDepth: cfg.maxDepth},
		CORSOrigins:        origins,
		AuthDisabled:       verifier == nil,
		Metrics:            m,
		FHIRAllow:          cfg.fhirAllow,
		EvalTimeout:        cfg.evalTimeout,
		MaxDraftOrders:     cfg.maxDraftOrders,
		MaxResources:       cfg.maxResources,
		MaxConcurrentCalls: cfg.maxConcurrent,
		QueueWait:          queueWait(cfg.queueWait),
		PrefetchCache:      fhir.NewPrefetchCache(cfg.prefetchCacheTTL, cfg.prefetchCacheSize),
		DecisionCache:      pipeline.NewDecisionCache(cfg.decisionCacheTTL, cfg.decisionCacheSize),
		StaleGuidanceID:    cfg.staleGuidanceID,
		SeparateAdmin:      cfg.adminAddr != "",
		Audit:              queue,
		Store:              st,
		Hasher:             hasher,
		Fetcher: prefetch.NewFetcher(prefetch.Config{
			Timeout:  cfg.fhirTimeout,
			MaxPages: cfg.fhirMaxPages,
			Logger:   log,
			Allowed:  func(u string) bool { return auth.FHIRServerAllowed(cfg.fhirAllow, u) },
		}),
	}
	if verifier != nil {
		apiCfg.Auth = verifier
	}
	apiCfg.Policies = mgr
	if on, err := playgroundOn(cfg.playground, verifier == nil); err != nil {
		return err
	} else if on {
		if verifier != nil {
			log.Warn("the playground is on while authentication is required: its endpoints are not authenticated")
		}
		apiCfg.Playground = playground.New(playground.Config{
			Policies: active, SamplesDir: playgroundSamples(cfg.playgroundSamples),
			EvalTimeout: cfg.evalTimeout, Logger: log,
		})
	}
	srv := api.New(apiCfg, active, log)
	if cfg.staleGuidanceID != "" && !srv.StaleGuidance() {
		log.Warn("--stale-guidance-id has no effect: the policy set needs exactly one order-select and one order-sign service, and no service of that id",
			slog.String("id", cfg.staleGuidanceID))
	}

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("--addr %s: %w", cfg.addr, err)
	}
	if verifier == nil {
		log.Warn("authentication is disabled: any caller can use this service; for local development only")
		if host, _, _ := net.SplitHostPort(cfg.addr); !isLoopback(host) {
			log.Warn("listening on a non-loopback address without authentication", slog.String("addr", ln.Addr().String()))
		}
	}
	scheme, authMode, revision := "http", "required", ""
	if cfg.tlsCert != "" {
		scheme = "https"
	}
	if verifier == nil {
		authMode = "disabled"
	}
	if ps := active.Load(); ps != nil {
		revision = ps.Revision
	}
	log.Info("labelguard started", startupAttrs(cfg.flags, startup{addr: ln.Addr().String(), scheme: scheme,
		auth: authMode, policyRevision: revision, corsOrigins: origins})...)

	admin, err := startAdminServer(cfg.adminAddr, srv.AdminHandler(), cfg.tlsCert, cfg.tlsKey, log)
	if err != nil {
		return err
	}
	if cfg.debugAddr != "" {
		dbg, _, err := startDebugServer(cfg.debugAddr, log)
		if err != nil {
			return err
		}
		defer dbg.Close()
	}

	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	serveHTTP := func() error {
		if cfg.tlsCert != "" {
			// net/http negotiates HTTP/2 over TLS by itself.
			return hs.ServeTLS(ln, cfg.tlsCert, cfg.tlsKey)
		}
		return hs.Serve(ln)
	}
	// The admin port (probes, metrics) stays up through the drain and
	// closes after the API: a failure of either ends the process.
	serveBoth := func() error {
		errc := make(chan error, 1)
		go func() { errc <- serveHTTP() }()
		select {
		case err := <-errc:
			return err
		case err := <-admin.failed():
			_ = hs.Close()
			return fmt.Errorf("admin: %w", err)
		}
	}
	err = drain.Run(ctx, hs, serveBoth, drain.Options{
		Delay: cfg.drainDelay, Grace: cfg.shutdownTimeout, OnDrain: srv.Drain, Logger: log,
		Hurry: drain.OnSignal(os.Interrupt, syscall.SIGTERM),
		// No call is in flight: close the admin port, then write what the
		// audit queue still holds.
		Flush: func(ctx context.Context) error {
			aerr := admin.shutdown(ctx)
			if err := queue.Close(ctx); err != nil {
				log.Error("audit queue not fully drained at shutdown", slog.String("error", err.Error()))
			}
			return aerr
		},
	})
	if err != nil {
		return err
	}
	log.Info("labelguard stopped")
	return nil
}

// queueWait maps the flag (0: refuse at once) to api.Config (0: default,
// negative: refuse at once).
func queueWait(d time.Duration) time.Duration {
	if d <= 0 {
		return -1
	}
	return d
}

// serveGCPercent is the garbage collector setting serve uses when the
// operator has not chosen one with GOGC. Each hook call allocates about
// 1 MB of short-lived objects (decoded FHIR, OPA terms) on a live heap of
// about 40 MB, so at Go's default of 100 the collector runs every few
// requests. At saturation, 400 served 9 % more calls per second than 200
// (and 200 5-15 % more than 100) for a peak RSS of 285 MB instead of 192
// (docs/performance.md); setMemoryLimit keeps that inside the container.
// GOGC, when set, wins.
func serveGCPercent(lookupEnv func(string) (string, bool)) (int, bool) {
	if _, set := lookupEnv("GOGC"); set {
		return 0, false
	}
	return 400, true
}

// setMemoryLimit sets the Go memory limit to 90 % of the container's
// (provider reads the cgroup, v1 or v2), so that near the limit the
// collector runs as often as it must instead of the kernel killing the
// pod; GOMEMLIMIT or AUTOMEMLIMIT=off in the environment wins. Outside a
// container with a memory limit nothing changes.
func setMemoryLimit(log *slog.Logger, provider memlimit.Provider) {
	limit, err := memlimit.Set(memlimit.WithRatio(0.9), memlimit.WithProvider(provider))
	switch {
	case errors.Is(err, memlimit.ErrNoCgroup), errors.Is(err, memlimit.ErrCgroupsNotSupported):
	case err != nil:
		log.Warn("container memory limit not read; no Go memory limit set", "error", err)
	case limit < math.MaxInt64:
		log.Info("Go memory limit set from the container's", "bytes", limit)
	}
}

// newVerifier builds the JWT verifier the settings ask for; nil means
// authentication is disabled.
func newVerifier(cfg serveConfig, log *slog.Logger, replay auth.ReplayCache) (*auth.Verifier, error) {
	mode := cfg.authMode
	if mode == "" {
		mode = "disabled"
		if cfg.trustedIssuers != "" {
			mode = "required"
		}
	}
	if err := auth.CheckFHIRAllowList(cfg.fhirAllow); err != nil {
		return nil, fmt.Errorf("--fhir-allow: %w", err)
	}
	switch mode {
	case "disabled":
		return nil, nil
	case "required":
	default:
		return nil, fmt.Errorf("--auth %q: want required or disabled", cfg.authMode)
	}
	if cfg.trustedIssuers == "" {
		return nil, fmt.Errorf("--auth required needs --trusted-issuers")
	}
	if cfg.baseURL == "" {
		return nil, fmt.Errorf("--auth required needs --base-url (the JWT aud is checked against it)")
	}
	issuers, err := auth.LoadIssuers(cfg.trustedIssuers)
	if err != nil {
		return nil, fmt.Errorf("--trusted-issuers: %w", err)
	}
	// The replay cache is shared through the database, so that replicas
	// reject a token replayed to another one.
	v, err := auth.NewVerifier(auth.Config{Issuers: issuers, BaseURL: cfg.baseURL, ClockSkew: cfg.clockSkew, Logger: log, Replay: replay})
	if err != nil {
		return nil, fmt.Errorf("authentication settings: %w", err)
	}
	return v, nil
}

// loadHasher reads the hash key, or with SQLite generates one in the data
// directory on first start, so that `serve` works with no flags while the
// hashes stay stable across restarts. Replicas sharing PostgreSQL must share
// one key, so there it is required.
func loadHasher(cfg serveConfig) (*phi.Hasher, error) {
	path := cfg.hashKeyFile
	if path == "" {
		if cfg.databaseDSN != "" {
			return nil, fmt.Errorf("--hash-key-file is required with --database-dsn (every replica must hash with the same key)")
		}
		if err := os.MkdirAll(cfg.dataDir, 0o700); err != nil {
			return nil, fmt.Errorf("--data-dir: %w", err)
		}
		path = filepath.Join(cfg.dataDir, "hash.key")
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			key := make([]byte, 32)
			if _, err := rand.Read(key); err != nil {
				return nil, fmt.Errorf("generate hash key: %w", err)
			}
			if err := os.WriteFile(path, []byte(hex.EncodeToString(key)+"\n"), 0o600); err != nil {
				return nil, fmt.Errorf("write hash key: %w", err)
			}
		}
	}
	key, err := phi.LoadKey(path)
	if err != nil {
		return nil, fmt.Errorf("--hash-key-file: %w", err)
	}
	h, err := phi.NewHasher(key)
	if err != nil {
		return nil, fmt.Errorf("--hash-key-file: %w", err)
	}
	return h, nil
}

// startPolicyManager starts hot reload, bundle polling and shadow
// evaluation as the flags ask.
func startPolicyManager(ctx context.Context, cfg serveConfig, active *engine.Active, m *metrics.Metrics,
	onShadow func(string, *facts.Input, string, *engine.Result), log *slog.Logger) (*policyload.Manager, error) {
	mgr, err := policyload.New(policyload.Config{
		Active: active, Logger: log, SiteParamsFile: cfg.siteParams, Terminology: cfg.site, OnShadowResult: onShadow,
		OnReload:   func(o string) { m.PolicyReloads.WithLabelValues(o).Inc() },
		OnActivate: func(p *engine.PolicySet) { policyActivated(m, p) },
		OnShadowChange: func(svc string, c policyload.Change) {
			m.ShadowChanges.WithLabelValues(svc, c.Rule, c.Kind).Inc()
		},
	})
	if err != nil {
		return nil, err
	}
	var key []byte
	if cfg.bundlePublicKey != "" {
		if key, err = os.ReadFile(cfg.bundlePublicKey); err != nil {
			return nil, fmt.Errorf("--bundle-public-key: %w", err)
		}
	}
	if cfg.watch {
		if err := mgr.WatchDir(ctx, cfg.policyDir, cfg.siteParams); err != nil {
			return nil, fmt.Errorf("--watch: %w", err)
		}
	}
	if cfg.bundleURL != "" {
		if err := mgr.PollBundle(ctx, cfg.bundleURL, key, cfg.bundlePoll); err != nil {
			return nil, fmt.Errorf("--bundle-url: %w", err)
		}
	}
	if cfg.shadowPolicies != "" {
		if err := mgr.SetShadowDir(ctx, cfg.shadowPolicies, cfg.siteParams); err != nil {
			return nil, fmt.Errorf("--shadow-policies: %w", err)
		}
	}
	if cfg.shadowBundleURL != "" {
		if err := mgr.PollShadowBundle(ctx, cfg.shadowBundleURL, key, cfg.bundlePoll); err != nil {
			return nil, fmt.Errorf("--shadow-bundle-url: %w", err)
		}
	}
	return mgr, nil
}

// shadowAuditor records the shadow set's cards in the decision audit under
// the service "shadow:<id>" with the candidate's revision, so that a release
// can be judged on live traffic with the same report as the active set.
func shadowAuditor(q *store.AuditQueue, h *phi.Hasher) func(string, *facts.Input, string, *engine.Result) {
	return func(service string, in *facts.Input, revision string, res *engine.Result) {
		d := store.Decision{
			Time: time.Now().UTC(), Service: "shadow:" + service, Hook: in.Hook, HookInstance: in.HookInstance,
			PolicyRevision: revision, ErrorKind: "shadow",
		}
		if in.Patient != nil {
			d.PatientHash = h.Hash(strings.TrimPrefix(in.Patient.Ref, "Patient/"))
		}
		for i, c := range res.Cards {
			sc := store.Card{UUID: c.UUID, Indicator: c.Indicator}
			if c.Source.Topic != nil {
				sc.Rule = c.Source.Topic.Code
			}
			if i < len(res.Findings) && res.Findings[i].Order != "" {
				sc.Order = h.HashRef(res.Findings[i].Order)
			}
			d.Cards = append(d.Cards, sc)
		}
		q.Enqueue(d)
	}
}

// playgroundOn decides --playground: auto is on exactly when
// authentication is disabled (a local run), off in a protected deployment.
func playgroundOn(v string, authDisabled bool) (bool, error) {
	switch v {
	case "auto", "":
		return authDisabled, nil
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("--playground %q: want true, false or auto", v)
}

// playgroundSamples returns the sample directory, defaulting to the
// repository's policies/testdata when serve runs from a checkout.
func playgroundSamples(dir string) string {
	if dir != "" {
		return dir
	}
	if st, err := os.Stat(filepath.Join("policies", "testdata")); err == nil && st.IsDir() {
		return filepath.Join("policies", "testdata")
	}
	return ""
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
