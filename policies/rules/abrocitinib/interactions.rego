# Abrocitinib interactions: antiplatelet therapy during the first three
# months, and CYP2C19/CYP2C9 inhibitors and inducers.
package labelguard.rules.abrocitinib

import data.labelguard.lib

# Cibinqo PI §4: antiplatelet therapies except low-dose aspirin
# (≤ 81 mg/day) are contraindicated during the first 3 months.
antiplatelet_window_days := 90

low_dose_aspirin_mg := 81

# aspirin_over_low_dose: the daily dose, else the product strength (when
# the daily dose cannot be derived), is above 81 mg. An aspirin with
# neither cannot be shown to be low dose and counts (RULES.md §1).
aspirin_over_low_dose(m) if m.dailyDoseMg > low_dose_aspirin_mg

aspirin_over_low_dose(m) if {
	not lib.number_field(m, "dailyDoseMg")
	lib.strength_mg(m) > low_dose_aspirin_mg
}

aspirin_over_low_dose(m) if {
	not lib.number_field(m, "dailyDoseMg")
	not lib.strength_mg(m)
}

aspirin_text(m) := sprintf("aspirin %s mg/day", [lib.format_num(m.dailyDoseMg)]) if {
	is_number(m.dailyDoseMg)
} else := sprintf("aspirin %s mg", [lib.format_num(lib.strength_mg(m))]) if {
	lib.strength_mg(m)
} else := "aspirin of unknown dose"

# antiplatelets: {name, med} of each antiplatelet, or aspirin above the
# low dose, that the card on `order` concerns.
antiplatelets(order) := {{"name": lib.med_name(m, "antiplatelets"), "med": m} | some m in lib.interacting(order, "abrocitinib", "antiplatelets")} | {{"name": aspirin_text(m), "med": m} |
	some m in lib.interacting(order, "abrocitinib", "aspirin")
	not lib.in_valueset(m, "antiplatelets")
	aspirin_over_low_dose(m)
}

# early_abrocitinib: abrocitinib at initiation or started < 90 days ago.
early_abrocitinib(order) := {t |
	some t in lib.context_targets(order, "abrocitinib")
	lib.days_since(lib.started(t)) < antiplatelet_window_days
}

# METADATA
# title: Abrocitinib with antiplatelet therapy in the first 3 months
# description: Antiplatelet drugs (or aspirin above 81 mg/day) are contraindicated during the first 3 months of abrocitinib.
# custom:
#   id: abrocitinib.antiplatelet
#   indicator: critical
#   drugs: [abrocitinib]
#   source:
#     label: Cibinqo (abrocitinib) US Prescribing Information
#     section: "4"
#     url: https://dailymed.nlm.nih.gov/dailymed/lookup.cfm?setid=3f6d6fcd-e9f9-42c8-bfa2-bb2cfc9ed258
#     revised: "2023-12"
findings contains f if {
	some order in input.orders
	targets := early_abrocitinib(order)
	count(targets) > 0
	drugs := antiplatelets(order)
	count(drugs) > 0
	names := concat(", ", sort({d.name | some d in drugs}))
	started := min({lib.started(t) | some t in targets})
	f := {
		"rule": "abrocitinib.antiplatelet",
		"indicator": "critical",
		"summary": lib.truncate(sprintf("Abrocitinib contraindicated with %s during the first 3 months", [names]), 140),
		"detail": concat("\n\n", [
			"Antiplatelet therapy other than low-dose aspirin (≤ 81 mg/day) is **contraindicated during the first 3 months** of abrocitinib treatment (risk of thrombocytopenia and bleeding).",
			sprintf("Abrocitinib: %s. Interacting: %s.", [started_text(started), names]),
			lib.cite("abrocitinib", "§4 Contraindications"),
		]),
		"order": order.ref,
		"evidence": [lib.evidence_med(m) | some m in ({d.med | some d in drugs} | (targets - {order}))],
		"suggestions": [],
		"links": lib.label_links("abrocitinib"),
	}
}

started_text(started) := "initiation" if {
	lib.days_since(started) < 1
} else := sprintf("started %s (%d days ago)", [lib.date_of(started), floor(lib.days_since(started))])

# interaction_finding: a warning about interacting drugs with abrocitinib.
interaction_finding(rule_id, order, meds, vs_id, what, section) := {
	"rule": rule_id,
	"indicator": "warning",
	"summary": lib.truncate(sprintf("Abrocitinib with %s (%s): avoid coadministration", [names, what]), 140),
	"detail": concat("\n\n", [
		sprintf("Avoid coadministration of abrocitinib with %s (%s).", [names, what]),
		lib.cite("abrocitinib", section),
	]),
	"order": order.ref,
	"evidence": [lib.evidence_med(m) | some m in (meds | (lib.context_targets(order, "abrocitinib") - {order}))],
	"suggestions": [],
	"links": lib.label_links("abrocitinib"),
} if {
	names := concat(", ", sort({lib.med_name(m, vs_id) | some m in meds}))
}

systemic_interactors(order, vs_id) := {m | some m in lib.interacting(order, "abrocitinib", vs_id); lib.systemic(m)}

# METADATA
# title: Abrocitinib with fluconazole
# description: Moderate-to-strong inhibitors of both CYP2C19 and CYP2C9 (fluconazole) raise abrocitinib exposure; avoid.
# custom:
#   id: abrocitinib.cyp2c19-cyp2c9-inhibitor
#   indicator: warning
#   drugs: [abrocitinib]
#   source:
#     label: Cibinqo (abrocitinib) US Prescribing Information
#     section: "7"
#     url: https://dailymed.nlm.nih.gov/dailymed/lookup.cfm?setid=3f6d6fcd-e9f9-42c8-bfa2-bb2cfc9ed258
#     revised: "2023-12"
findings contains interaction_finding("abrocitinib.cyp2c19-cyp2c9-inhibitor", order, meds, "cyp2c19-cyp2c9-inhibitors", "CYP2C19 and CYP2C9 inhibitor", "§7") if {
	some order in input.orders
	meds := systemic_interactors(order, "cyp2c19-cyp2c9-inhibitors")
	count(meds) > 0
}

# METADATA
# title: Abrocitinib with a strong CYP2C19 or CYP2C9 inducer
# description: Strong CYP2C19 or CYP2C9 inducers lower abrocitinib exposure; avoid.
# custom:
#   id: abrocitinib.cyp-inducer
#   indicator: warning
#   drugs: [abrocitinib]
#   source:
#     label: Cibinqo (abrocitinib) US Prescribing Information
#     section: "7"
#     url: https://dailymed.nlm.nih.gov/dailymed/lookup.cfm?setid=3f6d6fcd-e9f9-42c8-bfa2-bb2cfc9ed258
#     revised: "2023-12"
findings contains interaction_finding("abrocitinib.cyp-inducer", order, meds, "cyp2c19-cyp2c9-inducers", "strong CYP2C19/CYP2C9 inducer", "§7") if {
	some order in input.orders
	meds := systemic_interactors(order, "cyp2c19-cyp2c9-inducers")
	count(meds) > 0
}
