package fhir

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/policies"
	"github.com/labelguard/labelguard/terminology"
)

// testNow is the fixed evaluation time of the tests.
var testNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

var loadTestTables = sync.OnceValues(func() (Tables, error) {
	fsys := os.DirFS("testdata/tables")
	vs, err := terminology.LoadValueSets(fsys, "valuesets")
	if err != nil {
		return Tables{}, err
	}
	labs, err := terminology.LoadLabTable(fsys, "labs.json")
	if err != nil {
		return Tables{}, err
	}
	drugs, err := terminology.LoadDrugTable(fsys, "drugs.json", vs)
	if err != nil {
		return Tables{}, err
	}
	return Tables{ValueSets: vs, Labs: labs, Drugs: drugs}, nil
})

// tables returns the test tables in testdata/tables: a subset of the policy
// set's tables that does not change under the tests' feet.
func tables(tb testing.TB) Tables {
	tb.Helper()
	t, err := loadTestTables()
	if err != nil {
		tb.Fatalf("load test tables: %v", err)
	}
	return t
}

// realTables loads the policy set's tables when they exist and parse; the
// tests that use them skip otherwise, because they are being written.
func realTables(tb testing.TB) (Tables, bool) {
	tb.Helper()
	// The engine assembles the tables (the drug table with each profile's
	// target), as the service does.
	ps, err := engine.Load(context.Background(), policies.FS, engine.Options{})
	if err != nil {
		tb.Log(err)
		return Tables{}, false
	}
	vs, labs, drugs := ps.Tables()
	return Tables{ValueSets: vs, Labs: labs, Drugs: drugs}, true
}

func readFile(tb testing.TB, path string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", path))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// draftOrdersOf extracts context.draftOrders from a hook request or a
// context example file.
func draftOrdersOf(tb testing.TB, path string) json.RawMessage {
	tb.Helper()
	var doc struct {
		Context struct {
			DraftOrders json.RawMessage `json:"draftOrders"`
			Selections  []string        `json:"selections"`
		} `json:"context"`
	}
	if err := json.Unmarshal(readFile(tb, path), &doc); err != nil {
		tb.Fatal(err)
	}
	return doc.Context.DraftOrders
}

// searchset wraps resources in a searchset Bundle.
func searchset(resources ...string) json.RawMessage {
	var entries []string
	for _, r := range resources {
		entries = append(entries, `{"resource":`+r+`}`)
	}
	return json.RawMessage(`{"resourceType":"Bundle","type":"searchset","entry":[` + strings.Join(entries, ",") + `]}`)
}

// drafts builds a draftOrders Bundle from resources.
func drafts(resources ...string) json.RawMessage {
	var entries []string
	for _, r := range resources {
		entries = append(entries, `{"resource":`+r+`}`)
	}
	return json.RawMessage(`{"resourceType":"Bundle","type":"collection","entry":[` + strings.Join(entries, ",") + `]}`)
}

const testPatient = `{"resourceType":"Patient","id":"p1","birthDate":"1961-11-23","gender":"female"}`

// medRequest builds a MedicationRequest with a medication text and extra
// members (each `"name": value`).
func medRequest(id, status, text string, extra ...string) string {
	s := `{"resourceType":"MedicationRequest","id":"` + id + `","status":"` + status + `","intent":"order",` +
		`"subject":{"reference":"Patient/p1"},"medicationCodeableConcept":{"text":"` + text + `"}`
	for _, e := range extra {
		s += "," + e
	}
	return s + "}"
}

func parseDrafts(tb testing.TB, raw json.RawMessage) *DraftOrders {
	tb.Helper()
	d, err := ParseDraftOrders(raw)
	if err != nil {
		tb.Fatalf("ParseDraftOrders: %v", err)
	}
	return d
}

func mustDerive(tb testing.TB, req Request) *Derived {
	tb.Helper()
	if req.Now.IsZero() {
		req.Now = testNow
	}
	if req.PatientID == "" {
		req.PatientID = "p1"
	}
	if req.Hook == "" {
		req.Hook = "order-sign"
	}
	d, err := Derive(tables(tb), req)
	if err != nil {
		tb.Fatalf("Derive: %v", err)
	}
	return d
}

func f64(v float64) *float64 { return &v }
func intp(v int) *int        { return &v }
