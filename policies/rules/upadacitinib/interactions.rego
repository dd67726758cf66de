# Upadacitinib with strong CYP3A4 inducers (the inhibitor rule is a dose
# rule, in dose.rego).
package labelguard.rules.upadacitinib

import data.labelguard.lib

# METADATA
# title: Upadacitinib with a strong CYP3A4 inducer
# description: Strong CYP3A4 inducers lower upadacitinib exposure; coadministration is not recommended.
# custom:
#   id: upadacitinib.cyp3a4-inducer
#   indicator: warning
#   drugs: [upadacitinib]
#   source:
#     label: Rinvoq (upadacitinib) US Prescribing Information
#     section: "7"
#     url: https://dailymed.nlm.nih.gov/dailymed/lookup.cfm?setid=2966aec7-2ef0-923c-d8ff-fe1a957bf095
#     revised: "2025-04"
findings contains f if {
	some order in input.orders
	inducers := {m | some m in lib.interacting(order, "upadacitinib", "strong-cyp3a4-inducers"); lib.systemic(m)}
	count(inducers) > 0
	names := concat(", ", sort({lib.med_name(m, "strong-cyp3a4-inducers") | some m in inducers}))
	targets := lib.context_targets(order, "upadacitinib")
	f := {
		"rule": "upadacitinib.cyp3a4-inducer",
		"indicator": "warning",
		"summary": lib.truncate(sprintf("Upadacitinib with %s (strong CYP3A4 inducer) not recommended: loss of efficacy", [names]), 140),
		"detail": concat("\n\n", [
			sprintf("Strong CYP3A4 inducers decrease upadacitinib exposure and may reduce its efficacy; coadministration with %s is not recommended.", [names]),
			lib.cite("upadacitinib", "§7"),
		]),
		"order": order.ref,
		"evidence": [lib.evidence_med(m) | some m in (inducers | (targets - {order}))],
		"suggestions": [],
		"links": lib.label_links("upadacitinib"),
	}
}
