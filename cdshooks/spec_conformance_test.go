package cdshooks_test

import (
	"testing"

	"github.com/labelguard/labelguard/cdshooks"
)

// TestConformancePrefetchTokenFields: the hook library lets servers use
// userId, patientId and encounterId of order-select and order-sign in
// prefetch tokens, and forbids draftOrders and selections (they are not
// primitive root-level fields). A service that uses a forbidden field must
// not validate, so it can never be published in discovery.
func TestConformancePrefetchTokenFields(t *testing.T) {
	t.Parallel()
	for _, hook := range []string{cdshooks.HookOrderSelect, cdshooks.HookOrderSign} {
		for field, ok := range map[string]bool{
			"userId": true, "patientId": true, "encounterId": true,
			"draftOrders": false, "selections": false, "draftOrders.entry": false,
		} {
			s := cdshooks.Service{ID: "svc", Hook: hook, Description: "d",
				Prefetch: map[string]string{"k": "Thing?x={{context." + field + "}}"}}
			if err := s.Validate(); (err == nil) != ok {
				t.Errorf("%s {{context.%s}}: Validate() = %v, want ok=%v", hook, field, err, ok)
			}
		}
		for _, tok := range []string{"userPractitionerId", "userPractitionerRoleId", "userPatientId", "userRelatedPersonId"} {
			s := cdshooks.Service{ID: "svc", Hook: hook, Description: "d", Prefetch: map[string]string{"k": "X/{{" + tok + "}}"}}
			if err := s.Validate(); err != nil {
				t.Errorf("%s {{%s}}: %v", hook, tok, err)
			}
		}
		for _, tmpl := range []string{"Patient/{{patientId}}", "Patient/{{context.patientId}", "Patient/context.patientId}}"} {
			s := cdshooks.Service{ID: "svc", Hook: hook, Description: "d", Prefetch: map[string]string{"k": tmpl}}
			if s.Validate() == nil {
				t.Errorf("%s %q validates; tokens must be {{context.<field>}} or a user token", hook, tmpl)
			}
		}
	}
}
