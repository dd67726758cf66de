# Daily dose limits every oral target has (its profile's dose), and the
# card that says which dose checks could not be made when the daily dose
# cannot be derived. A drug's other dose limits (age, renal function,
# interacting drugs) are its own package's rules; every dose rule says so
# with custom.tags: [dose].
package labelguard.rules.jak

import data.labelguard.lib

# METADATA
# title: "{{display}} above {{dose.maxMgPerDay}} mg/day"
# description: "Daily dose above {{dose.maxMgPerDay}} mg, the highest atopic dermatitis dose; suggests {{dose.recommendedMgPerDay}} mg once daily."
# custom:
#   id: "{drug}.dose-max"
#   card:
#     summary: >-
#       {{drug .drug}} {{num .dailyDoseMg}} mg/day exceeds the atopic dermatitis maximum of {{num .maxMgPerDay}} mg
#     detail: |-
#       Ordered: **{{num .dailyDoseMg}} mg/day**. The highest atopic dermatitis dose is {{num .maxMgPerDay}} mg once daily; the recommended dose is {{num .recommendedMgPerDay}} mg once daily.{{with .maxNote}} {{.}}{{end}}
#   indicator: critical
#   drugs: [oral]
#   tags: [dose]
#   source:
#     topic: dose
findings contains f if {
	some order in lib.oral_jaki_orders
	dose := lib.profiles[order.target].dose
	lib.dose_over(order, dose.maxMgPerDay)
	f := {
		"rule": "{drug}.dose-max",
		"indicator": "critical",
		"text": {
			"drug": order.target,
			"dailyDoseMg": order.dailyDoseMg,
			"maxMgPerDay": dose.maxMgPerDay,
			"recommendedMgPerDay": dose.recommendedMgPerDay,
			"maxNote": object.get(dose, "maxNote", ""),
		},
		"order": order.ref,
		"evidence": [lib.evidence_dose(order)],
		"suggestions": lib.update_dose(order, dose.recommendedMgPerDay),
		"links": lib.topic_links(order.target, "dose"),
	}
}

# METADATA
# title: Daily dose could not be verified
# description: The daily dose of the order could not be derived and no dose rule fired; lists the dose checks that could not be made (the rules tagged dose).
# custom:
#   id: jak.dose-unverifiable
#   card:
#     summary: >-
#       {{drug .drug}}: daily dose could not be derived — dose checks not made
#     detail: |-
#       The daily dose could not be derived from the order{{with .doseNote}} ({{.}}){{end}}, so these checks could not be made:
#       {{range .checks}}
#       - {{.title}} ({{.id}}){{end}}
#
#       Enter the dose as a quantity in mg (or tablets of a known strength) with a frequency.
#   indicator: info
#   drugs: [oral]
#   hooks: [order-sign]
#   omitWhen: [dose]
#   source:
#     topic: dose
findings contains f if {
	some order in lib.oral_jaki_orders
	not lib.dose_known(order)
	f := {
		"rule": "jak.dose-unverifiable",
		"indicator": "info",
		"text": {
			"drug": order.target,
			"doseNote": object.get(order, "doseNote", ""),
			"checks": object.get(data.labelguard.tagged, ["dose", order.target], []),
		},
		"order": order.ref,
		"evidence": [lib.evidence_dose(order)],
		"suggestions": [],
		"links": lib.topic_links(order.target, "dose"),
	}
}
