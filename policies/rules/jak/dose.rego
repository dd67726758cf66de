# Daily dose limits every oral target has (its profile's dose), and the
# card that says which dose checks could not be made when the daily dose
# cannot be derived. A drug's other dose limits (age, renal function,
# interacting drugs) are its own package's rules; every dose rule says so
# with custom.tags: [dose].
package labelguard.rules.jak

import data.labelguard.lib

# METADATA
# title: "{{display}} above {{dose.maxMgPerDay}} mg/day"
# description: "Daily dose above {{dose.maxMgPerDay}} mg, the highest atopic dermatitis dose; suggests {{dose.recommendedMgPerDay}} mg once daily."
# custom:
#   id: "{drug}.dose-max"
#   indicator: critical
#   drugs: [oral]
#   tags: [dose]
#   source:
#     topic: dose
findings contains f if {
	some order in lib.oral_jaki_orders
	dose := lib.profiles[order.target].dose
	lib.dose_over(order, dose.maxMgPerDay)
	drug := lib.drug_display[order.target]
	f := {
		"rule": "{drug}.dose-max",
		"indicator": "critical",
		"summary": sprintf("%s %s mg/day exceeds the atopic dermatitis maximum of %s mg", [drug, lib.format_num(order.dailyDoseMg), lib.format_num(dose.maxMgPerDay)]),
		"detail": concat("\n\n", [
			concat(" ", array.concat(
				[sprintf("Ordered: **%s mg/day**. The highest atopic dermatitis dose is %s mg once daily; the recommended dose is %s mg once daily.", [lib.format_num(order.dailyDoseMg), lib.format_num(dose.maxMgPerDay), lib.format_num(dose.recommendedMgPerDay)])],
				[n | n := object.get(dose, "maxNote", ""); n != ""],
			)),
		]),
		"order": order.ref,
		"evidence": [lib.evidence_dose(order)],
		"suggestions": lib.update_dose(order, dose.recommendedMgPerDay),
		"links": lib.topic_links(order.target, "dose"),
	}
}

# METADATA
# title: Daily dose could not be verified
# description: The daily dose of the order could not be derived and no dose rule fired; lists the dose checks that could not be made (the rules tagged dose).
# custom:
#   id: jak.dose-unverifiable
#   indicator: info
#   drugs: [oral]
#   hooks: [order-sign]
#   omitWhen: [dose]
#   source:
#     topic: dose
findings contains f if {
	some order in lib.oral_jaki_orders
	not lib.dose_known(order)
	drug := lib.drug_display[order.target]
	checks := object.get(data.labelguard.tagged, ["dose", order.target], [])
	f := {
		"rule": "jak.dose-unverifiable",
		"indicator": "info",
		"summary": sprintf("%s: daily dose could not be derived — dose checks not made", [drug]),
		"detail": concat("\n\n", [
			sprintf("The daily dose could not be derived from the order%s, so these checks could not be made:", [dose_note(order)]),
			concat("\n", [sprintf("- %s (%s)", [c.title, c.id]) | some c in checks]),
			"Enter the dose as a quantity in mg (or tablets of a known strength) with a frequency.",
		]),
		"order": order.ref,
		"evidence": [lib.evidence_dose(order)],
		"suggestions": [],
		"links": lib.topic_links(order.target, "dose"),
	}
}

dose_note(order) := sprintf(" (%s)", [order.doseNote]) if {
	object.get(order, "doseNote", "") != ""
} else := ""
