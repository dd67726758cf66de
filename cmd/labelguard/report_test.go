package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/labelguard/labelguard/store"
)

var reportT0 = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)

// seedReportStore writes two rules' cards and feedback in October 2026,
// and one call in September that the report must leave out.
func seedReportStore(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	dec := func(hi string, at time.Time, lat time.Duration, cards ...store.Card) store.Decision {
		return store.Decision{Time: at, Service: "jak-order-sign", Hook: "order-sign", HookInstance: hi,
			PatientHash: "00112233445566778899aabbccddeeff", PolicyRevision: "rev", Latency: lat, Cards: cards}
	}
	card := func(u, rule string) store.Card { return store.Card{UUID: u, Rule: rule, Indicator: "warning"} }
	day := func(d int) time.Time { return reportT0.AddDate(0, 0, d) }
	if err := st.InsertDecisions(ctx, []store.Decision{
		dec("h1", day(1), 10*time.Millisecond, card("a1", "upa-dose-ad"), card("b1", "jak-tb-screen")),
		dec("h2", day(2), 30*time.Millisecond, card("a2", "upa-dose-ad")),
		dec("h3", day(3), 20*time.Millisecond, card("a3", "upa-dose-ad")),
		dec("h0", day(-3), time.Second, card("a0", "upa-dose-ad")),
	}); err != nil {
		t.Fatal(err)
	}
	over := func(c, code, comment string) store.Feedback {
		return store.Feedback{CardUUID: c, Service: "jak-order-sign", Outcome: store.OutcomeOverridden, OutcomeTime: day(4),
			ReasonSystem: "urn:x", ReasonCode: code, UserComment: comment}
	}
	if _, err := st.InsertFeedback(ctx, []store.Feedback{
		over("a1", "benefit-outweighs-risk", "secret clinical note"),
		over("a2", "benefit-outweighs-risk", ""),
		over("a3", "dose-intended", ""),
		{CardUUID: "b1", Service: "jak-order-sign", Outcome: store.OutcomeAccepted, AcceptedSuggestions: []string{"s"}, OutcomeTime: day(4)},
		over("ghost", "other", ""),
	}); err != nil {
		t.Fatal(err)
	}
	return dir
}

func runReport(t *testing.T, args ...string) string {
	t.Helper()
	cmd := newReportCmd()
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(args)
	if err := cmd.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("report %v: %v (%s)", args, err, errOut.String())
	}
	return out.String()
}

func TestReportCommand(t *testing.T) {
	dir := seedReportStore(t)
	period := []string{"--data-dir", dir, "--from", "2026-10-01", "--to", "2026-11-01"}

	table := runReport(t, period...)
	for _, want := range []string{
		"Period 2026-10-01T00:00:00Z to 2026-11-01T00:00:00Z",
		"RULE", "OVERRIDE%",
		"jak-tb-screen  1      1         0           0.0        0         10.0",
		"upa-dose-ad    3      0         3           100.0      1         20.0       benefit-outweighs-risk (2), dose-intended (1)",
		"(unknown card)  0      0         1           100.0      0         -          other (1)",
	} {
		if !strings.Contains(strings.Join(strings.Fields(table), " "), strings.Join(strings.Fields(want), " ")) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
	if strings.Contains(table, "secret") {
		t.Error("a user comment was printed")
	}

	recs, err := csv.NewReader(strings.NewReader(runReport(t, append(period, "--format", "csv")...))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	wantCSV := [][]string{
		{"rule", "shown", "accepted", "overridden", "override_rate_pct", "comments", "median_latency_ms", "reason1", "reason1_count", "reason2", "reason2_count", "reason3", "reason3_count"},
		{"jak-tb-screen", "1", "1", "0", "0.0", "0", "10.0", "", "", "", "", "", ""},
		{"upa-dose-ad", "3", "0", "3", "100.0", "1", "20.0", "benefit-outweighs-risk", "2", "dose-intended", "1", "", ""},
		{"(unknown card)", "0", "0", "1", "100.0", "0", "-", "other", "1", "", "", "", ""},
	}
	if got, want := strings.Join(flatten(recs), "|"), strings.Join(flatten(wantCSV), "|"); got != want {
		t.Errorf("csv:\n got %v\nwant %v", recs, wantCSV)
	}

	var doc struct {
		From  time.Time   `json:"from"`
		Rules []reportRow `json:"rules"`
	}
	if err := json.Unmarshal([]byte(runReport(t, append(period, "--format", "json")...)), &doc); err != nil {
		t.Fatal(err)
	}
	if !doc.From.Equal(reportT0) || len(doc.Rules) != 3 {
		t.Fatalf("json: %+v", doc)
	}
	upa := doc.Rules[1]
	if upa.Rule != "upa-dose-ad" || upa.Shown != 3 || upa.Overridden != 3 || upa.MedianLatencyMs != 20 ||
		upa.OverrideRate == nil || *upa.OverrideRate != 1 || len(upa.TopOverrideReasons) != 2 ||
		upa.TopOverrideReasons[0].Count != 2 || upa.TopOverrideReasons[0].System != "urn:x" {
		t.Errorf("json rule: %+v", upa)
	}
	if doc.Rules[0].Rule != "jak-tb-screen" || doc.Rules[0].Accepted != 1 {
		t.Errorf("json rule: %+v", doc.Rules[0])
	}
}

func flatten(rs [][]string) []string {
	var out []string
	for _, r := range rs {
		out = append(out, strings.Join(r, ","))
	}
	return out
}

func TestReportCommandErrors(t *testing.T) {
	for name, args := range map[string][]string{
		"missing database": {"--data-dir", t.TempDir() + "/nope"},
		"bad date":         {"--data-dir", t.TempDir(), "--from", "October"},
		"empty period":     {"--data-dir", t.TempDir(), "--from", "2026-11-01", "--to", "2026-10-01"},
		"bad format":       {"--data-dir", seedReportStore(t), "--format", "xml"},
	} {
		cmd := newReportCmd()
		cmd.SetOut(&bytes.Buffer{})
		cmd.SetErr(&bytes.Buffer{})
		cmd.SetArgs(args)
		if err := cmd.ExecuteContext(context.Background()); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestReportPeriodDefault(t *testing.T) {
	lo, hi, err := reportPeriod("", "", time.Date(2026, 11, 17, 9, 0, 0, 0, time.UTC))
	if err != nil || !lo.Equal(reportT0) || !hi.Equal(reportT0.AddDate(0, 1, 0)) {
		t.Errorf("default period = %s to %s, %v; want October 2026", lo, hi, err)
	}
	lo, _, err = reportPeriod("2026-10-01T02:00:00+02:00", "2026-10-02", time.Now())
	if err != nil || !lo.Equal(reportT0) {
		t.Errorf("RFC 3339 from = %s, %v", lo, err)
	}
}
