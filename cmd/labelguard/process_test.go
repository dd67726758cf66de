package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/labelguard/labelguard/internal/hang"
)

// runMainEnv makes the test binary run main instead of the tests, so that
// a test can start the real process (signals, exit status, stderr) without
// building the binary.
const runMainEnv = "LABELGUARD_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// proc is a labelguard process started from the test binary.
type proc struct {
	cmd   *exec.Cmd
	mu    sync.Mutex
	lines []string
	done  chan error // the exit, once
	eof   chan struct{}
}

// startMain runs `labelguard args...` with the test's environment, minus
// LABELGUARD_ variables other than the tests', plus env.
func startMain(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, envPrefix) || strings.HasPrefix(kv, "LABELGUARD_TEST_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, append(env, runMainEnv+"=1")...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, done: make(chan error, 1), eof: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			p.mu.Lock()
			p.lines = append(p.lines, sc.Text())
			p.mu.Unlock()
		}
		close(p.eof)
		p.done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		// Only this process, by its id, if a failed test left it running.
		_ = cmd.Process.Kill()
	})
	return p
}

func (p *proc) output() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.lines...)
}

// wait returns the exit status once the process has ended.
func (p *proc) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-p.done:
		return err
	case <-time.After(hang.Guard):
		t.Fatalf("the process did not exit; it printed:\n%s", strings.Join(p.output(), "\n"))
		return nil
	}
}

// waitLine returns the first JSON line whose msg is msg.
func (p *proc) waitLine(t *testing.T, msg string) map[string]any {
	t.Helper()
	for deadline := time.Now().Add(hang.Guard); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		for _, l := range p.output() {
			var m map[string]any
			if json.Unmarshal([]byte(l), &m) == nil && m["msg"] == msg {
				return m
			}
		}
		select {
		case <-p.eof:
			t.Fatalf("the process ended before logging %q:\n%s", msg, strings.Join(p.output(), "\n"))
		default:
		}
	}
	t.Fatalf("no %q line:\n%s", msg, strings.Join(p.output(), "\n"))
	return nil
}

// allJSON fails the test for any line that is not one JSON object.
func allJSON(t *testing.T, lines []string) []map[string]any {
	t.Helper()
	if len(lines) == 0 {
		t.Fatal("the process printed nothing")
	}
	var out []map[string]any
	for i, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Errorf("line %d is not JSON (%v): %q", i+1, err, l)
			continue
		}
		out = append(out, m)
	}
	return out
}

func hookCall(t *testing.T, client *http.Client, base string, body []byte) (int, error) {
	t.Helper()
	resp, err := client.Post(base+"/cds-services/jak-order-select", "application/json", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// TestServeProcessDrainsAndLogsJSON runs the real process through a
// rolling update's SIGTERM: every line it prints parses as JSON, from the
// first; a mistyped LABELGUARD_ADRR is reported at startup; the startup
// line carries the version, revision, policy revision and configuration;
// on SIGTERM /readyz answers 503 while hook calls are still answered 200
// until the drain delay ends (here by a second SIGTERM); it exits 0.
func TestServeProcessDrainsAndLogsJSON(t *testing.T) {
	body, err := os.ReadFile(filepath.Join("..", "..", "api", "testdata", "requests", "upadacitinib-15mg-normal-cbc.json"))
	if err != nil {
		t.Fatal(err)
	}
	p := startMain(t, []string{"LABELGUARD_ADRR=127.0.0.1:9"},
		"serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--playground", "false",
		"--drain-delay", "10m", "--shutdown-timeout", "30s", "--eval-timeout", "1m")
	started := p.waitLine(t, "labelguard started")
	base, _ := started["url"].(string)
	cfg, _ := started["config"].(map[string]any)
	if base == "" || started["version"] == "" || started["revision"] == "" || started["policy_revision"] == "" ||
		cfg["drain-delay_ms"] != 600000.0 || cfg["addr"] != "127.0.0.1:0" {
		t.Fatalf("startup line = %v", started)
	}
	client := &http.Client{Timeout: hang.Guard}
	if code, err := hookCall(t, client, base, body); err != nil || code != http.StatusOK {
		t.Fatalf("hook call before SIGTERM: %d %v", code, err)
	}

	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(hang.Guard); ; time.Sleep(10 * time.Millisecond) {
		resp, err := client.Get(base + "/readyz")
		if err != nil {
			t.Fatalf("/readyz during the drain delay: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusServiceUnavailable {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("/readyz never turned 503 after SIGTERM")
		}
	}
	for i := range 3 {
		if code, err := hookCall(t, client, base, body); err != nil || code != http.StatusOK {
			t.Errorf("hook call %d during the drain delay: %d %v", i, code, err)
		}
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p.wait(t); err != nil {
		t.Errorf("exit: %v", err)
	}

	lines := allJSON(t, p.output())
	var warned, draining, stopped bool
	for _, l := range lines {
		switch l["msg"] {
		case "labelguard stopped":
			stopped = true
		case "draining: readiness is off, calls are still served until the delay ends":
			draining = true
		}
		if l["name"] == "LABELGUARD_ADRR" && l["level"] == "WARN" && l["did_you_mean"] == "LABELGUARD_ADDR" {
			warned = true
		}
		for k, v := range l {
			if _, isNum := v.(float64); strings.HasSuffix(k, "_ms") && !isNum {
				t.Errorf("%s is not a number of milliseconds: %v", k, l)
			}
		}
	}
	if !warned || !draining || !stopped {
		t.Errorf("warned about LABELGUARD_ADRR %v, logged draining %v, stopped %v:\n%s",
			warned, draining, stopped, strings.Join(p.output(), "\n"))
	}
}

// TestServeProcessRefusals: a refusal to start is a JSON line too, and the
// exit status is 1: --strict-env with a mistyped variable (named), and an
// environment value serve cannot parse (refused before the logger exists).
func TestServeProcessRefusals(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"strict env", []string{"LABELGUARD_ADRR=127.0.0.1:9"}, []string{"--strict-env"}, "LABELGUARD_ADRR"},
		{"strict env from the environment", []string{"LABELGUARD_ADRR=127.0.0.1:9", "LABELGUARD_STRICT_ENV=true"}, nil, "LABELGUARD_ADRR"},
		{"invalid environment value", []string{"LABELGUARD_MAX_BODY_BYTES=lots"}, nil, "LABELGUARD_MAX_BODY_BYTES"},
		{"star origin with auth", nil, []string{"--cors-origins", "*", "--auth", "required", "--trusted-issuers",
			filepath.Join("..", "..", "auth", "testdata", "issuers.json"), "--base-url", "https://cds.example"}, "--cors-origins"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir()}, tc.args...)
			p := startMain(t, tc.env, args...)
			err := p.wait(t)
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 1 {
				t.Errorf("exit = %v, want status 1", err)
			}
			lines := allJSON(t, p.output())
			if len(lines) == 0 {
				return
			}
			last := lines[len(lines)-1]
			if msg, _ := last["error"].(string); last["level"] != "ERROR" || !strings.Contains(msg, tc.want) {
				t.Errorf("last line = %v, want an error naming %s", last, tc.want)
			}
		})
	}
}
