package main

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// startDebugServer serves Go's profiling endpoints on their own listener,
// so that they are never reachable through the CDS Hooks address and its
// ingress. Profiles hold no request data, but they cost CPU and reveal
// internals: the flag is off by default and meant for loopback or a
// port-forward (docs/operations.md).
func startDebugServer(addr string, log *slog.Logger) (*http.Server, net.Addr, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("--debug-addr %s: %w", addr, err)
	}
	if host, _, _ := net.SplitHostPort(addr); !isLoopback(host) {
		log.Warn("pprof is listening on a non-loopback address", slog.String("addr", ln.Addr().String()))
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := hs.Serve(ln); err != nil && err != http.ErrServerClosed {
			log.Error("debug server stopped", slog.String("error", err.Error()))
		}
	}()
	log.Info("pprof listening", slog.String("addr", ln.Addr().String()))
	return hs, ln.Addr(), nil
}
