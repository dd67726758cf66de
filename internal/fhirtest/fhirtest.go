// Package fhirtest starts the FHIR server the tests fetch from: Medplum's
// in-memory FHIR router behind prefetch/testdata/fhirserver/server.js (see
// that file for what it serves and its fault hooks), loaded with Synthea
// patient bundles. It is for tests only.
//
// The server needs Node 20 and its npm packages. Without them Start reports
// a reason to skip, except under CI (the CI environment variable set), where
// it runs `npm ci` itself and a missing Node is an error: the tests that
// replay real clients must run in CI.
package fhirtest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// Server is a running test FHIR server.
type Server struct {
	// Origin is http://127.0.0.1:PORT; the FHIR base is Origin + "/fhir".
	Origin string
	stop   func()
}

// Stop ends the server process.
func (s *Server) Stop() {
	if s != nil && s.stop != nil {
		s.stop()
	}
}

// ErrSkip wraps the reason a test should skip rather than fail: Node or the
// server's packages are not installed outside CI.
var ErrSkip = errors.New("fhirtest: test FHIR server unavailable")

// Dir is the server's directory, resolved from this file so that any
// package's tests find it.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "prefetch", "testdata", "fhirserver")
}

// Start runs the server with the bearer tokens it accepts (none: requests
// are not authenticated) and the bundles it loads, and waits until it
// listens.
func Start(tokens []string, bundles []string) (*Server, error) {
	dir := Dir()
	ci := os.Getenv("CI") != ""
	if _, err := exec.LookPath("node"); err != nil {
		if ci {
			return nil, errors.New("fhirtest: node is not installed (the FHIR server tests need Node 20)")
		}
		return nil, fmt.Errorf("%w: node is not installed", ErrSkip)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@medplum", "fhir-router")); err != nil {
		if !ci {
			return nil, fmt.Errorf("%w: run `npm ci --prefix prefetch/testdata/fhirserver` (CI=1 does it from the test)", ErrSkip)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("fhirtest: npm ci: %w\n%s", err, out)
		}
	}
	args := []string{"server.js"}
	for _, t := range tokens {
		args = append(args, "--token", t)
	}
	for _, b := range bundles {
		abs, err := filepath.Abs(b)
		if err != nil {
			return nil, fmt.Errorf("fhirtest: %w", err)
		}
		args = append(args, abs)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, "node", args...)
	cmd.Dir = dir
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		return nil, fmt.Errorf("fhirtest: %w", err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		return nil, fmt.Errorf("fhirtest: start node: %w", err)
	}
	stop := func() {
		cancel() // kills node (SIGKILL) through CommandContext
		_ = cmd.Wait()
	}
	port := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		port <- strings.TrimSpace(line)
	}()
	select {
	case p := <-port:
		if p == "" {
			stop()
			return nil, errors.New("fhirtest: server exited before printing its port")
		}
		return &Server{Origin: "http://127.0.0.1:" + p, stop: stop}, nil
	case <-time.After(60 * time.Second):
		stop()
		return nil, errors.New("fhirtest: server did not print its port within 60 s")
	}
}
