# Follow-up labs at initiation, as a plan with due dates (each drug's
# profile: monitoring.plan, days after initiation; topic monitoring). Not shown when a critical card concerns the
# same order, since a plan for a drug that must not be started is noise:
# its custom.omitWhen: [critical] asks the engine to leave it out, so that
# this rule reads no other package's findings (and a failure there cannot
# take it down).
package labelguard.rules.jak

import data.labelguard.lib

# METADATA
# title: Monitoring plan at initiation
# description: "At initiation, the follow-up labs of the label with their due dates ({{monitoring.summary}}); left out when a critical card concerns the same order."
# custom:
#   id: jak.monitoring-plan
#   card:
#     summary: >-
#       {{drug .drug}} monitoring plan: {{.planSummary}}
#     detail: |-
#       Follow-up after starting {{lower (drug .drug)}}:
#       {{range .plan}}
#       - {{.label}} (due {{.dueDate}}){{end}}
#   indicator: info
#   drugs: [oral]
#   omitWhen: [critical]
#   source:
#     topic: monitoring
findings contains f if {
	some order in lib.oral_jaki_orders
	lib.is_initiation(order)
	monitoring := lib.profiles[order.target].monitoring
	plan := [{"label": p.label, "analytes": p.analytes, "dueDate": lib.add_days(input.now, p.days)} | some p in monitoring.plan]
	f := {
		"rule": "jak.monitoring-plan",
		"indicator": "info",
		"text": {"drug": order.target, "planSummary": monitoring.summary, "plan": plan},
		"order": order.ref,
		"evidence": [],
		"suggestions": [{"kind": "create-lab", "label": p.label, "analytes": p.analytes, "dueDate": p.dueDate} | some p in plan],
		"links": lib.topic_links(order.target, "monitoring"),
	}
}
