package engine

import (
	"testing"

	"github.com/labelguard/labelguard/cdshooks"
)

// hookGroups: hooks share results only where every rule checks and words
// their findings alike.
func TestHookGroups(t *testing.T) {
	t.Parallel()
	var services []Service
	for _, h := range []string{"order-select", "order-sign", "patient-view"} {
		services = append(services, Service{cdshooks.Service{Hook: h}})
	}
	v := func(hooks ...string) *Variant { return &Variant{Hooks: hooks, Locations: []string{"x.rego:1"}} }
	tests := []struct {
		name    string
		catalog map[string]*Rule
		want    map[string]string
	}{
		{"no hooks named", map[string]*Rule{"a": {Variants: []*Variant{v()}}},
			map[string]string{"order-select": "order-select", "order-sign": "order-select", "patient-view": "order-select"}},
		{"a sign-only rule is checked as on sign everywhere", map[string]*Rule{"a": {Variants: []*Variant{v("order-sign")}}},
			map[string]string{"order-select": "order-select", "order-sign": "order-select", "patient-view": "order-select"}},
		{"variants for the order hooks and patient-view", map[string]*Rule{"a": {Variants: []*Variant{v("patient-view"), v("order-select", "order-sign")}}},
			map[string]string{"order-select": "order-select", "order-sign": "order-select", "patient-view": "patient-view"}},
		{"a variant of its own on order-sign", map[string]*Rule{"a": {Variants: []*Variant{v("order-sign"), v("order-select")}}},
			map[string]string{"order-select": "order-select", "order-sign": "order-sign", "patient-view": "order-sign"}}, // checked as on order-sign, its first variant
	}
	for _, tc := range tests {
		got := hookGroups(services, tc.catalog)
		for h, want := range tc.want {
			if got[h] != want {
				t.Errorf("%s: group of %s = %q, want %q", tc.name, h, got[h], want)
			}
		}
	}
}
