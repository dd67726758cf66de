# Laboratory thresholds for the oral JAK inhibitors: do not initiate, or
# interrupt, when a blood count is below the label's threshold. Each
# drug's thresholds are in its profile (labs); a drug whose profile has
# none for an analyte is not checked for it (and the catalog says so).
package labelguard.rules.jak

import data.labelguard.lib

# METADATA
# custom:
#   card:
#     summary: >-
#       {{drug .drug}}: {{labname .analyte}} {{num .lab.value}} {{labunit .analyte}}
#       is below {{num .limit}} — {{if eq .phase "initiation"}}do not initiate{{else}}interrupt treatment{{end}}
#     detail: |-
#       **{{labname .analyte}} {{num .lab.value}} {{labunit .analyte}}** ({{date .lab.time}}), below the threshold of {{num .limit}} {{labunit .analyte}}.
#
#       {{if eq .phase "initiation"}}Do not initiate{{else}}Interrupt{{end}} {{lower (drug .drug)}} {{if eq .phase "initiation"}}while {{labname .analyte}} is below{{else}}until {{labname .analyte}} is at least{{end}} {{num .limit}} {{labunit .analyte}}.
lab_finding(rule_id, analyte, order, lab) := {
	"rule": rule_id,
	"indicator": "critical",
	"text": {
		"drug": order.target,
		"analyte": analyte,
		"lab": lab,
		"limit": lib.lab_limit(order.target, analyte, lib.phase(order)),
		"phase": lib.phase(order),
	},
	"order": order.ref,
	"evidence": [lib.evidence_lab(lab, lib.lab_short(analyte))],
	"suggestions": [],
	"links": lib.topic_links(order.target, "labs"),
}

# METADATA
# title: "ANC below {{labs.anc.below}} {{units.anc}}"
# description: "Absolute neutrophil count below {{labs.anc.below}} {{units.anc}} within the lab window; do not initiate or interrupt."
# custom:
#   id: jak.lab-anc-low
#   card: lab_finding
#   indicator: critical
#   drugs: [oral]
#   hooks: [order-select, order-sign]
#   source:
#     topic: labs
findings contains lab_finding("jak.lab-anc-low", "anc", order, lab) if {
	some order in lib.oral_jaki_orders
	lab := lib.lab_below(order.target, "anc", lib.phase(order))
}

# METADATA
# title: "ALC below {{labs.alc.below}} {{units.alc}}"
# description: "Absolute lymphocyte count below {{labs.alc.below}} {{units.alc}} within the lab window; do not initiate or interrupt."
# custom:
#   id: jak.lab-alc-low
#   card: lab_finding
#   indicator: critical
#   drugs: [oral]
#   hooks: [order-select, order-sign]
#   source:
#     topic: labs
findings contains lab_finding("jak.lab-alc-low", "alc", order, lab) if {
	some order in lib.oral_jaki_orders
	lab := lib.lab_below(order.target, "alc", lib.phase(order))
}

# METADATA
# title: "Hemoglobin below {{labs.hgb.below}} {{units.hgb}}"
# description: "Hemoglobin below {{labs.hgb.below}} {{units.hgb}} within the lab window; do not initiate or interrupt."
# custom:
#   id: jak.lab-hgb-low
#   card: lab_finding
#   indicator: critical
#   drugs: [oral]
#   hooks: [order-select, order-sign]
#   source:
#     topic: labs
findings contains lab_finding("jak.lab-hgb-low", "hgb", order, lab) if {
	some order in lib.oral_jaki_orders
	lab := lib.lab_below(order.target, "hgb", lib.phase(order))
}

# METADATA
# title: "{{display}} with a low platelet count"
# description: "Platelets below {{labs.platelets.below}} {{units.platelets}} during treatment, or below the label's threshold at initiation, within the lab window."
# custom:
#   id: "{drug}.lab-platelets-low"
#   card:
#     summary: >-
#       {{drug .drug}}: platelets {{num .lab.value}} {{labunit "platelets"}} below {{num .limit}}
#       — {{if eq .phase "initiation"}}do not initiate{{else}}discontinue{{end}}
#     detail: |-
#       Platelet count **{{lab .lab}}** (threshold {{num .limit}} {{labunit "platelets"}} at {{.phase}}).
#
#       {{if eq .phase "initiation"}}Do not initiate {{lower (drug .drug)}} with a platelet count below {{num .limit}} {{labunit "platelets"}}.{{else}}Discontinue {{lower (drug .drug)}} when the platelet count is below {{num .limit}} {{labunit "platelets"}}; do not restart until it is above {{num .restartAbove}} {{labunit "platelets"}}.{{end}}
#   reads: [labs.platelets]
#   indicator: critical
#   drugs: [oral]
#   hooks: [order-select, order-sign]
#   source:
#     topic: labs
findings contains f if {
	some order in lib.oral_jaki_orders
	phase := lib.phase(order)
	lab := lib.lab_below(order.target, "platelets", phase)
	limits := lib.profiles[order.target].labs.platelets
	f := {
		"rule": "{drug}.lab-platelets-low",
		"indicator": "critical",
		"text": {
			"drug": order.target,
			"lab": lab,
			"limit": lib.lab_limit(order.target, "platelets", phase),
			"restartAbove": object.get(limits, "restartAbove", limits.below),
			"phase": phase,
		},
		"order": order.ref,
		"evidence": [lib.evidence_lab(lab, "Platelet count")],
		"suggestions": [],
		"links": lib.topic_links(order.target, "labs"),
	}
}
