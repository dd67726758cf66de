package fhir

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/labelguard/labelguard/facts"
)

const (
	mariaID   = "22d7a9b8-7756-4eb7-a95f-6e86e0c93761"
	mariaFile = "synthea/Maria_Luisa_Razo_d060a28c.json"
)

const abroDraft = `{"resourceType":"MedicationRequest","id":"abro-1","status":"draft","intent":"order",
	"subject":{"reference":"Patient/22d7a9b8-7756-4eb7-a95f-6e86e0c93761"},
	"medicationCodeableConcept":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"2581786","display":"abrocitinib 100 MG Oral Tablet [Cibinqo]"}]},
	"dosageInstruction":[{"timing":{"repeat":{"frequency":1,"period":1,"periodUnit":"d"}},"route":{"text":"oral"},
		"doseAndRate":[{"doseQuantity":{"value":1,"unit":"tablet","system":"http://unitsofmeasure.org","code":"{tbl}"}}]}]}`

const clopidogrelDraft = `{"resourceType":"MedicationRequest","id":"clop-1","status":"draft","intent":"order",
	"medicationCodeableConcept":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"309362","display":"Clopidogrel 75 MG Oral Tablet"}],"text":"Clopidogrel 75 MG Oral Tablet"},
	"dosageInstruction":[{"timing":{"code":{"coding":[{"code":"QD"}]}},"doseAndRate":[{"doseQuantity":{"value":1,"unit":"tablet"}}]}]}`

// A Synthea patient as a transaction Bundle in one prefetch key, and a draft
// abrocitinib order: clopidogrel is active, the abrocitinib order is an
// initiation.
func TestDeriveSyntheaAbrocitinibWithActiveClopidogrel(t *testing.T) {
	t.Parallel()
	d := parseDrafts(t, drafts(abroDraft))
	if !d.HasCandidates(tables(t)) {
		t.Fatal("HasCandidates = false for abrocitinib")
	}
	got := mustDerive(t, Request{
		Service: "jak-order-sign", HookInstance: "h1", PatientID: "Patient/" + mariaID, Drafts: d,
		Prefetch:     map[string]json.RawMessage{"everything": readFile(t, mariaFile)},
		ExpectedKeys: []string{"everything", "patient"},
	})
	in := got.Input
	if diff := cmp.Diff(&facts.Patient{Ref: "Patient/" + mariaID, BirthDate: "1973-08-01", AgeYears: intp(53), Sex: "female"}, in.Patient); diff != "" {
		t.Errorf("patient (-want +got):\n%s", diff)
	}
	if len(in.Orders) != 1 {
		t.Fatalf("orders = %+v", in.Orders)
	}
	wantOrder := facts.Med{
		Ref: "MedicationRequest/abro-1", ResourceType: "MedicationRequest",
		Codes:       []string{"http://www.nlm.nih.gov/research/umls/rxnorm|2581786"},
		Text:        " abrocitinib 100 mg oral tablet cibinqo ",
		Display:     "abrocitinib 100 MG Oral Tablet [Cibinqo]",
		ValueSets:   []string{"abrocitinib", "jak-inhibitors"},
		Ingredients: []string{"abrocitinib"}, Target: "abrocitinib", Route: "oral",
		Status: "draft", Intent: "order", Draft: true,
		StrengthMg: f64(100), DoseMg: f64(100), FrequencyPerDay: f64(1), DailyDoseMg: f64(100),
		Phase: "initiation", Started: "2026-11-23T12:00:00Z",
	}
	if diff := cmp.Diff(wantOrder, in.Orders[0]); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
	var active []string
	for _, m := range in.Medications {
		if m.Active {
			active = append(active, m.Text)
		}
	}
	wantActive := []string{" clopidogrel 75 mg oral tablet ", " nitroglycerin 0.4 mg actuat mucosal spray ",
		" simvastatin 20 mg oral tablet ", " amlodipine 5 mg oral tablet "}
	if diff := cmp.Diff(wantActive, active); diff != "" {
		t.Errorf("active medications (-want +got):\n%s", diff)
	}
	if last := in.Medications[len(in.Medications)-1]; last.Ref != "MedicationRequest/abro-1" || !last.Draft || last.Phase != "" {
		t.Errorf("last medication = %+v, want the draft without order facts", last)
	}
	clop := in.Medications[0]
	if clop.Start != "2012-07-11T21:19:24Z" || clop.StrengthMg == nil || *clop.StrengthMg != 75 || clop.DoseNote != noteNoDosage {
		t.Errorf("clopidogrel = %+v", clop)
	}
	wantLabs := map[string]facts.Lab{
		"hgb":       {Ref: "Observation/35d652f0-3e98-4b72-bfd0-c4c04a0b8b20", Code: "http://loinc.org|718-7", Value: f64(16.489780072), Unit: "g/dL", Time: "2020-08-05T21:19:24Z"},
		"platelets": {Ref: "Observation/1bddf622", Code: "http://loinc.org|777-3", Value: f64(284.503696549), Unit: "10*9/L", Time: "2020-08-05T21:19:24Z"},
		"weight":    {Code: "http://loinc.org|29463-7", Value: f64(76.374263781), Unit: "kg", Time: "2020-08-05T21:19:24Z"},
		"smoking":   {Code: "http://loinc.org|72166-2", ValueCodes: []string{"http://snomed.info/sct|266919005"}, ValueText: " never smoker ", ValueDisplay: "Never smoker", ValueSets: &[]string{}, Time: "2020-08-05T21:19:24Z"},
	}
	if diff := cmp.Diff(wantLabs, in.Labs, cmpopts.IgnoreFields(facts.Lab{}, "Ref", "AgeDays"),
		cmpopts.EquateApprox(0, 1e-6)); diff != "" {
		t.Errorf("labs (-want +got):\n%s", diff)
	}
	if n := len(in.Immunizations); n != 9 {
		t.Errorf("immunizations = %d, want 9", n)
	}
	var active2 []string
	for _, c := range in.Conditions {
		if c.Active {
			active2 = append(active2, c.Text)
		}
	}
	if diff := cmp.Diff([]string{" coronary heart disease ", " body mass index 30 obesity finding "}, active2); diff != "" {
		t.Errorf("active conditions (-want +got):\n%s", diff)
	}
	if len(in.DataIssues) != 0 {
		t.Errorf("data issues = %+v, want none", in.DataIssues)
	}
	if _, ok := got.OrderResources["MedicationRequest/abro-1"]; !ok || len(got.OrderResources) != 1 {
		t.Errorf("order resources = %v", got.OrderResources)
	}
}

// The same clopidogrel drafted while abrocitinib is active: the clopidogrel
// order is an order of interest (abrocitinib.antiplatelet concerns it); the
// abrocitinib statement's start is in medications for the rule.
func TestDeriveInteractingOrderWhileTargetActive(t *testing.T) {
	t.Parallel()
	abroActive := `{"resourceType":"MedicationStatement","id":"abro-s","status":"active","subject":{"reference":"Patient/p1"},
		"medicationCodeableConcept":{"text":"Cibinqo 100 mg tablet"},"effectivePeriod":{"start":"2026-10-24"}}`
	amox := medRequest("amox", "draft", "Amoxicillin 500 MG Oral Capsule")
	d := parseDrafts(t, drafts(clopidogrelDraft, amox))
	if !d.HasCandidates(tables(t)) {
		t.Fatal("HasCandidates = false for clopidogrel")
	}
	got := mustDerive(t, Request{Drafts: d, Prefetch: map[string]json.RawMessage{
		"patient": json.RawMessage(testPatient), "medications": searchset(abroActive),
	}})
	if len(got.Input.Orders) != 1 || got.Input.Orders[0].Ref != "MedicationRequest/clop-1" {
		t.Fatalf("orders = %+v, want clopidogrel only", got.Input.Orders)
	}
	o := got.Input.Orders[0]
	if o.Target != "" || o.Phase != "" || o.Started != "" || o.StrengthMg == nil || *o.StrengthMg != 75 || o.DailyDoseMg == nil || *o.DailyDoseMg != 75 {
		t.Errorf("clopidogrel order = %+v", o)
	}
	refs := []string{}
	for _, m := range got.Input.Medications {
		refs = append(refs, m.Ref)
	}
	if diff := cmp.Diff([]string{"MedicationStatement/abro-s", "MedicationRequest/clop-1", "MedicationRequest/amox"}, refs); diff != "" {
		t.Errorf("medications (-want +got):\n%s", diff)
	}
	if a := got.Input.Medications[0]; !a.Active || a.Target != "abrocitinib" || a.Start != "2026-10-24T00:00:00Z" {
		t.Errorf("active abrocitinib = %+v", a)
	}
	// Without a target active or drafted, clopidogrel is context only.
	got = mustDerive(t, Request{Drafts: d, Prefetch: map[string]json.RawMessage{"patient": json.RawMessage(testPatient)}})
	if len(got.Input.Orders) != 0 {
		t.Errorf("orders without a target = %+v", got.Input.Orders)
	}
}

func TestDeriveSelectionsAndPhase(t *testing.T) {
	t.Parallel()
	upaStatement := `{"resourceType":"MedicationStatement","id":"upa-s","status":"active","medicationCodeableConcept":{"text":"Rinvoq 15 mg"},"effectiveDateTime":"2026-01-05"}`
	upaOld := `{"resourceType":"MedicationRequest","id":"upa-old","status":"on-hold","intent":"order","medicationCodeableConcept":{"text":"upadacitinib"},"authoredOn":"2025-06-01T08:00:00+02:00"}`
	upaStopped := `{"resourceType":"MedicationRequest","id":"upa-stopped","status":"stopped","intent":"order","medicationCodeableConcept":{"text":"upadacitinib"},"authoredOn":"2020-01-01"}`
	upa := medRequest("upa", "draft", "Rinvoq 30 mg")
	bari := medRequest("bari", "draft", "Olumiant 2 mg")
	bariResigned := medRequest("bari2", "active", "Olumiant 2 mg")
	abroPrior := medRequest("abro", "draft", "Cibinqo", `"priorPrescription":{"reference":"MedicationRequest/old"}`)
	clop := medRequest("clop", "draft", "clopidogrel 75 mg")
	d := parseDrafts(t, drafts(upa, bari, bariResigned, abroPrior, clop))
	prefetch := map[string]json.RawMessage{"patient": json.RawMessage(testPatient),
		"medications": searchset(upaStatement, upaOld, upaStopped)}
	type o struct{ Ref, Phase, Started string }
	summary := func(in facts.Input) []o {
		var out []o
		for _, m := range in.Orders {
			if !m.Selected && in.Hook == "order-select" {
				t.Errorf("%s not Selected", m.Ref)
			}
			out = append(out, o{m.Ref, m.Phase, m.Started})
		}
		return out
	}
	sign := mustDerive(t, Request{Drafts: d, Prefetch: prefetch})
	want := []o{
		{"MedicationRequest/upa", "continuation", "2025-06-01T06:00:00Z"},
		{"MedicationRequest/bari", "initiation", "2026-11-23T12:00:00Z"},
		{"MedicationRequest/bari2", "continuation", "2026-11-23T12:00:00Z"},
		{"MedicationRequest/abro", "continuation", "2026-11-23T12:00:00Z"},
		{"MedicationRequest/clop", "", ""},
	}
	if diff := cmp.Diff(want, summary(sign.Input)); diff != "" {
		t.Errorf("order-sign orders (-want +got):\n%s", diff)
	}
	sel := mustDerive(t, Request{Hook: "order-select", Drafts: d, Prefetch: prefetch,
		Selections: []string{"MedicationRequest/bari", "MedicationRequest/clop"}})
	want = []o{{"MedicationRequest/bari", "initiation", "2026-11-23T12:00:00Z"}, {"MedicationRequest/clop", "", ""}}
	if diff := cmp.Diff(want, summary(sel.Input)); diff != "" {
		t.Errorf("order-select orders (-want +got):\n%s", diff)
	}
	if len(sel.Input.Medications) != 7 || len(sel.OrderResources) != 2 {
		t.Errorf("order-select: %d medications, %d order resources; want 7 and 2", len(sel.Input.Medications), len(sel.OrderResources))
	}
}

func TestDeriveTopicalAndVaccines(t *testing.T) {
	t.Parallel()
	cream := medRequest("cream", "draft", "ruxolitinib 15 MG/G Topical Cream [Opzelura]")
	jakafi := medRequest("jakafi", "draft", "Jakafi 5 mg tablet")
	mmr := `{"resourceType":"ServiceRequest","id":"mmr","status":"draft","intent":"order","code":{"coding":[{"system":"http://hl7.org/fhir/sid/cvx","code":"03"}]},"occurrenceDateTime":"2026-12-01"}`
	flu := `{"resourceType":"Immunization","id":"flu","status":"completed","vaccineCode":{"coding":[{"system":"http://hl7.org/fhir/sid/cvx","code":"140"}]}}`
	varicella := `{"resourceType":"Immunization","id":"var","status":"completed","vaccineCode":{"coding":[{"system":"http://hl7.org/fhir/sid/cvx","code":"21"}]},"occurrenceDateTime":"2026-11-20"}`
	d := parseDrafts(t, drafts(cream, jakafi, mmr, flu, varicella))
	got := mustDerive(t, Request{Drafts: d, Prefetch: map[string]json.RawMessage{"patient": json.RawMessage(testPatient)}})
	type o struct {
		Ref, Target string
		Topical     bool
		Start       string
	}
	var gotO []o
	for _, m := range got.Input.Orders {
		gotO = append(gotO, o{m.Ref, m.Target, m.Topical, m.Start})
	}
	want := []o{
		{"MedicationRequest/cream", "ruxolitinib-cream", true, ""},
		{"MedicationRequest/jakafi", "", false, ""},
		{"ServiceRequest/mmr", "", false, "2026-12-01T00:00:00Z"},
		{"Immunization/var", "", false, "2026-11-20T00:00:00Z"},
	}
	if diff := cmp.Diff(want, gotO); diff != "" {
		t.Errorf("orders (-want +got):\n%s", diff)
	}
}

func TestDerivePrefetchShapes(t *testing.T) {
	t.Parallel()
	cond := func(id string) string {
		return `{"resourceType":"Condition","id":"` + id + `","subject":{"reference":"Patient/p1"},"code":{"text":"Atopic dermatitis"}}`
	}
	tests := []struct {
		name     string
		prefetch map[string]string
		expected []string
		conds    []string
		issues   []facts.DataIssue
		repairs  []string
	}{
		{"null key is no data", map[string]string{"patient": testPatient, "conditions": "null"},
			[]string{"patient", "conditions"}, nil, nil, nil},
		{"absent key", map[string]string{"patient": testPatient}, []string{"conditions", "patient"}, nil,
			[]facts.DataIssue{{Kind: "missing-key", Key: "conditions"}}, nil},
		{"single resource", map[string]string{"patient": testPatient, "conditions": cond("c1")}, nil, []string{"Condition/c1"}, nil, nil},
		{"searchset without type, null entries", map[string]string{"patient": testPatient,
			"conditions": `{"resourceType":"Bundle","entry":[null,{"resource":` + cond("c1") + `},{"search":{"mode":"match"}}]}`}, nil, []string{"Condition/c1"}, nil, nil},
		{"patient inside a Bundle", map[string]string{"patient": string(searchset(testPatient)), "conditions": string(searchset(cond("c1")))},
			nil, []string{"Condition/c1"}, nil, nil},
		{"duplicates across keys", map[string]string{"patient": testPatient, "a": string(searchset(cond("c1"), cond("c2"))), "b": string(searchset(cond("c2"), cond("c1"), testPatient))},
			nil, []string{"Condition/c1", "Condition/c2"}, nil, nil},
		{"invalid resources dropped and counted", map[string]string{"patient": testPatient,
			"conditions": string(searchset(cond("c1"), `{"resourceType":"Condition","id":"bad","code":"x"}`, `{"resourceType":"Condition","id":5}`, `{"id":"x"}`, `{"resourceType":"Condition"}`))},
			nil, []string{"Condition/c1"}, []facts.DataIssue{
				{Kind: "dropped", Key: "conditions", Count: 2, Detail: "invalid Condition"},
				{Kind: "dropped", Key: "conditions", Count: 1, Detail: "missing id"},
				{Kind: "dropped", Key: "conditions", Count: 1, Detail: "missing resourceType"},
			}, nil},
		{"OperationOutcome", map[string]string{"patient": testPatient, "conditions": `{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"timeout"}]}`},
			nil, nil, []facts.DataIssue{{Kind: "fetch-failed", Key: "conditions", Count: 1, Detail: "OperationOutcome"}}, nil},
		{"warning outcome in a searchset is not a failure", map[string]string{"patient": testPatient,
			"conditions": string(searchset(cond("c1"), `{"resourceType":"OperationOutcome","issue":[{"severity":"warning","code":"informational"}]}`))},
			nil, []string{"Condition/c1"}, nil, nil},
		{"response wrapper", map[string]string{"patient": `{"response":{"status":"200 OK"},"resource":` + testPatient + `}`, "conditions": `{"resource":` + cond("c1") + `}`},
			nil, []string{"Condition/c1"}, nil, []string{"prefetch conditions: response wrapper, resource read", "prefetch patient: response wrapper, resource read"}},
		{"failed response wrapper", map[string]string{"patient": testPatient, "conditions": `{"response":{"status":"404 Not Found"}}`},
			nil, nil, []facts.DataIssue{{Kind: "fetch-failed", Key: "conditions", Count: 1, Detail: "response without resource"}}, nil},
		{"next link: paging capped", map[string]string{"patient": testPatient,
			"conditions": `{"resourceType":"Bundle","type":"searchset","link":[{"relation":"next","url":"https://ehr/x?page=2"}],"entry":[{"resource":` + cond("c1") + `}]}`},
			nil, []string{"Condition/c1"}, []facts.DataIssue{{Kind: "paging-capped", Key: "conditions"}}, nil},
		{"total above the entries, no next link", map[string]string{"patient": testPatient,
			"conditions": `{"resourceType":"Bundle","type":"searchset","total":3,"entry":[{"resource":` + cond("c1") + `},{"resource":` + cond("c2") + `}]}`},
			nil, []string{"Condition/c1", "Condition/c2"}, []facts.DataIssue{{Kind: "paging-capped", Key: "conditions", Detail: noteTotalShort}}, nil},
		{"total above the entries, slow path (resourceType not first)", map[string]string{"patient": testPatient,
			"conditions": `{"total":3,"resourceType":"Bundle","entry":[{"resource":` + cond("c1") + `},{"resource":` + `{"resourceType":"Bundle","type":"searchset"}` + `}]}`},
			nil, []string{"Condition/c1"}, []facts.DataIssue{{Kind: "paging-capped", Key: "conditions", Detail: noteTotalShort}}, nil},
		{"total counts matches, not included resources", map[string]string{"patient": testPatient,
			"conditions": `{"resourceType":"Bundle","type":"searchset","total":2,"entry":[{"resource":` + cond("c1") + `,"search":{"mode":"match"}},` +
				`{"resource":` + cond("c2") + `,"search":{"mode":"include"}},{"resource":` + cond("c3") + `}]}`},
			nil, []string{"Condition/c1", "Condition/c2", "Condition/c3"}, nil, nil},
		{"total equal to the entries, malformed total ignored", map[string]string{"patient": testPatient,
			"conditions": string(searchset(cond("c1"))), "other": `{"resourceType":"Bundle","type":"searchset","total":"many","entry":[{"resource":` + cond("c2") + `}]}`},
			nil, []string{"Condition/c1", "Condition/c2"}, nil, nil},
		{"another patient's resource", map[string]string{"patient": testPatient,
			"conditions": string(searchset(cond("c1"), `{"resourceType":"Condition","id":"c9","subject":{"reference":"https://ehr/fhir/Patient/p9"}}`))},
			nil, []string{"Condition/c1"}, []facts.DataIssue{{Kind: "dropped", Key: "conditions", Count: 1, Detail: "another patient's resource"}}, nil},
		{"array and non-resource values", map[string]string{"patient": testPatient, "conditions": `[` + cond("c1") + `]`, "x": `42`},
			nil, []string{"Condition/c1"}, []facts.DataIssue{{Kind: "dropped", Key: "x", Count: 1, Detail: "not a FHIR resource"}},
			[]string{"prefetch conditions: a JSON array, read as a list of resources"}},
		{"nested Bundle (batch-response)", map[string]string{"patient": testPatient,
			"all": `{"resourceType":"Bundle","type":"batch-response","entry":[{"resource":` + string(searchset(cond("c1"))) + `,"response":{"status":"200"}}]}`},
			nil, []string{"Condition/c1"}, nil, nil},
		{"urn:uuid references", map[string]string{"patient": `{"resourceType":"Bundle","type":"transaction","entry":[
			{"fullUrl":"urn:uuid:p1","resource":{"resourceType":"Patient","birthDate":"1990-01-01"}},
			{"fullUrl":"urn:uuid:c1","resource":{"resourceType":"Condition","subject":{"reference":"urn:uuid:p1"}}},
			{"fullUrl":"urn:uuid:c2","resource":{"resourceType":"Condition","id":"c2","subject":{"reference":"urn:uuid:p9"}}}]}`},
			nil, []string{"Condition/c1", "Condition/c2"}, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pf := map[string]json.RawMessage{}
			for k, v := range tc.prefetch {
				pf[k] = json.RawMessage(v)
			}
			got := mustDerive(t, Request{Hook: "patient-view", Prefetch: pf, ExpectedKeys: tc.expected})
			var conds []string
			for _, c := range got.Input.Conditions {
				conds = append(conds, c.Ref)
			}
			if diff := cmp.Diff(tc.conds, conds); diff != "" {
				t.Errorf("conditions (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.issues, got.Input.DataIssues); diff != "" {
				t.Errorf("data issues (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.repairs, got.Repairs); diff != "" {
				t.Errorf("repairs (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDerivePatientUnavailable(t *testing.T) {
	t.Parallel()
	for name, pf := range map[string]map[string]json.RawMessage{
		"absent key":       {"conditions": searchset()},
		"null":             {"patient": json.RawMessage("null")},
		"another patient":  {"patient": json.RawMessage(`{"resourceType":"Patient","id":"p2"}`)},
		"OperationOutcome": {"patient": json.RawMessage(`{"resourceType":"OperationOutcome","issue":[{"severity":"error"}]}`)},
		"invalid":          {"patient": json.RawMessage(`{"resourceType":"Patient","id":"p1","birthDate":19610101}`)},
	} {
		_, err := Derive(tables(t), Request{Now: testNow, PatientID: "p1", Prefetch: pf, ExpectedKeys: []string{"patient"}})
		if !errors.Is(err, ErrPatientUnavailable) {
			t.Errorf("%s: err = %v, want ErrPatientUnavailable", name, err)
		}
	}
}

func TestPatientAge(t *testing.T) {
	t.Parallel()
	tests := []struct {
		birth string
		want  *int
	}{
		{"1961-11-23", intp(65)}, // the 65th birthday counts
		{"1961-11-24", intp(64)},
		{"2014-11-22", intp(12)},
		{"2000-02-29", intp(26)},
		{"1961", intp(65)}, // partial: the start of the year
		{"2027-01-01", nil},
		{"", nil},
		{"garbage", nil},
	}
	for _, tc := range tests {
		p := patientFacts(&resource{ID: "p", BirthDate: tc.birth}, &clock{now: testNow})
		if diff := cmp.Diff(tc.want, p.AgeYears); diff != "" {
			t.Errorf("age for %q (-want +got):\n%s", tc.birth, diff)
		}
	}
	b := true
	if p := patientFacts(&resource{ID: "p", DeceasedBoolean: &b}, &clock{now: testNow}); !p.Deceased {
		t.Error("deceasedBoolean not read")
	}
	if p := patientFacts(&resource{ID: "p", DeceasedDateTime: "1941-01-01"}, &clock{now: testNow}); !p.Deceased {
		t.Error("deceasedDateTime not read")
	}
}

func TestConditionFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		clinical, verification string
		active, history        bool
	}{
		{"", "", true, true},
		{`"clinicalStatus":{"coding":[{"code":"active"}]}`, "", true, true},
		{`"clinicalStatus":{"coding":[{"code":"relapse"}]}`, `"verificationStatus":{"coding":[{"code":"confirmed"}]}`, true, true},
		{`"clinicalStatus":{"coding":[{"code":"recurrence"}]}`, "", true, true},
		{`"clinicalStatus":{"coding":[{"code":"resolved"}]}`, "", false, true},
		{`"clinicalStatus":{"coding":[{"code":"remission"}]}`, "", false, true},
		{`"clinicalStatus":{"coding":[{"code":"inactive"}]}`, "", false, true},
		{`"clinicalStatus":{"coding":[{"code":"active"}]}`, `"verificationStatus":{"coding":[{"code":"refuted"}]}`, false, false},
		{"", `"verificationStatus":{"coding":[{"code":"entered-in-error"}]}`, false, false},
		{`"clinicalStatus":"active"`, "", true, true}, // STU3
		// abatement[x] without clinicalStatus: abated (con-4), history only
		{`"abatementDateTime":"2021-05-02"`, "", false, true},
		{`"abatementAge":{"value":40,"unit":"a"}`, "", false, true},
		{`"abatementPeriod":{"start":"2021-05"}`, "", false, true},
		{`"abatementRange":{"low":{"value":40}}`, "", false, true},
		{`"abatementString":"in childhood"`, "", false, true},
		{`"abatementBoolean":true`, "", false, true},
		{`"abatementBoolean":false`, "", true, true},
		{`"abatementDateTime":null`, "", true, true},
		{`"abatementDateTime":"2027-01-15"`, "", true, true}, // not yet abated at testNow
		{`"abatementDateTime":"2021-05-02"`, `"verificationStatus":{"coding":[{"code":"refuted"}]}`, false, false},
		// an explicit status wins over a contradictory abatement
		{`"clinicalStatus":{"coding":[{"code":"active"}]},"abatementDateTime":"2021-05-02"`, "", true, true},
	}
	for _, tc := range tests {
		raw := `{"resourceType":"Condition","id":"c","code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10-cm","code":"z86.711"}],"text":"History of PE"}`
		for _, s := range []string{tc.clinical, tc.verification} {
			if s != "" {
				raw += "," + s
			}
		}
		raw += `,"onsetPeriod":{"start":"2019-03"},"recordedDate":"2019-04-01"}`
		var r resource
		if err := json.Unmarshal([]byte(raw), &r); err != nil {
			t.Fatal(err)
		}
		c := conditionFacts(&r, &clock{now: testNow})
		if c.Active != tc.active || c.History != tc.history {
			t.Errorf("%s %s: active %v history %v, want %v %v", tc.clinical, tc.verification, c.Active, c.History, tc.active, tc.history)
		}
		if c.Codes[0] != "http://hl7.org/fhir/sid/icd-10-cm|Z86711" || c.Text != " history of pe " || c.Display != "History of PE" ||
			c.Onset != "2019-03-01T00:00:00Z" || c.Recorded != "2019-04-01T00:00:00Z" {
			t.Errorf("condition = %+v", c)
		}
	}
}

func TestImmunizationsAndAllergies(t *testing.T) {
	t.Parallel()
	pf := map[string]json.RawMessage{
		"patient": json.RawMessage(testPatient),
		"immunizations": searchset(
			`{"resourceType":"Immunization","id":"i1","status":"completed","vaccineCode":{"coding":[{"system":"http://hl7.org/fhir/sid/cvx","code":"187","display":"zoster recombinant"}]},"occurrenceDateTime":"2025-01-02"}`,
			`{"resourceType":"Immunization","id":"i2","status":"not-done","vaccineCode":{"text":"x"}}`,
			`{"resourceType":"Immunization","id":"i3","status":"entered-in-error","vaccineCode":{"text":"x"}}`),
		"allergies": searchset(
			`{"resourceType":"AllergyIntolerance","id":"a1","code":{"text":"Cibinqo"},"reaction":[{"substance":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"2581781","display":"Abrocitinib"}]}}]}`,
			`{"resourceType":"AllergyIntolerance","id":"a2","clinicalStatus":{"coding":[{"code":"resolved"}]},"code":{"text":"Penicillin"}}`,
			`{"resourceType":"AllergyIntolerance","id":"a3","verificationStatus":{"coding":[{"code":"refuted"}]},"code":{"text":"Latex"}}`),
	}
	got := mustDerive(t, Request{Hook: "patient-view", Prefetch: pf})
	wantImm := []facts.Immunization{{Ref: "Immunization/i1", Codes: []string{"http://hl7.org/fhir/sid/cvx|187"}, Text: " zoster recombinant ", Display: "zoster recombinant", ValueSets: []string{}, Status: "completed", Date: "2025-01-02T00:00:00Z"}}
	if diff := cmp.Diff(wantImm, got.Input.Immunizations); diff != "" {
		t.Errorf("immunizations (-want +got):\n%s", diff)
	}
	wantAll := []facts.Allergy{
		{Ref: "AllergyIntolerance/a1", Codes: []string{"http://www.nlm.nih.gov/research/umls/rxnorm|2581781"}, Text: " cibinqo abrocitinib ", Display: "Cibinqo", ValueSets: []string{"abrocitinib", "jak-inhibitors"}, Active: true},
		{Ref: "AllergyIntolerance/a2", Text: " penicillin ", Display: "Penicillin", ValueSets: []string{}},
		{Ref: "AllergyIntolerance/a3", Text: " latex ", Display: "Latex", ValueSets: []string{}},
	}
	if diff := cmp.Diff(wantAll, got.Input.Allergies); diff != "" {
		t.Errorf("allergies (-want +got):\n%s", diff)
	}
}

// A referenced or contained Medication supplies codes and names.
func TestMedicationReference(t *testing.T) {
	t.Parallel()
	contained := `{"resourceType":"MedicationRequest","id":"c","status":"draft","intent":"order",
		"contained":[{"resourceType":"Medication","id":"med","code":{"text":"Rinvoq 15 MG Extended Release Oral Tablet"},"form":{"text":"tablet"}}],
		"medicationReference":{"reference":"#med"}}`
	referenced := `{"resourceType":"MedicationRequest","id":"r","status":"draft","intent":"order","medicationReference":{"reference":"Medication/m2"}}`
	d := parseDrafts(t, drafts(contained, referenced))
	if !d.HasCandidates(tables(t)) {
		t.Fatal("HasCandidates = false")
	}
	// An unresolvable reference is a candidate: the prefetch may hold it.
	if !parseDrafts(t, drafts(referenced)).HasCandidates(tables(t)) {
		t.Error("HasCandidates = false for an unresolved medicationReference")
	}
	got := mustDerive(t, Request{Drafts: d, Prefetch: map[string]json.RawMessage{
		"patient":     json.RawMessage(testPatient),
		"medications": searchset(`{"resourceType":"Medication","id":"m2","code":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"2581792","display":"abrocitinib 200 MG Oral Tablet"}]}}`),
	}})
	type o struct{ Ref, Target, Text string }
	var gotO []o
	for _, m := range got.Input.Orders {
		gotO = append(gotO, o{m.Ref, m.Target, m.Text})
	}
	want := []o{
		{"MedicationRequest/c", "upadacitinib", " rinvoq 15 mg extended release oral tablet tablet "},
		{"MedicationRequest/r", "abrocitinib", " abrocitinib 200 mg oral tablet "},
	}
	if diff := cmp.Diff(want, gotO); diff != "" {
		t.Errorf("orders (-want +got):\n%s", diff)
	}
}

func TestDeriveDeterministic(t *testing.T) {
	t.Parallel()
	req := Request{Drafts: parseDrafts(t, drafts(abroDraft, clopidogrelDraft)), PatientID: mariaID,
		Prefetch: map[string]json.RawMessage{"a": readFile(t, mariaFile), "b": readFile(t, mariaFile), "c": json.RawMessage("null")}}
	first := mustDerive(t, req)
	for range 5 {
		again := mustDerive(t, req)
		if !reflect.DeepEqual(first, again) {
			t.Fatal("Derive is not deterministic")
		}
	}
	if len(first.Input.Orders) != 2 {
		t.Errorf("orders = %d, want 2 (abrocitinib and clopidogrel while abrocitinib is drafted)", len(first.Input.Orders))
	}
}

// The policy set's own tables, when they are there: the Synthea case still
// finds clopidogrel and the abrocitinib order.
func TestDeriveWithPolicyTables(t *testing.T) {
	t.Parallel()
	tab, ok := realTables(t)
	if !ok {
		t.Fatal("policies/ tables absent or not parseable")
	}
	d := parseDrafts(t, drafts(abroDraft))
	if !d.HasCandidates(tab) {
		t.Fatal("HasCandidates = false")
	}
	got, err := Derive(tab, Request{Hook: "order-sign", Now: testNow, PatientID: mariaID, Drafts: d,
		Prefetch: map[string]json.RawMessage{"everything": readFile(t, mariaFile)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Input.Orders) != 1 || got.Input.Orders[0].Target != "abrocitinib" || got.Input.Orders[0].Phase != "initiation" {
		t.Errorf("orders = %+v", got.Input.Orders)
	}
	if got.Input.Orders[0].DailyDoseMg == nil || *got.Input.Orders[0].DailyDoseMg != 100 {
		t.Errorf("daily dose = %v, want 100", got.Input.Orders[0].DailyDoseMg)
	}
}

// TestAbatementThroughDerive reads abatement[x] through the prefetch
// decoder (TestConditionFlags decodes with encoding/json).
func TestAbatementThroughDerive(t *testing.T) {
	t.Parallel()
	cond := func(id, extra string) string {
		return `{"resourceType":"Condition","id":"` + id + `","subject":{"reference":"Patient/p1"},"code":{"text":"Herpes zoster"}` + extra + `}`
	}
	got := mustDerive(t, Request{Hook: "patient-view", Prefetch: map[string]json.RawMessage{
		"patient": json.RawMessage(testPatient),
		"conditions": searchset(
			cond("abated", `,"abatementDateTime":"2024-02-01"`),
			cond("abated-malformed", `,"abatementPeriod":"last year"`),
			cond("future", `,"abatementDateTime":"2027-02-01"`),
			cond("not-abated", `,"abatementBoolean":false`),
			cond("none", ``),
		),
	}})
	active := map[string]bool{}
	for _, c := range got.Input.Conditions {
		active[c.Ref] = c.Active
	}
	want := map[string]bool{"Condition/abated": false, "Condition/abated-malformed": false, "Condition/future": true, "Condition/not-abated": true, "Condition/none": true}
	if diff := cmp.Diff(want, active); diff != "" {
		t.Fatalf("active (-want +got):\n%s", diff)
	}
	if len(got.Input.DataIssues) != 0 {
		t.Fatalf("issues %+v", got.Input.DataIssues)
	}
}
