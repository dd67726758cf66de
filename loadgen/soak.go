package loadgen

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/labelguard/labelguard/loadgen/corpus"
)

// soak runs one cold attack of cfg.Soak at cfg.Rate and samples the
// server's resident memory every cfg.Sample.
func soak(ctx context.Context, cfg Config, c *corpus.Corpus) error {
	if cfg.URL == "" {
		return fmt.Errorf("soak needs --url")
	}
	if err := checkServer(cfg, c); err != nil {
		return err
	}
	if cfg.Sample <= 0 {
		cfg.Sample = 10 * time.Second
	}
	type sample struct {
		at  time.Duration
		rss int64
	}
	var samples []sample
	start := time.Now()
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(cfg.Sample)
		defer t.Stop()
		for {
			if rss, err := RSS(cfg); err == nil {
				samples = append(samples, sample{time.Since(start), rss})
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	cpu0, srv0 := selfCPU(), procCPU(cfg.ServerPID)
	run := cfg
	run.Duration = cfg.Soak
	stats := attack(ctx, run, "soak", labelguardTargeter(cfg, c, "cold"))
	close(done)
	rss, err := RSS(cfg)
	if err == nil {
		samples = append(samples, sample{time.Since(start), rss})
	}
	printStats(cfg.Out, "labelguard soak (cold)", stats, cpu0, cfg.ServerPID, srv0, run)
	if len(samples) < 2 {
		return fmt.Errorf("soak: fewer than two RSS samples (give --server-pid or a server with /metrics)")
	}
	fmt.Fprintf(cfg.Out, "server RSS over time (MiB):")
	for _, s := range samples {
		fmt.Fprintf(cfg.Out, " %s=%.1f", s.at.Round(time.Second), float64(s.rss)/(1<<20))
	}
	fmt.Fprintln(cfg.Out)
	// Growth is measured from the first sample after the warm-up (10 %
	// of the soak), when the heap has reached its working size.
	base := samples[0]
	for _, s := range samples {
		if s.at >= cfg.Soak/10 {
			base = s
			break
		}
	}
	last := samples[len(samples)-1]
	fmt.Fprintf(cfg.Out, "RSS growth: %+.1f %% from %s (%.1f MiB) to the end (%.1f MiB); %+.1f %% from the first sample (%.1f MiB)\n",
		100*float64(last.rss-base.rss)/float64(base.rss), base.at.Round(time.Second), float64(base.rss)/(1<<20), float64(last.rss)/(1<<20),
		100*float64(last.rss-samples[0].rss)/float64(samples[0].rss), float64(samples[0].rss)/(1<<20))
	return nil
}

// RSS reads the server's resident set size: VmRSS of --server-pid, else
// process_resident_memory_bytes from its /metrics.
func RSS(cfg Config) (int64, error) {
	if cfg.ServerPID > 0 {
		f, err := os.Open(fmt.Sprintf("/proc/%d/status", cfg.ServerPID))
		if err != nil {
			return 0, err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
				kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
				return kb * 1024, err
			}
		}
		return 0, fmt.Errorf("no VmRSS for pid %d", cfg.ServerPID)
	}
	resp, err := http.Get(strings.TrimRight(cfg.URL, "/") + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "process_resident_memory_bytes "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return int64(f), err
		}
	}
	return 0, fmt.Errorf("no process_resident_memory_bytes on %s/metrics", cfg.URL)
}
