# Abrocitinib: severe renal impairment.
package labelguard.rules.abrocitinib

import data.labelguard.lib

profile := lib.profiles.abrocitinib

# US PI §2.3: not recommended with eGFR below the profile's renalSevere
# bound or in ESRD. EU SmPC 4.2: with eGFR below it, start at
# renalSevere.startMgPerDay and take at most renalSevere.maxMgPerDay (the
# profile of the jurisdiction states them); ESRD on renal replacement
# therapy was not studied.
renal_severe := profile.dose.limits.renalSevere

severe_renal_egfr_below := renal_severe.egfrBelow

# severe_renal_dosed: the label of the jurisdiction in force doses
# abrocitinib in severe renal impairment instead of advising against it.
severe_renal_dosed if object.get(renal_severe, "maxMgPerDay", 0) > 0

# The dose members are optional (the US profile has none), hence
# object.get.
severe_renal_start := object.get(renal_severe, "startMgPerDay", 0)

severe_renal_max := object.get(renal_severe, "maxMgPerDay", 0)

severe_renal_evidence contains lib.evidence_lab(lab, "eGFR") if {
	lab := lib.egfr_below(severe_renal_egfr_below)
}

severe_renal_evidence contains lib.evidence_condition(c) if {
	some vs in ["ckd-stage-4", "esrd"]
	some c in lib.active_conditions_in(vs)
}

# METADATA
# title: Abrocitinib in severe renal impairment or ESRD
# description: "Where the label advises against abrocitinib in severe renal impairment (no renalSevere.maxMgPerDay: the US): eGFR below {{dose.limits.renalSevere.egfrBelow}}, CKD stage 4 or 5, ESRD or dialysis, critical. Where it doses it (the EU): an ESRD condition, a warning (not studied on renal replacement therapy)."
# custom:
#   id: abrocitinib.renal-severe
#   indicator: [critical, warning]
#   drugs: [abrocitinib]
#   source:
#     topic: renal-impairment
findings contains f if {
	some order in orders
	not severe_renal_dosed
	count(severe_renal_evidence) > 0
	f := {
		"rule": "abrocitinib.renal-severe",
		"indicator": "critical",
		"summary": sprintf("Abrocitinib not recommended in severe renal impairment or ESRD (eGFR < %s)", [lib.format_num(severe_renal_egfr_below)]),
		"detail": concat("\n\n", [
			sprintf("Severe renal impairment: %s. Abrocitinib is not recommended with eGFR < %s or in end-stage renal disease, including dialysis.", [lib.evidence_text(severe_renal_evidence), lib.egfr_text(severe_renal_egfr_below)]),
		]),
		"order": order.ref,
		"evidence": [e | some e in severe_renal_evidence],
		"suggestions": [],
		"links": lib.topic_links("abrocitinib", "renal-impairment"),
	}
}

esrd_evidence contains lib.evidence_condition(c) if {
	some c in lib.active_conditions_in("esrd")
}

# METADATA
# title: Abrocitinib in severe renal impairment or ESRD
# description: "Where the label advises against abrocitinib in severe renal impairment (no renalSevere.maxMgPerDay: the US): eGFR below {{dose.limits.renalSevere.egfrBelow}}, CKD stage 4 or 5, ESRD or dialysis, critical. Where it doses it (the EU): an ESRD condition, a warning (not studied on renal replacement therapy)."
# custom:
#   id: abrocitinib.renal-severe
#   indicator: [critical, warning]
#   drugs: [abrocitinib]
#   source:
#     topic: renal-impairment
findings contains f if {
	some order in orders
	severe_renal_dosed
	count(esrd_evidence) > 0
	f := {
		"rule": "abrocitinib.renal-severe",
		"indicator": "warning",
		"summary": "Abrocitinib in end-stage renal disease: not studied on renal replacement therapy",
		"detail": concat("\n\n", [
			sprintf("End-stage renal disease: %s. Abrocitinib has not been studied in patients with end-stage renal disease on renal replacement therapy.", [lib.evidence_text(esrd_evidence)]),
		]),
		"order": order.ref,
		"evidence": [e | some e in esrd_evidence],
		"suggestions": [],
		"links": lib.topic_links("abrocitinib", "renal-impairment"),
	}
}

# severe_renal_dose_evidence: eGFR below the bound, or CKD stage 4, where
# the label doses abrocitinib (an ESRD condition has its own card).
severe_renal_dose_evidence contains lib.evidence_lab(lab, "eGFR") if {
	lab := lib.egfr_below(severe_renal_egfr_below)
}

severe_renal_dose_evidence contains lib.evidence_condition(c) if {
	some c in lib.active_conditions_in("ckd-stage-4")
}

severe_renal_limit(med) := severe_renal_start if lib.therapy_phase(med) == "initiation"

severe_renal_limit(med) := severe_renal_max if lib.therapy_phase(med) == "continuation"

# METADATA
# title: Abrocitinib dose in severe renal impairment
# description: "Where the label doses abrocitinib in severe renal impairment (renalSevere.startMgPerDay and maxMgPerDay: the EU): eGFR below {{dose.limits.renalSevere.egfrBelow}} or CKD stage 4 with a daily dose above the maximum, or above the starting dose at initiation (or not verifiable)."
# custom:
#   id: abrocitinib.renal-severe-dose
#   indicator: warning
#   drugs: [abrocitinib]
#   tags: [dose]
#   source:
#     topic: renal-impairment
findings contains f if {
	some order in orders
	severe_renal_dosed
	count(severe_renal_dose_evidence) > 0
	lib.dose_over_or_unknown(order, severe_renal_limit(order))
	f := {
		"rule": "abrocitinib.renal-severe-dose",
		"indicator": "warning",
		"summary": sprintf("Abrocitinib (%s) in severe renal impairment: start at %s mg once daily (at most %s mg)", [lib.dose_phrase(order), lib.format_num(severe_renal_start), lib.format_num(severe_renal_max)]),
		"detail": concat("\n\n", [
			sprintf("Severe renal impairment: %s. Ordered: %s (%s). The recommended starting dose is %s mg once daily; the maximum daily dose is %s mg.", [lib.evidence_text(severe_renal_dose_evidence), lib.dose_phrase(order), lib.therapy_phase(order), lib.format_num(severe_renal_start), lib.format_num(severe_renal_max)]),
		]),
		"order": order.ref,
		"evidence": [e | some e in severe_renal_dose_evidence],
		"suggestions": lib.update_dose(order, severe_renal_start),
		"links": lib.topic_links("abrocitinib", "renal-impairment"),
	}
}
