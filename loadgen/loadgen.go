// Package loadgen drives a running labelguard server (and, for comparison,
// an `opa run --server` holding the same policies and data) over HTTP at a
// fixed rate with vegeta, cycling through distinct generated patients and
// hookInstances, and reports throughput, latency quantiles, errors, its own
// CPU use and, in soak mode, the server's memory over time.
package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/labelguard/labelguard/cdshooks"
	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/loadgen/corpus"
	"github.com/labelguard/labelguard/pipeline"
	"github.com/labelguard/labelguard/policies"
)

// Config is one load test.
type Config struct {
	URL      string        // labelguard base URL; empty skips it
	OPAURL   string        // opa run --server base URL; empty skips it
	Rate     int           // requests per second; 0 means as fast as Workers allow (saturation)
	Workers  int           // concurrent senders at rate 0
	Duration time.Duration // of each attack
	Soak     time.Duration // when set, one attack of this length with RSS samples
	Sample   time.Duration // RSS sampling interval in soak mode
	Patients string        // Synthea bundle directory; empty: the repository's
	N        int           // distinct patient variants
	Mode     string        // cold, warm, storm, both (cold and warm) or all
	Timeout  time.Duration
	// ServerPID, when set, is read for RSS (/proc/<pid>/status) and CPU
	// (/proc/<pid>/stat); else RSS comes from URL/metrics.
	ServerPID int
	// OPAPID, when set, is opa run --server's process, for its CPU in the
	// side-by-side run.
	OPAPID int
	Signer *Signer // JWT per request when set
	// ProbeRate, when set, GETs URL/healthz at that rate during each
	// labelguard attack. /healthz does no work, so its latency is what any
	// call waits for the server process before its handler runs (a free
	// processor, the collector): it tells a slow hook call's own cost from
	// the process it shares.
	ProbeRate int
	Out       io.Writer
}

// Stats are the results of one attack class.
type Stats struct {
	Name       string
	Requests   uint64
	Throughput float64 // successful responses per second
	Rate       float64
	P50, P90   time.Duration
	P99, Max   time.Duration
	Errors     uint64
	Codes      map[string]int
	ErrorText  []string
}

// Run executes the configured attacks and prints a report.
func Run(ctx context.Context, cfg Config) error {
	if cfg.Out == nil {
		cfg.Out = os.Stdout
	}
	if cfg.N < 50 {
		cfg.N = 50
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second
	}
	bases, err := corpus.LoadPatients(cfg.Patients)
	if err != nil {
		return err
	}
	var modes []string
	switch cfg.Mode {
	case "", "both":
		modes = []string{"cold", "warm"}
	case "all":
		modes = []string{"cold", "warm", "storm"}
	case "cold", "warm", "storm":
		modes = []string{cfg.Mode}
	default:
		return fmt.Errorf("--mode %q: want cold, warm, storm, both or all", cfg.Mode)
	}
	t0 := time.Now()
	c, err := corpus.Generate(bases, cfg.N, time.Now())
	if err != nil {
		return err
	}
	if slices.Contains(modes, "storm") {
		if c.Storm, err = corpus.Storm(bases, cfg.N, time.Now()); err != nil {
			return err
		}
	}
	fmt.Fprintf(cfg.Out, "corpus: %d patient variants from %d Synthea bundles, %s (%d KB mean order-sign body), built in %s\n",
		cfg.N, len(bases), cfg.Mode, meanSize(c.Sign)/1024, time.Since(t0).Round(time.Millisecond))
	if cfg.Soak > 0 {
		return soak(ctx, cfg, c)
	}
	if cfg.URL != "" {
		if err := checkServer(cfg, c); err != nil {
			return err
		}
		for _, m := range modes {
			cpu0, srv0 := selfCPU(), procCPU(cfg.ServerPID)
			probe := startProbe(ctx, cfg)
			stats := attack(ctx, cfg, m, labelguardTargeter(cfg, c, m))
			printStats(cfg.Out, fmt.Sprintf("labelguard %s", m), stats, cpu0, cfg.ServerPID, srv0, cfg)
			printProbe(cfg.Out, probe())
		}
	}
	if cfg.OPAURL != "" {
		bodies, err := opaInputs(ctx, c)
		if err != nil {
			return err
		}
		cpu0, srv0 := selfCPU(), procCPU(cfg.OPAPID)
		stats := attack(ctx, cfg, "opa", opaTargeter(cfg, bodies))
		printStats(cfg.Out, "opa run --server (derived input over REST)", stats, cpu0, cfg.OPAPID, srv0, cfg)
	}
	return nil
}

func meanSize(rs []*corpus.Request) int {
	n := 0
	for _, r := range rs {
		n += len(r.Body)
	}
	return n / max(1, len(rs))
}

// checkServer sends one request of each kind and checks for cards, so that
// a misconfigured server is not "fast" at answering errors.
func checkServer(cfg Config, c *corpus.Corpus) error {
	for _, r := range []*corpus.Request{c.Sign[0], c.Select[0]} {
		req, _ := http.NewRequest(http.MethodPost, strings.TrimRight(cfg.URL, "/")+"/cds-services/"+r.Service, bytes.NewReader(r.Body))
		req.Header.Set("Content-Type", "application/json")
		if cfg.Signer != nil {
			tok, err := cfg.Signer.Token(req.URL.Path)
			if err != nil {
				return err
			}
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := (&http.Client{Timeout: cfg.Timeout}).Do(req)
		if err != nil {
			return fmt.Errorf("server check: %w", err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var out cdshooks.Response
		if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &out) != nil {
			return fmt.Errorf("server check %s: status %d: %.300s", r.Service, resp.StatusCode, body)
		}
		if len(out.Cards) == 0 {
			return fmt.Errorf("server check %s: no cards for a target-drug order", r.Service)
		}
	}
	return nil
}

// stormSessions is how many order sessions a storm interleaves: a
// session's next call is sent this many calls after its previous one, as
// an EHR's edits come seconds apart, so that the previous call has been
// answered (at 500 calls/s, 32 ms later; at saturation more sessions than
// senders are open).
const stormSessions = 16

// labelguardTargeter cycles through the corpus. cold: every request an
// order-sign for the next patient. warm: order-select then order-sign for
// the same patient. storm: the calls of an order session (corpus.Storm),
// stormSessions sessions interleaved, each session under a patient id of
// its own. Every request has its own hookInstance (and JWT).
func labelguardTargeter(cfg Config, c *corpus.Corpus, mode string) vegeta.Targeter {
	base := strings.TrimRight(cfg.URL, "/")
	var seq atomic.Uint64
	run := uint64(time.Now().UnixNano())
	return func(t *vegeta.Target) error {
		i := seq.Add(1) - 1
		var r *corpus.Request
		var body []byte
		switch mode {
		case "warm":
			k := int(i/2) % len(c.Sign)
			if i%2 == 0 {
				r = c.Select[k]
			} else {
				r = c.Sign[k]
			}
		case "storm":
			session, step := stormCall(i, len(c.Storm[0]))
			r = c.Storm[int(session%uint64(len(c.Storm)))][step]
			body = r.WithIDs(corpus.UUID(run, i), corpus.UUID(run^0x5e55, session))
		default:
			r = c.Sign[int(i)%len(c.Sign)]
		}
		if body == nil {
			body = r.WithInstance(corpus.UUID(run, i))
		}
		t.Method = http.MethodPost
		t.URL = base + "/cds-services/" + r.Service
		t.Body = body
		t.Header = http.Header{"Content-Type": []string{"application/json"}}
		if cfg.Signer != nil {
			tok, err := cfg.Signer.Token("/cds-services/" + r.Service)
			if err != nil {
				return err
			}
			t.Header.Set("Authorization", "Bearer "+tok)
		}
		return nil
	}
}

// stormCall is the session and step of the i-th call of a storm of
// sessions of the given number of steps: stormSessions sessions take
// their first step, then their second, and so on, then the next
// stormSessions sessions begin.
func stormCall(i uint64, steps int) (session uint64, step int) {
	block, within := i/uint64(stormSessions*steps), i%uint64(stormSessions*steps)
	return block*stormSessions + within%stormSessions, int(within / stormSessions)
}

// opaInputs derives, in this process, the policy input of each order-sign
// request exactly as labelguard does, and wraps it for OPA's data API.
func opaInputs(ctx context.Context, c *corpus.Corpus) ([][]byte, error) {
	ps, err := engine.Load(ctx, policies.FS, engine.Options{})
	if err != nil {
		return nil, err
	}
	svc, _ := ps.Service("jak-order-sign")
	var out [][]byte
	for _, r := range c.Sign {
		req, err := cdshooks.DecodeRequest(bytes.NewReader(r.Body), cdshooks.Limits{})
		if err != nil {
			return nil, err
		}
		hc, err := cdshooks.DecodeContext(req.Hook, req.Context)
		if err != nil {
			return nil, err
		}
		o, err := pipeline.Run(ctx, ps, svc, req, hc, time.Now())
		if err != nil {
			return nil, err
		}
		if o.Input == nil {
			return nil, fmt.Errorf("corpus request without an order of interest")
		}
		b, err := json.Marshal(map[string]any{"input": o.Input.Input})
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

func opaTargeter(cfg Config, bodies [][]byte) vegeta.Targeter {
	url := strings.TrimRight(cfg.OPAURL, "/") + "/v1/data/labelguard/loadgen/order_findings"
	var seq atomic.Uint64
	return func(t *vegeta.Target) error {
		i := seq.Add(1) - 1
		t.Method = http.MethodPost
		t.URL = url
		t.Body = bodies[int(i)%len(bodies)]
		t.Header = http.Header{"Content-Type": []string{"application/json"}}
		return nil
	}
}

func newAttacker(cfg Config) *vegeta.Attacker {
	opts := []func(*vegeta.Attacker){vegeta.Timeout(cfg.Timeout), vegeta.KeepAlive(true), vegeta.MaxBody(-1)}
	if cfg.Rate <= 0 {
		w := uint64(max(1, cfg.Workers))
		opts = append(opts, vegeta.Workers(w), vegeta.MaxWorkers(w))
	}
	return vegeta.NewAttacker(opts...)
}

func pacer(cfg Config) vegeta.Pacer {
	return vegeta.Rate{Freq: cfg.Rate, Per: time.Second}
}

// attack runs one attack and splits the results by service.
func attack(ctx context.Context, cfg Config, name string, tr vegeta.Targeter) []*Stats {
	atk := newAttacker(cfg)
	ms := map[string]*vegeta.Metrics{}
	errs := map[string]uint64{}
	res := atk.Attack(tr, pacer(cfg), cfg.Duration, name)
	stop := context.AfterFunc(ctx, func() { atk.Stop() })
	defer stop()
	for r := range res {
		class := r.URL[strings.LastIndexByte(r.URL, '/')+1:]
		m := ms[class]
		if m == nil {
			m = &vegeta.Metrics{}
			ms[class] = m
		}
		if r.Code == http.StatusOK && r.Error == "" && r.Method == http.MethodPost && !bytes.Contains(r.Body, []byte(`"cards"`)) && !bytes.Contains(r.Body, []byte(`"result"`)) {
			r.Error = "200 without cards or result"
		}
		if r.Code != http.StatusOK || r.Error != "" {
			errs[class]++
		}
		r.Body = nil
		m.Add(r)
	}
	var out []*Stats
	for class, m := range ms {
		m.Close()
		out = append(out, &Stats{
			Name: class, Requests: m.Requests, Throughput: m.Throughput, Rate: m.Rate,
			P50: m.Latencies.P50, P90: m.Latencies.P90, P99: m.Latencies.P99, Max: m.Latencies.Max,
			Errors: errs[class], Codes: m.StatusCodes, ErrorText: m.Errors,
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// startProbe starts, when cfg.ProbeRate is set, an attack of GET
// /healthz at that rate beside the labelguard attack, on connections of
// its own; the returned function waits for it and gives its results (nil
// without a probe).
func startProbe(ctx context.Context, cfg Config) func() *Stats {
	if cfg.ProbeRate <= 0 || cfg.URL == "" {
		return func() *Stats { return nil }
	}
	pc := cfg
	pc.Rate = cfg.ProbeRate
	url := strings.TrimRight(cfg.URL, "/") + "/healthz"
	tr := vegeta.NewStaticTargeter(vegeta.Target{Method: http.MethodGet, URL: url})
	done := make(chan *Stats, 1)
	go func() {
		var s *Stats
		if out := attack(ctx, pc, "probe", tr); len(out) > 0 {
			s = out[0]
		}
		done <- s
	}()
	return func() *Stats { return <-done }
}

// printProbe prints the /healthz probe's latencies under the attack, apart
// from the hook calls so that they count in neither the calls nor the
// server's CPU per call.
func printProbe(w io.Writer, s *Stats) {
	if s == nil {
		return
	}
	fmt.Fprintf(w, "%-18s %8d %10.1f %9s %9s %9s %9s %7d   (GET, no work: the wait for the process)\n", "probe /healthz", s.Requests, s.Throughput,
		ms(s.P50), ms(s.P90), ms(s.P99), ms(s.Max), s.Errors)
	if s.Errors > 0 {
		fmt.Fprintf(w, "  status codes %v; errors %v\n", s.Codes, first(s.ErrorText, 3))
	}
}

// printStats prints a run's latencies, the load generator's CPU and, when
// pid is set, the CPU that process used since srv0 was read.
func printStats(w io.Writer, title string, stats []*Stats, cpu0 time.Duration, pid int, srv0 time.Duration, cfg Config) {
	rate := fmt.Sprintf("%d/s", cfg.Rate)
	if cfg.Rate <= 0 {
		rate = fmt.Sprintf("max (%d workers)", cfg.Workers)
	}
	auth := "off"
	if cfg.Signer != nil {
		auth = cfg.Signer.Alg()
	}
	fmt.Fprintf(w, "\n== %s: rate %s, %s, auth %s\n", title, rate, cfg.Duration, auth)
	fmt.Fprintf(w, "%-18s %8s %10s %9s %9s %9s %9s %7s\n", "endpoint", "requests", "ok/s", "p50", "p90", "p99", "max", "errors")
	for _, s := range stats {
		fmt.Fprintf(w, "%-18s %8d %10.1f %9s %9s %9s %9s %7d\n", s.Name, s.Requests, s.Throughput,
			ms(s.P50), ms(s.P90), ms(s.P99), ms(s.Max), s.Errors)
		if s.Errors > 0 {
			fmt.Fprintf(w, "  status codes %v; errors %v\n", s.Codes, first(s.ErrorText, 3))
		}
	}
	wall := cfg.Duration.Seconds()
	fmt.Fprintf(w, "load generator CPU: %.2f cores (%.1f s over %.0f s)\n", (selfCPU()-cpu0).Seconds()/wall, (selfCPU() - cpu0).Seconds(), wall)
	if pid > 0 {
		d := procCPU(pid) - srv0
		var calls uint64
		for _, s := range stats {
			calls += s.Requests
		}
		fmt.Fprintf(w, "server CPU: %.2f cores (%.1f s), %.2f ms per call\n", d.Seconds()/wall, d.Seconds(),
			float64(d.Microseconds())/1000/float64(max(1, calls)))
	}
}

func first(s []string, n int) []string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d.Microseconds())/1000) }

// selfCPU is this process's user+system CPU time.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procCPU is another process's user+system CPU time from /proc/<pid>/stat.
func procCPU(pid int) time.Duration {
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the parenthesized command name; utime and stime are
	// the 14th and 15th fields overall.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0
	}
	var ut, st int64
	fmt.Sscan(f[11], &ut)
	fmt.Sscan(f[12], &st)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ is 100 on Linux
}
