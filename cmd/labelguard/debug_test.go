package main

import (
	"io"
	"log/slog"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/KimMachineGun/automemlimit/memlimit"
)

func TestDebugServerServesProfilesOnItsOwnAddress(t *testing.T) {
	hs, addr, err := startDebugServer("127.0.0.1:0", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer hs.Close()
	resp, err := http.Get("http://" + addr.String() + "/debug/pprof/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "goroutine") {
		t.Fatalf("/debug/pprof/ = %d, %.200s", resp.StatusCode, body)
	}
	if _, _, err := startDebugServer("127.0.0.1:"+strings.Split(addr.String(), ":")[1], slog.New(slog.DiscardHandler)); err == nil {
		t.Error("a second debug server on the same port started")
	}
}

func TestServeGCPercentLeavesGOGCToTheOperator(t *testing.T) {
	env := func(m map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	if p, ok := serveGCPercent(env(nil)); !ok || p != 400 {
		t.Errorf("without GOGC: %d, %v; want 400, true", p, ok)
	}
	for _, v := range []string{"100", "off", ""} {
		if _, ok := serveGCPercent(env(map[string]string{"GOGC": v})); ok {
			t.Errorf("GOGC=%q: serve overrides the operator's setting", v)
		}
	}
}

func TestSetMemoryLimitFromTheContainer(t *testing.T) {
	prev := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(prev) })
	log := slog.New(slog.DiscardHandler)

	t.Setenv("GOMEMLIMIT", "")
	t.Setenv("AUTOMEMLIMIT", "")
	os.Unsetenv("AUTOMEMLIMIT")
	setMemoryLimit(log, memlimit.Limit(1000<<20))
	if got, want := debug.SetMemoryLimit(-1), int64(900<<20); got != want {
		t.Errorf("limit 1000 MiB: Go memory limit %d, want %d (90 %%)", got, want)
	}

	debug.SetMemoryLimit(prev)
	t.Setenv("GOMEMLIMIT", "300MiB")
	setMemoryLimit(log, memlimit.Limit(1000<<20))
	if got := debug.SetMemoryLimit(-1); got != prev {
		t.Errorf("with GOMEMLIMIT set: limit changed to %d", got)
	}

	t.Setenv("GOMEMLIMIT", "")
	setMemoryLimit(log, func() (uint64, error) { return 0, memlimit.ErrNoCgroup })
	if got := debug.SetMemoryLimit(-1); got != prev {
		t.Errorf("outside a cgroup: limit changed to %d", got)
	}
}
