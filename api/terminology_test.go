package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/fhir/go/fhirversion"
	"github.com/google/fhir/go/jsonformat"
	bcrpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/bundle_and_contained_resource_go_proto"

	"github.com/labelguard/labelguard/api"
	"github.com/labelguard/labelguard/cdshooks"
	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/policies"
	"github.com/labelguard/labelguard/terminology"
)

// The synthetic RxNorm and NDC files (terminology/testdata/synthetic):
// every code there is made up, and so are the ones the tests send.
const (
	synthDir        = "../terminology/testdata/synthetic"
	rxUpa45SCD      = "900000303" // 24 HR upadacitinib 45 MG Extended Release Oral Tablet
	rxUpa15SCD      = "900000301"
	rxUpa15SBD      = "900000401"
	rxJakafi15SBD   = "900000408" // ruxolitinib 15 MG Oral Tablet [Jakafi]
	rxJakafiBN      = "900000206"
	ndcUpa45Package = "99901004530" // 99901-0045-30, 11 digits
	ndcUpa15Product = "99901-0015"
)

var (
	siteOnce sync.Once
	sitePS   *engine.PolicySet
	siteErr  error
)

// sitePolicies imports the synthetic files as `labelguard terminology
// import` does, writes and reads back the terminology as `serve
// --terminology` does, and loads the default policies with it.
func sitePolicies(t *testing.T) *engine.PolicySet {
	t.Helper()
	siteOnce.Do(func() {
		var src terminology.ImportSources
		open := func(name string) io.ReadCloser {
			f, err := os.Open(filepath.Join(synthDir, name))
			if err != nil {
				siteErr = err
				return io.NopCloser(strings.NewReader(""))
			}
			return f
		}
		for _, step := range []func() error{
			func() (err error) {
				r := open("RXNCONSO.RRF")
				defer r.Close()
				src.RxNorm, err = terminology.ParseRRF(r)
				return
			},
			func() (err error) {
				r := open("product.txt")
				defer r.Close()
				src.NDCProducts, err = terminology.ParseNDCProducts(r)
				return
			},
			func() (err error) {
				r := open("package.txt")
				defer r.Close()
				src.NDCPackages, err = terminology.ParseNDCPackages(r)
				return
			},
		} {
			if err := step(); err != nil && siteErr == nil {
				siteErr = err
			}
		}
		if siteErr != nil {
			return
		}
		site, _, err := terminology.Import(defaultPolicies(t).ImportProfiles(), src)
		if err != nil {
			siteErr = err
			return
		}
		dir := filepath.Join(os.TempDir(), "labelguard-site-terminology-"+strings.ReplaceAll(t.Name(), "/", "_"))
		data, _ := json.Marshal(site)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			siteErr = err
			return
		}
		if err := os.WriteFile(filepath.Join(dir, terminology.SiteFile), data, 0o644); err != nil {
			siteErr = err
			return
		}
		loaded, err := terminology.LoadSite(dir)
		if err != nil {
			siteErr = err
			return
		}
		sitePS, siteErr = engine.Load(context.Background(), policies.FS, engine.Options{Revision: "test-revision", Terminology: loaded})
	})
	if siteErr != nil {
		t.Fatalf("site terminology: %v", siteErr)
	}
	return sitePS
}

func siteServer(t *testing.T) http.Handler {
	t.Helper()
	ps := sitePolicies(t)
	cfg := api.Config{MaxBodyBytes: 2 << 20, AuthDisabled: true, Now: func() time.Time { return evalTime }, EvalTimeout: time.Minute}
	return api.New(cfg, engine.NewActive(ps), slog.New(slog.NewTextHandler(io.Discard, nil))).Handler()
}

// codedRequest is the upadacitinib 45 mg request with its order's
// medication replaced and its dose written "1 TAB".
func codedRequest(t *testing.T, medication map[string]any) []byte {
	t.Helper()
	return editedRequest(t, medication, nil)
}

// creamRequest is codedRequest for a 120 g dispense with no route: above
// the cream's largest dispense (ruxolitinib-cream.quantity-max) if it is
// read as the cream.
func creamRequest(t *testing.T, medication map[string]any) []byte {
	t.Helper()
	return editedRequest(t, medication, func(order map[string]any) {
		order["dispenseRequest"] = map[string]any{"quantity": map[string]any{"value": 120, "unit": "g", "system": "http://unitsofmeasure.org", "code": "g"}}
		delete(order["dosageInstruction"].([]any)[0].(map[string]any), "route")
	})
}

func editedRequest(t *testing.T, medication map[string]any, edit func(order map[string]any)) []byte {
	t.Helper()
	var req map[string]any
	if err := json.Unmarshal(readFile(t, filepath.Join("testdata", "requests", "upadacitinib-45mg-low-anc.json")), &req); err != nil {
		t.Fatal(err)
	}
	order := draftOrder(req)
	order["medicationCodeableConcept"] = medication
	d := order["dosageInstruction"].([]any)[0].(map[string]any)
	d["doseAndRate"] = []any{map[string]any{"doseQuantity": map[string]any{"value": 1, "unit": "TAB"}}}
	delete(d, "text")
	if edit != nil {
		edit(order)
	}
	b, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func draftOrder(req map[string]any) map[string]any {
	ctx := req["context"].(map[string]any)
	return ctx["draftOrders"].(map[string]any)["entry"].([]any)[0].(map[string]any)["resource"].(map[string]any)
}

func coding(system, code string) map[string]any {
	return map[string]any{"coding": []any{map[string]any{"system": system, "code": code}}}
}

// TestSiteTerminologyRecognisesCodes: after importing the synthetic
// RxNorm and NDC files, an order coded only by an SCD RxCUI or an NDC,
// dosed "1 TAB", is upadacitinib 45 mg a day: the dose-max card, whose
// update carries the suggested product's text and its code in the order's
// system, and which the Sandbox would apply (a valid R4 MedicationRequest).
func TestSiteTerminologyRecognisesCodes(t *testing.T) {
	h := siteServer(t)
	for _, tc := range []struct {
		name       string
		medication map[string]any
		wantSystem string
		wantCode   string
	}{
		{"RxNorm SCD, no text", coding(terminology.SystemRxNorm, rxUpa45SCD), terminology.SystemRxNorm, rxUpa15SCD},
		{"RxNorm SCD as an OID, no text", coding("urn:oid:2.16.840.1.113883.6.88", rxUpa45SCD), terminology.SystemRxNorm, rxUpa15SCD},
		// A package order gets the product code: a package would choose a
		// pack size.
		{"NDC package, 11 digits, no text", coding(terminology.SystemNDC, ndcUpa45Package), terminology.SystemNDC, ndcUpa15Product},
		{"NDC product, hyphenated, no text", coding(terminology.SystemNDC, "99901-0045"), terminology.SystemNDC, ndcUpa15Product},
		// 10 digits without hyphens: of 09990-1004-53, 99901-0004-53 and
		// 99901-0045-03 only the last is of a listed product (99901-0045).
		{"NDC, 10 digits without hyphens, no text", coding(terminology.SystemNDC, "9990100453"), terminology.SystemNDC, ndcUpa15Product},
		// Uncoded, as the Sandbox sends it: the site's branded drug (the
		// profiles' products are branded), so the Sandbox can apply it.
		{"text only", map[string]any{"text": "upadacitinib 45 MG Extended Release Oral Tablet [Rinvoq]"}, terminology.SystemRxNorm, rxUpa15SBD},
		{"RxNorm SCD with a text naming another drug", map[string]any{
			"text":   "abrocitinib 100 MG Oral Tablet",
			"coding": []any{map[string]any{"system": terminology.SystemRxNorm, "code": rxUpa45SCD}},
		}, terminology.SystemRxNorm, rxUpa15SCD},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := codedRequest(t, tc.medication)
			cards := replay(t, h, "jak-order-sign", body, http.StatusOK)
			i := slices.IndexFunc(cards, func(c cdshooks.Card) bool {
				return c.Source.Topic != nil && c.Source.Topic.Code == "upadacitinib.dose-max"
			})
			if i < 0 {
				t.Fatalf("no upadacitinib.dose-max card: %q", rulesOf(cards))
			}
			if slices.ContainsFunc(rulesOf(cards), func(r string) bool { return strings.HasPrefix(r, "abrocitinib.") }) {
				t.Fatalf("the text's drug was read instead of the code's: %q", rulesOf(cards))
			}
			c := cards[i]
			if len(c.Suggestions) != 1 || len(c.Suggestions[0].Actions) != 1 {
				t.Fatalf("suggestions: %+v", c.Suggestions)
			}
			var req map[string]any
			if err := json.Unmarshal(body, &req); err != nil {
				t.Fatal(err)
			}
			applied := applyAsSandbox(t, draftOrder(req), c.Suggestions[0].Actions[0])
			var mr struct {
				Medication struct {
					Text   string
					Coding []struct{ System, Code, Display string }
				} `json:"medicationCodeableConcept"`
			}
			if err := json.Unmarshal(applied, &mr); err != nil {
				t.Fatal(err)
			}
			m := mr.Medication
			if m.Text != "upadacitinib 15 MG Extended Release Oral Tablet [Rinvoq]" || m.Coding[0].System != tc.wantSystem || m.Coding[0].Code != tc.wantCode || m.Coding[0].Display == "" {
				t.Fatalf("medicationCodeableConcept %+v, want text of the 15 mg product and coding[0] %s|%s", m, tc.wantSystem, tc.wantCode)
			}
			validR4MedicationRequest(t, applied)
		})
	}
}

// TestSiteTerminologySandboxOrder: the order exactly as the CDS Hooks
// Sandbox sends it (text only, `1 {pill}`, category an object), with the
// site terminology: the dose-max update now carries an RxNorm code, so the
// Sandbox applies it, and what it applies (the order as repaired, then
// rewritten) is a valid R4 MedicationRequest.
func TestSiteTerminologySandboxOrder(t *testing.T) {
	var capture map[string]any
	if err := json.Unmarshal(readFile(t, filepath.Join("testdata", "replay", "sandbox-requests", "order-sign-upadacitinib-45mg.json")), &capture); err != nil {
		t.Fatal(err)
	}
	sandboxOrder := draftOrder(capture)
	var req map[string]any
	if err := json.Unmarshal(readFile(t, filepath.Join("testdata", "requests", "upadacitinib-45mg-low-anc.json")), &req); err != nil {
		t.Fatal(err)
	}
	if _, isObject := sandboxOrder["category"].(map[string]any); !isObject {
		t.Fatalf("the capture's category is no longer an object: %v", sandboxOrder["category"])
	}
	sandboxOrder["subject"] = draftOrder(req)["subject"]
	req["context"].(map[string]any)["draftOrders"].(map[string]any)["entry"].([]any)[0].(map[string]any)["resource"] = sandboxOrder
	body, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	cards := replay(t, siteServer(t), "jak-order-sign", body, http.StatusOK)
	i := slices.IndexFunc(cards, func(c cdshooks.Card) bool {
		return c.Source.Topic != nil && c.Source.Topic.Code == "upadacitinib.dose-max"
	})
	if i < 0 || len(cards[i].Suggestions) != 1 {
		t.Fatalf("no dose-max card with a suggestion: %q", rulesOf(cards))
	}
	applied := applyAsSandbox(t, sandboxOrder, cards[i].Suggestions[0].Actions[0])
	validR4MedicationRequest(t, applied)
}

// TestSiteTerminologyUnknownCode: without the site terminology, or with a
// code it does not list, a code-only order names no drug: no card of a
// target (the recognition above is the terminology's doing).
func TestSiteTerminologyUnknownCode(t *testing.T) {
	plain, _ := newServer(t, nil)
	for _, tc := range []struct {
		name string
		h    http.Handler
		code map[string]any
	}{
		{"no site terminology", plain, coding(terminology.SystemRxNorm, rxUpa45SCD)},
		{"a code the site does not list", siteServer(t), coding(terminology.SystemRxNorm, "900000999")},
		// 10 digits without hyphens: neither 09990-1009-93, 99901-0009-93
		// nor 99901-0099-03 is a listed package or product.
		{"an NDC the site does not list", siteServer(t), coding(terminology.SystemNDC, "9990100993")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cards := replay(t, tc.h, "jak-order-sign", codedRequest(t, tc.code), http.StatusOK)
			if slices.ContainsFunc(rulesOf(cards), func(r string) bool { return strings.HasPrefix(r, "upadacitinib.") }) {
				t.Fatalf("an unknown code was read as upadacitinib: %q", rulesOf(cards))
			}
		})
	}
}

// TestSiteTerminologyJakafiIsNotTheCream: an order coded as Jakafi (oral
// ruxolitinib) gets no card of ruxolitinib cream, whatever its text says,
// while the same text uncoded is read as the cream.
func TestSiteTerminologyJakafiIsNotTheCream(t *testing.T) {
	h := siteServer(t)
	creamText := "ruxolitinib 15 MG/G Topical Cream [Opzelura] (1.5%)"
	cream := replay(t, h, "jak-order-sign", creamRequest(t, map[string]any{"text": creamText}), http.StatusOK)
	if !slices.ContainsFunc(cream, concernsCream) {
		t.Fatalf("control: the uncoded cream order got no cream card: %q", rulesOf(cream))
	}
	for _, tc := range []struct {
		name       string
		medication map[string]any
	}{
		{"SBD, no text", coding(terminology.SystemRxNorm, rxJakafi15SBD)},
		{"SBD, text says cream", map[string]any{"text": creamText, "coding": []any{map[string]any{"system": terminology.SystemRxNorm, "code": rxJakafi15SBD}}}},
		{"BN, text says ruxolitinib cream", map[string]any{"text": "ruxolitinib cream", "coding": []any{map[string]any{"system": terminology.SystemRxNorm, "code": rxJakafiBN}}}},
		{"NDC package, text says cream", map[string]any{"text": creamText, "coding": []any{map[string]any{"system": terminology.SystemNDC, "code": "99902-015-60"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cards := replay(t, h, "jak-order-sign", creamRequest(t, tc.medication), http.StatusOK)
			if slices.ContainsFunc(cards, concernsCream) {
				t.Fatalf("a Jakafi order got cream cards: %q", rulesOf(cards))
			}
		})
	}
}

// concernsCream: a ruxolitinib cream rule, or a card that names the cream.
func concernsCream(c cdshooks.Card) bool {
	if c.Source.Topic != nil && strings.HasPrefix(c.Source.Topic.Code, "ruxolitinib-cream.") {
		return true
	}
	text := strings.ToLower(c.Summary + " " + c.Detail)
	return strings.Contains(text, "ruxolitinib cream") || strings.Contains(text, "opzelura")
}

// applyAsSandbox applies an update as the CDS Hooks Sandbox does
// (/work/shared/cdshooks/sandbox-requests/README.md): only when the
// resource's medicationCodeableConcept has both text and coding[0].code,
// the draft order is replaced by the resource.
func applyAsSandbox(t *testing.T, draft map[string]any, a cdshooks.Action) json.RawMessage {
	t.Helper()
	var res struct {
		ResourceType, ID string
		Medication       *struct {
			Text   string
			Coding []struct{ Code string }
		} `json:"medicationCodeableConcept"`
	}
	if err := json.Unmarshal(a.Resource, &res); err != nil {
		t.Fatal(err)
	}
	if a.Type != "update" || res.ResourceType != "MedicationRequest" || res.ID != draft["id"] {
		t.Fatalf("not an update of the draft order: %s %s", a.Type, a.Resource)
	}
	if res.Medication == nil || res.Medication.Text == "" || len(res.Medication.Coding) == 0 || res.Medication.Coding[0].Code == "" {
		t.Fatalf("the Sandbox would not apply this update (medicationCodeableConcept needs text and coding[0].code): %s", a.Resource)
	}
	return a.Resource
}

// validR4MedicationRequest parses with google/fhir/go's validating R4
// unmarshaller.
func validR4MedicationRequest(t *testing.T, res json.RawMessage) {
	t.Helper()
	u, err := jsonformat.NewUnmarshaller("UTC", fhirversion.R4)
	if err != nil {
		t.Fatal(err)
	}
	m, err := u.Unmarshal(res)
	if err != nil {
		t.Fatalf("not a valid R4 resource: %v\n%s", err, res)
	}
	cr, ok := m.(*bcrpb.ContainedResource)
	if !ok || cr.GetMedicationRequest() == nil {
		t.Fatalf("not a MedicationRequest: %T", m)
	}
	if got := cr.GetMedicationRequest().GetMedication().GetCodeableConcept().GetCoding()[0].GetCode().GetValue(); got == "" {
		t.Fatal("the parsed MedicationRequest lost its medication code")
	}
}
