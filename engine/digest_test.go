package engine_test

import (
	"context"
	"testing"

	"github.com/labelguard/labelguard/engine"
)

// TestParamsDigest: the revision hashes the policy files only, so a site
// parameter change must show in ParamsDigest, which a decision cache keys
// on; the same parameters written in another order or spacing digest the
// same.
func TestParamsDigest(t *testing.T) {
	t.Parallel()
	load := func(site string) *engine.PolicySet {
		t.Helper()
		opts := engine.Options{}
		if site != "" {
			opts.SiteParams = []byte(site)
		}
		ps, err := engine.Load(context.Background(), testSet(), opts)
		if err != nil {
			t.Fatal(err)
		}
		return ps
	}
	digest := func(ps *engine.PolicySet) string {
		t.Helper()
		d, err := ps.ParamsDigest()
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	base := load("")
	window := load(`{"labWindowDays": 60, "pregnancyWindowDays": 14}`)
	reordered := load(`{ "pregnancyWindowDays":14,"labWindowDays":60 }`)
	off := load(`{"rules": {"upadacitinib.dose-max": {"enabled": false}}}`)
	if base.Revision != window.Revision || base.Revision != off.Revision {
		t.Fatalf("revisions %s, %s, %s: the test assumes site parameters leave the revision alone", base.Revision, window.Revision, off.Revision)
	}
	if d := digest(base); d != digest(load("")) {
		t.Errorf("the same parameters digest differently: %s, then %s", d, digest(load("")))
	}
	if digest(base) == digest(window) {
		t.Error("a changed lab window does not change the digest")
	}
	if digest(base) == digest(off) {
		t.Error("a rule switched off does not change the digest")
	}
	if digest(window) != digest(reordered) {
		t.Errorf("the same parameters in another order digest differently: %s, %s", digest(window), digest(reordered))
	}
	if digest(load(`{"labWindowDays": 90}`)) != digest(base) {
		t.Error("a site file restating the default changes the digest: it should not, the rules read the same values")
	}
}
