package main

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/labelguard/labelguard/store"
)

func newReportCmd() *cobra.Command {
	var from, to, format, dataDir, dsn string
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Per-rule alert report: cards shown, accepted, overridden, override reasons",
		Long: `Summarise, per rule, what the service showed and what clinicians did with it
over a period: the alert-fatigue review an informaticist makes each month.

For each rule: cards shown (in calls made in the period), feedback whose
outcome time is in the period (accepted, overridden, override rate among
those, comments counted but never printed), the three most frequent override
reason codes, and the median latency of the calls that showed the rule.
Feedback for cards the audit does not hold is reported as "(unknown card)".

The period is [--from, --to): dates (UTC midnight) or RFC 3339 times. By
default, the last full calendar month (UTC).

Reads the SQLite database under --data-dir, or PostgreSQL when
--database-dsn is set: the same settings as serve.

--format table (default), csv or json.`,
		Example: `  labelguard report --from 2026-10-01 --to 2026-11-01
  labelguard report --format csv --database-dsn postgres://labelguard@db/labelguard > october.csv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			lo, hi, err := reportPeriod(from, to, time.Now())
			if err != nil {
				return err
			}
			if format != "table" && format != "csv" && format != "json" {
				return fmt.Errorf("--format: %q is not table, csv or json", format)
			}
			if dsn == "" {
				// Opening would create an empty database: a mistyped
				// --data-dir must not quietly report nothing.
				path := filepath.Join(dataDir, store.SQLiteFile)
				if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
					return fmt.Errorf("no audit database at %s (check --data-dir, or set --database-dsn)", path)
				}
			}
			st, err := store.Open(cmd.Context(), store.Config{DataDir: dataDir, PostgresDSN: dsn})
			if err != nil {
				return fmt.Errorf("opening the audit database: %w", err)
			}
			defer st.Close()
			rows, err := st.Report(cmd.Context(), lo, hi)
			if err != nil {
				return err
			}
			return printReport(cmd.OutOrStdout(), format, lo, hi, rows)
		},
	}
	f := cmd.Flags()
	f.StringVar(&from, "from", "", "start of the period, inclusive: YYYY-MM-DD (UTC) or RFC 3339 (default: first day of last month)")
	f.StringVar(&to, "to", "", "end of the period, exclusive: YYYY-MM-DD (UTC) or RFC 3339 (default: first day of this month)")
	f.StringVar(&format, "format", "table", "output format: table, csv or json")
	f.StringVar(&dataDir, "data-dir", "./data", "directory of the SQLite database (labelguard.db)")
	f.StringVar(&dsn, "database-dsn", "", "PostgreSQL DSN; when set, used instead of SQLite")
	return cmd
}

// reportPeriod parses --from and --to, defaulting to the last full
// calendar month before now (UTC).
func reportPeriod(from, to string, now time.Time) (time.Time, time.Time, error) {
	now = now.UTC()
	thisMonth := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	lo, hi := thisMonth.AddDate(0, -1, 0), thisMonth
	var err error
	if from != "" {
		if lo, err = parseWhen(from); err != nil {
			return lo, hi, fmt.Errorf("--from: %w", err)
		}
	}
	if to != "" {
		if hi, err = parseWhen(to); err != nil {
			return lo, hi, fmt.Errorf("--to: %w", err)
		}
	}
	if !lo.Before(hi) {
		return lo, hi, fmt.Errorf("--from %s is not before --to %s", lo.Format(time.RFC3339), hi.Format(time.RFC3339))
	}
	return lo, hi, nil
}

func parseWhen(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return t, fmt.Errorf("%q is neither YYYY-MM-DD nor RFC 3339", s)
	}
	return t.UTC(), nil
}

// reportRow is a rule's line as printed.
type reportRow struct {
	Rule               string              `json:"rule"`
	Shown              int64               `json:"shown"`
	Accepted           int64               `json:"accepted"`
	Overridden         int64               `json:"overridden"`
	OverrideRate       *float64            `json:"overrideRate,omitempty"` // overridden / (accepted + overridden)
	Comments           int64               `json:"comments"`
	MedianLatencyMs    float64             `json:"medianLatencyMs"`
	TopOverrideReasons []store.ReasonCount `json:"topOverrideReasons"`
}

func toRow(r store.RuleReport) reportRow {
	row := reportRow{
		Rule: r.Rule, Shown: r.Shown, Accepted: r.Accepted, Overridden: r.Overridden, Comments: r.Comments,
		MedianLatencyMs:    float64(r.MedianLatency.Microseconds()) / 1000,
		TopOverrideReasons: r.TopOverrideReasons,
	}
	if n := r.Accepted + r.Overridden; n > 0 {
		rate := float64(r.Overridden) / float64(n)
		row.OverrideRate = &rate
	}
	return row
}

func (r reportRow) rateText() string {
	if r.OverrideRate == nil {
		return "-"
	}
	return strconv.FormatFloat(*r.OverrideRate*100, 'f', 1, 64)
}

func (r reportRow) latencyText() string {
	if r.Shown == 0 {
		return "-"
	}
	return strconv.FormatFloat(r.MedianLatencyMs, 'f', 1, 64)
}

func printReport(w io.Writer, format string, from, to time.Time, rules []store.RuleReport) error {
	rows := make([]reportRow, len(rules))
	for i, r := range rules {
		rows[i] = toRow(r)
	}
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			From  time.Time   `json:"from"`
			To    time.Time   `json:"to"`
			Rules []reportRow `json:"rules"`
		}{from, to, rows})
	case "csv":
		cw := csv.NewWriter(w)
		head := []string{"rule", "shown", "accepted", "overridden", "override_rate_pct", "comments", "median_latency_ms"}
		for i := 1; i <= 3; i++ {
			head = append(head, fmt.Sprintf("reason%d", i), fmt.Sprintf("reason%d_count", i))
		}
		if err := cw.Write(head); err != nil {
			return err
		}
		for _, r := range rows {
			rec := []string{r.Rule, itoa(r.Shown), itoa(r.Accepted), itoa(r.Overridden), r.rateText(), itoa(r.Comments), r.latencyText()}
			for i := range 3 {
				if i < len(r.TopOverrideReasons) {
					rec = append(rec, r.TopOverrideReasons[i].Code, itoa(r.TopOverrideReasons[i].Count))
				} else {
					rec = append(rec, "", "")
				}
			}
			if err := cw.Write(rec); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	default:
		fmt.Fprintf(w, "Period %s to %s (UTC, end exclusive)\n\n", from.Format(time.RFC3339), to.Format(time.RFC3339))
		if len(rows) == 0 {
			_, err := fmt.Fprintln(w, "No cards shown and no feedback in this period.")
			return err
		}
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "RULE\tSHOWN\tACCEPTED\tOVERRIDDEN\tOVERRIDE%\tCOMMENTS\tMEDIAN MS\tTOP OVERRIDE REASONS")
		for _, r := range rows {
			reasons := make([]string, len(r.TopOverrideReasons))
			for i, rc := range r.TopOverrideReasons {
				reasons[i] = fmt.Sprintf("%s (%d)", rc.Code, rc.Count)
			}
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t%d\t%s\t%s\n", r.Rule, r.Shown, r.Accepted, r.Overridden,
				r.rateText(), r.Comments, r.latencyText(), strings.Join(reasons, ", "))
		}
		return tw.Flush()
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
