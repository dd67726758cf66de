# Laboratory thresholds for the oral JAK inhibitors: do not initiate, or
# interrupt, when a blood count is below the label's threshold.
package labelguard.rules.jak

import data.labelguard.lib

# Rinvoq PI §2.1 (Table: dose interruption for laboratory abnormalities),
# Cibinqo PI §2.1, Olumiant SmPC 4.2: values below these thresholds.
lab_limits := {
	"anc": {"threshold": 1.0, "text": "1.0", "name": "ANC", "unit": "×10^9/L"},
	"alc": {"threshold": 0.5, "text": "0.5", "name": "ALC", "unit": "×10^9/L"},
	"hgb": {"threshold": 8, "text": "8", "name": "Hemoglobin", "unit": "g/dL"},
}

# lab_low: the latest result within its window when below the threshold.
lab_low(analyte) := lab if {
	lab := lib.latest_lab(analyte)
	lab.value < lab_limits[analyte].threshold
}

lab_finding(rule_id, analyte, order, lab) := {
	"rule": rule_id,
	"indicator": "critical",
	"summary": sprintf("%s: %s %s %s is below %s — %s", [
		lib.drug_display[order.target], limit.name, lib.format_num(lab.value),
		limit.unit, limit.text, lab_action_short[lib.phase(order)],
	]),
	"detail": concat("\n\n", [
		sprintf("**%s %s %s** (%s), below the threshold of %s %s.", [
			limit.name, lib.format_num(lab.value), limit.unit, lib.date_of(lab.time),
			limit.text, limit.unit,
		]),
		sprintf(lab_action_long[lib.phase(order)], [lib.drug_display[order.target], limit.name, limit.text, limit.unit]),
		lib.cite_topic(order.target, "labs"),
	]),
	"order": order.ref,
	"evidence": [lib.evidence_lab(lab, limit.name)],
	"suggestions": [],
	"links": lib.topic_links(order.target, "labs"),
} if {
	limit := lab_limits[analyte]
}

lab_action_short := {"initiation": "do not initiate", "continuation": "interrupt treatment"}

lab_action_long := {
	"initiation": "Do not initiate %s while %s is below %s %s.",
	"continuation": "Interrupt %s until %s is at least %s %s.",
}

# METADATA
# title: ANC below 1.0 ×10^9/L
# description: Absolute neutrophil count below 1.0 ×10^9/L within the lab window; do not initiate or interrupt.
# custom:
#   id: jak.lab-anc-low
#   indicator: critical
#   drugs: [oral]
#   hooks: [order-select, order-sign]
#   source:
#     topic: labs
findings contains lab_finding("jak.lab-anc-low", "anc", order, lab) if {
	some order in lib.oral_jaki_orders
	lab := lab_low("anc")
}

# METADATA
# title: ALC below 0.5 ×10^9/L
# description: Absolute lymphocyte count below 0.5 ×10^9/L within the lab window; do not initiate or interrupt.
# custom:
#   id: jak.lab-alc-low
#   indicator: critical
#   drugs: [oral]
#   hooks: [order-select, order-sign]
#   source:
#     topic: labs
findings contains lab_finding("jak.lab-alc-low", "alc", order, lab) if {
	some order in lib.oral_jaki_orders
	lab := lab_low("alc")
}

# METADATA
# title: Hemoglobin below 8 g/dL
# description: Hemoglobin below 8 g/dL within the lab window; do not initiate or interrupt.
# custom:
#   id: jak.lab-hgb-low
#   indicator: critical
#   drugs: [oral]
#   hooks: [order-select, order-sign]
#   source:
#     topic: labs
findings contains lab_finding("jak.lab-hgb-low", "hgb", order, lab) if {
	some order in lib.oral_jaki_orders
	lab := lab_low("hgb")
}
