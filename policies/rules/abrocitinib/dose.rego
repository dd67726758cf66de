# Abrocitinib dosing (Cibinqo PI §2.2 to §2.5): 100 mg once daily, 200 mg
# at most; 50 mg (may increase to 100 mg) in moderate renal impairment,
# in CYP2C19 poor metabolizers and with strong CYP2C19 inhibitors.

# METADATA
# scope: package
# title: Abrocitinib (Cibinqo)
# description: "The checks only abrocitinib has: dose limits, platelets, renal impairment, CYP2C19 and antiplatelets."
# custom:
#   hooks: [order-select, order-sign]
#   drugs: [abrocitinib]
package labelguard.rules.abrocitinib

import data.labelguard.lib

# Cibinqo PI: mg per day.
dose := {
	"max": 200, # §2.2 highest dose
	"usual": 100, # §2.2 recommended dose
	"reduced_start": 50, # §2.3, §2.5 start at 50 mg once daily
	"reduced_max": 100, # §2.3, §2.5 may increase to 100 mg once daily
}

# Moderate renal impairment (Cibinqo PI §2.3): eGFR 30 to 59.
renal_moderate_range := {"lo": 30, "hi": 60}

orders := lib.orders_of("abrocitinib")

# reduced_limit: the highest daily dose when a 50 mg start applies:
# 50 mg at initiation, 100 mg at continuation.
reduced_limit(med) := dose.reduced_start if lib.therapy_phase(med) == "initiation"

reduced_limit(med) := dose.reduced_max if lib.therapy_phase(med) == "continuation"

above_reduced_dose(med) if lib.dose_over_or_unknown(med, reduced_limit(med))

# METADATA
# title: Abrocitinib above the maximum dose
# description: Daily dose above 200 mg, the highest abrocitinib dose.
# custom:
#   id: abrocitinib.dose-max
#   indicator: critical
#   drugs: [abrocitinib]
#   source:
#     label: Cibinqo (abrocitinib) US Prescribing Information
#     section: "2.2"
#     url: https://dailymed.nlm.nih.gov/dailymed/lookup.cfm?setid=3f6d6fcd-e9f9-42c8-bfa2-bb2cfc9ed258
#     revised: "2023-12"
findings contains f if {
	some order in orders
	lib.dose_over(order, dose.max)
	f := {
		"rule": "abrocitinib.dose-max",
		"indicator": "critical",
		"summary": sprintf("Abrocitinib %s mg/day exceeds the maximum of %d mg once daily", [lib.format_num(order.dailyDoseMg), dose.max]),
		"detail": concat("\n\n", [
			sprintf("Ordered: **%s mg/day**. The recommended dose is %d mg once daily, %d mg once daily at most for patients who do not respond to %d mg.", [lib.format_num(order.dailyDoseMg), dose.usual, dose.max, dose.usual]),
			lib.cite("abrocitinib", "§2.2"),
		]),
		"order": order.ref,
		"evidence": [lib.evidence_dose(order)],
		"suggestions": lib.update_dose(order, dose.usual),
		"links": lib.label_links("abrocitinib"),
	}
}

# --- moderate renal impairment

renal_moderate_lab := lib.egfr_between(renal_moderate_range.lo, renal_moderate_range.hi)

renal_moderate_dose(order) if {
	renal_moderate_lab
	above_reduced_dose(order)
}

# METADATA
# title: Abrocitinib 50 mg in moderate renal impairment
# description: eGFR 30 to 59 with a daily dose above 100 mg, or above 50 mg at initiation (or not verifiable).
# custom:
#   id: abrocitinib.renal-moderate-dose
#   indicator: warning
#   drugs: [abrocitinib]
#   source:
#     label: Cibinqo (abrocitinib) US Prescribing Information
#     section: "2.3"
#     url: https://dailymed.nlm.nih.gov/dailymed/lookup.cfm?setid=3f6d6fcd-e9f9-42c8-bfa2-bb2cfc9ed258
#     revised: "2023-12"
findings contains f if {
	some order in orders
	renal_moderate_dose(order)
	lab := renal_moderate_lab
	f := {
		"rule": "abrocitinib.renal-moderate-dose",
		"indicator": "warning",
		"summary": sprintf("Abrocitinib (%s) with eGFR %s: use %d mg once daily (may increase to %d mg)", [lib.dose_phrase(order), lib.format_num(lab.value), dose.reduced_start, dose.reduced_max]),
		"detail": concat("\n\n", [
			sprintf("Moderate renal impairment: eGFR **%s**. Ordered: %s (%s). Recommended: %d mg once daily, increasing to %d mg once daily if needed.", [lib.lab_text(lab), lib.dose_phrase(order), lib.therapy_phase(order), dose.reduced_start, dose.reduced_max]),
			lib.cite("abrocitinib", "§2.3"),
		]),
		"order": order.ref,
		"evidence": [lib.evidence_lab(lab, "eGFR")],
		"suggestions": lib.update_dose(order, dose.reduced_start),
		"links": lib.label_links("abrocitinib"),
	}
}

# --- CYP2C19 poor metabolizers

# No-function CYP2C19 alleles *2 to *8 on both chromosomes (CPIC).
poor_metabolizer_diplotype := `\*[2-8]\s*/\s*\*[2-8]\b`

poor_metabolizer := lab if {
	lab := lib.coded_lab_in("cyp2c19", "cyp2c19-poor-metabolizer")
}

poor_metabolizer := lab if {
	lab := lib.latest_lab("cyp2c19")
	not lib.coded_lab_in("cyp2c19", "cyp2c19-poor-metabolizer")
	regex.match(poor_metabolizer_diplotype, object.get(lab, "valueText", ""))
}

poor_metabolizer_dose(order) if {
	poor_metabolizer
	above_reduced_dose(order)
}

# METADATA
# title: Abrocitinib 50 mg in CYP2C19 poor metabolizers
# description: CYP2C19 poor metabolizer with a daily dose above 100 mg, or above 50 mg at initiation (or not verifiable).
# custom:
#   id: abrocitinib.cyp2c19-poor-metabolizer
#   indicator: warning
#   drugs: [abrocitinib]
#   source:
#     label: Cibinqo (abrocitinib) US Prescribing Information
#     section: "2.5"
#     url: https://dailymed.nlm.nih.gov/dailymed/lookup.cfm?setid=3f6d6fcd-e9f9-42c8-bfa2-bb2cfc9ed258
#     revised: "2023-12"
findings contains f if {
	some order in orders
	poor_metabolizer_dose(order)
	lab := poor_metabolizer
	f := {
		"rule": "abrocitinib.cyp2c19-poor-metabolizer",
		"indicator": "warning",
		"summary": sprintf("Abrocitinib (%s) in a CYP2C19 poor metabolizer: use %d mg once daily", [lib.dose_phrase(order), dose.reduced_start]),
		"detail": concat("\n\n", [
			sprintf("CYP2C19 result: **%s** (%s). Ordered: %s (%s). In CYP2C19 poor metabolizers the recommended dose is %d mg once daily, increasing to %d mg if needed.", [
				object.get(lab, "valueText", "poor metabolizer"), lib.date_of(lab.time), lib.dose_phrase(order), lib.therapy_phase(order), dose.reduced_start, dose.reduced_max,
			]),
			lib.cite("abrocitinib", "§2.5"),
		]),
		"order": order.ref,
		"evidence": [lib.evidence_lab(lab, "CYP2C19")],
		"suggestions": lib.update_dose(order, dose.reduced_start),
		"links": lib.label_links("abrocitinib"),
	}
}

# --- strong CYP2C19 inhibitors (either direction)

cyp2c19_inhibitors(order) := {m |
	some m in lib.interacting(order, "abrocitinib", "strong-cyp2c19-inhibitors")
	lib.systemic(m)
}

cyp2c19_inhibitor_dose(order) if {
	count(cyp2c19_inhibitors(order)) > 0
	some t in lib.context_targets(order, "abrocitinib")
	above_reduced_dose(t)
}

# METADATA
# title: Abrocitinib 50 mg with a strong CYP2C19 inhibitor
# description: A strong CYP2C19 inhibitor with abrocitinib above 100 mg/day, or above 50 mg at initiation (or not verifiable).
# custom:
#   id: abrocitinib.cyp2c19-inhibitor
#   indicator: warning
#   drugs: [abrocitinib]
#   source:
#     label: Cibinqo (abrocitinib) US Prescribing Information
#     section: "2.5, 7"
#     url: https://dailymed.nlm.nih.gov/dailymed/lookup.cfm?setid=3f6d6fcd-e9f9-42c8-bfa2-bb2cfc9ed258
#     revised: "2023-12"
findings contains f if {
	some order in input.orders
	cyp2c19_inhibitor_dose(order)
	inhibitors := cyp2c19_inhibitors(order)
	names := concat(", ", sort({lib.med_name(m, "strong-cyp2c19-inhibitors") | some m in inhibitors}))
	targets := lib.context_targets(order, "abrocitinib")
	doses := concat(", ", sort({lib.dose_phrase(t) | some t in targets}))
	f := {
		"rule": "abrocitinib.cyp2c19-inhibitor",
		"indicator": "warning",
		"summary": lib.truncate(sprintf("Abrocitinib (%s) with %s (strong CYP2C19 inhibitor): use %d mg once daily", [doses, names, dose.reduced_start]), 140),
		"detail": concat("\n\n", [
			sprintf("Strong CYP2C19 inhibitors raise abrocitinib exposure. With %s the recommended dose is %d mg once daily, increasing to %d mg if needed. Abrocitinib ordered or active: %s.", [names, dose.reduced_start, dose.reduced_max, doses]),
			lib.cite("abrocitinib", "§2.5 and §7"),
		]),
		"order": order.ref,
		"evidence": [lib.evidence_med(m) | some m in (inhibitors | (targets - {order}))],
		"suggestions": lib.update_dose(order, dose.reduced_start),
		"links": lib.label_links("abrocitinib"),
	}
}

# dose_rule_fires: any abrocitinib dose rule fires (for jak.dose-unverifiable).
dose_rule_fires(order) if lib.dose_over(order, dose.max)

dose_rule_fires(order) if renal_moderate_dose(order)

dose_rule_fires(order) if poor_metabolizer_dose(order)

dose_rule_fires(order) if cyp2c19_inhibitor_dose(order)
