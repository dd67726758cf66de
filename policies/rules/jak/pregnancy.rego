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

pregnancy_finding(order, indicator) := {
	"rule": "jak.pregnancy",
	"indicator": indicator,
	"summary": sprintf("%s during pregnancy: %s", [drug, {"critical": "embryo-fetal toxicity — do not use", "warning": "no human data — avoid"}[indicator]]),
	"detail": concat("\n\n", [
		sprintf("Pregnancy: %s.", [lib.evidence_text(pregnancy_evidence)]),
		lib.profiles[order.target].pregnancy.statement,
	]),
	"order": order.ref,
	"evidence": lib.evidence_list(pregnancy_evidence),
	"suggestions": lib.delete_order(lower(drug)),
	"links": lib.topic_links(order.target, "pregnancy"),
} if {
	drug := lib.drug_display[order.target]
}

# METADATA
# title: Oral JAK inhibitor during pregnancy
# description: Pregnant by status, positive hCG within the window, or an active pregnancy condition; embryo-fetal toxicity.
# custom:
#   id: jak.pregnancy
#   indicator: critical
#   drugs: [oral]
#   source:
#     topic: pregnancy
findings contains pregnancy_finding(order, "critical") if {
	some order in lib.oral_jaki_orders
	count(pregnancy_evidence) > 0
}

# METADATA
# title: Topical JAK inhibitor during pregnancy
# description: Pregnant by status, positive hCG within the window, or an active pregnancy condition; no human data.
# custom:
#   id: jak.pregnancy
#   indicator: warning
#   drugs: [topical]
#   source:
#     topic: pregnancy
findings contains pregnancy_finding(order, "warning") if {
	some order in lib.target_orders
	lib.profiles[order.target].route == "topical"
	count(pregnancy_evidence) > 0
}

# METADATA
# title: JAK inhibitor during breastfeeding
# description: Breastfeeding by status within the window or an active lactation condition.
# custom:
#   id: jak.lactation
#   indicator: warning
#   drugs: [all]
#   source:
#     topic: lactation
findings contains f if {
	some order in lib.target_orders
	count(lactation_evidence) > 0
	drug := lib.drug_display[order.target]
	f := {
		"rule": "jak.lactation",
		"indicator": "warning",
		"summary": sprintf("%s while breastfeeding: %s", [drug, lib.profiles[order.target].lactation.summary]),
		"detail": concat("\n\n", [
			sprintf("Breastfeeding: %s.", [lib.evidence_text(lactation_evidence)]),
			lib.profiles[order.target].lactation.statement,
		]),
		"order": order.ref,
		"evidence": lib.evidence_list(lactation_evidence),
		"suggestions": [],
		"links": lib.topic_links(order.target, "lactation"),
	}
}
