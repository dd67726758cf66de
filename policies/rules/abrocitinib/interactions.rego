# Abrocitinib with antiplatelet therapy early in treatment (the drugs to
# avoid are the profile's interactions, checked by the shared
# {drug}.{interactions} rule).
package labelguard.rules.abrocitinib

import data.labelguard.lib

# Cibinqo PI §4: antiplatelet therapies except low-dose aspirin are
# contraindicated during the first 3 months (the profile's antiplatelets).
window_months := lib.profiles.abrocitinib.antiplatelets.windowMonths

# A month counts 30 days: 3 months are 90 days.
antiplatelet_window_days := window_months * 30

low_dose_aspirin_mg := lib.profiles.abrocitinib.antiplatelets.lowDoseAspirinMaxMgPerDay

# aspirin_over_low_dose: the daily dose, else the product strength (when
# the daily dose cannot be derived), is above the low dose. An aspirin with
# neither cannot be shown to be low dose and counts (docs/clinical/conventions.md#aspirin-dose).
aspirin_over_low_dose(m) if m.dailyDoseMg > low_dose_aspirin_mg

aspirin_over_low_dose(m) if {
	not lib.number_field(m, "dailyDoseMg")
	lib.strength_mg(m) > low_dose_aspirin_mg
}

aspirin_over_low_dose(m) if {
	not lib.number_field(m, "dailyDoseMg")
	not lib.strength_mg(m)
}

# aspirin_text: how the card names an aspirin above the low dose. It is
# made here, with the antiplatelets' names (lib.med_name, from the value
# sets, which no template function reads), because the card lists both in
# the order of their text (aspirin between aggrenox and cilostazol).
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

# early_abrocitinib: abrocitinib at initiation or started within the window.
early_abrocitinib(order) := {t |
	some t in lib.context_targets(order, "abrocitinib")
	lib.days_since(lib.started(t)) < antiplatelet_window_days
}

# METADATA
# title: "Abrocitinib with antiplatelet therapy in the first {{antiplatelets.windowMonths}} months"
# description: "Antiplatelet drugs (or aspirin above {{antiplatelets.lowDoseAspirinMaxMgPerDay}} mg/day) are contraindicated during the first {{antiplatelets.windowMonths}} months of abrocitinib."
# custom:
#   id: abrocitinib.antiplatelet
#   indicator: critical
#   drugs: [abrocitinib]
#   source:
#     topic: contraindications
#   card:
#     summary: >-
#       {{printf "Abrocitinib contraindicated with %s during the first %s months"
#       (join ", " .interacting) (num .windowMonths) | truncate 140}}
#     detail: |-
#       Antiplatelet therapy other than low-dose aspirin (≤ {{num .lowDoseAspirinMg}} mg/day) is **contraindicated during the first {{num .windowMonths}} months** of abrocitinib treatment (risk of thrombocytopenia and bleeding).
#
#       Abrocitinib: {{if lt .daysSinceStart 1.0}}initiation{{else}}started {{date .started}} ({{num .daysSinceStart}} {{if eq (num .daysSinceStart) "1"}}day{{else}}days{{end}} ago){{end}}. Interacting: {{join ", " .interacting}}.
findings contains f if {
	some order in input.orders
	targets := early_abrocitinib(order)
	count(targets) > 0
	drugs := antiplatelets(order)
	count(drugs) > 0
	started := min({lib.started(t) | some t in targets})
	f := {
		"rule": "abrocitinib.antiplatelet",
		"indicator": "critical",
		# under a day since the start, the card says "initiation"; else
		# "started <date> (<days> days ago)"
		"text": {
			"interacting": sort({d.name | some d in drugs}),
			"windowMonths": window_months,
			"lowDoseAspirinMg": low_dose_aspirin_mg,
			"started": started,
			"daysSinceStart": floor(lib.days_since(started)),
		},
		"order": order.ref,
		"evidence": [lib.evidence_med(m) | some m in ({d.med | some d in drugs} | (targets - {order}))],
		"suggestions": [],
		"links": lib.topic_links("abrocitinib", "contraindications"),
	}
}
