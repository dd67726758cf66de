# Infections: active and latent tuberculosis, viral hepatitis, serious
# infections (boxed warning).
package labelguard.rules.jak

import data.labelguard.lib

# A condition that also names latent TB ("latent tuberculosis infection")
# counts as latent only.
active_tb := {c | some c in lib.active_conditions_in("tb-active"); not lib.in_valueset(c, "tb-latent")}

latent_tb_evidence contains lib.evidence_condition(c) if {
	some c in lib.active_conditions_in("tb-latent")
}

latent_tb_evidence contains lib.evidence_lab(lab, "TB screen") if {
	lab := lib.positive("tb")
}

hepatitis_evidence contains lib.evidence_condition(c) if {
	some c in lib.active_conditions_in("hepatitis-chronic")
}

hepatitis_evidence contains lib.evidence_lab(lab, "HBsAg") if {
	lab := lib.positive("hbsag")
}

serious_infections := lib.active_conditions_in("serious-infections")

# infection_finding: the finding of an infection rule; each rule's METADATA
# writes its card from the drug and the evidence.
infection_finding(rule_id, indicator, order, evidence, topic) := {
	"rule": rule_id,
	"indicator": indicator,
	"text": {"drug": order.target, "evidence": lib.evidence_list(evidence)},
	"order": order.ref,
	"evidence": lib.evidence_list(evidence),
	"suggestions": infection_suggestions(rule_id, order),
	"links": lib.topic_links(order.target, topic),
}

infection_suggestions("jak.tb-active", order) := lib.delete_order(lower(lib.drug_display[order.target]))

infection_suggestions(rule_id, _) := [] if rule_id != "jak.tb-active"

# METADATA
# title: Active tuberculosis
# description: Active tuberculosis; do not initiate an oral JAK inhibitor.
# custom:
#   id: jak.tb-active
#   card:
#     summary: >-
#       {{drug .drug}}: active tuberculosis — do not initiate
#     detail: |-
#       {{evidence .evidence}}. Do not initiate treatment in patients with active tuberculosis.
#   indicator: critical
#   drugs: [oral]
#   source:
#     topic: tuberculosis
findings contains infection_finding("jak.tb-active", "critical", order, evidence, "tuberculosis") if {
	some order in lib.oral_jaki_orders
	count(active_tb) > 0
	evidence := {lib.evidence_condition(c) | some c in active_tb}
}

# METADATA
# title: Latent tuberculosis
# description: Latent TB (condition or positive TB screen within the window) without active TB; treat before starting.
# custom:
#   id: jak.tb-latent
#   card:
#     summary: >-
#       {{drug .drug}}: latent tuberculosis — treat before starting
#     detail: |-
#       {{evidence .evidence}}. Start treatment of latent TB before initiating a JAK inhibitor.
#   indicator: warning
#   drugs: [oral]
#   source:
#     topic: tuberculosis
findings contains infection_finding("jak.tb-latent", "warning", order, latent_tb_evidence, "tuberculosis") if {
	some order in lib.oral_jaki_orders
	count(latent_tb_evidence) > 0
	count(active_tb) == 0
}

# METADATA
# title: Hepatitis B or C
# description: Chronic or active hepatitis B or C, or a positive HBsAg within the window; initiation not recommended.
# custom:
#   id: jak.hepatitis-active
#   card:
#     summary: >-
#       {{drug .drug}}: hepatitis B or C — initiation not recommended
#     detail: |-
#       {{evidence .evidence}}. Initiation is not recommended in patients with active hepatitis B or C; screen and manage viral hepatitis first.
#   indicator: critical
#   drugs: [oral]
#   source:
#     topic: hepatitis
findings contains infection_finding("jak.hepatitis-active", "critical", order, hepatitis_evidence, "hepatitis") if {
	some order in lib.oral_jaki_orders
	count(hepatitis_evidence) > 0
}

# METADATA
# title: Active serious infection
# description: Active sepsis, pneumonia, herpes zoster or invasive fungal infection; avoid until the infection is controlled.
# custom:
#   id: jak.serious-infection
#   card:
#     summary: >-
#       {{drug .drug}}: active serious infection — avoid until controlled
#     detail: |-
#       {{evidence .evidence}}. Avoid use in patients with an active, serious infection; interrupt treatment until the infection is controlled.
#   indicator: warning
#   drugs: [oral]
#   source:
#     topic: serious-infections
findings contains infection_finding("jak.serious-infection", "warning", order, evidence, "serious-infections") if {
	some order in lib.oral_jaki_orders
	count(serious_infections) > 0
	evidence := {lib.evidence_condition(c) | some c in serious_infections}
}
