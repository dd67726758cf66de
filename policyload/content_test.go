package policyload

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/policies"
)

// /status lists per drug the label revisions and the content review, and
// names the drugs whose review is older than contentReviewMonths.
func TestStatusContentReview(t *testing.T) {
	ps, err := engine.Load(context.Background(), policies.FS, engine.Options{SiteParams: []byte(`{"contentReviewMonths": 6}`)})
	if err != nil {
		t.Fatal(err)
	}
	var reviewed time.Time
	for _, c := range ps.ContentReviews(time.Now()) {
		if c.Drug == "abrocitinib" {
			reviewed, _ = time.Parse(time.DateOnly, c.Reviewed)
		}
	}
	if reviewed.IsZero() {
		t.Fatal("abrocitinib has no review date")
	}
	for _, tc := range []struct {
		now     time.Time
		overdue bool
	}{
		{reviewed.AddDate(0, 6, -1), false},
		{reviewed.AddDate(0, 6, 0), true},
	} {
		now := tc.now
		m, err := New(Config{Active: engine.NewActive(ps), Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		st := m.Status()
		if len(st.Content) != 4 {
			t.Fatalf("content of %d drugs, want 4", len(st.Content))
		}
		if got := slices.Contains(st.ContentOverdue, "abrocitinib"); got != tc.overdue {
			t.Errorf("at %s: abrocitinib overdue %v, want %v (%v)", now.Format(time.DateOnly), got, tc.overdue, st.ContentOverdue)
		}
		data, err := json.Marshal(st)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), `"contentOverdue":`) || !strings.Contains(string(data), `"revised":"2023-12"`) {
			t.Errorf("status JSON lacks the content review: %s", data)
		}
	}
}
