# Data quality: say which patient data could not be obtained and which
# checks could therefore not be made, so that a silent pass is never
# mistaken for a check (docs/clinical/conventions.md#no-data).

# METADATA
# scope: package
# title: Data quality
# description: "What could not be obtained, on every call, so that a silent pass is never mistaken for a check."
# custom:
#   hooks: [order-select, order-sign, patient-view]
package labelguard.rules.data_quality

import data.labelguard.lib

# The checks each kind of data feeds, by prefetch key and resource type.
checks := {
	"conditions": "pregnancy, lactation, TB, hepatitis, serious infections, hepatic and renal impairment, boxed-warning risk factors, immunocompromise",
	"medications": "interactions (other JAK inhibitors, immunomodulators, antiplatelets, CYP and OAT3 interactors, live vaccines) and initiation vs continuation",
	"observations": "lab thresholds, pre-treatment screening, pregnancy and breastfeeding status, smoking status, weight, affected body surface area, CYP2C19",
	"immunizations": "live vaccines before initiation, zoster vaccination",
	"allergies": "hypersensitivity to the ordered drug",
}

# key_kind maps prefetch keys and resource types to the entries above.
key_kind := {
	"conditions": "conditions",
	"Condition": "conditions",
	"medications": "medications",
	"medicationRequests": "medications",
	"medicationStatements": "medications",
	"MedicationRequest": "medications",
	"MedicationStatement": "medications",
	"observations": "observations",
	"labObservations": "observations",
	"labs": "observations",
	"Observation": "observations",
	"immunizations": "immunizations",
	"Immunization": "immunizations",
	"allergies": "allergies",
	"allergyIntolerances": "allergies",
	"AllergyIntolerance": "allergies",
}

issue_text(i) := sprintf("`%s` could not be obtained%s", [issue_key(i), detail_suffix(i)]) if i.kind == "missing-key"

issue_text(i) := sprintf("`%s`: the fetch failed%s", [issue_key(i), detail_suffix(i)]) if i.kind == "fetch-failed"

issue_text(i) := sprintf("`%s`: the search was cut short by the paging limit%s", [issue_key(i), detail_suffix(i)]) if i.kind == "paging-capped"

issue_text(i) := sprintf("`%s`: %d invalid resource(s) dropped%s", [issue_key(i), object.get(i, "count", 0), detail_suffix(i)]) if i.kind == "dropped"

issue_text(i) := sprintf("`%s`: %s%s", [issue_key(i), i.kind, detail_suffix(i)]) if not i.kind in {"missing-key", "fetch-failed", "paging-capped", "dropped"}

issue_key(i) := object.get(i, "key", "data")

detail_suffix(i) := sprintf(" (%s)", [i.detail]) if {
	object.get(i, "detail", "") != ""
} else := ""

affected_checks := {checks[k] |
	some i in input.dataIssues
	k := key_kind[issue_key(i)]
}

# METADATA
# title: Patient data incomplete
# description: A prefetch key could not be obtained, a search was cut short, or invalid resources were dropped.
# custom:
#   id: data.incomplete
#   indicator: warning
#   drugs: [all]
#   hooks: [order-select, order-sign, patient-view]
#   source:
#     label: labelguard clinical conventions
#     section: no data
#     url: https://github.com/labelguard/labelguard/blob/main/docs/clinical/conventions.md#no-data
#     revised: "2026-12"
findings contains f if {
	count(input.dataIssues) > 0
	keys := sort({issue_key(i) | some i in input.dataIssues})
	not_checked := sort(affected_checks)
	f := {
		"rule": "data.incomplete",
		"indicator": "warning",
		"summary": lib.truncate(sprintf("Patient data incomplete (%s): some checks could not be made", [concat(", ", keys)]), 140),
		"detail": concat("\n\n", [
			"Some patient data could not be obtained, so the checks that depend on them may have passed silently:",
			concat("\n", [sprintf("- %s", [issue_text(i)]) | some i in input.dataIssues]),
			checks_line(not_checked),
		]),
		"evidence": [],
		"suggestions": [],
	}
}

checks_line(not_checked) := concat("\n", array.concat(["Checks that could not be made or may be incomplete:"], [sprintf("- %s", [c]) | some c in not_checked])) if {
	count(not_checked) > 0
} else := "Review the patient record before relying on the absence of other alerts."
