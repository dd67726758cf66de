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
	evidence_meds := {d.med | some d in drugs} | (targets - {order})
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
