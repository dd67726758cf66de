# Who a target drug is approved for in atopic dermatitis: the youngest age
# of its label (profile indication.minAgeYears).
package labelguard.rules.jak

import data.labelguard.lib

# METADATA
# title: "{{display}} under {{indication.minAgeYears}} years"
# description: "{{display}} is not approved for atopic dermatitis under {{indication.minAgeYears}} years of age."
# custom:
#   id: "{drug}.age-min"
#   card:
#     summary: >-
#       {{drug .drug}} not approved for atopic dermatitis under {{num .minAgeYears}} years (patient is {{num .age}})
#     detail: |-
#       Patient age **{{num .age}}**. {{drug .drug}} is indicated for atopic dermatitis from {{num .minAgeYears}} years of age{{with .note}} ({{.}}){{end}}.
#   indicator: critical
#   drugs: [all]
#   source:
#     topic: indication
findings contains f if {
	some order in lib.target_orders
	indication := lib.profiles[order.target].indication
	lib.age < indication.minAgeYears
	f := {
		"rule": "{drug}.age-min",
		"indicator": "critical",
		"text": {
			"drug": order.target,
			"age": lib.age,
			"minAgeYears": indication.minAgeYears,
			"note": object.get(indication, "note", ""),
		},
		"order": order.ref,
		"evidence": [lib.evidence_age],
		"suggestions": [],
		"links": lib.topic_links(order.target, "indication"),
	}
}
