package drain_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labelguard/labelguard/internal/drain"
	"github.com/labelguard/labelguard/internal/hang"
)

type result struct {
	status int
	err    error
}

func get(client *http.Client, url string) result {
	resp, err := client.Get(url)
	if err != nil {
		return result{err: err}
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return result{status: resp.StatusCode}
}

func async(client *http.Client, url string) <-chan result {
	c := make(chan result, 1)
	go func() { c <- get(client, url) }()
	return c
}

// TestRunDrains: on the context's end readiness goes off at once; calls
// sent during the delay are answered 200; when the delay ends (here cut
// short by a second signal) the listener closes while a call in flight
// completes; Flush runs after it.
func TestRunDrains(t *testing.T) {
	var draining atomic.Bool
	entered, release := make(chan struct{}, 1), make(chan struct{})
	var slowDone atomic.Bool
	mux := http.NewServeMux()
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if draining.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	mux.HandleFunc("/fast", func(http.ResponseWriter, *http.Request) {})
	mux.HandleFunc("/slow", func(http.ResponseWriter, *http.Request) {
		entered <- struct{}{}
		<-release
		slowDone.Store(true)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	hs := &http.Server{Handler: mux}

	ctx, sigterm := context.WithCancel(context.Background())
	drained, hurry, flushed := make(chan struct{}), make(chan struct{}), make(chan bool, 1)
	var once sync.Once
	done := make(chan error, 1)
	go func() {
		done <- drain.Run(ctx, hs, func() error { return hs.Serve(ln) }, drain.Options{
			Delay:   time.Hour, // ended by the second signal below
			Grace:   time.Minute,
			OnDrain: func() { draining.Store(true); once.Do(func() { close(drained) }) },
			Hurry:   func() <-chan struct{} { return hurry },
			Flush:   func(context.Context) error { flushed <- slowDone.Load(); return nil },
		})
	}()
	client := &http.Client{Transport: &http.Transport{}}
	if r := get(client, base+"/readyz"); r.status != http.StatusOK {
		t.Fatalf("/readyz before SIGTERM: %+v", r)
	}

	sigterm()
	hang.Receive(t, "readiness off", drained)
	if r := get(client, base+"/readyz"); r.status != http.StatusServiceUnavailable {
		t.Errorf("/readyz during the delay: %+v, want 503", r)
	}
	for range 3 {
		if r := get(client, base+"/fast"); r.status != http.StatusOK {
			t.Errorf("call during the delay: %+v, want 200", r)
		}
	}
	slow := async(client, base+"/slow")
	hang.Receive(t, "slow call in flight", entered)

	close(hurry) // the delay ends with a call in flight
	refused := make(chan bool)
	go func() {
		for {
			c, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second)
			if err != nil {
				refused <- true
				return
			}
			c.Close()
			time.Sleep(5 * time.Millisecond)
		}
	}()
	hang.Receive(t, "listener closed after the delay", refused)
	select {
	case err := <-done:
		t.Fatalf("Run returned %v with a call in flight", err)
	default:
	}
	close(release)
	if r := hang.Receive(t, "the call in flight", slow); r.status != http.StatusOK {
		t.Errorf("call in flight at the end of the delay: %+v, want 200", r)
	}
	if err := hang.Receive(t, "Run's return", done); err != nil {
		t.Errorf("Run = %v", err)
	}
	if !hang.Receive(t, "Flush", flushed) {
		t.Error("Flush ran before the call in flight completed")
	}
}

// TestRunWithoutDelay: with no delay the listener closes at once, still
// after readiness went off, and a serve failure is returned.
func TestRunWithoutDelay(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: http.NotFoundHandler()}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var order []string
	err = drain.Run(ctx, hs, func() error { return hs.Serve(ln) }, drain.Options{
		Grace:   time.Minute,
		OnDrain: func() { order = append(order, "drain") },
		Flush:   func(context.Context) error { order = append(order, "flush"); return nil },
	})
	if err != nil || len(order) != 2 || order[0] != "drain" || order[1] != "flush" {
		t.Errorf("Run = %v, steps %v", err, order)
	}

	boom := errors.New("listener broke")
	err = drain.Run(context.Background(), &http.Server{}, func() error { return boom }, drain.Options{})
	if !errors.Is(err, boom) {
		t.Errorf("Run with a failing serve = %v", err)
	}
}
