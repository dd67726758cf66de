# Upadacitinib dosing in atopic dermatitis (Rinvoq PI §2.5): start at
# 15 mg once daily, at most 30 mg; 15 mg at 65 and older, in severe renal
# impairment and with strong CYP3A4 inhibitors.

# METADATA
# scope: package
# title: Upadacitinib (Rinvoq)
# description: "The checks only upadacitinib has: dose limits, age and weight, renal impairment, CYP3A4."
# custom:
#   hooks: [order-select, order-sign]
#   drugs: [upadacitinib]
package labelguard.rules.upadacitinib

import data.labelguard.lib

# Rinvoq PI §2.5 (atopic dermatitis), §8.6, §7: mg per day.
dose := {
	"max": 30, # §2.5 highest AD dose; 45 mg is an induction dose for other indications
	"start": 15, # §2.5 initiate at 15 mg once daily
	"age65": 15, # §2.5 patients 65 years and older
	"renal_severe": 15, # §2.5, §8.6 eGFR 15 to < 30
	"cyp3a4_inhibitor": 15, # §2.5, §7 strong CYP3A4 inhibitors
}

elderly_age := 65

# Severe renal impairment: eGFR 15 to < 30 (Rinvoq PI §8.6), or CKD 4.
renal_severe_range := {"lo": 15, "hi": 30}

orders := lib.orders_of("upadacitinib")

label := lib.labels.upadacitinib

section_25 := "§2.5 (atopic dermatitis)"

# --- conditions of each dose rule, so that start-dose and
# --- jak.dose-unverifiable can ask whether another dose rule fires.

dose_max_exceeded(order) if lib.dose_over(order, dose.max)

age65_dose(order) if {
	lib.age >= elderly_age
	lib.dose_over_or_unknown(order, dose.age65)
}

severe_renal_evidence contains lib.evidence_lab(lab, "eGFR") if {
	lab := lib.egfr_between(renal_severe_range.lo, renal_severe_range.hi)
}

severe_renal_evidence contains lib.evidence_condition(c) if {
	some c in lib.active_conditions_in("ckd-stage-4")
}

renal_severe_dose(order) if {
	count(severe_renal_evidence) > 0
	lib.dose_over_or_unknown(order, dose.renal_severe)
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
	lib.dose_over_or_unknown(t, dose.cyp3a4_inhibitor)
}

other_dose_rule(order) if dose_max_exceeded(order)

other_dose_rule(order) if age65_dose(order)

other_dose_rule(order) if renal_severe_dose(order)

other_dose_rule(order) if cyp3a4_dose(order)

# dose_rule_fires: any upadacitinib dose rule fires for the order.
dose_rule_fires(order) if other_dose_rule(order)

dose_rule_fires(order) if start_dose_exceeded(order)

start_dose_exceeded(order) if {
	lib.jurisdiction == "US"
	lib.is_initiation(order)
	lib.dose_over(order, dose.start)
	not other_dose_rule(order)
}

# METADATA
# title: Upadacitinib above the atopic dermatitis maximum
# description: Daily dose above 30 mg, the highest atopic dermatitis dose.
# custom:
#   id: upadacitinib.dose-max
#   indicator: critical
#   drugs: [upadacitinib]
#   source:
#     label: Rinvoq (upadacitinib) US Prescribing Information
#     section: "2.5"
#     url: https://dailymed.nlm.nih.gov/dailymed/lookup.cfm?setid=2966aec7-2ef0-923c-d8ff-fe1a957bf095
#     revised: "2025-04"
findings contains f if {
	some order in orders
	dose_max_exceeded(order)
	f := {
		"rule": "upadacitinib.dose-max",
		"indicator": "critical",
		"summary": sprintf("Upadacitinib %s mg/day exceeds the atopic dermatitis maximum of %d mg", [lib.format_num(order.dailyDoseMg), dose.max]),
		"detail": concat("\n\n", [
			sprintf("Ordered: **%s mg/day**. The highest atopic dermatitis dose is %d mg once daily; 45 mg is an induction dose for other indications (ulcerative colitis, Crohn's disease). Start at %d mg once daily.", [lib.format_num(order.dailyDoseMg), dose.max, dose.start]),
			lib.cite("upadacitinib", section_25),
		]),
		"order": order.ref,
		"evidence": [lib.evidence_dose(order)],
		"suggestions": lib.update_dose(order, dose.start),
		"links": lib.label_links("upadacitinib"),
	}
}

# METADATA
# title: Upadacitinib start dose above 15 mg
# description: Initiation above 15 mg/day (US); start at 15 mg and consider 30 mg only after an inadequate response.
# custom:
#   id: upadacitinib.start-dose
#   indicator: info
#   drugs: [upadacitinib]
#   source:
#     label: Rinvoq (upadacitinib) US Prescribing Information
#     section: "2.5"
#     url: https://dailymed.nlm.nih.gov/dailymed/lookup.cfm?setid=2966aec7-2ef0-923c-d8ff-fe1a957bf095
#     revised: "2025-04"
findings contains f if {
	some order in orders
	start_dose_exceeded(order)
	f := {
		"rule": "upadacitinib.start-dose",
		"indicator": "info",
		"summary": sprintf("Upadacitinib: start atopic dermatitis at %d mg once daily (ordered %s mg/day)", [dose.start, lib.format_num(order.dailyDoseMg)]),
		"detail": concat("\n\n", [
			sprintf("Ordered: **%s mg/day** at initiation. The US label starts atopic dermatitis at %d mg once daily and increases to %d mg only after an inadequate response.", [lib.format_num(order.dailyDoseMg), dose.start, dose.max]),
			lib.cite("upadacitinib", section_25),
		]),
		"order": order.ref,
		"evidence": [lib.evidence_dose(order)],
		"suggestions": lib.update_dose(order, dose.start),
		"links": lib.label_links("upadacitinib"),
	}
}

# METADATA
# title: Upadacitinib 15 mg at 65 and older
# description: Age 65 or older and a daily dose above 15 mg (or not verifiable).
# custom:
#   id: upadacitinib.dose-age65
#   indicator: warning
#   drugs: [upadacitinib]
#   source:
#     label: Rinvoq (upadacitinib) US Prescribing Information
#     section: "2.5"
#     url: https://dailymed.nlm.nih.gov/dailymed/lookup.cfm?setid=2966aec7-2ef0-923c-d8ff-fe1a957bf095
#     revised: "2025-04"
findings contains f if {
	some order in orders
	age65_dose(order)
	f := {
		"rule": "upadacitinib.dose-age65",
		"indicator": "warning",
		"summary": sprintf("Upadacitinib (%s): use %d mg once daily at age %d and older", [lib.dose_phrase(order), dose.age65, elderly_age]),
		"detail": concat("\n\n", [
			sprintf("Patient age **%d**. Ordered: %s. In atopic dermatitis the recommended dose at %d years and older is %d mg once daily.", [lib.age, lib.dose_phrase(order), elderly_age, dose.age65]),
			lib.cite("upadacitinib", section_25),
		]),
		"order": order.ref,
		"evidence": [lib.evidence_dose(order), lib.evidence_age],
		"suggestions": lib.update_dose(order, dose.age65),
		"links": lib.label_links("upadacitinib"),
	}
}

# METADATA
# title: Upadacitinib 15 mg in severe renal impairment
# description: eGFR 15 to < 30 (or active CKD stage 4) and a daily dose above 15 mg (or not verifiable).
# custom:
#   id: upadacitinib.renal-severe-dose
#   indicator: warning
#   drugs: [upadacitinib]
#   source:
#     label: Rinvoq (upadacitinib) US Prescribing Information
#     section: "2.5, 8.6"
#     url: https://dailymed.nlm.nih.gov/dailymed/lookup.cfm?setid=2966aec7-2ef0-923c-d8ff-fe1a957bf095
#     revised: "2025-04"
findings contains f if {
	some order in orders
	renal_severe_dose(order)
	f := {
		"rule": "upadacitinib.renal-severe-dose",
		"indicator": "warning",
		"summary": sprintf("Upadacitinib (%s): use %d mg once daily in severe renal impairment", [lib.dose_phrase(order), dose.renal_severe]),
		"detail": concat("\n\n", [
			sprintf("Severe renal impairment (eGFR 15 to < 30 mL/min/1.73 m², or CKD stage 4): %s. Ordered: %s. Recommended: %d mg once daily.", [
				lib.evidence_text(severe_renal_evidence), lib.dose_phrase(order), dose.renal_severe,
			]),
			lib.cite("upadacitinib", "§2.5 and §8.6"),
		]),
		"order": order.ref,
		"evidence": lib.evidence_list(severe_renal_evidence),
		"suggestions": lib.update_dose(order, dose.renal_severe),
		"links": lib.label_links("upadacitinib"),
	}
}

# METADATA
# title: Upadacitinib 15 mg with a strong CYP3A4 inhibitor
# description: A strong CYP3A4 inhibitor with upadacitinib above 15 mg/day (or not verifiable).
# custom:
#   id: upadacitinib.cyp3a4-inhibitor
#   indicator: warning
#   drugs: [upadacitinib]
#   source:
#     label: Rinvoq (upadacitinib) US Prescribing Information
#     section: "2.5, 7"
#     url: https://dailymed.nlm.nih.gov/dailymed/lookup.cfm?setid=2966aec7-2ef0-923c-d8ff-fe1a957bf095
#     revised: "2025-04"
findings contains f if {
	some order in input.orders
	cyp3a4_dose(order)
	inhibitors := cyp3a4_inhibitors(order)
	names := concat(", ", sort({lib.med_name(m, "strong-cyp3a4-inhibitors") | some m in inhibitors}))
	targets := lib.context_targets(order, "upadacitinib")
	doses := concat(", ", sort({lib.dose_phrase(t) | some t in targets}))
	f := {
		"rule": "upadacitinib.cyp3a4-inhibitor",
		"indicator": "warning",
		"summary": lib.truncate(sprintf("Upadacitinib (%s) with %s (strong CYP3A4 inhibitor): use %d mg once daily", [doses, names, dose.cyp3a4_inhibitor]), 140),
		"detail": concat("\n\n", [
			sprintf("Strong CYP3A4 inhibitors raise upadacitinib exposure. With %s the atopic dermatitis dose is %d mg once daily. Upadacitinib ordered or active: %s.", [names, dose.cyp3a4_inhibitor, doses]),
			lib.cite("upadacitinib", "§2.5 and §7"),
		]),
		"order": order.ref,
		"evidence": [lib.evidence_med(m) | some m in (inhibitors | (targets - {order}))],
		"suggestions": lib.update_dose(order, dose.cyp3a4_inhibitor),
		"links": lib.label_links("upadacitinib"),
	}
}
