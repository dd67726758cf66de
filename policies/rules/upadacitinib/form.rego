# Upadacitinib: the oral solution (Rinvoq LQ) ordered for atopic dermatitis.
package labelguard.rules.upadacitinib

import data.labelguard.lib

# The profile's oralSolution (US PI §2): the label doses the oral solution
# for other indications only, and it is not substitutable with the
# extended-release tablets. A jurisdiction whose label is not quoted on it
# states none (jurisdictions.EU.oralSolution: null), and the rule is silent
# there: the member is optional, hence object.get.
oral_solution := object.get(lib.profiles.upadacitinib, "oralSolution", {})

# METADATA
# title: Upadacitinib oral solution (Rinvoq LQ) ordered
# description: "An upadacitinib order for the oral solution (value set of the profile's oralSolution): the label gives it no atopic dermatitis dose, and it is not substitutable with the extended-release tablets."
# custom:
#   id: upadacitinib.oral-solution
#   indicator: warning
#   drugs: [upadacitinib]
#   source:
#     topic: oral-solution
#   card:
#     summary: >-
#       Upadacitinib oral solution (Rinvoq LQ): no atopic dermatitis dose;
#       not substitutable with the tablets
#     detail: |-
#       Ordered: {{dose .order}}.
#
#       {{.statement}}
findings contains f if {
	some order in orders
	lib.in_valueset(order, object.get(oral_solution, "valueSet", ""))
	f := {
		"rule": "upadacitinib.oral-solution",
		"indicator": "warning",
		# the statement is the profile's, in the words of the
		# jurisdiction's label
		"text": {"order": order, "statement": oral_solution.statement},
		"order": order.ref,
		"evidence": [lib.evidence_dose(order)],
		"suggestions": [],
		"links": lib.topic_links("upadacitinib", "oral-solution"),
	}
}
