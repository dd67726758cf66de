package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labelguard/labelguard/api"
	"github.com/labelguard/labelguard/cdshooks"
	"github.com/labelguard/labelguard/phi"
	"github.com/labelguard/labelguard/store"
)

// auditStore opens a SQLite store in a temporary directory, closed when
// the test ends, and an audit queue that flushes quickly into it.
func auditStore(t *testing.T) (store.Store, *store.AuditQueue) {
	t.Helper()
	st, err := store.Open(context.Background(), store.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, store.NewAuditQueue(st, store.QueueOptions{FlushInterval: 10 * time.Millisecond})
}

// TestAuditAndFeedbackAreStored runs a hook call and feedback through a
// real SQLite store: the decision is audited with hashed identifiers and
// the cards' rules, feedback joins its card, feedback for an unknown card is
// stored and flagged, and /readyz reports the database.
func TestAuditAndFeedbackAreStored(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, q := auditStore(t)
	hasher, err := phi.NewHasher([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	h, _ := newServer(t, func(c *api.Config) { c.Audit = q; c.Store = st; c.Hasher = hasher })

	gc := goldenCases[0]
	body := requestFile(t, gc)
	rec := do(t, h, http.MethodPost, "/cds-services/jak-order-sign", "application/json", body)
	if rec.Code != http.StatusOK {
		t.Fatalf("hook: %d %s", rec.Code, rec.Body)
	}
	var resp cdshooks.Response
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
		t.Fatal(err)
	}
	if rec := do(t, h, http.MethodPost, "/cds-services/nope", "application/json", body); rec.Code != http.StatusNotFound {
		t.Fatalf("unknown service: %d", rec.Code)
	}
	if err := q.Close(ctx); err != nil {
		t.Fatal(err)
	}
	ds, err := st.Decisions(ctx, evalTime.Add(-time.Hour), evalTime.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1 {
		t.Fatalf("%d decisions audited, want 1", len(ds))
	}
	d := ds[0]
	var req struct {
		Context struct {
			PatientID string `json:"patientId"`
		} `json:"context"`
	}
	_ = json.Unmarshal(body, &req)
	if d.PatientHash == "" || d.PatientHash == req.Context.PatientID || d.PatientHash != hasher.Hash(req.Context.PatientID) {
		t.Errorf("patient hash %q is not the keyed hash of the id", d.PatientHash)
	}
	if d.Service != "jak-order-sign" || d.PolicyRevision != "test-revision" || len(d.Cards) != len(resp.Cards) {
		t.Errorf("decision = %+v", d)
	}
	for i, c := range d.Cards {
		if c.UUID != resp.Cards[i].UUID || c.Rule != resp.Cards[i].Source.Topic.Code || strings.Contains(c.Order, "upa-1") {
			t.Errorf("card %d = %+v (order must be hashed)", i, c)
		}
	}

	fb := fmt.Sprintf(`{"feedback":[{"card":%q,"outcome":"overridden","overrideReason":{"reason":{"system":"urn:labelguard:override-reason","code":"benefit-outweighs-risk","display":"Benefit outweighs risk"},"userComment":"discussed"},"outcomeTimestamp":"2026-11-23T12:01:00Z"},
	  {"card":"00000000-0000-0000-0000-000000000000","outcome":"accepted","acceptedSuggestions":[{"id":"x"}],"outcomeTimestamp":"2026-11-23T12:02:00Z"}]}`, resp.Cards[0].UUID)
	if rec := do(t, h, http.MethodPost, "/cds-services/jak-order-sign/feedback", "application/json", []byte(fb)); rec.Code != http.StatusOK {
		t.Fatalf("feedback: %d %s", rec.Code, rec.Body)
	}
	got, err := st.Feedback(ctx, evalTime.Add(-time.Hour), evalTime.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("%d feedback entries stored, want 2", len(got))
	}
	for _, f := range got {
		switch f.CardUUID {
		case resp.Cards[0].UUID:
			if !f.Known || f.ReasonCode != "benefit-outweighs-risk" || f.UserComment != "discussed" {
				t.Errorf("feedback for an issued card = %+v", f)
			}
		default:
			if f.Known {
				t.Errorf("feedback for a card never issued is not flagged: %+v", f)
			}
		}
	}
	rec = do(t, h, http.MethodGet, "/readyz", "", nil)
	if !strings.Contains(rec.Body.String(), `"database":{"backend":"sqlite","status":"ok"}`) {
		t.Errorf("/readyz does not report the database: %s", rec.Body)
	}
}

// TestReadyWhileDatabaseDown: a database outage is reported on /readyz but
// does not make the service unready, and hooks keep answering.
func TestReadyWhileDatabaseDown(t *testing.T) {
	t.Parallel()
	st := store.NewDeferred(store.Config{PostgresDSN: "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=1"}, time.Hour)
	q := store.NewAuditQueue(st, store.QueueOptions{})
	defer func() {
		// The database never comes back: Close gives up at its deadline.
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_ = q.Close(ctx)
	}()
	h, _ := newServer(t, func(c *api.Config) { c.Store = st; c.Audit = q })
	rec := do(t, h, http.MethodGet, "/readyz", "", nil)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"status":"unavailable"`) {
		t.Errorf("/readyz = %d %s", rec.Code, rec.Body)
	}
	if rec := do(t, h, http.MethodPost, "/cds-services/jak-order-sign", "application/json", requestFile(t, goldenCases[0])); rec.Code != http.StatusOK {
		t.Errorf("hook with the database down: %d", rec.Code)
	}
	fb := `{"feedback":[{"card":"c","outcome":"accepted","acceptedSuggestions":[{"id":"x"}],"outcomeTimestamp":"2026-11-23T12:02:00Z"}]}`
	if rec := do(t, h, http.MethodPost, "/cds-services/jak-order-sign/feedback", "application/json", []byte(fb)); rec.Code != http.StatusServiceUnavailable {
		t.Errorf("feedback with the database down: %d, want 503 (never a 200 for feedback not stored)", rec.Code)
	}
}

// TestRefusedCallsAreAuditedUnderTheirHook: a call refused before its body
// is decoded is still a decision of the service's hook, with the error it
// answered. (Without the hook the record was invalid: the queue dropped it
// and logged an error for every such call, which under overload meant one
// for every call shed.)
func TestRefusedCallsAreAuditedUnderTheirHook(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, q := auditStore(t)
	h, _ := newServer(t, func(c *api.Config) { c.Audit = q; c.Store = st })
	for _, body := range []string{`{"hook": "order-sign", `, `[]`} {
		if rec := do(t, h, http.MethodPost, "/cds-services/jak-order-select", "application/json", []byte(body)); rec.Code != http.StatusBadRequest {
			t.Fatalf("malformed body %q: %d %s", body, rec.Code, rec.Body)
		}
	}
	if err := q.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if n := q.Dropped(); n != 0 {
		t.Errorf("%d records dropped", n)
	}
	ds, err := st.Decisions(ctx, evalTime.Add(-time.Hour), evalTime.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 2 {
		t.Fatalf("%d decisions audited, want 2", len(ds))
	}
	for _, d := range ds {
		if d.Service != "jak-order-select" || d.Hook != "order-select" || d.ErrorKind == "" || len(d.Cards) != 0 {
			t.Errorf("decision = %+v, want jak-order-select/order-select with its error", d)
		}
	}
}

// fullAuditor refuses every record, as a full queue does.
type fullAuditor struct{ refused atomic.Int32 }

func (a *fullAuditor) Enqueue(store.Decision) bool { a.refused.Add(1); return false }

// TestFullAuditQueueDoesNotLogPerCall: when the audit queue refuses
// records, the call is answered and logs nothing about it; the queue counts
// drops and logs their number at most every 10 s (store.AuditQueue), so
// that an overloaded service does not also flood its log.
func TestFullAuditQueueDoesNotLogPerCall(t *testing.T) {
	t.Parallel()
	a := &fullAuditor{}
	h, logs := newServer(t, func(c *api.Config) { c.Audit = a })
	body := requestFile(t, goldenCases[0])
	for range 3 {
		if rec := do(t, h, http.MethodPost, "/cds-services/jak-order-sign", "application/json", body); rec.Code != http.StatusOK {
			t.Fatalf("hook: %d %s", rec.Code, rec.Body)
		}
	}
	if n := a.refused.Load(); n != 3 {
		t.Fatalf("%d records offered to the audit, want 3", n)
	}
	if got := logs.String(); strings.Contains(got, "audit") {
		t.Errorf("the service logged about refused audit records:\n%s", got)
	}
}
