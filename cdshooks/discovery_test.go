package cdshooks_test

import (
	"encoding/json"
	"testing"

	"github.com/labelguard/labelguard/cdshooks"
)

func TestSpecDiscovery(t *testing.T) {
	t.Parallel()
	for _, file := range []string{"spec/discovery-response.json", "spec/discovery-with-extension.json"} {
		t.Run(file, func(t *testing.T) {
			t.Parallel()
			var d cdshooks.Discovery
			roundTrip(t, file, &d)
			if len(d.Services) == 0 {
				t.Fatal("no services decoded")
			}
			if err := d.Validate(); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestSpecPrefetchTemplates(t *testing.T) {
	t.Parallel()
	// The fragment holds only prefetch, so it cannot round-trip as a whole
	// Service.
	var s cdshooks.Service
	if err := json.Unmarshal(readFixture(t, "spec/discovery-prefetch-templates.json"), &s); err != nil || len(s.Prefetch) != 4 {
		t.Fatalf("prefetch %v, %v", s.Prefetch, err)
	}
	s.ID, s.Hook, s.Description = "a1c", cdshooks.HookPatientView, "d"
	if err := s.Validate(); err != nil {
		t.Error(err)
	}
}

func validService() cdshooks.Service {
	return cdshooks.Service{
		ID:          "jak-order-sign",
		Hook:        cdshooks.HookOrderSign,
		Description: "Checks JAK inhibitor orders against the label",
		Prefetch: map[string]string{
			"patient": "Patient/{{context.patientId}}",
			"labs":    "Observation?patient={{context.patientId}}&code=1742-6",
			"user":    "PractitionerRole?_id={{userPractitionerRoleId}}",
		},
	}
}

func TestServiceValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		modify func(*cdshooks.Service)
		field  string
	}{
		{"valid", func(*cdshooks.Service) {}, ""},
		{"title optional", func(s *cdshooks.Service) { s.Title = "" }, ""},
		{"no prefetch", func(s *cdshooks.Service) { s.Prefetch = nil }, ""},
		{"unknown hook any token", func(s *cdshooks.Service) {
			s.Hook = "org.example.custom"
			s.Prefetch = map[string]string{"x": "Thing/{{context.thingId}}"}
		}, ""},
		{"id missing", func(s *cdshooks.Service) { s.ID = "" }, "id"},
		{"id with slash", func(s *cdshooks.Service) { s.ID = "a/b" }, "id"},
		{"id dot dot", func(s *cdshooks.Service) { s.ID = ".." }, "id"},
		{"hook missing", func(s *cdshooks.Service) { s.Hook = "" }, "hook"},
		{"description missing", func(s *cdshooks.Service) { s.Description = "" }, "description"},
		{"empty template", func(s *cdshooks.Service) { s.Prefetch["labs"] = "" }, "prefetch.labs"},
		{"empty key", func(s *cdshooks.Service) { s.Prefetch[""] = "Patient/{{context.patientId}}" }, "prefetch"},
		{"unterminated token", func(s *cdshooks.Service) { s.Prefetch["labs"] = "Observation?patient={{context.patientId" }, "prefetch.labs"},
		{"stray close", func(s *cdshooks.Service) { s.Prefetch["labs"] = "Observation?patient=context.patientId}}" }, "prefetch.labs"},
		{"nested field token", func(s *cdshooks.Service) { s.Prefetch["labs"] = "X?a={{context.medication.id}}" }, "prefetch.labs"},
		{"unknown user token", func(s *cdshooks.Service) { s.Prefetch["user"] = "Practitioner/{{userId}}" }, "prefetch.user"},
		{"token not offered by hook", func(s *cdshooks.Service) { s.Prefetch["labs"] = "X?a={{context.draftOrders}}" }, "prefetch.labs"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := validService()
			tc.modify(&s)
			wantValidationError(t, s.Validate(), tc.field)
		})
	}
}

func TestDiscoveryValidate(t *testing.T) {
	t.Parallel()
	a, b := validService(), validService()
	b.Hook = cdshooks.HookOrderSelect
	// One id for two hooks is how the spec updates stale guidance.
	if err := (cdshooks.Discovery{Services: []cdshooks.Service{a, b}}).Validate(); err != nil {
		t.Errorf("same id, different hooks: %v", err)
	}
	wantValidationError(t, cdshooks.Discovery{Services: []cdshooks.Service{a, b, a}}.Validate(), "services[2]")
	bad := validService()
	bad.Description = ""
	wantValidationError(t, cdshooks.Discovery{Services: []cdshooks.Service{a, bad}}.Validate(), "services[1].description")
	out, err := json.Marshal(cdshooks.Discovery{Services: []cdshooks.Service{{ID: "x", Hook: "h", Description: "d"}}})
	if err != nil || string(out) != `{"services":[{"hook":"h","description":"d","id":"x"}]}` {
		t.Errorf("Marshal = %s, %v", out, err)
	}
}
