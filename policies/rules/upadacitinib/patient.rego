# Upadacitinib: adolescents' weight and end-stage renal disease.
package labelguard.rules.upadacitinib

import data.labelguard.lib

# Rinvoq PI §2.5: adolescents weighing at least the profile's
# dose.limits.adolescents.minWeightKg; §8.6: not recommended in ESRD
# (eGFR below the lower bound of severe renal impairment).
adolescents := lib.profiles.upadacitinib.dose.limits.adolescents

esrd_egfr_below := lib.profiles.upadacitinib.dose.limits.renalSevere.egfrFrom

# weight_missing_or_low: the latest weight within its window is below the
# minimum, or there is none.
weight_missing_or_low if lib.latest_lab("weight").value < adolescents.minWeightKg

weight_missing_or_low if not lib.latest_lab("weight")

# latest_weight: the latest weight within its window, null when there is
# none (the card says so).
latest_weight := w if {
	w := lib.latest_lab("weight")
} else := null

# METADATA
# title: "Upadacitinib in an adolescent under {{dose.limits.adolescents.minWeightKg}} kg or without a recent weight"
# description: "Age {{indication.minAgeYears}} to {{dose.limits.adolescents.toAge}} with a weight below {{dose.limits.adolescents.minWeightKg}} kg, or no weight within {{params.weightWindowDays}} days; adolescent AD dosing was studied at {{dose.limits.adolescents.minWeightKg}} kg or more."
# custom:
#   id: upadacitinib.weight-min
#   indicator: warning
#   drugs: [upadacitinib]
#   source:
#     topic: dose
#   card:
#     summary: >-
#       Upadacitinib in a {{num .age}}-year-old:
#       {{if .weight}}latest weight {{lab .weight}}{{else}}no weight recorded within {{num .windowDays}} days{{end}}
#       (dosing studied at ≥ {{num .minWeightKg}} kg)
#     detail: |-
#       Patient age **{{num .age}}**, {{if .weight}}latest weight {{lab .weight}}{{else}}no weight recorded within {{num .windowDays}} days{{end}}. In adolescents the atopic dermatitis dose applies to patients weighing at least {{num .minWeightKg}} kg.
findings contains f if {
	some order in orders
	lib.age >= lib.profiles.upadacitinib.indication.minAgeYears
	lib.age <= adolescents.toAge
	weight_missing_or_low
	f := {
		"rule": "upadacitinib.weight-min",
		"indicator": "warning",
		"text": {
			"age": lib.age,
			"weight": latest_weight,
			"windowDays": lib.param("weightWindowDays"),
			"minWeightKg": adolescents.minWeightKg,
		},
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
#   card:
#     summary: >-
#       Upadacitinib not recommended in end-stage renal disease
#       (eGFR < {{num .egfrBelow}} or dialysis)
#     detail: |-
#       End-stage renal disease: {{evidence .evidence}}. Upadacitinib has not been studied and is not recommended in patients with ESRD (eGFR < {{egfr .egfrBelow}}).
findings contains f if {
	some order in orders
	count(esrd_evidence) > 0
	evidence := lib.evidence_list(esrd_evidence)
	f := {
		"rule": "upadacitinib.renal-esrd",
		"indicator": "critical",
		"text": {"evidence": evidence, "egfrBelow": esrd_egfr_below},
		"order": order.ref,
		"evidence": evidence,
		"suggestions": [],
		"links": lib.topic_links("upadacitinib", "renal-impairment"),
	}
}
