# Hypersensitivity to the ordered JAK inhibitor.
package labelguard.rules.jak

import data.labelguard.lib

allergies_to(order) := {a |
	some a in lib.active_allergies
	lib.in_valueset(a, target_valueset[order.target])
}

# METADATA
# title: Allergy to the ordered JAK inhibitor
# description: An active allergy or intolerance names the ordered ingredient or brand; hypersensitivity is a contraindication.
# custom:
#   id: jak.allergy
#   indicator: critical
#   drugs: [upadacitinib, abrocitinib, baricitinib, ruxolitinib-cream]
#   source:
#     label: Rinvoq (upadacitinib) US Prescribing Information
#     section: "4"
#     url: https://dailymed.nlm.nih.gov/dailymed/lookup.cfm?setid=2966aec7-2ef0-923c-d8ff-fe1a957bf095
#     revised: "2025-04"
findings contains f if {
	some order in lib.target_orders
	allergies := allergies_to(order)
	count(allergies) > 0
	drug := lib.drug_display[order.target]
	evidence := [lib.evidence_condition(a) | some a in allergies]
	f := {
		"rule": "jak.allergy",
		"indicator": "critical",
		"summary": sprintf("%s: recorded allergy to this drug — hypersensitivity is a contraindication", [drug]),
		"detail": concat("\n\n", [
			sprintf("Recorded allergy or intolerance: %s. Known hypersensitivity to %s or its excipients is a contraindication.", [lib.evidence_text(evidence), lower(drug)]),
			lib.cite(order.target, allergy_sections[order.target]),
		]),
		"order": order.ref,
		"evidence": evidence,
		"suggestions": lib.delete_order(lower(drug)),
		"links": lib.label_links(order.target),
	}
}

allergy_sections := {
	"upadacitinib": "§4 Contraindications",
	"abrocitinib": "§4 Contraindications",
	"baricitinib": "section 4.3",
	"ruxolitinib-cream": "§4 and §5 (hypersensitivity)",
}
