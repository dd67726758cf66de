# Upadacitinib: adolescents' weight and end-stage renal disease.
package labelguard.rules.upadacitinib

import data.labelguard.lib

# Rinvoq PI §2.5: adolescents weighing at least the profile's
# dose.limits.adolescents.minWeightKg; §8.6: not recommended in ESRD
# (eGFR below the lower bound of severe renal impairment).
adolescents := lib.profiles.upadacitinib.dose.limits.adolescents

esrd_egfr_below := lib.profiles.upadacitinib.dose.limits.renalSevere.egfrFrom

# weight_problem: the latest weight within its window is below the minimum, or
# there is none (text for the card).
weight_problem := sprintf("latest weight %s", [lib.lab_text(w)]) if {
	w := lib.latest_lab("weight")
	w.value < adolescents.minWeightKg
}

weight_problem := sprintf("no weight recorded within %d days", [lib.param("weightWindowDays")]) if {
	not lib.latest_lab("weight")
}

# METADATA
# title: "Upadacitinib in an adolescent under {{dose.limits.adolescents.minWeightKg}} kg or without a recent weight"
# description: "Age {{indication.minAgeYears}} to {{dose.limits.adolescents.toAge}} with a weight below {{dose.limits.adolescents.minWeightKg}} kg, or no weight within {{params.weightWindowDays}} days; adolescent AD dosing was studied at {{dose.limits.adolescents.minWeightKg}} kg or more."
# custom:
#   id: upadacitinib.weight-min
#   indicator: warning
#   drugs: [upadacitinib]
#   source:
#     topic: dose
findings contains f if {
	some order in orders
	lib.age >= lib.profiles.upadacitinib.indication.minAgeYears
	lib.age <= adolescents.toAge
	problem := weight_problem
	f := {
		"rule": "upadacitinib.weight-min",
		"indicator": "warning",
		"summary": sprintf("Upadacitinib in a %d-year-old: %s (dosing studied at ≥ %s kg)", [lib.age, problem, lib.format_num(adolescents.minWeightKg)]),
		"detail": concat("\n\n", [
			sprintf("Patient age **%d**, %s. In adolescents the atopic dermatitis dose applies to patients weighing at least %s kg.", [lib.age, problem, lib.format_num(adolescents.minWeightKg)]),
		]),
		"order": order.ref,
		"evidence": array.concat([lib.evidence_age], [lib.evidence_lab(w, "Body weight") | w := lib.latest_lab("weight")]),
		"suggestions": [],
		"links": lib.topic_links("upadacitinib", "dose"),
	}
}

# ESRD: eGFR below the severe range, or ESRD, CKD 5 or dialysis.
esrd_evidence contains lib.evidence_lab(lab, "eGFR") if {
	lab := lib.egfr_below(esrd_egfr_below)
}

esrd_evidence contains lib.evidence_condition(c) if {
	some c in lib.active_conditions_in("esrd")
}

# METADATA
# title: Upadacitinib in end-stage renal disease
# description: "eGFR below {{dose.limits.renalSevere.egfrFrom}} or ESRD, CKD stage 5 or dialysis; upadacitinib is not recommended."
# custom:
#   id: upadacitinib.renal-esrd
#   indicator: critical
#   drugs: [upadacitinib]
#   source:
#     topic: renal-impairment
findings contains f if {
	some order in orders
	count(esrd_evidence) > 0
	f := {
		"rule": "upadacitinib.renal-esrd",
		"indicator": "critical",
		"summary": sprintf("Upadacitinib not recommended in end-stage renal disease (eGFR < %s or dialysis)", [lib.format_num(esrd_egfr_below)]),
		"detail": concat("\n\n", [
			sprintf("End-stage renal disease: %s. Upadacitinib has not been studied and is not recommended in patients with ESRD (eGFR < %s).", [lib.evidence_text(esrd_evidence), lib.egfr_text(esrd_egfr_below)]),
		]),
		"order": order.ref,
		"evidence": lib.evidence_list(esrd_evidence),
		"suggestions": [],
		"links": lib.topic_links("upadacitinib", "renal-impairment"),
	}
}
