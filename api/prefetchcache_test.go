package api_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/labelguard/labelguard/api"
	"github.com/labelguard/labelguard/fhir"
	"github.com/labelguard/labelguard/metrics"
)

// TestPrefetchCacheReusesOnlyWhatIsUnchanged: the same request again is
// answered identically from cached decoding; a request whose ANC changed
// is decoded afresh and answered for the new value.
func TestPrefetchCacheReusesOnlyWhatIsUnchanged(t *testing.T) {
	m := metrics.New()
	h := confServer(t, func(c *api.Config) {
		c.PrefetchCache = fhir.NewPrefetchCache(time.Minute, 64<<20)
		c.Metrics = m
	})
	body := readFile(t, "testdata/requests/upadacitinib-45mg-low-anc.json")
	first := confPost(t, h, "/cds-services/jak-order-sign", body)
	if first.Code != http.StatusOK || !strings.Contains(first.Body.String(), "jak.lab-anc-low") {
		t.Fatalf("first call = %d, want 200 with the ANC card: %.300s", first.Code, first.Body)
	}
	again := confPost(t, h, "/cds-services/jak-order-sign", body)
	if !bytes.Equal(first.Body.Bytes(), again.Body.Bytes()) {
		t.Errorf("the same request answered differently from the cache:\n%s\n%s", first.Body, again.Body)
	}
	if got := scrape(t, h); strings.Contains(got, "labelguard_prefetch_cache_hits_total 0") || !strings.Contains(got, "labelguard_prefetch_cache_hits_total") {
		t.Errorf("no cache hit recorded:\n%s", grepLines(got, "prefetch_cache"))
	}
	if got := scrape(t, h); !strings.Contains(got, "labelguard_prefetch_cache_order_hits_total 1\n") {
		t.Errorf("the order's typed parse was not reused once:\n%s", grepLines(got, "prefetch_cache_order"))
	}
	// The same order at 15 mg: the order is parsed afresh and the 45 mg
	// dose card is gone.
	lower := bytes.Replace(body, []byte("upadacitinib 45 MG"), []byte("upadacitinib 15 MG"), 1)
	if bytes.Equal(lower, body) {
		t.Fatal("the test request no longer orders upadacitinib 45 MG")
	}
	if rec := confPost(t, h, "/cds-services/jak-order-sign", lower); rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), "upadacitinib.dose-max") ||
		!strings.Contains(first.Body.String(), "upadacitinib.dose-max") {
		t.Errorf("15 mg after 45 mg: %d, dose card still there or never there (stale order parse?): %.300s", rec.Code, rec.Body)
	}
	changed := bytes.ReplaceAll(body, []byte(`"value": 0.8`), []byte(`"value": 1.5`))
	if bytes.Equal(changed, body) {
		t.Fatal("the test request no longer has ANC 0.8")
	}
	rec := confPost(t, h, "/cds-services/jak-order-sign", changed)
	if rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), "jak.lab-anc-low") {
		t.Errorf("ANC 1.5 after ANC 0.8: %d, still the ANC card (stale cache?): %.300s", rec.Code, rec.Body)
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
