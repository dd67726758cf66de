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
findings contains f if {
	some order in orders
	start_dose_exceeded(order)
	f := {
		"rule": "upadacitinib.start-dose",
		"indicator": "info",
		"summary": sprintf("Upadacitinib: start atopic dermatitis at %s mg once daily (ordered %s mg/day)", [lib.format_num(dose.recommendedMgPerDay), lib.format_num(order.dailyDoseMg)]),
		"detail": concat("\n\n", [
			sprintf("Ordered: **%s mg/day** at initiation. The US label starts atopic dermatitis at %s mg once daily and increases to %s mg only after an inadequate response.", [lib.format_num(order.dailyDoseMg), lib.format_num(dose.recommendedMgPerDay), lib.format_num(dose.maxMgPerDay)]),
		]),
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
findings contains f if {
	some order in orders
	age65_dose(order)
	older := limits.olderAdults
	f := {
		"rule": "upadacitinib.dose-age65",
		"indicator": "warning",
		"summary": sprintf("Upadacitinib (%s): use %s mg once daily at age %d and older", [lib.dose_phrase(order), lib.format_num(older.maxMgPerDay), older.fromAge]),
		"detail": concat("\n\n", [
			sprintf("Patient age **%d**. Ordered: %s. In atopic dermatitis the recommended dose at %d years and older is %s mg once daily.", [lib.age, lib.dose_phrase(order), older.fromAge, lib.format_num(older.maxMgPerDay)]),
		]),
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
findings contains f if {
	some order in orders
	renal_severe_dose(order)
	renal := limits.renalSevere
	f := {
		"rule": "upadacitinib.renal-severe-dose",
		"indicator": "warning",
		"summary": sprintf("Upadacitinib (%s): use %s mg once daily in severe renal impairment", [lib.dose_phrase(order), lib.format_num(renal.maxMgPerDay)]),
		"detail": concat("\n\n", [
			sprintf("Severe renal impairment (eGFR %s to < %s, or CKD stage 4): %s. Ordered: %s. Recommended: %s mg once daily.", [
				lib.format_num(renal.egfrFrom), lib.egfr_text(renal.egfrBelow), lib.evidence_text(severe_renal_evidence), lib.dose_phrase(order), lib.format_num(renal.maxMgPerDay),
			]),
		]),
		"order": order.ref,
		"evidence": lib.evidence_list(severe_renal_evidence),
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
findings contains f if {
	some order in input.orders
	cyp3a4_dose(order)
	inhibitors := cyp3a4_inhibitors(order)
	names := concat(", ", sort({lib.med_name(m, "strong-cyp3a4-inhibitors") | some m in inhibitors}))
	targets := lib.context_targets(order, "upadacitinib")
	doses := concat(", ", sort({lib.dose_phrase(t) | some t in targets}))
	mg := lib.format_num(limits.strongCyp3a4Inhibitors.maxMgPerDay)
	f := {
		"rule": "upadacitinib.cyp3a4-inhibitor",
		"indicator": "warning",
		"summary": lib.truncate(sprintf("Upadacitinib (%s) with %s (strong CYP3A4 inhibitor): use %s mg once daily", [doses, names, mg]), 140),
		"detail": concat("\n\n", [
			sprintf("Strong CYP3A4 inhibitors raise upadacitinib exposure. With %s the atopic dermatitis dose is %s mg once daily. Upadacitinib ordered or active: %s.", [names, mg, doses]),
		]),
		"order": order.ref,
		"evidence": [lib.evidence_med(m) | some m in (inhibitors | (targets - {order}))],
		"suggestions": lib.update_dose(order, limits.strongCyp3a4Inhibitors.maxMgPerDay),
		"links": lib.topic_links("upadacitinib", "dose-interactions"),
	}
}
