package logging_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/labelguard/labelguard/internal/logging"
)

func TestDurationsAreMilliseconds(t *testing.T) {
	var buf bytes.Buffer
	log, err := logging.New("info", "json", &buf)
	if err != nil {
		t.Fatal(err)
	}
	log.Info("x", slog.Duration("deadline", 400*time.Millisecond), slog.Duration("latency_ms", 1500*time.Microsecond),
		slog.Group("config", slog.Duration("shutdown-timeout", 20*time.Second)), slog.Int("n", 3))
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("not JSON: %q", buf.String())
	}
	cfg, _ := line["config"].(map[string]any)
	for k, want := range map[string]any{"deadline_ms": 400.0, "latency_ms": 1.5, "n": 3.0} {
		if line[k] != want {
			t.Errorf("%s = %v, want %v (line %s)", k, line[k], want, buf.String())
		}
	}
	if cfg["shutdown-timeout_ms"] != 20000.0 {
		t.Errorf("a duration in a group: %s", buf.String())
	}
	if _, ok := line["deadline"]; ok {
		t.Error("the duration is also under its original key")
	}

	buf.Reset()
	log, _ = logging.New("info", "text", &buf)
	log.Info("x", slog.Duration("deadline", 400*time.Millisecond))
	if !strings.Contains(buf.String(), "deadline_ms=400") {
		t.Errorf("text format: %q", buf.String())
	}
	for _, bad := range [][2]string{{"loud", "json"}, {"info", "xml"}} {
		if _, err := logging.New(bad[0], bad[1], &buf); err == nil {
			t.Errorf("New(%q, %q) accepted", bad[0], bad[1])
		}
	}
}
