# Hypersensitivity to the ordered JAK inhibitor.
package labelguard.rules.jak

import data.labelguard.lib

allergies_to(order) := {a |
	some a in lib.active_allergies
	lib.in_valueset(a, lib.profiles[order.target].valueSet)
}

# METADATA
# title: Allergy to the ordered JAK inhibitor
# description: An active allergy or intolerance names the ordered ingredient or brand; hypersensitivity is a contraindication.
# custom:
#   id: jak.allergy
#   card:
#     summary: >-
#       {{drug .drug}}: recorded allergy to this drug — hypersensitivity is a contraindication
#     detail: |-
#       Recorded allergy or intolerance: {{evidence .evidence}}. Known hypersensitivity to {{lower (drug .drug)}} or its excipients is a contraindication.
#   indicator: critical
#   drugs: [all]
#   source:
#     topic: hypersensitivity
findings contains f if {
	some order in lib.target_orders
	allergies := allergies_to(order)
	count(allergies) > 0
	evidence := [lib.evidence_condition(a) | some a in allergies]
	f := {
		"rule": "jak.allergy",
		"indicator": "critical",
		"text": {"drug": order.target, "evidence": evidence},
		"order": order.ref,
		"evidence": evidence,
		"suggestions": lib.delete_order(lower(lib.drug_display[order.target])),
		"links": lib.topic_links(order.target, "hypersensitivity"),
	}
}
