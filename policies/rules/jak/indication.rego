# Who a target drug is approved for in atopic dermatitis: the youngest age
# of its label (profile indication.minAgeYears).
package labelguard.rules.jak

import data.labelguard.lib

# METADATA
# title: "{{display}} under {{indication.minAgeYears}} years"
# description: "{{display}} is not approved for atopic dermatitis under {{indication.minAgeYears}} years of age."
# custom:
#   id: "{drug}.age-min"
#   indicator: critical
#   drugs: [all]
#   source:
#     topic: indication
findings contains f if {
	some order in lib.target_orders
	indication := lib.profiles[order.target].indication
	lib.age < indication.minAgeYears
	drug := lib.drug_display[order.target]
	f := {
		"rule": "{drug}.age-min",
		"indicator": "critical",
		"summary": sprintf("%s not approved for atopic dermatitis under %d years (patient is %d)", [drug, indication.minAgeYears, lib.age]),
		"detail": concat("\n\n", [
			sprintf("Patient age **%d**. %s is indicated for atopic dermatitis from %d years of age%s.", [lib.age, drug, indication.minAgeYears, age_note(indication)]),
		]),
		"order": order.ref,
		"evidence": [lib.evidence_age],
		"suggestions": [],
		"links": lib.topic_links(order.target, "indication"),
	}
}

age_note(indication) := sprintf(" (%s)", [indication.note]) if {
	object.get(indication, "note", "") != ""
} else := ""
