package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// adminServer is the operator's listener (--admin-addr): /metrics,
// /status, /healthz and /readyz on a port of their own, so that the API
// port can be published to the EHR network (an Ingress routing "/", a
// NetworkPolicy open to the EHRs) without publishing them. It speaks TLS
// when the API does, with the same certificate.
type adminServer struct {
	hs   *http.Server
	addr net.Addr
	errc chan error
}

// startAdminServer listens on addr and serves h; nil when addr is empty
// (every endpoint then stays on the API port).
func startAdminServer(addr string, h http.Handler, tlsCert, tlsKey string, log *slog.Logger) (*adminServer, error) {
	if addr == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--admin-addr %s: %w", addr, err)
	}
	a := &adminServer{
		hs: &http.Server{
			Handler:           h,
			ReadHeaderTimeout: 5 * time.Second,
			ReadTimeout:       10 * time.Second,
			WriteTimeout:      30 * time.Second,
			IdleTimeout:       120 * time.Second,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		},
		addr: ln.Addr(),
		errc: make(chan error, 1),
	}
	go func() {
		if tlsCert != "" {
			a.errc <- a.hs.ServeTLS(ln, tlsCert, tlsKey)
			return
		}
		a.errc <- a.hs.Serve(ln)
	}()
	log.Info("admin endpoints listening (/metrics, /status, /healthz, /readyz)", slog.String("addr", a.addr.String()))
	return a, nil
}

// failed delivers an error when the admin listener stops on its own; a
// nil server never fails.
func (a *adminServer) failed() <-chan error {
	if a == nil {
		return nil
	}
	return a.errc
}

// shutdown stops the admin listener after the API's, so that probes and
// scrapes are answered until the API has finished its in-flight calls.
func (a *adminServer) shutdown(ctx context.Context) error {
	if a == nil {
		return nil
	}
	if err := a.hs.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("admin shutdown: %w", err)
	}
	return nil
}
