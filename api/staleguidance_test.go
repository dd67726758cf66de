package api_test

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"slices"
	"testing"

	"github.com/labelguard/labelguard/api"
	"github.com/labelguard/labelguard/cdshooks"
)

// sandbox45 is the Sandbox's 45 mg capture as it was sent (its prefetch is
// complete), at order-sign or, edited, at order-select.
func sandbox45(t *testing.T, hook string) []byte {
	t.Helper()
	var req map[string]any
	if err := json.Unmarshal(readFile(t, filepath.Join("testdata", "replay", "sandbox-requests", "order-sign-upadacitinib-45mg.json")), &req); err != nil {
		t.Fatal(err)
	}
	switch hook {
	case "order-select":
		asOrderSelect(req)
	case "patient-view":
		req["hook"] = "patient-view"
		ctx := req["context"].(map[string]any)
		delete(ctx, "draftOrders")
	}
	b, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func discoveryOf(t *testing.T, h http.Handler) map[string][]string {
	t.Helper()
	rec := do(t, h, http.MethodGet, "/cds-services", "", nil)
	var d cdshooks.Discovery
	if err := json.Unmarshal(rec.Body.Bytes(), &d); err != nil {
		t.Fatal(err)
	}
	if err := d.Validate(); err != nil {
		t.Fatalf("discovery does not validate: %v", err)
	}
	out := map[string][]string{}
	for _, s := range d.Services {
		out[s.ID] = append(out[s.ID], s.Hook)
		if s.Prefetch["patient"] == "" {
			t.Errorf("%s (%s) lost its prefetch", s.ID, s.Hook)
		}
	}
	for _, hooks := range out {
		slices.Sort(hooks)
	}
	return out
}

// TestStaleGuidanceID: off by default; when set, discovery lists the
// order-select and order-sign services under one id (CDS Hooks "update
// stale guidance"), a call to it is answered by the service of its hook
// with the same cards, feedback is taken under it, and the services' own
// ids keep working.
func TestStaleGuidanceID(t *testing.T) {
	t.Parallel()
	def, _ := newServer(t, nil)
	if got := discoveryOf(t, def); len(got["jak-order-select"]) != 1 || len(got["jak-order-sign"]) != 1 || got["jak-order"] != nil {
		t.Fatalf("default discovery %v", got)
	}
	if rec := do(t, def, http.MethodPost, "/cds-services/jak-order", "application/json", sandbox45(t, "order-sign")); rec.Code != http.StatusNotFound {
		t.Fatalf("jak-order without the option: %d", rec.Code)
	}

	h, _ := newServer(t, func(c *api.Config) { c.StaleGuidanceID = "jak-order" })
	want := map[string][]string{"jak-order": {"order-select", "order-sign"}, "jak-monitoring": {"patient-view"}}
	if got := discoveryOf(t, h); len(got) != len(want) || !slices.Equal(got["jak-order"], want["jak-order"]) || !slices.Equal(got["jak-monitoring"], want["jak-monitoring"]) {
		t.Fatalf("discovery %v, want %v", got, want)
	}
	for hook, own := range map[string]string{"order-select": "jak-order-select", "order-sign": "jak-order-sign"} {
		body := sandbox45(t, hook)
		viaGroup := do(t, h, http.MethodPost, "/cds-services/jak-order", "application/json", body)
		viaOwn := do(t, h, http.MethodPost, "/cds-services/"+own, "application/json", body)
		if viaGroup.Code != http.StatusOK || viaOwn.Code != http.StatusOK || viaGroup.Body.String() != viaOwn.Body.String() {
			t.Fatalf("%s: %d %s\nvs %s: %d %s", hook, viaGroup.Code, viaGroup.Body, own, viaOwn.Code, viaOwn.Body)
		}
		var resp cdshooks.Response
		if err := json.Unmarshal(viaGroup.Body.Bytes(), &resp); err != nil || !slices.Contains(rulesOf(resp.Cards), "upadacitinib.dose-max") {
			t.Fatalf("%s: cards %q (%v)", hook, rulesOf(resp.Cards), err)
		}
	}
	if rec := do(t, h, http.MethodPost, "/cds-services/jak-order", "application/json", sandbox45(t, "patient-view")); rec.Code != http.StatusBadRequest {
		t.Fatalf("patient-view to jak-order: %d %s", rec.Code, rec.Body)
	}
	fb := []byte(`{"feedback":[{"card":"6b44e869-4b0b-5536-bfc1-9b338c835f8f","outcome":"overridden","outcomeTimestamp":"2026-11-23T10:00:00Z"}]}`)
	if rec := do(t, h, http.MethodPost, "/cds-services/jak-order/feedback", "application/json", fb); rec.Code != http.StatusOK {
		t.Fatalf("feedback to jak-order: %d %s", rec.Code, rec.Body)
	}

	// An id the policy set already uses leaves discovery alone.
	taken, _ := newServer(t, func(c *api.Config) { c.StaleGuidanceID = "jak-monitoring" })
	if got := discoveryOf(t, taken); len(got["jak-order-select"]) != 1 || len(got["jak-monitoring"]) != 1 {
		t.Fatalf("discovery with a taken id %v", got)
	}
}
