// Package drain stops an HTTP server the way a rolling update needs.
//
// Kubernetes sends SIGTERM to a pod and, at about the same time, starts
// removing it from the Service's endpoints; the removal takes a few
// seconds to reach every load balancer and node. A server that stops
// accepting at once refuses the calls still routed to it in that window.
// Run therefore drains in three steps: readiness off (OnDrain), calls
// still served for Delay while the endpoints are updated, then the
// listener closed and the calls in flight given Grace to finish. During
// the delay keep-alive connections are closed after their next response,
// so that clients and proxies holding one open move to another pod
// instead of sending to a listener about to close.
package drain

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"time"
)

// Options says how to drain.
type Options struct {
	// Delay is how long calls keep being served once the context ends,
	// with readiness already off; 0 closes the listener at once.
	Delay time.Duration
	// Grace bounds the wait for the calls in flight once the listener is
	// closed, and Flush after them.
	Grace time.Duration
	// OnDrain is called once when draining starts: turn readiness off.
	OnDrain func()
	// Hurry is called when draining starts, before OnDrain; what its
	// channel delivers ends the delay early (a second SIGTERM or Ctrl-C).
	// Nil: the delay always runs its course.
	Hurry func() <-chan struct{}
	// Flush runs once no call is in flight, within what is left of
	// Grace (writing the audit queue).
	Flush func(ctx context.Context) error
	// Logger receives one line per step; nil discards them.
	Logger *slog.Logger
}

// Run serves with serve (hs.Serve or hs.ServeTLS on its listener) until
// ctx ends, then drains as the package documentation says. It returns
// serve's error if serving fails, the error of a shutdown whose grace ran
// out (calls were cut), or Flush's error.
func Run(ctx context.Context, hs *http.Server, serve func() error, o Options) error {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	errc := make(chan error, 1)
	go func() { errc <- serve() }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	// A second signal counts from here: listening starts before readiness
	// goes off, so that whoever saw readiness off can cut the delay short.
	var hurry <-chan struct{}
	if o.Delay > 0 && o.Hurry != nil {
		hurry = o.Hurry()
	}
	if o.OnDrain != nil {
		o.OnDrain()
	}
	hs.SetKeepAlivesEnabled(false)
	if o.Delay > 0 {
		log.Info("draining: readiness is off, calls are still served until the delay ends",
			slog.Int64("drain_delay_ms", o.Delay.Milliseconds()))
		t := time.NewTimer(o.Delay)
		select {
		case <-t.C:
		case <-hurry:
			t.Stop()
			log.Info("drain delay cut short by a second signal")
		case err := <-errc:
			t.Stop()
			return fmt.Errorf("serve: %w", err)
		}
	}
	log.Info("shutting down: no new connections, waiting for the calls in flight",
		slog.Int64("grace_ms", o.Grace.Milliseconds()))
	sctx, cancel := context.WithTimeout(context.Background(), o.Grace)
	defer cancel()
	err := hs.Shutdown(sctx)
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, fmt.Errorf("serve: %w", serr))
	}
	if err != nil {
		err = fmt.Errorf("shutdown: calls still in flight when the grace period ended: %w", err)
	}
	if o.Flush != nil {
		if ferr := o.Flush(sctx); ferr != nil {
			err = errors.Join(err, ferr)
		}
	}
	return err
}

// OnSignal returns an Options.Hurry that delivers when one of sigs
// arrives after the drain has started. The signal that started it has
// already been delivered, so only a later one counts.
func OnSignal(sigs ...os.Signal) func() <-chan struct{} {
	return func() <-chan struct{} {
		c := make(chan os.Signal, 1)
		signal.Notify(c, sigs...)
		out := make(chan struct{})
		go func() {
			<-c
			signal.Stop(c)
			close(out)
		}()
		return out
	}
}
