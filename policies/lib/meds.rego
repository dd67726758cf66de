# Orders and medications. input.orders are the orders of interest;
# input.medications are the active medications plus every draft order of
# the request (draft: true), the orders of interest among them.
package labelguard.lib

# The target drugs, from their profiles: oral ones (every form of the
# ingredient) and all of them.
oral_targets := {id | some id, p in profiles; p.route == "oral"}

all_targets := {id | some id, _ in profiles}

# target: the target drug ID of a medication, "" when it is none.
target(med) := object.get(med, "target", "")

oral_jaki(order) if target(order) in oral_targets

target_drug(order) if target(order) in all_targets

# phase: "initiation" or "continuation", computed by the facts layer for
# target orders; an order without one is treated as an initiation so that
# the pre-treatment checks are never skipped.
phase(order) := object.get(order, "phase", "initiation")

is_initiation(order) if phase(order) == "initiation"

is_continuation(order) if phase(order) == "continuation"

# daily_dose: mg/day when the facts layer could derive it; undefined else.
daily_dose(order) := order.dailyDoseMg

dose_known(order) if is_number(order.dailyDoseMg)

# The target orders of one drug and of the oral JAKi.
orders_of(drug) := {o | some o in input.orders; target(o) == drug}

oral_jaki_orders := {o | some o in input.orders; oral_jaki(o)}

target_orders := {o | some o in input.orders; target_drug(o)}

# Refs of the orders of interest: these get cards of their own.
checked_refs := {o.ref | some o in input.orders}

active_or_draft(med) if med.active

active_or_draft(med) if med.draft

# other_meds: every active medication and every other draft order of the
# request, i.e. everything an interaction rule compares the order with.
other_meds(order) := [m |
	some m in input.medications
	m.ref != order.ref
	active_or_draft(m)
]

# active_meds_in: active medications and draft orders in a value set.
active_meds_in(vs_id) := {m |
	some m in facts_in(medications_by_valueset, vs_id)
	active_or_draft(m)
}

# topical: the medication is applied to the skin or eye, by route, flag or
# dose form words. Topical forms of immunosuppressants and azoles are not
# systemic exposure (docs/rules.md jak.concomitant-immunomodulator).
topical_words := ["topical", "ointment", "cream", "lotion", "ophthalmic", "shampoo"]

topical(med) if med.topical

topical(med) if {
	some w in topical_words
	has_word(concat(" ", [object.get(med, "text", ""), object.get(med, "route", "")]), w)
}

systemic(med) if not topical(med)

# Interaction direction (docs/clinical/conventions.md#orders-of-interest). A card about a target drug and an
# interacting drug goes on the order of interest that was placed: the
# target order when it is one, else the interacting order, provided the
# target is active or drafted and is not itself an order of interest
# (which gets the card instead).

# context_targets: the target medications an interaction card on `order`
# is about; drug "" means any target.
#
# This and the helpers below are else-chains, not separate bodies: OPA
# evaluates every body of a function on each call, and these are called
# for every order and value set of the interaction rules.
context_targets(order, drug) := {order} if {
	target_drug(order)
	drug in {"", target(order)}
} else := {m |
	some m in other_meds(order)
	target_drug(m)
	drug in {"", target(m)}
	not m.ref in checked_refs
} if {
	not target_drug(order)
}

# interactors: the interacting medications (value set vs_id) of `order`
# with respect to target `drug` ("" = any target): the other medications
# in the value set when the order is the target, else the order itself.
interactors(order, drug, vs_id) := {m |
	some m in facts_in(medications_by_valueset, vs_id)
	m.ref != order.ref
	active_or_draft(m)
	not target(m) == target(order)
} if {
	target_drug(order)
	drug in {"", target(order)}
} else := {order} if {
	not target_drug(order)
	in_valueset(order, vs_id)
	count(context_targets(order, drug)) > 0
}

# started: when the target therapy started (docs/clinical/conventions.md#initiation-and-continuation): the order's
# `started` (computed by the facts layer), or for an active target
# medication the earliest start among the active medications of that drug;
# the evaluation time at initiation.
started(med) := med.started if med.started

started(med) := s if {
	not med.started
	starts := [m.start | some m in input.medications; m.active; target(m) == target(med); m.start]
	s := min_time(array.concat(starts, [input.now]))
}

min_time(times) := t if {
	some t in times
	every u in times { to_ns(t) <= to_ns(u) }
}

# Medication display for card text: drug-table name when a target, else
# the first name of the given value set found in the text, else the text.
med_name(med, vs_id) := name if {
	n := valueset_name(med, vs_id)
	n != ""
	name := n
} else := truncate(object.get(med, "display", trim_space(object.get(med, "text", "medication"))), 60)

# interacting: interactors, or the empty set when the order is neither the
# target nor an interacting drug in a target's context.
interacting(order, drug, vs_id) := s if {
	s := interactors(order, drug, vs_id)
} else := set()

# strength_mg: the product strength from the facts layer, else parsed from
# an RxNorm-style name ("aspirin 81 MG Oral Tablet").
strength_mg(med) := med.strengthMg if {
	is_number(med.strengthMg)
} else := to_number(m[1]) if {
	m := regex.find_all_string_submatch_n(`(\d+(?:\.\d+)?)\s*mg\b`, lower(object.get(med, "text", "")), 1)[0]
}

# therapy_phase: initiation or continuation for a target order, an active
# target (continuation) or another draft target order (continuation when
# the same drug is active, else initiation).
therapy_phase(med) := phase(med) if med.phase

therapy_phase(med) := "continuation" if {
	not med.phase
	med.active
}

therapy_phase(med) := p if {
	not med.phase
	not med.active
	p := draft_phase(med)
}

draft_phase(med) := "continuation" if {
	some m in input.medications
	m.active
	target(m) == target(med)
} else := "initiation"
