package prefetch

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/labelguard/labelguard/cdshooks"
)

func TestRender(t *testing.T) {
	tok := Tokens{Context: map[string]string{
		"patientId":   "123",
		"userId":      "Practitioner/abc",
		"encounterId": "enc-1",
		"odd":         "a&b=c #d/e",
	}}
	tests := []struct {
		name, template string
		tokens         Tokens
		want           string
		wantErr        bool
	}{
		{"no token", "Patient?_id=1", tok, "Patient?_id=1", false},
		{"read", "Patient/{{context.patientId}}", tok, "Patient/123", false},
		{"search", "Condition?patient={{context.patientId}}", tok, "Condition?patient=123", false},
		{"two tokens", "Encounter?_id={{context.encounterId}}&patient={{context.patientId}}", tok, "Encounter?_id=enc-1&patient=123", false},
		{"spaces inside braces", "Patient/{{ context.patientId }}", tok, "Patient/123", false},
		{"userId read keeps its slash", "{{context.userId}}", tok, "Practitioner/abc", false},
		{"userId in query is escaped", "Encounter?participant={{context.userId}}", tok, "Encounter?participant=Practitioner%2Fabc", false},
		{"userPractitionerId", "Practitioner/{{userPractitionerId}}", tok, "Practitioner/abc", false},
		{"query value escaped", "Observation?x={{context.odd}}", tok, "Observation?x=a%26b%3Dc+%23d%2Fe", false},
		{"path value escaped", "Basic/{{context.odd}}", tok, "Basic/a&b=c%20%23d%2Fe", false},
		{"lone closing braces kept", "Patient?x=}}", tok, "Patient?x=}}", false},
		{"userPractitionerRoleId without role", "PractitionerRole/{{userPractitionerRoleId}}", tok, "", true},
		{"userPatientId for a patient user", "Patient/{{userPatientId}}", Tokens{Context: map[string]string{"userId": "Patient/p1"}}, "Patient/p1", false},
		{"userRelatedPersonId", "RelatedPerson/{{userRelatedPersonId}}", Tokens{Context: map[string]string{"userId": "RelatedPerson/r1"}}, "RelatedPerson/r1", false},
		{"unknown token", "Patient/{{patientId}}", tok, "", true},
		{"nested context field", "Medication/{{context.medication.id}}", tok, "", true},
		{"missing value", "Encounter/{{context.appointmentId}}", tok, "", true},
		{"empty value", "Patient/{{context.patientId}}", Tokens{Context: map[string]string{"patientId": ""}}, "", true},
		{"nil tokens", "Patient/{{context.patientId}}", Tokens{}, "", true},
		{"unclosed", "Patient/{{context.patientId", tok, "", true},
		{"empty token", "Patient/{{}}", tok, "", true},
		{"dot-dot id in path refused", "Patient/{{context.patientId}}", Tokens{Context: map[string]string{"patientId": ".."}}, "", true},
		{"dot-dot id in query is harmless", "Condition?patient={{context.patientId}}", Tokens{Context: map[string]string{"patientId": ".."}}, "Condition?patient=..", false},
		{"token-looking value is escaped", "Condition?patient={{context.patientId}}", Tokens{Context: map[string]string{"patientId": "{{context.userId}}"}}, "Condition?patient=%7B%7Bcontext.userId%7D%7D", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Render(tt.template, tt.tokens)
			if tt.wantErr {
				if err == nil || !errors.Is(err, ErrToken) {
					t.Fatalf("Render(%q) = %q, %v; want an ErrToken error", tt.template, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Render(%q) = %q, %v; want %q", tt.template, got, err, tt.want)
			}
		})
	}
}

func TestRenderErrorHidesValue(t *testing.T) {
	_, err := Render("Patient/{{context.patientId}}", Tokens{Context: map[string]string{"patientId": "..secret"}})
	if err != nil && strings.Contains(err.Error(), "secret") {
		t.Fatalf("error leaks the value: %v", err)
	}
	_, err = Render("Patient/{{context.patientId}}", Tokens{Context: map[string]string{"patientId": ".."}})
	if err == nil || strings.Contains(err.Error(), "..}") {
		t.Fatalf("err = %v", err)
	}
}

func TestTokensFromContext(t *testing.T) {
	hc := &cdshooks.HookContext{Hook: "order-sign", Order: &cdshooks.OrderContext{PatientID: "p", UserID: "PractitionerRole/r", EncounterID: "e"}}
	got := TokensFromContext(hc)
	if got.Context["patientId"] != "p" || got.Context["userId"] != "PractitionerRole/r" || got.Context["encounterId"] != "e" {
		t.Fatalf("tokens = %v", got)
	}
	if s, err := Render("PractitionerRole/{{userPractitionerRoleId}}", got); err != nil || s != "PractitionerRole/r" {
		t.Fatalf("Render = %q, %v", s, err)
	}
	pv := TokensFromContext(&cdshooks.HookContext{Hook: "patient-view", PatientView: &cdshooks.PatientViewContext{PatientID: "q"}})
	if _, ok := pv.Context["userId"]; ok || pv.Context["patientId"] != "q" {
		t.Fatalf("tokens = %v", pv)
	}
	if len(TokensFromContext(nil).Context) != 0 {
		t.Fatal("nil context must give no tokens")
	}
}

// FuzzRender checks, for any template and value, that Render does not panic,
// that a rendered URL holds no token delimiters, and that a value can never
// add a query parameter or change the path it is substituted into.
func FuzzRender(f *testing.F) {
	for _, s := range []struct{ tmpl, v string }{
		{"Patient/{{context.patientId}}", "123"},
		{"Condition?patient={{context.patientId}}", "a&b=c"},
		{"{{context.userId}}", "Practitioner/1"},
		{"Observation?code=http://loinc.org|1-8&patient={{ context.patientId }}", "x y"},
		{"{{userPractitionerId}}/{{", "}}"},
		{"Patient/{{context.patientId}}", "../../admin"},
	} {
		f.Add(s.tmpl, s.v)
	}
	f.Fuzz(func(t *testing.T, tmpl, v string) {
		tok := Tokens{Context: map[string]string{"patientId": v, "userId": "Practitioner/" + v}}
		out, err := Render(tmpl, tok)
		if err != nil {
			if !errors.Is(err, ErrToken) {
				t.Fatalf("error does not wrap ErrToken: %v", err)
			}
			return
		}
		if strings.Contains(out, "{{") {
			t.Fatalf("Render(%q, %q) = %q still holds {{", tmpl, v, out)
		}
		// Injection: in a fixed template the value comes back intact as the
		// one parameter, and the path is untouched.
		q, err := Render("Condition?patient={{context.patientId}}", tok)
		if err != nil {
			if v == "" {
				return
			}
			t.Fatalf("Render of a plain search failed: %v", err)
		}
		u, err := url.Parse(q)
		if err != nil {
			t.Fatalf("rendered %q does not parse: %v", q, err)
		}
		vals := u.Query()
		if u.Path != "Condition" || len(vals) != 1 || len(vals["patient"]) != 1 || vals.Get("patient") != v {
			t.Fatalf("value %q changed the query: %q", v, q)
		}
		p, err := Render("Patient/{{context.patientId}}", tok)
		if err != nil {
			return // "." and ".."
		}
		pu, err := url.Parse(p)
		if err != nil || pu.RawQuery != "" || pu.Fragment != "" || pu.Host != "" || strings.Count(pu.EscapedPath(), "/") != 1 {
			t.Fatalf("value %q changed the path: %q", v, p)
		}
	})
}
