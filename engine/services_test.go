package engine_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/policies"
)

// sharedServices declares the templates once for two services; the
// observations template asks for the lab table's codes by placeholder, and
// the second service adds a key of its own.
const sharedServices = `{
  "prefetch": {
    "patient": "Patient/{{context.patientId}}",
    "observations": "Observation?patient={{context.patientId}}&code={{labelguard.labCodes}}&_sort=-date"
  },
  "services": [
    {"id": "svc", "hook": "order-sign", "title": "T", "description": "D"},
    {"id": "select", "hook": "order-select", "title": "T", "description": "D",
     "prefetch": {"conditions": "Condition?patient={{context.patientId}}"}}
  ]
}`

// servicePrefetch returns each service's templates by service ID.
func servicePrefetch(svcs []engine.Service) map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, s := range svcs {
		out[s.ID] = s.Prefetch
	}
	return out
}

// The shared templates reach every service, the lab codes are filled in by
// analyte ID (alt before anc), and a code added to labs.json changes the
// template a directory, LoadServices and a bundle publish alike: the code
// list is stated once.
func TestServicesShareTemplatesAndListTheLabCodes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	obs := func(codes string) string {
		return "Observation?patient={{context.patientId}}&code=" + codes + "&_sort=-date"
	}
	want := func(codes string) map[string]map[string]string {
		return map[string]map[string]string{
			"svc": {"patient": "Patient/{{context.patientId}}", "observations": obs(codes)},
			"select": {"patient": "Patient/{{context.patientId}}", "observations": obs(codes),
				"conditions": "Condition?patient={{context.patientId}}"},
		}
	}
	base := with(testSet(), "services.json", sharedServices)
	added := with(base, "data/labs.json", strings.Replace(tsLabs,
		`"codes": ["http://loinc.org|751-8"]`, `"codes": ["http://loinc.org|751-8", "urn:labelguard:test|anc-extra"]`, 1))
	for _, tc := range []struct {
		name  string
		set   fstest.MapFS
		codes string
	}{
		{"as shipped", base, "http://loinc.org|1742-6,http://loinc.org|751-8"},
		{"a code added to an analyte", added, "http://loinc.org|1742-6,http://loinc.org|751-8,urn:labelguard:test|anc-extra"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ps, err := engine.Load(ctx, tc.set, engine.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want(tc.codes), servicePrefetch(ps.Services)); diff != "" {
				t.Errorf("Load (-want +got):\n%s", diff)
			}
			svcs, err := engine.LoadServices(tc.set)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want(tc.codes), servicePrefetch(svcs)); diff != "" {
				t.Errorf("LoadServices (-want +got):\n%s", diff)
			}
			// A bundle carries services.json as written and labs.json;
			// the templates are filled in when it is loaded.
			var buf bytes.Buffer
			if _, err := engine.BuildBundle(ctx, &buf, tc.set, engine.BuildOptions{}); err != nil {
				t.Fatal(err)
			}
			fromBundle, err := engine.LoadBundle(ctx, &buf, engine.BundleOptions{SkipVerify: true})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want(tc.codes), servicePrefetch(fromBundle.Services)); diff != "" {
				t.Errorf("LoadBundle (-want +got):\n%s", diff)
			}
		})
	}
}

// The default set asks every service for every lab code, in the lab
// table's order, and discovery shows no placeholder.
func TestDefaultServicesListEveryLabCode(t *testing.T) {
	t.Parallel()
	svcs, err := engine.LoadServices(policies.FS)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := engine.Load(context.Background(), policies.FS, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, labs, _ := ps.Tables()
	want := "Observation?patient={{context.patientId}}&code=" + strings.Join(labs.Codes(), ",") + "&_sort=-date"
	if len(labs.Codes()) < 50 {
		t.Fatalf("only %d lab codes", len(labs.Codes()))
	}
	for _, s := range svcs {
		if got := s.Prefetch["observations"]; got != want {
			t.Errorf("%s observations:\n got %s\nwant %s", s.ID, got, want)
		}
		for k, v := range s.Prefetch {
			if strings.Contains(v, "labelguard.") {
				t.Errorf("%s prefetch.%s keeps a placeholder: %s", s.ID, k, v)
			}
		}
	}
	if diff := cmp.Diff(servicePrefetch(svcs), servicePrefetch(ps.Services)); diff != "" {
		t.Errorf("LoadServices and Load differ (-LoadServices +Load):\n%s", diff)
	}
}

// What services.json must not say is refused by Load and by check, naming
// the file and the key.
func TestServicesRefused(t *testing.T) {
	t.Parallel()
	svc := func(prefetch string) string {
		return `{"services": [{"id": "svc", "hook": "order-sign", "title": "T", "description": "D"` + prefetch + `}]}`
	}
	shared := func(prefetch, own string) string {
		return `{"prefetch": ` + prefetch + `, "services": [{"id": "svc", "hook": "order-sign", "title": "T", "description": "D"` + own + `}]}`
	}
	textOnlyLabs := `{"analytes": {"smoking": {"display": "Smoking", "kind": "coded", "codes": [], "textMatch": ["smok"]}}}`
	tests := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{"unknown placeholder in the shared prefetch",
			map[string]string{"services.json": shared(`{"observations": "Observation?patient={{context.patientId}}&code={{labelguard.labcodes}}"}`, "")},
			[]string{"services.json: prefetch.observations: unknown placeholder {{labelguard.labcodes}}: the placeholders are {{labelguard.labCodes}}"}},
		{"unknown placeholder in a service's prefetch",
			map[string]string{"services.json": svc(`, "prefetch": {"obs": "Observation?code={{labelguard.drugCodes}}"}`)},
			[]string{"services.json: services[0] (svc): prefetch.obs: unknown placeholder {{labelguard.drugCodes}}"}},
		{"unclosed placeholder",
			map[string]string{"services.json": svc(`, "prefetch": {"obs": "Observation?code={{labelguard.labCodes"}`)},
			[]string{"services.json: services[0] (svc): prefetch.obs: placeholder {{labelguard.labCodes... is not closed with }}"}},
		{"a service without prefetch", map[string]string{"services.json": svc("")},
			[]string{`services.json: services[0] (svc): no prefetch: declare the templates in the shared "prefetch" or in the service`}},
		{"an empty shared prefetch and none of its own",
			map[string]string{"services.json": shared(`{}`, `, "prefetch": {}`)},
			[]string{"services.json: services[0] (svc): no prefetch"}},
		{"a key both shared and the service's, different templates",
			map[string]string{"services.json": shared(`{"patient": "Patient/{{context.patientId}}"}`, `, "prefetch": {"patient": "Patient?_id={{context.patientId}}"}`)},
			[]string{"services.json: services[0] (svc): prefetch.patient is declared in the shared prefetch too"}},
		{"a key both shared and the service's, same template",
			map[string]string{"services.json": shared(`{"patient": "Patient/{{context.patientId}}"}`, `, "prefetch": {"patient": "Patient/{{context.patientId}}"}`)},
			[]string{"services.json: services[0] (svc): prefetch.patient is declared in the shared prefetch too"}},
		{"lab codes asked for, none in the lab table",
			map[string]string{"data/labs.json": textOnlyLabs,
				"services.json": shared(`{"observations": "Observation?patient={{context.patientId}}&code={{labelguard.labCodes}}"}`, "")},
			[]string{"services.json: prefetch.observations: placeholder {{labelguard.labCodes}}: data/labs.json lists no codes"}},
		{"unknown top-level key", map[string]string{"services.json": `{"prefetches": {}, "services": []}`},
			[]string{"services.json", `unknown field "prefetches"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			set := testSet()
			for p, c := range tc.files {
				set = with(set, p, c)
			}
			_, err := engine.Load(context.Background(), set, engine.Options{})
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Load: error %q does not mention %q", err, w)
				}
			}
			rep, err := engine.Check(context.Background(), set)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, p := range rep.Problems {
				if p.Check == engine.CheckData && p.File == "services.json" && strings.Contains(p.Message, tc.want[len(tc.want)-1]) {
					found = true
				}
			}
			if !found {
				t.Errorf("check does not report it under services.json: %v", rep.Problems)
			}
		})
	}
}

// When labs.json does not load, check says so under labs.json and does
// not let a template that needs it pass unfilled.
func TestCheckServicesWithoutALabTable(t *testing.T) {
	t.Parallel()
	set := with(with(testSet(), "services.json", sharedServices), "data/labs.json", `{"analytes": {"anc": null}}`)
	rep, err := engine.Check(context.Background(), set)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range rep.Problems {
		got = append(got, p.File+": "+p.Message)
	}
	all := strings.Join(got, "\n")
	for _, w := range []string{
		"data/labs.json: data/labs.json: lab table anc: want an object, not null",
		"services.json: services.json: prefetch.observations: placeholder {{labelguard.labCodes}}: needs data/labs.json, which does not load",
	} {
		if !strings.Contains(all, w) {
			t.Errorf("want %q; got:\n%s", w, all)
		}
	}
}
