# Baricitinib (Olumiant) for atopic dermatitis: approved in the EU and
# Japan, not by the FDA; dosing from the EU SmPC section 4.2 and 4.5.

# METADATA
# scope: package
# title: Baricitinib (Olumiant)
# description: "The checks only baricitinib has: approval, dose limits, renal impairment, OAT3."
# custom:
#   hooks: [order-select, order-sign]
#   drugs: [baricitinib]
package labelguard.rules.baricitinib

import data.labelguard.lib
import data.labelguard.rules.jak

# Olumiant SmPC 4.2, 4.5: mg per day.
dose := {
	"max": 4, # 4.2 recommended dose 4 mg once daily
	"reduced": 2, # 4.2 age 65+, risk factors, eGFR 30-60; 4.5 OAT3 inhibitors
}

# SmPC 4.2: eGFR 30 to 60 -> 2 mg; below 30 not recommended.
renal_moderate_range := {"lo": 30, "hi": 60}

severe_renal_egfr_below := 30

elderly_age := 65

# Risk factors for which the SmPC recommends 2 mg (EU 2023 restriction).
dose_risk_factor_ids := {"vte", "malignancy", "cv-event", "smoker"}

orders := lib.orders_of("baricitinib")

# METADATA
# title: Baricitinib not FDA-approved for atopic dermatitis
# description: In the US baricitinib is approved for other indications only; atopic dermatitis is an off-label use.
# custom:
#   id: baricitinib.jurisdiction
#   indicator: info
#   drugs: [baricitinib]
#   source:
#     topic: approval
findings contains f if {
	some order in orders
	lib.jurisdiction == "US"
	f := {
		"rule": "baricitinib.jurisdiction",
		"indicator": "info",
		"summary": "Baricitinib is not FDA-approved for atopic dermatitis (approved in the EU and Japan)",
		"detail": concat("\n\n", [
			"In the US, baricitinib is approved for rheumatoid arthritis, alopecia areata and COVID-19, not for atopic dermatitis; the atopic dermatitis checks here follow the EU Summary of Product Characteristics.",
			lib.cite_topic("baricitinib", "approval"),
		]),
		"order": order.ref,
		"evidence": [],
		"suggestions": [],
		"links": lib.topic_links("baricitinib", "approval"),
	}
}

# METADATA
# title: Baricitinib above 4 mg
# description: Daily dose above 4 mg, the highest atopic dermatitis dose.
# custom:
#   id: baricitinib.dose-max
#   indicator: critical
#   drugs: [baricitinib]
#   source:
#     label: Olumiant (baricitinib) EU Summary of Product Characteristics
#     section: "4.2"
#     url: https://www.ema.europa.eu/en/medicines/human/EPAR/olumiant
#     revised: "2024-10"
findings contains f if {
	some order in orders
	lib.dose_over(order, dose.max)
	f := {
		"rule": "baricitinib.dose-max",
		"indicator": "critical",
		"summary": sprintf("Baricitinib %s mg/day exceeds the maximum of %d mg once daily", [lib.format_num(order.dailyDoseMg), dose.max]),
		"detail": concat("\n\n", [
			sprintf("Ordered: **%s mg/day**. The recommended dose is %d mg once daily; %d mg once daily for patients at higher risk and when disease is controlled.", [lib.format_num(order.dailyDoseMg), dose.max, dose.reduced]),
			lib.cite("baricitinib", "section 4.2"),
		]),
		"order": order.ref,
		"evidence": [lib.evidence_dose(order)],
		"suggestions": lib.update_dose(order, dose.reduced),
		"links": lib.label_links("baricitinib"),
	}
}

# dose-risk: age 65+ or a risk factor of the EU restriction.
dose_risks := [x | some x in jak.risk_factors; x.id in dose_risk_factor_ids] if {
	not lib.age >= elderly_age
} else := array.concat(
	[{"id": "age-65", "display": sprintf("Age %d (65 or older)", [lib.age]), "evidence": [lib.evidence_age]}],
	[x | some x in jak.risk_factors; x.id in dose_risk_factor_ids],
)

dose_risk(order) if {
	count(dose_risks) > 0
	lib.dose_over_or_unknown(order, dose.reduced)
}

# METADATA
# title: Baricitinib 2 mg for patients at higher risk
# description: Daily dose above 2 mg (or not verifiable) at age 65 or older or with VTE, malignancy, MI or stroke, or smoking.
# custom:
#   id: baricitinib.dose-risk
#   indicator: warning
#   drugs: [baricitinib]
#   source:
#     label: Olumiant (baricitinib) EU Summary of Product Characteristics
#     section: "4.2"
#     url: https://www.ema.europa.eu/en/medicines/human/EPAR/olumiant
#     revised: "2024-10"
findings contains f if {
	some order in orders
	dose_risk(order)
	risks := dose_risks
	f := {
		"rule": "baricitinib.dose-risk",
		"indicator": "warning",
		"summary": lib.truncate(sprintf("Baricitinib (%s): %d mg once daily recommended (%s)", [lib.dose_phrase(order), dose.reduced, concat(", ", sort({x.id | some x in risks}))]), 140),
		"detail": concat("\n\n", [
			sprintf("Ordered: %s. A dose of %d mg once daily is recommended for patients 65 and older and for patients with a history of VTE, malignancy or major cardiovascular events, and current or past long-time smokers:", [lib.dose_phrase(order), dose.reduced]),
			concat("\n", [sprintf("- %s", [x.display]) | some x in risks]),
			lib.cite("baricitinib", "sections 4.2 and 4.4"),
		]),
		"order": order.ref,
		"evidence": [e | some x in risks; some e in x.evidence],
		"suggestions": lib.update_dose(order, dose.reduced),
		"links": lib.label_links("baricitinib"),
	}
}

renal_moderate_lab := lib.egfr_between(renal_moderate_range.lo, renal_moderate_range.hi)

renal_moderate_dose(order) if {
	renal_moderate_lab
	lib.dose_over_or_unknown(order, dose.reduced)
}

# METADATA
# title: Baricitinib 2 mg with eGFR 30 to 60
# description: eGFR 30 to < 60 with a daily dose above 2 mg (or not verifiable).
# custom:
#   id: baricitinib.renal-moderate-dose
#   indicator: warning
#   drugs: [baricitinib]
#   source:
#     label: Olumiant (baricitinib) EU Summary of Product Characteristics
#     section: "4.2"
#     url: https://www.ema.europa.eu/en/medicines/human/EPAR/olumiant
#     revised: "2024-10"
findings contains f if {
	some order in orders
	renal_moderate_dose(order)
	lab := renal_moderate_lab
	f := {
		"rule": "baricitinib.renal-moderate-dose",
		"indicator": "warning",
		"summary": sprintf("Baricitinib (%s) with eGFR %s: use %d mg once daily", [lib.dose_phrase(order), lib.format_num(lab.value), dose.reduced]),
		"detail": concat("\n\n", [
			sprintf("eGFR **%s** (30 to 60 mL/min/1.73 m²). Ordered: %s. Recommended: %d mg once daily.", [lib.lab_text(lab), lib.dose_phrase(order), dose.reduced]),
			lib.cite("baricitinib", "section 4.2"),
		]),
		"order": order.ref,
		"evidence": [lib.evidence_lab(lab, "eGFR")],
		"suggestions": lib.update_dose(order, dose.reduced),
		"links": lib.label_links("baricitinib"),
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
# title: Baricitinib with eGFR below 30
# description: eGFR below 30, CKD stage 4 or 5 or dialysis; baricitinib is not recommended.
# custom:
#   id: baricitinib.renal-severe
#   indicator: critical
#   drugs: [baricitinib]
#   source:
#     label: Olumiant (baricitinib) EU Summary of Product Characteristics
#     section: "4.2"
#     url: https://www.ema.europa.eu/en/medicines/human/EPAR/olumiant
#     revised: "2024-10"
findings contains f if {
	some order in orders
	count(severe_renal_evidence) > 0
	f := {
		"rule": "baricitinib.renal-severe",
		"indicator": "critical",
		"summary": "Baricitinib not recommended with eGFR < 30 mL/min/1.73 m² or dialysis",
		"detail": concat("\n\n", [
			sprintf("Severe renal impairment: %s. Baricitinib is not recommended with eGFR < 30 mL/min/1.73 m².", [lib.evidence_text(severe_renal_evidence)]),
			lib.cite("baricitinib", "section 4.2"),
		]),
		"order": order.ref,
		"evidence": lib.evidence_list(severe_renal_evidence),
		"suggestions": [],
		"links": lib.label_links("baricitinib"),
	}
}

oat3_inhibitors(order) := {m | some m in lib.interacting(order, "baricitinib", "oat3-inhibitors"); lib.systemic(m)}

oat3_dose(order) if {
	count(oat3_inhibitors(order)) > 0
	some t in lib.context_targets(order, "baricitinib")
	lib.dose_over_or_unknown(t, dose.reduced)
}

# METADATA
# title: Baricitinib 2 mg with probenecid
# description: Probenecid (strong OAT3 inhibitor) with baricitinib above 2 mg/day (or not verifiable).
# custom:
#   id: baricitinib.oat3-inhibitor
#   indicator: warning
#   drugs: [baricitinib]
#   source:
#     label: Olumiant (baricitinib) EU Summary of Product Characteristics
#     section: "4.5"
#     url: https://www.ema.europa.eu/en/medicines/human/EPAR/olumiant
#     revised: "2024-10"
findings contains f if {
	some order in input.orders
	oat3_dose(order)
	meds := oat3_inhibitors(order)
	targets := lib.context_targets(order, "baricitinib")
	doses := concat(", ", sort({lib.dose_phrase(t) | some t in targets}))
	f := {
		"rule": "baricitinib.oat3-inhibitor",
		"indicator": "warning",
		"summary": sprintf("Baricitinib (%s) with probenecid (OAT3 inhibitor): use %d mg once daily", [doses, dose.reduced]),
		"detail": concat("\n\n", [
			sprintf("Probenecid, a strong OAT3 inhibitor, doubles baricitinib exposure; the recommended dose with probenecid is %d mg once daily. Baricitinib ordered or active: %s.", [dose.reduced, doses]),
			lib.cite("baricitinib", "sections 4.2 and 4.5"),
		]),
		"order": order.ref,
		"evidence": [lib.evidence_med(m) | some m in (meds | (targets - {order}))],
		"suggestions": lib.update_dose(order, dose.reduced),
		"links": lib.label_links("baricitinib"),
	}
}

# dose_rule_fires: any baricitinib dose rule fires (for jak.dose-unverifiable).
dose_rule_fires(order) if lib.dose_over(order, dose.max)

dose_rule_fires(order) if dose_risk(order)

dose_rule_fires(order) if renal_moderate_dose(order)

dose_rule_fires(order) if oat3_dose(order)
