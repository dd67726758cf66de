# Pre-treatment evaluation before initiating an oral JAK inhibitor: blood
# counts, liver enzymes, renal function, TB and viral hepatitis screening,
# and a pregnancy test when the patient has reproductive potential.
package labelguard.rules.jak

import data.labelguard.lib

# The baseline work-up items (IEC); each drug's profile lists those its
# label asks for (pretreatment). Each item lists the analytes that satisfy
# it.
pretreatment_items := [
	{"id": "anc", "display": "Absolute neutrophil count", "analytes": ["anc"]},
	{"id": "alc", "display": "Absolute lymphocyte count", "analytes": ["alc"]},
	{"id": "hgb", "display": "Hemoglobin", "analytes": ["hgb"]},
	{"id": "platelets", "display": "Platelet count", "analytes": ["platelets"]},
	{"id": "liver", "display": "ALT and AST", "analytes": ["alt", "ast"]},
	{"id": "egfr", "display": "eGFR", "analytes": ["egfr"]},
	{"id": "tb", "display": "TB screen (IGRA or tuberculin skin test)", "analytes": ["tb"]},
	{"id": "hbv", "display": "Hepatitis B surface antigen", "analytes": ["hbsag"]},
	{"id": "hcv", "display": "Hepatitis C antibody", "analytes": ["hcv"]},
	{"id": "lipids", "display": "Lipid panel", "analytes": ["lipids"]},
]

# missing_factors: the items with at least one analyte without a result in its
# window; evidence shows a result that exists but is too old.
missing_factors(order) := [factor |
	some item in pretreatment_items
	item.id in lib.profiles[order.target].pretreatment
	missing := [a | some a in item.analytes; not lib.latest_lab(a)]
	count(missing) > 0
	factor := {
		"id": item.id,
		"display": item.display,
		"evidence": [lib.evidence_lab(lab, lib.lab_display(a)) | some a in missing; lab := lib.stale_lab(a)],
		"analytes": missing,
	}
]

# Pregnancy test or pregnancy status within the pregnancy window, for a
# female of reproductive potential (docs/clinical/conventions.md#reproductive-potential).
pregnancy_test_factor := [{
	"id": "pregnancy-test",
	"display": "Pregnancy test or pregnancy status",
	"evidence": [lib.evidence_lab(lab, lib.lab_display(a)) | some a in ["hcg", "pregnancy-status"]; lab := lib.stale_lab(a)],
	"analytes": ["hcg"],
}] if {
	lib.reproductive_potential
	not lib.latest_lab("hcg")
	not lib.latest_lab("pregnancy-status")
} else := []

pretreatment_missing(order) := array.concat(missing_factors(order), pregnancy_test_factor)

# The summary lists the missing items while they fit in 80 characters,
# else gives their count. The template measures the list in bytes, which
# are its characters: the items' displays are ASCII
# (test_work_up_item_displays_are_ascii).

# METADATA
# title: Pre-treatment evaluation incomplete
# description: Initiation of an oral JAK inhibitor without the baseline labs and screening of the label within their windows.
# custom:
#   id: jak.pretreatment-incomplete
#   card:
#     summary: >-
#       {{$names := join ", " .names}}{{drug .drug}}: pre-treatment evaluation incomplete —
#       {{if le (chars $names) 80}}missing {{$names}}{{else}}{{len .missing}} items missing{{end}}
#     detail: |-
#       Before starting {{lower (drug .drug)}}, complete the evaluation. Missing within the window (CBC, liver enzymes, eGFR {{num .labWindowDays}} days; TB and hepatitis screening {{num .screeningWindowDays}} days; pregnancy {{num .pregnancyWindowDays}} days):
#       {{range .missing}}
#       - {{.display}}{{with .evidence}}{{with index (index . 0) "time"}} (last result {{date .}}, outside the window){{end}}{{end}}{{end}}
#
#       {{seealso "iec-2024" "baseline evaluation"}}
#   indicator: warning
#   drugs: [oral]
#   source:
#     topic: pretreatment
findings contains f if {
	some order in lib.oral_jaki_orders
	lib.is_initiation(order)
	missing := pretreatment_missing(order)
	count(missing) > 0
	f := {
		"rule": "jak.pretreatment-incomplete",
		"indicator": "warning",
		"text": {
			"drug": order.target,
			"missing": missing,
			"names": [m.display | some m in missing],
			"labWindowDays": lib.param("labWindowDays"),
			"screeningWindowDays": lib.param("screeningWindowDays"),
			"pregnancyWindowDays": lib.param("pregnancyWindowDays"),
		},
		"order": order.ref,
		"evidence": [e | some m in missing; some e in m.evidence],
		"factors": [object.remove(m, ["analytes"]) | some m in missing],
		"suggestions": [{
			"kind": "create-lab",
			"label": "Order the missing baseline tests",
			"analytes": sort({a | some m in missing; some a in m.analytes}),
		}],
		"links": lib.topic_links(order.target, "pretreatment"),
	}
}

# METADATA
# title: Recombinant zoster vaccine not on record
# description: Initiation at 19 or older with no recombinant zoster vaccine (CVX 187) on record; complete zoster vaccination before starting.
# custom:
#   id: jak.zoster-vaccine-missing
#   card:
#     summary: >-
#       {{drug .drug}}: no recombinant zoster vaccine on record — complete zoster vaccination before starting
#     detail: |-
#       Patient age {{num .age}}; no recombinant zoster vaccine (Shingrix, CVX 187) on record. Herpes zoster is more frequent with JAK inhibitors; complete age-appropriate immunizations, including zoster vaccination, before starting.
#
#       {{seealso "iec-2024" "vaccination"}}
#   indicator: info
#   drugs: [oral]
#   source:
#     topic: vaccinations
findings contains f if {
	some order in lib.oral_jaki_orders
	lib.is_initiation(order)
	lib.age >= lib.param("zosterVaccineAgeMin")
	count(lib.immunizations_in("zoster-recombinant-vaccine")) == 0
	f := {
		"rule": "jak.zoster-vaccine-missing",
		"indicator": "info",
		"text": {"drug": order.target, "age": lib.age},
		"order": order.ref,
		"evidence": [],
		"suggestions": [],
		"links": lib.topic_links(order.target, "vaccinations"),
	}
}
