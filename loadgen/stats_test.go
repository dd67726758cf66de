package loadgen

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"
)

// TestPrintStatsReportsTheCPUOfTheProcessAsked: the side-by-side OPA run
// reports opa's CPU (--opa-pid) or none, never labelguard's cumulative CPU
// since its start (the bug that printed 3.56 cores on a 2-core machine).
func TestPrintStatsReportsTheCPUOfTheProcessAsked(t *testing.T) {
	cfg := Config{Duration: time.Second, ServerPID: os.Getpid()}
	stats := []*Stats{{Name: "order_findings", Requests: 1}}

	var none bytes.Buffer
	printStats(&none, "opa", stats, selfCPU(), 0, 0, cfg)
	if strings.Contains(none.String(), "server CPU") {
		t.Errorf("without --opa-pid the OPA run reports a server CPU:\n%s", none.String())
	}

	var some bytes.Buffer
	pid := os.Getpid()
	printStats(&some, "opa", stats, selfCPU(), pid, procCPU(pid), cfg)
	if !strings.Contains(some.String(), "server CPU: 0.") {
		t.Errorf("with a pid, the CPU since its reading (about 0 here) is reported:\n%s", some.String())
	}
}
