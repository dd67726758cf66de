# Pregnancy and breastfeeding.
package labelguard.rules.jak

import data.labelguard.lib

pregnant_code := "http://snomed.info/sct|77386006"

breastfeeding_code := "http://snomed.info/sct|413712001"

# pregnancy_evidence: pregnancy status "pregnant" or a positive hCG within
# the pregnancy window, or an active pregnancy condition.
pregnancy_evidence contains lib.evidence_lab(lab, "Pregnancy status") if {
	lab := lib.latest_lab("pregnancy-status")
	coded_or_affirmative(lab, pregnant_code, "pregnant")
}

pregnancy_evidence contains lib.evidence_lab(lab, "Pregnancy test (hCG)") if {
	lab := lib.positive("hcg")
}

pregnancy_evidence contains lib.evidence_condition(c) if {
	some c in lib.active_conditions_in("pregnancy")
}

lactation_evidence contains lib.evidence_lab(lab, "Breastfeeding status") if {
	lab := lib.latest_lab("breastfeeding")
	coded_or_affirmative(lab, breastfeeding_code, "breastfeeding")
}

lactation_evidence contains lib.evidence_condition(c) if {
	some c in lib.active_conditions_in("lactation")
}

coded_or_affirmative(lab, code, _) if code in object.get(lab, "valueCodes", [])

coded_or_affirmative(lab, _, word) if {
	count(object.get(lab, "valueCodes", [])) == 0
	affirmative(object.get(lab, "valueText", ""), word)
}

# METADATA
# title: JAK inhibitor during pregnancy
# description: "Pregnant by status, positive hCG within the window, or an active pregnancy condition. The indicator and wording are those of the drug's label in the jurisdiction in force (profile pregnancy): critical where the label contraindicates use."
# custom:
#   id: jak.pregnancy
#   card:
#     summary: >-
#       {{printf "%s during pregnancy: %s" (drug .drug) .pregnancy.summary | truncate 140}}
#     detail: |-
#       Pregnancy: {{evidence .evidence}}.
#
#       {{.pregnancy.statement}}
#   indicator: [critical, warning, info]
#   drugs: [all]
#   source:
#     topic: pregnancy
findings contains f if {
	some order in lib.target_orders
	count(pregnancy_evidence) > 0
	pregnancy := lib.profiles[order.target].pregnancy
	f := {
		"rule": "jak.pregnancy",
		"indicator": pregnancy.indicator,
		"text": {"drug": order.target, "pregnancy": pregnancy, "evidence": lib.evidence_list(pregnancy_evidence)},
		"order": order.ref,
		"evidence": lib.evidence_list(pregnancy_evidence),
		"suggestions": pregnancy_suggestions(pregnancy.indicator, lib.drug_display[order.target]),
		"links": lib.topic_links(order.target, "pregnancy"),
	}
}

# A card that contraindicates or warns offers to remove the order; one
# that informs does not.
pregnancy_suggestions("info", _) := []

pregnancy_suggestions(indicator, drug) := lib.delete_order(lower(drug)) if indicator != "info"

# METADATA
# title: JAK inhibitor during breastfeeding
# description: "Breastfeeding by status within the window or an active lactation condition; critical where the label of the jurisdiction in force contraindicates breastfeeding (profile lactation.indicator)."
# custom:
#   id: jak.lactation
#   card:
#     summary: >-
#       {{drug .drug}} while breastfeeding: {{.lactation.summary}}
#     detail: |-
#       Breastfeeding: {{evidence .evidence}}.
#
#       {{.lactation.statement}}
#   indicator: [critical, warning]
#   drugs: [all]
#   source:
#     topic: lactation
findings contains f if {
	some order in lib.target_orders
	count(lactation_evidence) > 0
	lactation := lib.profiles[order.target].lactation
	f := {
		"rule": "jak.lactation",
		"indicator": object.get(lactation, "indicator", "warning"),
		"text": {"drug": order.target, "lactation": lactation, "evidence": lib.evidence_list(lactation_evidence)},
		"order": order.ref,
		"evidence": lib.evidence_list(lactation_evidence),
		"suggestions": [],
		"links": lib.topic_links(order.target, "lactation"),
	}
}
