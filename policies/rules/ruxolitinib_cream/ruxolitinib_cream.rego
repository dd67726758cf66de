# Ruxolitinib cream (Opzelura) for atopic dermatitis: age, amount, body
# surface area, immunocompromise and reassessment at 8 weeks.

# METADATA
# scope: package
# title: Ruxolitinib cream (Opzelura)
# description: "The checks only ruxolitinib cream has: age, amount, body surface area, immunocompromise, reassessment."
# custom:
#   hooks: [order-select, order-sign]
#   drugs: [ruxolitinib-cream]
package labelguard.rules.ruxolitinib_cream

import data.labelguard.lib

# Opzelura PI (revised 09/2025): §1 from 2 years (earlier labels: 12) and
# non-immunocompromised patients; §2.1 at most 20 % BSA, one 60 g tube
# per week or one 100 g tube per 2 weeks, re-examine after 8 weeks.
min_age := 2

max_grams_per_week := 60

max_grams_single_dispense := 100

max_bsa_percent := 20

reassess_after_days := 56

gram_units := {"g", "gm", "gram", "grams", "[g]", ""}

orders := lib.orders_of("ruxolitinib-cream")

# METADATA
# title: Ruxolitinib cream under 2 years
# description: Ruxolitinib cream is not approved under 2 years of age.
# custom:
#   id: ruxolitinib-cream.age-min
#   indicator: critical
#   drugs: [ruxolitinib-cream]
#   source:
#     label: Opzelura (ruxolitinib) cream US Prescribing Information
#     section: "1"
#     url: https://dailymed.nlm.nih.gov/dailymed/search.cfm?labeltype=all&query=opzelura
#     revised: "2025-09"
findings contains f if {
	some order in orders
	lib.age < min_age
	f := {
		"rule": "ruxolitinib-cream.age-min",
		"indicator": "critical",
		"summary": sprintf("Ruxolitinib cream not approved under %d years (patient is %d)", [min_age, lib.age]),
		"detail": concat("\n\n", [
			sprintf("Patient age **%d**. Ruxolitinib cream is indicated for atopic dermatitis in non-immunocompromised patients %d years and older (labels before 09/2025: 12 years).", [lib.age, min_age]),
			lib.cite("ruxolitinib-cream", "§1 (revised 09/2025)"),
		]),
		"order": order.ref,
		"evidence": [lib.evidence_age],
		"suggestions": [],
		"links": lib.label_links("ruxolitinib-cream"),
	}
}

# grams: the dispense quantity when it is in grams.
grams(order) := order.dispenseQuantity.value if lower(object.get(order.dispenseQuantity, "unit", "")) in gram_units

# quantity_excess: text when the dispense exceeds the label's amounts.
quantity_excess(order) := sprintf("%s g per week (%s g over %s days)", [lib.format_num(per_week), lib.format_num(g), lib.format_num(order.supplyDays)]) if {
	g := grams(order)
	order.supplyDays > 0
	per_week := (g * 7) / order.supplyDays
	per_week > max_grams_per_week
}

quantity_excess(order) := sprintf("%s g in a single dispense without a supply duration", [lib.format_num(g)]) if {
	g := grams(order)
	not lib.number_field(order, "supplyDays")
	g > max_grams_single_dispense
}

# METADATA
# title: Ruxolitinib cream above 60 g per week
# description: More than 60 g per week (dispense quantity over supply duration), or a single dispense above 100 g without a duration.
# custom:
#   id: ruxolitinib-cream.quantity-max
#   indicator: warning
#   drugs: [ruxolitinib-cream]
#   source:
#     label: Opzelura (ruxolitinib) cream US Prescribing Information
#     section: "2.1"
#     url: https://dailymed.nlm.nih.gov/dailymed/search.cfm?labeltype=all&query=opzelura
#     revised: "2025-09"
findings contains f if {
	some order in orders
	excess := quantity_excess(order)
	f := {
		"rule": "ruxolitinib-cream.quantity-max",
		"indicator": "warning",
		"summary": lib.truncate(sprintf("Ruxolitinib cream: %s exceeds 60 g/week", [excess]), 140),
		"detail": concat("\n\n", [
			sprintf("Ordered: **%s**. Do not use more than one 60 g tube per week or one 100 g tube per 2 weeks.", [excess]),
			lib.cite("ruxolitinib-cream", "§2.1"),
		]),
		"order": order.ref,
		"evidence": [lib.evidence_dispense(order)],
		"suggestions": [],
		"links": lib.label_links("ruxolitinib-cream"),
	}
}

# METADATA
# title: Ruxolitinib cream on more than 20 % of body surface area
# description: Latest affected body surface area above 20 %.
# custom:
#   id: ruxolitinib-cream.bsa-max
#   indicator: warning
#   drugs: [ruxolitinib-cream]
#   source:
#     label: Opzelura (ruxolitinib) cream US Prescribing Information
#     section: "2.1"
#     url: https://dailymed.nlm.nih.gov/dailymed/search.cfm?labeltype=all&query=opzelura
#     revised: "2025-09"
findings contains f if {
	some order in orders
	lab := lib.latest_lab("bsa")
	lab.value > max_bsa_percent
	f := {
		"rule": "ruxolitinib-cream.bsa-max",
		"indicator": "warning",
		"summary": sprintf("Ruxolitinib cream: affected BSA %s %% exceeds the 20 %% limit", [lib.format_num(lab.value)]),
		"detail": concat("\n\n", [
			sprintf("Affected body surface area **%s**. Apply ruxolitinib cream to at most %d %% of body surface area.", [lib.lab_text(lab), max_bsa_percent]),
			lib.cite("ruxolitinib-cream", "§2.1"),
		]),
		"order": order.ref,
		"evidence": [lib.evidence_lab(lab, "Affected body surface area")],
		"suggestions": [],
		"links": lib.label_links("ruxolitinib-cream"),
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
#   indicator: warning
#   drugs: [ruxolitinib-cream]
#   source:
#     label: Opzelura (ruxolitinib) cream US Prescribing Information
#     section: "1"
#     url: https://dailymed.nlm.nih.gov/dailymed/search.cfm?labeltype=all&query=opzelura
#     revised: "2025-09"
findings contains f if {
	some order in input.orders
	evidence := immunocompromise_evidence(order)
	count(evidence) > 0
	f := {
		"rule": "ruxolitinib-cream.immunocompromised",
		"indicator": "warning",
		"summary": "Ruxolitinib cream is indicated for non-immunocompromised patients only",
		"detail": concat("\n\n", [
			sprintf("Immunocompromise: %s. Ruxolitinib cream is indicated for non-immunocompromised patients.", [lib.evidence_text(evidence)]),
			lib.cite("ruxolitinib-cream", "§1"),
		]),
		"order": order.ref,
		"evidence": evidence,
		"suggestions": [],
		"links": lib.label_links("ruxolitinib-cream"),
	}
}

# METADATA
# title: Ruxolitinib cream beyond 8 weeks
# description: Continuation with topical ruxolitinib active for more than 8 weeks; re-examine if no improvement, stop when signs resolve.
# custom:
#   id: ruxolitinib-cream.reassess
#   indicator: info
#   drugs: [ruxolitinib-cream]
#   source:
#     label: Opzelura (ruxolitinib) cream US Prescribing Information
#     section: "2.1"
#     url: https://dailymed.nlm.nih.gov/dailymed/search.cfm?labeltype=all&query=opzelura
#     revised: "2025-09"
findings contains f if {
	some order in orders
	lib.is_continuation(order)
	days := lib.days_since(lib.started(order))
	days > reassess_after_days
	f := {
		"rule": "ruxolitinib-cream.reassess",
		"indicator": "info",
		"summary": sprintf("Ruxolitinib cream used for %d weeks: re-examine if no improvement; stop when signs resolve", [floor(days / 7)]),
		"detail": concat("\n\n", [
			sprintf("Topical ruxolitinib active since %s (%d days). Stop when signs and symptoms resolve; re-examine the patient if they do not improve within 8 weeks.", [lib.date_of(lib.started(order)), floor(days)]),
			lib.cite("ruxolitinib-cream", "§2.1"),
		]),
		"order": order.ref,
		"evidence": [lib.evidence_med(m) | some m in input.medications; m.active; lib.target(m) == "ruxolitinib-cream"],
		"suggestions": [],
		"links": lib.label_links("ruxolitinib-cream"),
	}
}
