package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/labelguard/labelguard/api"
	"github.com/labelguard/labelguard/cdshooks"
	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/policies"
)

type serveConfig struct {
	addr            string
	policyDir       string
	siteParams      string
	maxBodyBytes    int64
	maxDepth        int
	corsOrigins     []string
	logLevel        string
	logFormat       string
	shutdownTimeout time.Duration
}

func newServeCmd() *cobra.Command {
	cfg := serveConfig{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the CDS Hooks service",
		Long: `Run the CDS Hooks service on the embedded default policies (or --policies).

Endpoints: GET /cds-services (discovery), POST /cds-services/{id},
POST /cds-services/{id}/feedback, GET /healthz, GET /readyz.

The default address is 127.0.0.1:8080 so that a local, unauthenticated run
is not exposed; the Helm chart listens on :8080.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runServe(cmd.Context(), cfg, cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.String("config", "", "YAML file of settings (keys are flag names); flags and environment override it")
	f.StringVar(&cfg.addr, "addr", "127.0.0.1:8080", "listen address HOST:PORT")
	f.StringVar(&cfg.policyDir, "policies", "", "policy directory to serve instead of the embedded default set")
	f.StringVar(&cfg.siteParams, "site-params", "", "JSON file of site parameters merged over the policy set's data/params.json")
	f.Int64Var(&cfg.maxBodyBytes, "max-body-bytes", api.DefaultMaxBodyBytes, "largest accepted request body in bytes (larger: 413)")
	f.IntVar(&cfg.maxDepth, "max-json-depth", cdshooks.DefaultMaxDepth, "deepest accepted JSON nesting in a request")
	f.StringSliceVar(&cfg.corsOrigins, "cors-origins", []string{"*"}, "browser origins allowed by CORS (comma-separated; * for any; empty to disable)")
	f.StringVar(&cfg.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	f.StringVar(&cfg.logFormat, "log-format", "json", "log format: json or text")
	f.DurationVar(&cfg.shutdownTimeout, "shutdown-timeout", 20*time.Second, "how long in-flight requests may take to finish on SIGTERM")
	return cmd
}

func newLogger(level, format string, w *os.File) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want json or text", format)
}

// loadPolicies loads the embedded default set or a directory.
func loadPolicies(ctx context.Context, dir, siteParamsFile string) (*engine.PolicySet, error) {
	var fsys fs.FS = policies.FS
	if dir != "" {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return nil, fmt.Errorf("--policies %q is not a directory", dir)
		}
		fsys = os.DirFS(dir)
	}
	opts := engine.Options{}
	if siteParamsFile != "" {
		b, err := os.ReadFile(siteParamsFile)
		if err != nil {
			return nil, fmt.Errorf("--site-params: %w", err)
		}
		opts.SiteParams = b
	}
	return engine.Load(ctx, fsys, opts)
}

func runServe(ctx context.Context, cfg serveConfig, stderr interface{ Write([]byte) (int, error) }) error {
	log, err := newLogger(cfg.logLevel, cfg.logFormat, os.Stderr)
	if err != nil {
		return err
	}
	if cfg.maxBodyBytes <= 0 {
		return fmt.Errorf("--max-body-bytes must be positive")
	}
	if cfg.maxDepth <= 0 {
		return fmt.Errorf("--max-json-depth must be positive")
	}
	ps, err := loadPolicies(ctx, cfg.policyDir, cfg.siteParams)
	if err != nil {
		return fmt.Errorf("policies refused: %w", err)
	}
	log.Info("policies loaded", slog.String("revision", ps.Revision),
		slog.Int("rules", len(ps.Catalog)), slog.Int("services", len(ps.Services)))

	origins := make([]string, 0, len(cfg.corsOrigins))
	for _, o := range cfg.corsOrigins {
		if o = strings.TrimSpace(o); o != "" {
			origins = append(origins, o)
		}
	}
	srv := api.New(api.Config{
		MaxBodyBytes: cfg.maxBodyBytes,
		Limits:       cdshooks.Limits{MaxDepth: cfg.maxDepth},
		CORSOrigins:  origins,
		AuthDisabled: true,
	}, engine.NewActive(ps), log)

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("--addr %s: %w", cfg.addr, err)
	}
	log.Warn("authentication is disabled: any caller can use this service; for local development only")
	if host, _, _ := net.SplitHostPort(cfg.addr); !isLoopback(host) {
		log.Warn("listening on a non-loopback address without authentication", slog.String("addr", ln.Addr().String()))
	}
	fmt.Fprintf(stderr, "labelguard %s listening on http://%s (discovery: http://%s/cds-services)\n",
		version, ln.Addr(), ln.Addr())

	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down", slog.Duration("deadline", cfg.shutdownTimeout))
	sctx, cancel := context.WithTimeout(context.Background(), cfg.shutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
