# Abrocitinib: age, platelet count and severe renal impairment.
package labelguard.rules.abrocitinib

import data.labelguard.lib

# Cibinqo PI §1: from 12 years. §2.1, §5: platelets below 150 ×10^9/L at
# initiation, below 50 ×10^9/L during treatment; restart above 100.
# §2.3: not recommended with eGFR below 30 or in ESRD.
min_age := 12

platelet_limits := {"initiation": 150, "continuation": 50}

platelet_restart := 100

severe_renal_egfr_below := 30

# METADATA
# title: Abrocitinib under 12 years
# description: Abrocitinib is not approved under 12 years of age.
# custom:
#   id: abrocitinib.age-min
#   indicator: critical
#   drugs: [abrocitinib]
#   source:
#     label: Cibinqo (abrocitinib) US Prescribing Information
#     section: "1"
#     url: https://dailymed.nlm.nih.gov/dailymed/lookup.cfm?setid=3f6d6fcd-e9f9-42c8-bfa2-bb2cfc9ed258
#     revised: "2023-12"
findings contains f if {
	some order in orders
	lib.age < min_age
	f := {
		"rule": "abrocitinib.age-min",
		"indicator": "critical",
		"summary": sprintf("Abrocitinib not approved under %d years (patient is %d)", [min_age, lib.age]),
		"detail": concat("\n\n", [
			sprintf("Patient age **%d**. Abrocitinib is indicated for atopic dermatitis in adults and pediatric patients %d years and older.", [lib.age, min_age]),
			lib.cite("abrocitinib", "§1 and §8.4"),
		]),
		"order": order.ref,
		"evidence": [lib.evidence_age],
		"suggestions": [],
		"links": lib.label_links("abrocitinib"),
	}
}

platelets_low(order) := lab if {
	lab := lib.latest_lab("platelets")
	lab.value < platelet_limits[lib.phase(order)]
}

platelet_action := {
	"initiation": "Do not initiate abrocitinib with a platelet count below %d ×10^9/L.",
	"continuation": "Discontinue abrocitinib when the platelet count is below %d ×10^9/L; do not restart until it is above %d ×10^9/L.",
}

# METADATA
# title: Abrocitinib with a low platelet count
# description: Platelets below 150 ×10^9/L at initiation or below 50 ×10^9/L during treatment, within the lab window.
# custom:
#   id: abrocitinib.lab-platelets-low
#   indicator: critical
#   drugs: [abrocitinib]
#   hooks: [order-select, order-sign]
#   source:
#     label: Cibinqo (abrocitinib) US Prescribing Information
#     section: "2.1, 5"
#     url: https://dailymed.nlm.nih.gov/dailymed/lookup.cfm?setid=3f6d6fcd-e9f9-42c8-bfa2-bb2cfc9ed258
#     revised: "2023-12"
findings contains f if {
	some order in orders
	lab := platelets_low(order)
	limit := platelet_limits[lib.phase(order)]
	f := {
		"rule": "abrocitinib.lab-platelets-low",
		"indicator": "critical",
		"summary": sprintf("Abrocitinib: platelets %s ×10^9/L below %d — %s", [lib.format_num(lab.value), limit, {"initiation": "do not initiate", "continuation": "discontinue"}[lib.phase(order)]]),
		"detail": concat("\n\n", [
			sprintf("Platelet count **%s** (threshold %d ×10^9/L at %s).", [lib.lab_text(lab), limit, lib.phase(order)]),
			sprintf(platelet_action[lib.phase(order)], [limit, platelet_restart]),
			lib.cite("abrocitinib", "§2.1 and §5 (laboratory abnormalities)"),
		]),
		"order": order.ref,
		"evidence": [lib.evidence_lab(lab, "Platelet count")],
		"suggestions": [],
		"links": lib.label_links("abrocitinib"),
	}
}

severe_renal_evidence contains lib.evidence_lab(lab, "eGFR") if {
	lab := lib.egfr_below(severe_renal_egfr_below)
}

severe_renal_evidence contains lib.evidence_condition(c) if {
	some vs in ["ckd-stage-4", "esrd"]
	some c in lib.active_conditions_in(vs)
}

# METADATA
# title: Abrocitinib in severe renal impairment or ESRD
# description: eGFR below 30, CKD stage 4 or 5, ESRD or dialysis; abrocitinib is not recommended.
# custom:
#   id: abrocitinib.renal-severe
#   indicator: critical
#   drugs: [abrocitinib]
#   source:
#     label: Cibinqo (abrocitinib) US Prescribing Information
#     section: "2.3"
#     url: https://dailymed.nlm.nih.gov/dailymed/lookup.cfm?setid=3f6d6fcd-e9f9-42c8-bfa2-bb2cfc9ed258
#     revised: "2023-12"
findings contains f if {
	some order in orders
	count(severe_renal_evidence) > 0
	f := {
		"rule": "abrocitinib.renal-severe",
		"indicator": "critical",
		"summary": "Abrocitinib not recommended in severe renal impairment or ESRD (eGFR < 30)",
		"detail": concat("\n\n", [
			sprintf("Severe renal impairment: %s. Abrocitinib is not recommended with eGFR < 30 mL/min/1.73 m² or in end-stage renal disease, including dialysis.", [lib.evidence_text(severe_renal_evidence)]),
			lib.cite("abrocitinib", "§2.3"),
		]),
		"order": order.ref,
		"evidence": [e | some e in severe_renal_evidence],
		"suggestions": [],
		"links": lib.label_links("abrocitinib"),
	}
}
