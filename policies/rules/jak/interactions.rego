# Combinations to avoid with every target: another JAK inhibitor, biologic
# immunomodulators and potent systemic immunosuppressants, live vaccines.
# Either direction: the card goes on the order that was placed (lib).
package labelguard.rules.jak

import data.labelguard.lib

# The cards below name the target drugs (card_drugs: IDs, which the
# template names) and cut their summaries at 140 characters, as
# lib.truncate did: a template cannot cut what a range writes, so the
# summary first gathers the drugs' names into $drugs.

interaction_finding(rule_id, order, meds, vs_ids, topic) := {
	"rule": rule_id,
	"indicator": "warning",
	"text": {
		"drugs": card_drugs(order),
		"names": sort({med_name_in(m, vs_ids) | some m in meds}),
	},
	"order": order.ref,
	"drug": label_drug(order),
	"evidence": [lib.evidence_med(m) | some m in (meds | (lib.context_targets(order, "") - {order}))],
	"suggestions": [],
	"links": lib.topic_links(label_drug(order), topic),
}

# med_name_in: how a card names an interacting medication: the first name
# of the value sets found in its text, else its text (at most 60
# characters).
med_name_in(m, vs_ids) := name if {
	names := [n | some vs in vs_ids; n := lib.valueset_name(m, vs); n != ""]
	count(names) > 0
	name := names[0]
} else := lib.truncate(object.get(m, "text", m.ref), 60)

# METADATA
# title: Another JAK inhibitor
# description: Another JAK inhibitor is active or ordered; the combination is not recommended.
# custom:
#   id: jak.concomitant-jak
#   card:
#     summary: >-
#       {{$drugs := ""}}{{range $i, $d := .drugs}}{{if $i}}{{$drugs = printf "%s, %s" $drugs (drug $d)}}{{else}}{{$drugs = drug $d}}{{end}}{{end}}
#       {{printf "%s with %s: combination with other JAK inhibitors is not recommended" $drugs (join ", " .names) | truncate 140}}
#     detail: |-
#       {{range $i, $d := .drugs}}{{if $i}}, {{end}}{{drug $d}}{{end}} with {{join ", " .names}}: combination with other JAK inhibitors is not recommended.
#   indicator: warning
#   drugs: [all]
#   source:
#     topic: combinations
findings contains interaction_finding("jak.concomitant-jak", order, meds, ["jak-inhibitors"], "combinations") if {
	some order in input.orders
	meds := lib.interacting(order, "", "jak-inhibitors")
	count(meds) > 0
}

immunomodulators(order) := lib.interacting(order, "", "immunomodulators") | {m |
	some m in lib.interacting(order, "", "immunosuppressants")
	lib.systemic(m)
}

# METADATA
# title: Biologic immunomodulator or potent immunosuppressant
# description: A biologic immunomodulator or potent systemic immunosuppressant is active or ordered; the combination is not recommended.
# custom:
#   id: jak.concomitant-immunomodulator
#   card:
#     summary: >-
#       {{$drugs := ""}}{{range $i, $d := .drugs}}{{if $i}}{{$drugs = printf "%s, %s" $drugs (drug $d)}}{{else}}{{$drugs = drug $d}}{{end}}{{end}}
#       {{printf "%s with %s: combination with biologic immunomodulators or potent immunosuppressants is not recommended" $drugs (join ", " .names) | truncate 140}}
#     detail: |-
#       {{range $i, $d := .drugs}}{{if $i}}, {{end}}{{drug $d}}{{end}} with {{join ", " .names}}: combination with biologic immunomodulators or potent immunosuppressants is not recommended.
#   indicator: warning
#   drugs: [all]
#   source:
#     topic: combinations
findings contains interaction_finding("jak.concomitant-immunomodulator", order, meds, ["immunomodulators", "immunosuppressants"], "combinations") if {
	some order in input.orders
	meds := immunomodulators(order)
	count(meds) > 0
}

# Live vaccines: given within the window before initiation, or ordered
# (draft) or pending while a target is active or ordered.
recent_live_vaccines(order) := {i |
	lib.target_drug(order)
	lib.is_initiation(order)
	some i in lib.immunizations_in("live-vaccines")
	days := lib.days_since(i.date)
	days >= 0
	days <= lib.param("liveVaccineWindowDays")
}

live_vaccine_evidence(order) := array.concat(
	[lib.evidence_immunization(i) | some i in recent_live_vaccines(order)],
	[lib.evidence_med(m) | some m in lib.interacting(order, "", "live-vaccines")],
)

# METADATA
# title: Live vaccine with a JAK inhibitor
# description: A live vaccine given within 28 days before initiation, or ordered while a target drug is active or ordered.
# custom:
#   id: jak.live-vaccine
#   card:
#     summary: >-
#       {{$drugs := ""}}{{range $i, $d := .drugs}}{{if $i}}{{$drugs = printf "%s, %s" $drugs (drug $d)}}{{else}}{{$drugs = drug $d}}{{end}}{{end}}
#       {{printf "%s: avoid live vaccines during or immediately before treatment" $drugs | truncate 140}}
#     detail: |-
#       Live vaccine: {{evidence .evidence}}. Avoid live vaccines during treatment and immediately before it (window: {{num .windowDays}} days before initiation); complete age-appropriate immunizations before starting.
#   indicator: warning
#   drugs: [all]
#   source:
#     topic: vaccinations
findings contains f if {
	some order in input.orders
	evidence := live_vaccine_evidence(order)
	count(evidence) > 0
	f := {
		"rule": "jak.live-vaccine",
		"indicator": "warning",
		"text": {
			"drugs": card_drugs(order),
			"evidence": evidence,
			"windowDays": lib.param("liveVaccineWindowDays"),
		},
		"order": order.ref,
		"drug": label_drug(order),
		"evidence": evidence,
		"suggestions": [],
		"links": lib.topic_links(label_drug(order), "vaccinations"),
	}
}

# METADATA
# title: "{{display}} with a {{item.role}}"
# description: "{{display}} with a {{item.role}} (value set {{item.valueSet}}): {{item.advice}}."
# custom:
#   id: "{drug}.{interactions}"
#   card:
#     summary: >-
#       {{printf "%s with %s (%s): %s" (drug .drug) (join ", " .names) .role .advice | truncate 140}}
#     detail: |-
#       {{.statement}}
#
#       {{drug .drug}} with {{join ", " .names}} ({{.role}}): {{.advice}}.
#   indicator: warning
#   drugs: [all]
#   source:
#     topic: interactions
findings contains f if {
	some order in input.orders
	some ix in avoid_entries
	meds := {m | some m in lib.interacting(order, ix.drug, ix.valueSet); lib.systemic(m)}
	count(meds) > 0
	targets := lib.context_targets(order, ix.drug)
	f := {
		"rule": "{drug}.{interactions}",
		"entry": ix.key,
		"indicator": "warning",
		"text": {
			"drug": ix.drug,
			"names": sort({lib.med_name(m, ix.valueSet) | some m in meds}),
			"role": ix.role,
			"advice": ix.advice,
			# an entry without a statement of the label's has a card of
			# one paragraph
			"statement": object.get(ix, "statement", ""),
		},
		"order": order.ref,
		"drug": ix.drug,
		"evidence": [lib.evidence_med(m) | some m in (meds | (targets - {order}))],
		"suggestions": [],
		"links": lib.topic_links(ix.drug, "interactions"),
	}
}

# avoid_entries: each drug's interactions (its profile), with the drug and
# the entry's key. Built from data alone, so that OPA's partial evaluation
# (issue 28) folds it into a constant.
avoid_entries contains object.union(ix, {"drug": drug, "key": key}) if {
	some drug
	profile := lib.profiles[drug]
	some key
	ix := profile.interactions[key]
}
