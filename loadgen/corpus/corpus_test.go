package corpus

import (
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/policies"
)

// The focused request holds what the default services ask for: LabCodes
// reads the lab table, the services' observations templates are filled
// in from it, and both must name the same codes.
func TestLabCodesAreWhatTheServicesAsk(t *testing.T) {
	t.Parallel()
	got, err := LabCodes()
	if err != nil {
		t.Fatal(err)
	}
	svcs, err := engine.LoadServices(policies.FS)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range svcs {
		tmpl, ok := s.Prefetch["observations"]
		if !ok {
			t.Fatalf("%s: no observations template", s.ID)
		}
		_, q, _ := strings.Cut(tmpl, "?")
		vals, err := url.ParseQuery(q)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]bool{}
		for _, c := range strings.Split(vals.Get("code"), ",") {
			want[c] = true
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: LabCodes (-template +LabCodes):\n%s", s.ID, diff)
		}
	}
}
