package prefetch

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
)

// benchSearchset returns a searchset Bundle of the first n Observations of a
// Synthea patient (about 1 KB each), as a FHIR server would send them.
func benchSearchset(b *testing.B, n int) []byte {
	b.Helper()
	data, err := os.ReadFile("../policies/testdata/patients/Kermit_Trantow_f1a650a5.json")
	if err != nil {
		b.Fatal(err)
	}
	var in struct {
		Entry []struct {
			Resource json.RawMessage `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(data, &in); err != nil {
		b.Fatal(err)
	}
	out := mergedBundle{ResourceType: "Bundle", Type: "searchset"}
	for _, e := range in.Entry {
		if len(out.Entry) < n && strings.Contains(string(e.Resource[:min(len(e.Resource), 60)]), `"Observation"`) {
			out.Entry = append(out.Entry, json.RawMessage(`{"resource":`+string(e.Resource)+`}`))
		}
	}
	total := len(out.Entry)
	out.Total = &total
	body, err := json.Marshal(out)
	if err != nil {
		b.Fatal(err)
	}
	return body
}

func benchServer(b *testing.B) *httptest.Server {
	body := benchSearchset(b, 20)
	b.SetBytes(int64(len(body)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/fhir+json")
		_, _ = w.Write(body)
	}))
	b.Cleanup(srv.Close)
	return srv
}

func benchRequest(srv *httptest.Server, keys ...string) FillRequest {
	tmpl := map[string]string{}
	for _, k := range keys {
		tmpl[k] = "Observation?patient={{context.patientId}}&k=" + k
	}
	return FillRequest{FHIRServer: srv.URL + "/fhir", Authorization: auth(secret, "p1"), PatientID: "p1",
		Tokens: Tokens{Context: map[string]string{"patientId": "p1"}}, Templates: tmpl}
}

// BenchmarkFillLoopback is the latency one fetch round-trip adds: one key,
// a searchset of 20 Observations (about 26 KB), over loopback HTTP with
// keep-alive, cache off. The "keys=7" variant fetches seven such keys, as a
// request with no prefetch at all would, to show the concurrency.
func BenchmarkFillLoopback(b *testing.B) {
	for _, keys := range [][]string{{"observations"}, {"a", "b", "c", "d", "e", "f", "g"}} {
		b.Run("keys="+strconv.Itoa(len(keys)), func(b *testing.B) {
			srv := benchServer(b)
			f := NewFetcher(Config{Client: srv.Client(), Allowed: func(string) bool { return true }, CacheTTL: -1})
			req := benchRequest(srv, keys...)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				res, err := f.Fill(context.Background(), req)
				if err != nil || len(res.Fetched) != len(keys) {
					b.Fatalf("fill: %v %+v", err, res.Issues)
				}
			}
		})
	}
}

// BenchmarkFillCacheHit is the same one-key Fill answered from the cache:
// the order-sign that follows an order-select for the same patient.
func BenchmarkFillCacheHit(b *testing.B) {
	srv := benchServer(b)
	f := NewFetcher(Config{Client: srv.Client(), Allowed: func(string) bool { return true }})
	req := benchRequest(srv, "observations")
	if _, err := f.Fill(context.Background(), req); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		res, err := f.Fill(context.Background(), req)
		if err != nil || len(res.FromCache) != 1 {
			b.Fatalf("not a cache hit: %v %+v", err, res)
		}
	}
}
