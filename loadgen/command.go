package loadgen

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"
)

// Command is the `labelguard bench` command.
func Command() *cobra.Command {
	var (
		cfg                       Config
		signKey, kid, issuer, aud string
		writeIssuer               string
	)
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Load-test a running labelguard server (and optionally opa run --server)",
		Long: `Drive a running server over HTTP at a fixed rate with vegeta, cycling
through --patients distinct patient variants generated from the Synthea
bundles (new ids, shifted dates, different labs and orders) with a new
hookInstance per request, and report throughput, p50/p90/p99/max latency,
errors and this process's CPU.

  --mode cold   every request an order-sign for the next patient
  --mode warm   order-select then order-sign for the same patient
  --mode storm  order sessions: four order-select calls while the order is
                edited (a dispense only the cream's rules read, a note
                no rule reads, a repeat), then order-sign; each session a
                patient of its own
  --mode both   cold then warm; --mode all: cold, warm, storm
  --rate 0      saturation: as fast as --workers senders allow
  --soak 5m     one cold attack of that length, sampling the server's RSS
                (--server-pid, else its /metrics) and reporting growth
  --opa-url     also call opa run --server with the input labelguard derives
                (POST /v1/data/labelguard/loadgen/order_findings, loadgen/opa), same rate
  --probe-rate  GET /healthz at this rate during each attack (default 50/s;
                0: off): its latency is the wait for the server process
                itself, apart from the cost of a hook call
  --sign-key    sign an ES256/ES384 JWT per request (kid --kid, iss --issuer)
  --write-issuer DIR  write es256.pem, es384.pem and trusted-issuers.json
                for labelguard serve --trusted-issuers, then exit

See docs/performance.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if writeIssuer != "" {
				if err := WriteIssuer(writeIssuer, issuer); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "wrote %s/{es256.pem,es384.pem,trusted-issuers.json} for iss %s\n", writeIssuer, issuer)
				return nil
			}
			if cfg.URL == "" && cfg.OPAURL == "" {
				return fmt.Errorf("give --url, --opa-url or both")
			}
			if signKey != "" {
				if aud == "" {
					aud = cfg.URL
				}
				s, err := NewSigner(signKey, kid, issuer, aud)
				if err != nil {
					return err
				}
				cfg.Signer = s
			}
			cfg.Out = cmd.OutOrStdout()
			return Run(cmd.Context(), cfg)
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.URL, "url", "http://127.0.0.1:8080", "labelguard base URL (empty: skip)")
	f.StringVar(&cfg.OPAURL, "opa-url", "", "opa run --server base URL, e.g. http://127.0.0.1:8181")
	f.IntVar(&cfg.Rate, "rate", 500, "requests per second (0: saturation with --workers)")
	f.IntVar(&cfg.Workers, "workers", 8, "concurrent senders at --rate 0")
	f.DurationVar(&cfg.Duration, "duration", 60*time.Second, "length of each attack")
	f.DurationVar(&cfg.Soak, "soak", 0, "soak length (one cold attack with RSS samples)")
	f.DurationVar(&cfg.Sample, "sample", 10*time.Second, "RSS sampling interval in soak mode")
	f.StringVar(&cfg.Patients, "patients", "", "directory of Synthea bundles (default: policies/testdata/patients)")
	f.IntVar(&cfg.N, "n", 100, "distinct patient variants to cycle through (at least 50)")
	f.StringVar(&cfg.Mode, "mode", "both", "cold, warm, storm, both (cold and warm) or all")
	f.DurationVar(&cfg.Timeout, "timeout", 10*time.Second, "per-request timeout")
	f.IntVar(&cfg.ProbeRate, "probe-rate", 50, "GET /healthz at this rate during each labelguard attack and report its latency (0: off)")
	f.IntVar(&cfg.ServerPID, "server-pid", 0, "server process id, for its RSS and CPU from /proc")
	f.IntVar(&cfg.OPAPID, "opa-pid", 0, "opa run --server's process id, for its CPU in the --opa-url run")
	f.StringVar(&signKey, "sign-key", "", "EC private key (PEM) to sign a JWT per request: P-256 for ES256, P-384 for ES384")
	f.StringVar(&kid, "kid", "", "JWT kid header (default: es256 or es384)")
	f.StringVar(&issuer, "issuer", "https://bench.labelguard.test", "JWT iss (and sub)")
	f.StringVar(&aud, "audience-base", "", "base URL the server expects in aud (default: --url)")
	f.StringVar(&writeIssuer, "write-issuer", "", "write test keys and a trusted-issuers file to this directory and exit")
	return cmd
}
