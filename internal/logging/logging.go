// Package logging builds the service's logger: one JSON object per line
// (or slog's text format when asked), on the writer given, from the first
// line the process writes to the last.
//
// Every duration attribute, from any package, is written as a number of
// milliseconds under its key with "_ms" appended ("deadline" becomes
// "deadline_ms": 400), so that a log pipeline can compare and aggregate
// it: slog would otherwise write nanoseconds in JSON and "400ms" in text.
package logging

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"
)

// New returns a logger at level (debug, info, warn, error) in format (json
// or text) writing to w.
func New(level, format string, w io.Writer) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv, ReplaceAttr: Milliseconds}
	switch format {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want json or text", format)
}

// Milliseconds is a slog.HandlerOptions.ReplaceAttr that writes a
// duration as a number of milliseconds (microsecond precision) under its
// key suffixed "_ms".
func Milliseconds(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() != slog.KindDuration {
		return a
	}
	key := a.Key
	if !strings.HasSuffix(key, "_ms") {
		key += "_ms"
	}
	return slog.Float64(key, ms(a.Value.Duration()))
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
