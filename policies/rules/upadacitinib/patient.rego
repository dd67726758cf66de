# Upadacitinib: who may receive it for atopic dermatitis (age, weight) and
# end-stage renal disease.
package labelguard.rules.upadacitinib

import data.labelguard.lib

# Rinvoq PI §1, §8.4: atopic dermatitis from 12 years; §2.5: adolescents
# 12 to 17 years weighing at least 40 kg; §8.6: not recommended in ESRD.
min_age := 12

adolescent_max_age := 17

min_weight_kg := 40

esrd_egfr_below := 15

# METADATA
# title: Upadacitinib under 12 years
# description: Upadacitinib is not approved for atopic dermatitis under 12 years of age.
# custom:
#   id: upadacitinib.age-min
#   indicator: critical
#   drugs: [upadacitinib]
#   source:
#     label: Rinvoq (upadacitinib) US Prescribing Information
#     section: "1, 8.4"
#     url: https://dailymed.nlm.nih.gov/dailymed/lookup.cfm?setid=2966aec7-2ef0-923c-d8ff-fe1a957bf095
#     revised: "2025-04"
findings contains f if {
	some order in orders
	lib.age < min_age
	f := {
		"rule": "upadacitinib.age-min",
		"indicator": "critical",
		"summary": sprintf("Upadacitinib not approved for atopic dermatitis under %d years (patient is %d)", [min_age, lib.age]),
		"detail": concat("\n\n", [
			sprintf("Patient age **%d**. Upadacitinib is indicated for atopic dermatitis in adults and pediatric patients %d years and older; safety and effectiveness below %d years have not been established.", [lib.age, min_age, min_age]),
			lib.cite("upadacitinib", "§1 and §8.4"),
		]),
		"order": order.ref,
		"evidence": [lib.evidence_age],
		"suggestions": [],
		"links": lib.label_links("upadacitinib"),
	}
}

# weight_problem: the latest weight within its window is below 40 kg, or
# there is none (text for the card).
weight_problem := sprintf("latest weight %s", [lib.lab_text(w)]) if {
	w := lib.latest_lab("weight")
	w.value < min_weight_kg
}

weight_problem := sprintf("no weight recorded within %d days", [lib.param("weightWindowDays")]) if {
	not lib.latest_lab("weight")
}

# METADATA
# title: Upadacitinib in an adolescent under 40 kg or without a recent weight
# description: Age 12 to 17 with a weight below 40 kg, or no weight within 90 days; adolescent AD dosing was studied at 40 kg or more.
# custom:
#   id: upadacitinib.weight-min
#   indicator: warning
#   drugs: [upadacitinib]
#   source:
#     label: Rinvoq (upadacitinib) US Prescribing Information
#     section: "2.5"
#     url: https://dailymed.nlm.nih.gov/dailymed/lookup.cfm?setid=2966aec7-2ef0-923c-d8ff-fe1a957bf095
#     revised: "2025-04"
findings contains f if {
	some order in orders
	lib.age >= min_age
	lib.age <= adolescent_max_age
	problem := weight_problem
	f := {
		"rule": "upadacitinib.weight-min",
		"indicator": "warning",
		"summary": sprintf("Upadacitinib in a %d-year-old: %s (dosing studied at ≥ %d kg)", [lib.age, problem, min_weight_kg]),
		"detail": concat("\n\n", [
			sprintf("Patient age **%d**, %s. In adolescents 12 to 17 years the atopic dermatitis dose (15 mg once daily) applies to patients weighing at least %d kg.", [lib.age, problem, min_weight_kg]),
			lib.cite("upadacitinib", section_25),
		]),
		"order": order.ref,
		"evidence": array.concat([lib.evidence_age], [lib.evidence_lab(w, "Body weight") | w := lib.latest_lab("weight")]),
		"suggestions": [],
		"links": lib.label_links("upadacitinib"),
	}
}

# ESRD: eGFR below 15, or ESRD, CKD 5 or dialysis.
esrd_evidence contains lib.evidence_lab(lab, "eGFR") if {
	lab := lib.egfr_below(esrd_egfr_below)
}

esrd_evidence contains lib.evidence_condition(c) if {
	some c in lib.active_conditions_in("esrd")
}

# METADATA
# title: Upadacitinib in end-stage renal disease
# description: eGFR below 15 or ESRD, CKD stage 5 or dialysis; upadacitinib is not recommended.
# custom:
#   id: upadacitinib.renal-esrd
#   indicator: critical
#   drugs: [upadacitinib]
#   source:
#     label: Rinvoq (upadacitinib) US Prescribing Information
#     section: "8.6"
#     url: https://dailymed.nlm.nih.gov/dailymed/lookup.cfm?setid=2966aec7-2ef0-923c-d8ff-fe1a957bf095
#     revised: "2025-04"
findings contains f if {
	some order in orders
	count(esrd_evidence) > 0
	f := {
		"rule": "upadacitinib.renal-esrd",
		"indicator": "critical",
		"summary": "Upadacitinib not recommended in end-stage renal disease (eGFR < 15 or dialysis)",
		"detail": concat("\n\n", [
			sprintf("End-stage renal disease: %s. Upadacitinib has not been studied and is not recommended in patients with ESRD (eGFR < 15 mL/min/1.73 m²).", [lib.evidence_text(esrd_evidence)]),
			lib.cite("upadacitinib", "§8.6"),
		]),
		"order": order.ref,
		"evidence": lib.evidence_list(esrd_evidence),
		"suggestions": [],
		"links": lib.label_links("upadacitinib"),
	}
}
