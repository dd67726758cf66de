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

# issue: a data issue as the card tells it: its key ("data" when it names
# none), its kind (the card words missing-key, fetch-failed, paging-capped
# and dropped, and shows any other as it is), the count of resources
# dropped, and the detail ("" for none). An issue without a kind is left
# out.
issue(i) := {
	"key": issue_key(i),
	"kind": i.kind,
	"count": object.get(i, "count", 0),
	"detail": object.get(i, "detail", ""),
}

issue_key(i) := object.get(i, "key", "data")

affected_checks := {checks[k] |
	some i in input.dataIssues
	k := key_kind[issue_key(i)]
}

# METADATA
# title: Patient data incomplete
# description: A prefetch key could not be obtained, a search was cut short, or invalid resources were dropped.
# custom:
#   id: data.incomplete
#   card:
#     summary: >-
#       {{printf "Patient data incomplete (%s): some checks could not be made" (join ", " .keys) | truncate 140}}
#     detail: |-
#       Some patient data could not be obtained, so the checks that depend on them may have passed silently:
#
#       {{range .issues}}- `{{.key}}`{{if eq .kind "missing-key"}} could not be obtained{{else if eq .kind "fetch-failed"}}: the fetch failed{{else if eq .kind "paging-capped"}}: the search was cut short by the paging limit{{else if eq .kind "dropped"}}: {{num .count}} invalid resource(s) dropped{{else}}: {{.kind}}{{end}}{{if .detail}} ({{.detail}}){{end}}
#       {{end}}
#
#       {{if .checks}}Checks that could not be made or may be incomplete:{{range .checks}}
#       - {{.}}{{end}}{{else}}Review the patient record before relying on the absence of other alerts.{{end}}
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
	f := {
		"rule": "data.incomplete",
		"indicator": "warning",
		"text": {
			"keys": sort({issue_key(i) | some i in input.dataIssues}),
			"issues": [issue(i) | some i in input.dataIssues],
			# the checks affected, none when no key is known
			"checks": sort(affected_checks),
		},
		"evidence": [],
		"suggestions": [],
	}
}
