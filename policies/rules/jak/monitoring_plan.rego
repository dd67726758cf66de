# Follow-up labs at initiation, as a plan with due dates (each drug's
# profile, topic monitoring). Not shown when a critical card concerns the
# same order, since a plan for a drug that must not be started is noise:
# its custom.omitWhenCritical asks the engine to leave it out, so that
# this rule reads no other package's findings (and a failure there cannot
# take it down).
package labelguard.rules.jak

import data.labelguard.lib

# Days after initiation. Upadacitinib: lipids at 12 weeks; CBC and liver
# enzymes "according to routine patient management", planned with the
# lipids. Abrocitinib: CBC with platelets and lipids at 4 weeks.
# Baricitinib: lipids at 12 weeks.
monitoring_plans := {
	"upadacitinib": [
		{"label": "Lipid panel at 12 weeks", "analytes": ["lipids"], "days": 84},
		{"label": "CBC with differential at 12 weeks, then periodically", "analytes": ["anc", "alc", "hgb"], "days": 84},
		{"label": "Liver enzymes at 12 weeks, then periodically", "analytes": ["alt", "ast"], "days": 84},
	],
	"abrocitinib": [
		{"label": "CBC with platelets at 4 weeks", "analytes": ["anc", "alc", "hgb", "platelets"], "days": 28},
		{"label": "Lipid panel at 4 weeks", "analytes": ["lipids"], "days": 28},
	],
	"baricitinib": [{"label": "Lipid panel at 12 weeks", "analytes": ["lipids"], "days": 84}],
}

# METADATA
# title: Monitoring plan at initiation
# description: At initiation, the follow-up labs of the label with their due dates; left out when a critical card concerns the same order.
# custom:
#   id: jak.monitoring-plan
#   indicator: info
#   drugs: [oral]
#   omitWhenCritical: true
#   source:
#     topic: monitoring
findings contains f if {
	some order in lib.oral_jaki_orders
	lib.is_initiation(order)
	plan := monitoring_plans[order.target]
	drug := lib.drug_display[order.target]
	f := {
		"rule": "jak.monitoring-plan",
		"indicator": "info",
		"summary": sprintf("%s monitoring plan: %s", [drug, plan_summaries[order.target]]),
		"detail": concat("\n\n", [
			sprintf("Follow-up after starting %s:", [lower(drug)]),
			concat("\n", [sprintf("- %s (due %s)", [p.label, lib.add_days(input.now, p.days)]) | some p in plan]),
			lib.cite_topic(order.target, "monitoring"),
		]),
		"order": order.ref,
		"evidence": [],
		"suggestions": [{"kind": "create-lab", "label": p.label, "analytes": p.analytes, "dueDate": lib.add_days(input.now, p.days)} | some p in plan],
		"links": lib.topic_links(order.target, "monitoring"),
	}
}

plan_summaries := {
	"upadacitinib": "lipids, CBC and liver enzymes at 12 weeks",
	"abrocitinib": "CBC with platelets and lipids at 4 weeks",
	"baricitinib": "lipids at 12 weeks",
}
