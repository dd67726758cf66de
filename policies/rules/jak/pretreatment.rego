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

# METADATA
# title: Pre-treatment evaluation incomplete
# description: Initiation of an oral JAK inhibitor without the baseline labs and screening of the label within their windows.
# custom:
#   id: jak.pretreatment-incomplete
#   indicator: warning
#   drugs: [oral]
#   source:
#     topic: pretreatment
findings contains f if {
	some order in lib.oral_jaki_orders
	lib.is_initiation(order)
	missing := pretreatment_missing(order)
	count(missing) > 0
	drug := lib.drug_display[order.target]
	names := concat(", ", [m.display | some m in missing])
	f := {
		"rule": "jak.pretreatment-incomplete",
		"indicator": "warning",
		"summary": pretreatment_summary(drug, missing, names),
		"detail": concat("\n\n", [
			sprintf("Before starting %s, complete the evaluation. Missing within the window (CBC, liver enzymes, eGFR %d days; TB and hepatitis screening %d days; pregnancy %d days):", [
				lower(drug), lib.param("labWindowDays"), lib.param("screeningWindowDays"), lib.param("pregnancyWindowDays"),
			]),
			concat("\n", [sprintf("- %s%s", [m.display, stale_note(m)]) | some m in missing]),
			lib.see_also("iec-2024", "baseline evaluation"),
		]),
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

pretreatment_summary(drug, _, names) := sprintf("%s: pre-treatment evaluation incomplete — missing %s", [drug, names]) if {
	count(names) <= 80
}

pretreatment_summary(drug, missing, names) := sprintf("%s: pre-treatment evaluation incomplete — %d items missing", [drug, count(missing)]) if {
	count(names) > 80
}

stale_note(m) := sprintf(" (last result %s, outside the window)", [lib.date_of(m.evidence[0].time)]) if {
	count(m.evidence) > 0
	m.evidence[0].time
} else := ""

# METADATA
# title: Recombinant zoster vaccine not on record
# description: Initiation at 19 or older with no recombinant zoster vaccine (CVX 187) on record; complete zoster vaccination before starting.
# custom:
#   id: jak.zoster-vaccine-missing
#   indicator: info
#   drugs: [oral]
#   source:
#     topic: vaccinations
findings contains f if {
	some order in lib.oral_jaki_orders
	lib.is_initiation(order)
	lib.age >= lib.param("zosterVaccineAgeMin")
	count(lib.immunizations_in("zoster-recombinant-vaccine")) == 0
	drug := lib.drug_display[order.target]
	f := {
		"rule": "jak.zoster-vaccine-missing",
		"indicator": "info",
		"summary": sprintf("%s: no recombinant zoster vaccine on record — complete zoster vaccination before starting", [drug]),
		"detail": concat("\n\n", [
			sprintf("Patient age %d; no recombinant zoster vaccine (Shingrix, CVX 187) on record. Herpes zoster is more frequent with JAK inhibitors; complete age-appropriate immunizations, including zoster vaccination, before starting.", [lib.age]),
			lib.see_also("iec-2024", "vaccination"),
		]),
		"order": order.ref,
		"evidence": [],
		"suggestions": [],
		"links": lib.topic_links(order.target, "vaccinations"),
	}
}
