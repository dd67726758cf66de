# The daily dose of a target order could not be derived, and no dose rule
# fired: say which dose checks could not be made (order-sign only: at
# selection the dose is often not entered yet).
package labelguard.rules.jak

import data.labelguard.lib
import data.labelguard.rules.abrocitinib
import data.labelguard.rules.baricitinib
import data.labelguard.rules.upadacitinib

dose_rule_fires(order) if {
	order.target == "upadacitinib"
	upadacitinib.dose_rule_fires(order)
}

dose_rule_fires(order) if {
	order.target == "abrocitinib"
	abrocitinib.dose_rule_fires(order)
}

dose_rule_fires(order) if {
	order.target == "baricitinib"
	baricitinib.dose_rule_fires(order)
}

# The dose checks that need the daily dose, per drug.
dose_checks := {
	"upadacitinib": [
		"maximum 30 mg/day for atopic dermatitis (upadacitinib.dose-max)",
		"US start dose 15 mg/day (upadacitinib.start-dose)",
		"15 mg/day at 65 and older, in severe renal impairment and with strong CYP3A4 inhibitors",
	],
	"abrocitinib": [
		"maximum 200 mg/day (abrocitinib.dose-max)",
		"50 mg/day start (100 mg maximum) in moderate renal impairment, CYP2C19 poor metabolizers and with strong CYP2C19 inhibitors",
	],
	"baricitinib": [
		"maximum 4 mg/day (baricitinib.dose-max)",
		"2 mg/day at 65 and older, with risk factors, eGFR 30 to 60 and with probenecid",
	],
}

# METADATA
# title: Daily dose could not be verified
# description: The daily dose of the order could not be derived and no dose rule fired; lists the dose checks that could not be made.
# custom:
#   id: jak.dose-unverifiable
#   indicator: info
#   drugs: [oral]
#   hooks: [order-sign]
#   source:
#     label: labelguard rule catalog (RULES.md, all targets)
#     section: jak.dose-unverifiable
#     url: https://github.com/labelguard/labelguard/blob/main/docs/policy-contract.md
#     revised: "2026-01"
findings contains f if {
	input.hook == "order-sign"
	some order in lib.oral_jaki_orders
	not lib.dose_known(order)
	not dose_rule_fires(order)
	drug := lib.drug_display[order.target]
	f := {
		"rule": "jak.dose-unverifiable",
		"indicator": "info",
		"summary": sprintf("%s: daily dose could not be derived — dose checks not made", [drug]),
		"detail": concat("\n\n", [
			sprintf("The daily dose could not be derived from the order%s, so these checks could not be made:", [dose_note(order)]),
			concat("\n", [sprintf("- %s", [c]) | some c in dose_checks[order.target]]),
			"Enter the dose as a quantity in mg (or tablets of a known strength) with a frequency.",
		]),
		"order": order.ref,
		"evidence": [lib.evidence_dose(order)],
		"suggestions": [],
		"links": lib.label_links(order.target),
	}
}

dose_note(order) := sprintf(" (%s)", [order.doseNote]) if {
	object.get(order, "doseNote", "") != ""
} else := ""
