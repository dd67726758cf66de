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

# renal_severe_finding: the card of abrocitinib.renal-severe, both ways:
# not recommended where the label does not dose abrocitinib in severe
# renal impairment (dosed false), not studied in ESRD where it does (dosed
# true). Both bodies have one METADATA, so one card with both wordings.

# METADATA
# custom:
#   card:
#     summary: >-
#       {{if .dosed}}Abrocitinib in end-stage renal disease: not studied on renal replacement therapy
#       {{else}}Abrocitinib not recommended in severe renal impairment or ESRD (eGFR < {{num .egfrBelow}}){{end}}
#     detail: |-
#       {{if .dosed}}End-stage renal disease: {{evidence .evidence}}. Abrocitinib has not been studied in patients with end-stage renal disease on renal replacement therapy.
#       {{- else}}Severe renal impairment: {{evidence .evidence}}. Abrocitinib is not recommended with eGFR < {{egfr .egfrBelow}} or in end-stage renal disease, including dialysis.{{end}}
renal_severe_finding(order, indicator, dosed, evidence) := {
	"rule": "abrocitinib.renal-severe",
	"indicator": indicator,
	"text": {"dosed": dosed, "evidence": evidence, "egfrBelow": severe_renal_egfr_below},
	"order": order.ref,
	"evidence": evidence,
	"suggestions": [],
	"links": lib.topic_links("abrocitinib", "renal-impairment"),
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
#   card: renal_severe_finding
findings contains renal_severe_finding(order, "critical", false, evidence) if {
	some order in orders
	not severe_renal_dosed
	count(severe_renal_evidence) > 0
	evidence := [e | some e in severe_renal_evidence]
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
#   card: renal_severe_finding
findings contains renal_severe_finding(order, "warning", true, evidence) if {
	some order in orders
	severe_renal_dosed
	count(esrd_evidence) > 0
	evidence := [e | some e in esrd_evidence]
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
#   card:
#     summary: >-
#       Abrocitinib ({{dose .order}}) in severe renal impairment: start at {{num .startMgPerDay}} mg once daily
#       (at most {{num .maxMgPerDay}} mg)
#     detail: |-
#       Severe renal impairment: {{evidence .evidence}}. Ordered: {{dose .order}} ({{.phase}}). The recommended starting dose is {{num .startMgPerDay}} mg once daily; the maximum daily dose is {{num .maxMgPerDay}} mg.
findings contains f if {
	some order in orders
	severe_renal_dosed
	count(severe_renal_dose_evidence) > 0
	lib.dose_over_or_unknown(order, severe_renal_limit(order))
	evidence := [e | some e in severe_renal_dose_evidence]
	f := {
		"rule": "abrocitinib.renal-severe-dose",
		"indicator": "warning",
		# the phase is defined: severe_renal_limit reads it
		"text": {
			"order": order,
			"evidence": evidence,
			"phase": lib.therapy_phase(order),
			"startMgPerDay": severe_renal_start,
			"maxMgPerDay": severe_renal_max,
		},
		"order": order.ref,
		"evidence": evidence,
		"suggestions": lib.update_dose(order, severe_renal_start),
		"links": lib.topic_links("abrocitinib", "renal-impairment"),
	}
}
