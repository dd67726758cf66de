package testpatient

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"time"
)

// FocusedRequest is the order-sign request the perf benchmarks call
// "focused" (docs/performance.md): upadacitinib 45 mg for a Synthea patient
// with a low ANC, the services' prefetch templates applied to the patient,
// 54 resources.
const FocusedRequest = "api/testdata/requests/upadacitinib-45mg-low-anc.json"

// FocusedBody returns the focused request compacted, as an EHR sends it
// (50 KB), read from the repository whatever package asks.
func FocusedBody() ([]byte, error) {
	_, file, _, _ := runtime.Caller(0)
	raw, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "..", filepath.FromSlash(FocusedRequest)))
	if err != nil {
		return nil, fmt.Errorf("testpatient.FocusedBody: %w", err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		return nil, fmt.Errorf("testpatient.FocusedBody: %w", err)
	}
	return compact.Bytes(), nil
}

// DecodeFloor is what the perf benchmarks compare every stage with: read
// the body from a reader and decode it with encoding/json into generic Go
// values, nothing else.
func DecodeFloor(body []byte) error {
	data, err := io.ReadAll(bytes.NewReader(body))
	if err != nil {
		return err
	}
	var v any
	return json.Unmarshal(data, &v)
}

// FloorNs times DecodeFloor on body outside a benchmark's timed loop, so
// that a benchmark can report its ratio to the floor measured in the same
// process and moment.
func FloorNs(body []byte) (float64, error) {
	n := 20
	if len(body) < 100<<10 {
		n = 200
	}
	if err := DecodeFloor(body); err != nil { // warm
		return 0, err
	}
	start := time.Now()
	for range n {
		if err := DecodeFloor(body); err != nil {
			return 0, err
		}
	}
	return float64(time.Since(start).Nanoseconds()) / float64(n), nil
}
