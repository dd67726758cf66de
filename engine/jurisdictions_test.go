package engine_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/policies"
)

// A profile's jurisdiction members are merged once at load for the
// site's jurisdiction: the rules then read the merged profile, and a card
// cites the document the merged profile names.
func TestJurisdictionMembersMergedAtLoad(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		jurisdiction string
		startsAt     bool
	}{{"US", true}, {"EU", false}} {
		ps, err := engine.Load(ctx, policies.FS, engine.Options{SiteParams: []byte(`{"jurisdiction": "` + tc.jurisdiction + `"}`)})
		if err != nil {
			t.Fatal(err)
		}
		if ps.Jurisdiction() != tc.jurisdiction {
			t.Errorf("Jurisdiction() = %q, want %q", ps.Jurisdiction(), tc.jurisdiction)
		}
		v, err := ps.Query(ctx, "data.labelguard.profiles.upadacitinib.dose.startsAtRecommended", nil)
		if err != nil {
			t.Fatal(err)
		}
		if v != tc.startsAt {
			t.Errorf("%s: upadacitinib dose.startsAtRecommended = %v, want %v", tc.jurisdiction, v, tc.startsAt)
		}
		// The base members a variant does not name stay.
		v, err = ps.Query(ctx, "data.labelguard.profiles.upadacitinib.dose.maxMgPerDay", nil)
		if err != nil || v == nil {
			t.Errorf("%s: dose.maxMgPerDay lost in the merge: %v, %v", tc.jurisdiction, v, err)
		}
		// The variants are not data the rules read.
		if v, _ := ps.Query(ctx, "data.labelguard.profiles.upadacitinib.jurisdictions", nil); v != nil {
			t.Errorf("%s: jurisdictions reached the rules' data: %v", tc.jurisdiction, v)
		}
	}
}

// A bad member of a jurisdiction is refused at load whatever the site's
// jurisdiction, naming the file, the line and the key of the variant.
func TestJurisdictionMemberRefusedWithLine(t *testing.T) {
	t.Parallel()
	profile := editProfile(t, "upadacitinib", func(p map[string]any) {
		p["jurisdictions"].(map[string]any)["EU"] = map[string]any{
			"dose": map[string]any{"maxMgPerDay": "thirty"},
		}
	})
	line := 1 + strings.Count(profile[:strings.Index(profile, `"thirty"`)], "\n")
	for _, site := range []string{`{"jurisdiction": "US"}`, `{"jurisdiction": "EU"}`} {
		_, err := engine.Load(context.Background(), defaultWith(t, map[string]string{"profiles/upadacitinib.json": profile}), engine.Options{SiteParams: []byte(site)})
		want := "profiles/upadacitinib.json:" + strconv.Itoa(line) + ": jurisdictions.EU.dose.maxMgPerDay:"
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "merged for jurisdiction EU") {
			t.Errorf("site %s: err = %v, want one naming %q", site, err, want)
		}
	}
	// A variant may name only what may differ by jurisdiction.
	ident := editProfile(t, "upadacitinib", func(p map[string]any) {
		p["jurisdictions"].(map[string]any)["EU"] = map[string]any{"names": []string{"rinvoq"}}
	})
	if _, err := loadDefaultWith(t, map[string]string{"profiles/upadacitinib.json": ident}); err == nil || !strings.Contains(err.Error(), "jurisdictions.EU") {
		t.Errorf("a variant renaming the drug: err = %v", err)
	}
	// A source of a variant names one of the merged profile's documents.
	noDoc := editProfile(t, "upadacitinib", func(p map[string]any) {
		p["jurisdictions"].(map[string]any)["EU"] = map[string]any{"sources": map[string]any{"dose": map[string]any{"document": "eu-smpc", "section": "4.2"}}}
	})
	if _, err := loadDefaultWith(t, map[string]string{"profiles/upadacitinib.json": noDoc}); err == nil || !strings.Contains(err.Error(), `jurisdictions.EU.sources.dose.document: no document "eu-smpc"`) {
		t.Errorf("a variant citing an unknown document: err = %v", err)
	}
}

// A source entry of a variant replaces the base's whole: a quote read in
// one document must not stay attached to another document's section.
func TestJurisdictionSourceReplacedWhole(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ps, err := engine.Load(ctx, policies.FS, engine.Options{SiteParams: []byte(`{"jurisdiction": "EU"}`)})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"abrocitinib", "upadacitinib"} {
		v, err := ps.Query(ctx, "data.labelguard.profiles."+p+".sources.pregnancy", nil)
		if err != nil {
			t.Fatal(err)
		}
		src, _ := v.(map[string]any)
		doc, _ := src["document"].(string)
		if !strings.HasPrefix(doc, "eu-") {
			t.Errorf("%s: EU pregnancy source cites %q", p, doc)
		}
		if q, _ := src["quote"].(string); strings.Contains(q, "RINVOQ may cause") || strings.Contains(q, "not sufficient to establish") {
			t.Errorf("%s: EU pregnancy source kept the US quote %q", p, q)
		}
	}
}

// The content review is overdue once the site's interval has passed since
// the profile's reviewed date.
func TestContentReviewsOverdue(t *testing.T) {
	t.Parallel()
	profile := editProfile(t, "abrocitinib", func(p map[string]any) {
		p["reviewed"] = map[string]any{"date": "2025-01-31", "by": "test"}
	})
	fsys := defaultWith(t, map[string]string{"profiles/abrocitinib.json": profile})
	for _, tc := range []struct {
		site    string
		now     string
		overdue bool
		due     string
	}{
		{`{}`, "2026-01-30T12:00:00Z", false, "2026-01-31"},
		{`{}`, "2026-01-31T00:00:00Z", true, "2026-01-31"},
		{`{"contentReviewMonths": 24}`, "2026-06-01T00:00:00Z", false, "2027-01-31"},
		{`{"contentReviewMonths": 1}`, "2025-03-03T00:00:00Z", true, "2025-03-03"},
	} {
		ps, err := engine.Load(context.Background(), fsys, engine.Options{SiteParams: []byte(tc.site)})
		if err != nil {
			t.Fatal(err)
		}
		now, _ := time.Parse(time.RFC3339, tc.now)
		var got *engine.ContentReview
		for _, c := range ps.ContentReviews(now) {
			if c.Drug == "abrocitinib" {
				got = &c
			}
		}
		if got == nil {
			t.Fatal("no content review for abrocitinib")
		}
		if got.Overdue != tc.overdue || got.Due != tc.due || got.Reviewed != "2025-01-31" || len(got.Documents) == 0 {
			t.Errorf("site %s at %s: %+v, want overdue %v due %s", tc.site, tc.now, *got, tc.overdue, tc.due)
		}
	}
}

// check reports what would make the set fail at load in another
// jurisdiction than the default's: here the EU variant drops a member a
// rule reads.
func TestCheckFindsAnotherJurisdictionsProblem(t *testing.T) {
	t.Parallel()
	profile := editProfile(t, "abrocitinib", func(p map[string]any) {
		eu := p["jurisdictions"].(map[string]any)["EU"].(map[string]any)
		eu["antiplatelets"] = nil
	})
	fsys := defaultWith(t, map[string]string{"profiles/abrocitinib.json": profile})
	rep, err := engine.Check(context.Background(), fsys)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, p := range rep.Problems {
		if strings.Contains(p.String(), "(with jurisdiction EU)") && strings.Contains(p.String(), "antiplatelets") {
			found = true
		}
	}
	if !found {
		t.Errorf("check found no problem with jurisdiction EU: %v", rep.Problems)
	}
	if _, err := engine.Load(context.Background(), fsys, engine.Options{SiteParams: []byte(`{"jurisdiction": "EU"}`)}); err == nil {
		t.Error("Load with jurisdiction EU accepted a profile its rules cannot read")
	}
}
