# METADATA
# scope: package
# custom:
#   hooks: [order-sign]
#   drugs: [upadacitinib]
package labelguard.rules.upa

# METADATA
# title: Upadacitinib above the maximum
# custom:
#   id: upadacitinib.dose-max
#   indicator: critical
#   drugs: [upadacitinib]
#   source:
#     label: Rinvoq (upadacitinib) US Prescribing Information
#     section: "2.5"
#     url: https://dailymed.nlm.nih.gov/dailymed/lookup.cfm?setid=2966aec7-2ef0-923c-d8ff-fe1a957bf095
findings contains f if {
	some o in input.orders
	o.target == "upadacitinib"
	o.dailyDoseMg > data.labelguard.params.maxDose
	f := {
		"rule": "upadacitinib.dose-max",
		"indicator": "critical",
		"summary": sprintf("Upadacitinib %v mg/day exceeds the maximum of %v mg", [o.dailyDoseMg, data.labelguard.params.maxDose]),
		"order": o.ref,
	}
}
