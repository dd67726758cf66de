package corpus

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	tp "github.com/labelguard/labelguard/internal/testpatient"
)

// Variants must be distinct patients with valid, distinct requests whose
// hookInstance can be replaced in place.
func TestGenerateDistinct(t *testing.T) {
	bases, err := LoadPatients(filepath.Dir(tp.SamplePath("x.json")))
	if err != nil {
		t.Fatal(err)
	}
	c, err := Generate(bases, 50, time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range append(c.Sign, c.Select...) {
		if seen[r.PatientID+r.Hook] {
			t.Fatalf("patient %s repeated", r.PatientID)
		}
		seen[r.PatientID+r.Hook] = true
		b := r.WithInstance(UUID(9, 9))
		var req struct {
			HookInstance string
			Context      struct{ PatientID string }
		}
		if err := json.Unmarshal(b, &req); err != nil {
			t.Fatal(err)
		}
		if req.HookInstance != UUID(9, 9) || req.Context.PatientID != r.PatientID {
			t.Fatalf("hookInstance %q patient %q", req.HookInstance, req.Context.PatientID)
		}
		if bytes.Contains(b, []byte(bases[0].ID)) {
			t.Fatalf("variant still names a base patient id")
		}
	}
}
