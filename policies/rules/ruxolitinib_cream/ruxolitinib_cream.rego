# Ruxolitinib cream (Opzelura) for atopic dermatitis: age, amount, body
# surface area, immunocompromise and reassessment.

# METADATA
# scope: package
# title: Ruxolitinib cream (Opzelura)
# description: "The checks only ruxolitinib cream has: amount, body surface area, immunocompromise, reassessment."
# custom:
#   hooks: [order-select, order-sign]
#   drugs: [ruxolitinib-cream]
package labelguard.rules.ruxolitinib_cream

import data.labelguard.lib

# Opzelura PI §1: non-immunocompromised patients; §2.1: the amounts, the
# body surface area and the re-examination, from the profile's
# application (profiles/ruxolitinib-cream.json).
application := lib.profiles["ruxolitinib-cream"].application

max_grams_per_week := application.maxGramsPerWeek

max_grams_single_dispense := application.maxGramsPerDispense

max_bsa_percent := application.maxBsaPercent

reassess_after_days := application.reassessAfterWeeks * 7

gram_units := {"g", "gm", "gram", "grams", "[g]", ""}

orders := lib.orders_of("ruxolitinib-cream")

# dispense: what the order's dispenseRequest asks for. It is read here,
# not in lib, so that calls without a cream order are evaluated (and their
# decisions cached) without input.dispense.
dispense(order) := input.dispense[order.ref]

# grams: the dispense quantity when it is in grams.
grams(order) := q.value if {
	q := dispense(order).quantity
	lower(object.get(q, "unit", "")) in gram_units
}

# quantity_excess: the amounts when the dispense exceeds the label's:
# grams over days (per_week) or, without a supply duration, grams in a
# single dispense (days and per_week null).
quantity_excess(order) := {"grams": g, "days": days, "per_week": per_week} if {
	g := grams(order)
	days := dispense(order).supplyDurationDays
	days > 0
	per_week := (g * 7) / days
	per_week > max_grams_per_week
}

quantity_excess(order) := {"grams": g, "days": null, "per_week": null} if {
	g := grams(order)
	not lib.number_field(dispense(order), "supplyDurationDays")
	g > max_grams_single_dispense
}

# METADATA
# title: "Ruxolitinib cream above {{application.maxGramsPerWeek}} g per week"
# description: "More than {{application.maxGramsPerWeek}} g per week (dispense quantity over supply duration), or a single dispense above {{application.maxGramsPerDispense}} g without a duration."
# custom:
#   id: ruxolitinib-cream.quantity-max
#   card:
#     summary: >-
#       {{$ordered := printf "%s g in a single dispense without a supply duration" (num .excess.grams)}}
#       {{if .excess.days}}{{$ordered = printf "%s g per week (%s g over %s days)" (num .excess.per_week) (num .excess.grams) (num .excess.days)}}{{end}}
#       {{printf "Ruxolitinib cream: %s exceeds %s g/week" $ordered (num .max_per_week) | truncate 140}}
#     detail: |-
#       Ordered: **{{if .excess.days}}{{num .excess.per_week}} g per week ({{num .excess.grams}} g over {{num .excess.days}} days){{else}}{{num .excess.grams}} g in a single dispense without a supply duration{{end}}**. Do not use more than {{num .max_per_week}} g per week (one {{num .max_per_week}} g tube per week or one {{num .max_per_dispense}} g tube per 2 weeks).
#   indicator: warning
#   drugs: [ruxolitinib-cream]
#   source:
#     topic: dose
findings contains f if {
	some order in orders
	excess := quantity_excess(order)
	f := {
		"rule": "ruxolitinib-cream.quantity-max",
		"indicator": "warning",
		"text": {
			"excess": excess,
			"max_per_week": max_grams_per_week,
			"max_per_dispense": max_grams_single_dispense,
		},
		"order": order.ref,
		"evidence": [lib.evidence_dispense(order, dispense(order))],
		"suggestions": [],
		"links": lib.topic_links("ruxolitinib-cream", "dose"),
	}
}

# METADATA
# title: "Ruxolitinib cream on more than {{application.maxBsaPercent}} % of body surface area"
# description: "Latest affected body surface area above {{application.maxBsaPercent}} %."
# custom:
#   id: ruxolitinib-cream.bsa-max
#   card:
#     summary: >-
#       Ruxolitinib cream: affected BSA {{num .lab.value}} % exceeds the {{num .max}} % limit
#     detail: |-
#       Affected body surface area **{{lab .lab}}**. Apply ruxolitinib cream to at most {{num .max}} % of body surface area.
#   indicator: warning
#   drugs: [ruxolitinib-cream]
#   source:
#     topic: dose
findings contains f if {
	some order in orders
	lab := lib.latest_lab("bsa")
	lab.value > max_bsa_percent
	f := {
		"rule": "ruxolitinib-cream.bsa-max",
		"indicator": "warning",
		"text": {"lab": lab, "max": max_bsa_percent},
		"order": order.ref,
		"evidence": [lib.evidence_lab(lab, "Affected body surface area")],
		"suggestions": [],
		"links": lib.topic_links("ruxolitinib-cream", "dose"),
	}
}

# Immunocompromise: HIV, transplant status (on the cream order), or a
# potent systemic immunosuppressant (either direction; biologics do not
# count here).
immunocompromising_conditions := lib.active_conditions_in("hiv") | lib.active_conditions_in("organ-transplant")

immunocompromise_evidence(order) := array.concat(
	[lib.evidence_condition(c) | some c in immunocompromising_conditions; order.target == "ruxolitinib-cream"],
	[lib.evidence_med(m) | some m in lib.interacting(order, "ruxolitinib-cream", "immunosuppressants"); lib.systemic(m)],
)

# METADATA
# title: Ruxolitinib cream in an immunocompromised patient
# description: HIV, transplant status or a potent systemic immunosuppressant; ruxolitinib cream is indicated for non-immunocompromised patients.
# custom:
#   id: ruxolitinib-cream.immunocompromised
#   card:
#     summary: >-
#       Ruxolitinib cream is indicated for non-immunocompromised patients only
#     detail: |-
#       Immunocompromise: {{evidence .evidence}}. Ruxolitinib cream is indicated for non-immunocompromised patients.
#   indicator: warning
#   drugs: [ruxolitinib-cream]
#   source:
#     topic: indication
findings contains f if {
	some order in input.orders
	evidence := immunocompromise_evidence(order)
	count(evidence) > 0
	f := {
		"rule": "ruxolitinib-cream.immunocompromised",
		"indicator": "warning",
		"text": {"evidence": evidence},
		"order": order.ref,
		"evidence": evidence,
		"suggestions": [],
		"links": lib.topic_links("ruxolitinib-cream", "indication"),
	}
}

# METADATA
# title: "Ruxolitinib cream beyond {{application.reassessAfterWeeks}} weeks"
# description: "Continuation with topical ruxolitinib active for more than {{application.reassessAfterWeeks}} weeks; re-examine if no improvement, stop when signs resolve."
# custom:
#   id: ruxolitinib-cream.reassess
#   card:
#     summary: >-
#       Ruxolitinib cream used for {{num .weeks}} weeks: re-examine if no improvement; stop when signs resolve
#     detail: |-
#       Topical ruxolitinib active since {{date .since}} ({{num .days}} days). Stop when signs and symptoms resolve; re-examine the patient if they do not improve within {{num .reassess_weeks}} weeks.
#   indicator: info
#   drugs: [ruxolitinib-cream]
#   source:
#     topic: dose
findings contains f if {
	some order in orders
	lib.is_continuation(order)
	days := lib.days_since(lib.started(order))
	days > reassess_after_days
	f := {
		"rule": "ruxolitinib-cream.reassess",
		"indicator": "info",
		"text": {
			"since": lib.started(order),
			# whole days and weeks
			"days": floor(days),
			"weeks": floor(days / 7),
			"reassess_weeks": application.reassessAfterWeeks,
		},
		"order": order.ref,
		"evidence": [lib.evidence_med(m) | some m in input.medications; m.active; lib.target(m) == "ruxolitinib-cream"],
		"suggestions": [],
		"links": lib.topic_links("ruxolitinib-cream", "dose"),
	}
}
