# Abrocitinib: severe renal impairment.
package labelguard.rules.abrocitinib

import data.labelguard.lib

profile := lib.profiles.abrocitinib

# §2.3: not recommended with eGFR below the profile's renalSevere bound or
# in ESRD.
severe_renal_egfr_below := profile.dose.limits.renalSevere.egfrBelow

severe_renal_evidence contains lib.evidence_lab(lab, "eGFR") if {
	lab := lib.egfr_below(severe_renal_egfr_below)
}

severe_renal_evidence contains lib.evidence_condition(c) if {
	some vs in ["ckd-stage-4", "esrd"]
	some c in lib.active_conditions_in(vs)
}

# METADATA
# title: Abrocitinib in severe renal impairment or ESRD
# description: "eGFR below {{dose.limits.renalSevere.egfrBelow}}, CKD stage 4 or 5, ESRD or dialysis; abrocitinib is not recommended."
# custom:
#   id: abrocitinib.renal-severe
#   indicator: critical
#   drugs: [abrocitinib]
#   source:
#     topic: renal-impairment
findings contains f if {
	some order in orders
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
