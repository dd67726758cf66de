# Upadacitinib dosing in atopic dermatitis (Rinvoq PI §2.5): the start
# dose, and the lower dose at older age, in severe renal impairment and
# with strong CYP3A4 inhibitors (the maximum is the shared
# {drug}.dose-max); the values are the profile's.

# METADATA
# scope: package
# title: Upadacitinib (Rinvoq)
# description: "The checks only upadacitinib has: dose limits, weight, renal impairment, CYP3A4."
# custom:
#   hooks: [order-select, order-sign]
#   drugs: [upadacitinib]
package labelguard.rules.upadacitinib

import data.labelguard.lib

# Doses in mg per day and their conditions: the profile's dose
# (profiles/upadacitinib.json; Rinvoq PI §2.5, §8.6, §7).
dose := lib.profiles.upadacitinib.dose

limits := dose.limits

orders := lib.orders_of("upadacitinib")

# --- conditions of each dose rule, so that start-dose can ask whether
# --- another dose rule fires.

dose_max_exceeded(order) if lib.dose_over(order, dose.maxMgPerDay)

age65_dose(order) if {
	lib.age >= limits.olderAdults.fromAge
	lib.dose_over_or_unknown(order, limits.olderAdults.maxMgPerDay)
}

severe_renal_evidence contains lib.evidence_lab(lab, "eGFR") if {
	lab := lib.egfr_between(limits.renalSevere.egfrFrom, limits.renalSevere.egfrBelow)
}

severe_renal_evidence contains lib.evidence_condition(c) if {
	some c in lib.active_conditions_in("ckd-stage-4")
}

renal_severe_dose(order) if {
	count(severe_renal_evidence) > 0
	lib.dose_over_or_unknown(order, limits.renalSevere.maxMgPerDay)
}

# strong CYP3A4 inhibitors with upadacitinib (either direction); the dose
# is the upadacitinib order's, or the active upadacitinib's when the card
# is on the inhibitor order.
cyp3a4_inhibitors(order) := {m |
	some m in lib.interacting(order, "upadacitinib", "strong-cyp3a4-inhibitors")
	lib.systemic(m)
}

cyp3a4_dose(order) if {
	count(cyp3a4_inhibitors(order)) > 0
	some t in lib.context_targets(order, "upadacitinib")
	lib.dose_over_or_unknown(t, limits.strongCyp3a4Inhibitors.maxMgPerDay)
}

other_dose_rule(order) if dose_max_exceeded(order)

other_dose_rule(order) if age65_dose(order)

other_dose_rule(order) if renal_severe_dose(order)

other_dose_rule(order) if cyp3a4_dose(order)

start_dose_exceeded(order) if {
	dose.startsAtRecommended
	lib.is_initiation(order)
	lib.dose_over(order, dose.recommendedMgPerDay)
	not other_dose_rule(order)
}

# METADATA
# title: "Upadacitinib start dose above {{dose.recommendedMgPerDay}} mg"
# description: "Initiation above {{dose.recommendedMgPerDay}} mg/day where the label starts at the recommended dose (dose.startsAtRecommended: the US); start at {{dose.recommendedMgPerDay}} mg and consider {{dose.maxMgPerDay}} mg only after an inadequate response."
# custom:
#   id: upadacitinib.start-dose
#   indicator: info
#   drugs: [upadacitinib]
#   tags: [dose]
#   source:
#     topic: dose
#   card:
#     summary: >-
#       Upadacitinib: start atopic dermatitis at {{num .recommendedMgPerDay}} mg once daily
#       (ordered {{dose .order}})
#     detail: |-
#       Ordered: **{{dose .order}}** at initiation. The US label starts atopic dermatitis at {{num .recommendedMgPerDay}} mg once daily and increases to {{num .maxMgPerDay}} mg only after an inadequate response.
findings contains f if {
	some order in orders
	start_dose_exceeded(order)
	f := {
		"rule": "upadacitinib.start-dose",
		"indicator": "info",
		# the dose is known: start_dose_exceeded compares it
		"text": {
			"order": order,
			"recommendedMgPerDay": dose.recommendedMgPerDay,
			"maxMgPerDay": dose.maxMgPerDay,
		},
		"order": order.ref,
		"evidence": [lib.evidence_dose(order)],
		"suggestions": lib.update_dose(order, dose.recommendedMgPerDay),
		"links": lib.topic_links("upadacitinib", "dose"),
	}
}

# METADATA
# title: "Upadacitinib {{dose.limits.olderAdults.maxMgPerDay}} mg at {{dose.limits.olderAdults.fromAge}} and older"
# description: "Age {{dose.limits.olderAdults.fromAge}} or older and a daily dose above {{dose.limits.olderAdults.maxMgPerDay}} mg (or not verifiable)."
# custom:
#   id: upadacitinib.dose-age65
#   indicator: warning
#   drugs: [upadacitinib]
#   tags: [dose]
#   source:
#     topic: dose
#   card:
#     summary: >-
#       Upadacitinib ({{dose .order}}): use {{num .maxMgPerDay}} mg once daily
#       at age {{num .fromAge}} and older
#     detail: |-
#       Patient age **{{num .age}}**. Ordered: {{dose .order}}. In atopic dermatitis the recommended dose at {{num .fromAge}} years and older is {{num .maxMgPerDay}} mg once daily.
findings contains f if {
	some order in orders
	age65_dose(order)
	older := limits.olderAdults
	f := {
		"rule": "upadacitinib.dose-age65",
		"indicator": "warning",
		# the order's dose may be missing: the card says "dose not
		# verifiable" then
		"text": {
			"order": order,
			"age": lib.age,
			"fromAge": older.fromAge,
			"maxMgPerDay": older.maxMgPerDay,
		},
		"order": order.ref,
		"evidence": [lib.evidence_dose(order), lib.evidence_age],
		"suggestions": lib.update_dose(order, older.maxMgPerDay),
		"links": lib.topic_links("upadacitinib", "dose"),
	}
}

# METADATA
# title: "Upadacitinib {{dose.limits.renalSevere.maxMgPerDay}} mg in severe renal impairment"
# description: "eGFR {{dose.limits.renalSevere.egfrFrom}} to < {{dose.limits.renalSevere.egfrBelow}} (or active CKD stage 4) and a daily dose above {{dose.limits.renalSevere.maxMgPerDay}} mg (or not verifiable)."
# custom:
#   id: upadacitinib.renal-severe-dose
#   indicator: warning
#   drugs: [upadacitinib]
#   tags: [dose]
#   source:
#     topic: renal-impairment
#   card:
#     summary: >-
#       Upadacitinib ({{dose .order}}): use {{num .maxMgPerDay}} mg once daily
#       in severe renal impairment
#     detail: |-
#       Severe renal impairment (eGFR {{num .egfrFrom}} to < {{egfr .egfrBelow}}, or CKD stage 4): {{evidence .evidence}}. Ordered: {{dose .order}}. Recommended: {{num .maxMgPerDay}} mg once daily.
findings contains f if {
	some order in orders
	renal_severe_dose(order)
	renal := limits.renalSevere
	evidence := lib.evidence_list(severe_renal_evidence)
	f := {
		"rule": "upadacitinib.renal-severe-dose",
		"indicator": "warning",
		"text": {
			"order": order,
			"egfrFrom": renal.egfrFrom,
			"egfrBelow": renal.egfrBelow,
			"evidence": evidence,
			"maxMgPerDay": renal.maxMgPerDay,
		},
		"order": order.ref,
		"evidence": evidence,
		"suggestions": lib.update_dose(order, renal.maxMgPerDay),
		"links": lib.topic_links("upadacitinib", "renal-impairment"),
	}
}

# METADATA
# title: "Upadacitinib {{dose.limits.strongCyp3a4Inhibitors.maxMgPerDay}} mg with a strong CYP3A4 inhibitor"
# description: "A strong CYP3A4 inhibitor with upadacitinib above {{dose.limits.strongCyp3a4Inhibitors.maxMgPerDay}} mg/day (or not verifiable)."
# custom:
#   id: upadacitinib.cyp3a4-inhibitor
#   indicator: warning
#   drugs: [upadacitinib]
#   tags: [dose]
#   source:
#     topic: dose-interactions
#   card:
#     summary: >-
#       {{printf "Upadacitinib (%s) with %s (strong CYP3A4 inhibitor): use %s mg once daily"
#       (join ", " (sorted (doses .targets))) (join ", " .inhibitors) (num .maxMgPerDay) | truncate 140}}
#     detail: |-
#       Strong CYP3A4 inhibitors raise upadacitinib exposure. With {{join ", " .inhibitors}} the atopic dermatitis dose is {{num .maxMgPerDay}} mg once daily. Upadacitinib ordered or active: {{join ", " (sorted (doses .targets))}}.
findings contains f if {
	some order in input.orders
	cyp3a4_dose(order)
	inhibitors := cyp3a4_inhibitors(order)
	targets := lib.context_targets(order, "upadacitinib")
	f := {
		"rule": "upadacitinib.cyp3a4-inhibitor",
		"indicator": "warning",
		"text": {
			"inhibitors": sort({lib.med_name(m, "strong-cyp3a4-inhibitors") | some m in inhibitors}),
			"targets": targets,
			"maxMgPerDay": limits.strongCyp3a4Inhibitors.maxMgPerDay,
		},
		"order": order.ref,
		"evidence": [lib.evidence_med(m) | some m in (inhibitors | (targets - {order}))],
		"suggestions": lib.update_dose(order, limits.strongCyp3a4Inhibitors.maxMgPerDay),
		"links": lib.topic_links("upadacitinib", "dose-interactions"),
	}
}
