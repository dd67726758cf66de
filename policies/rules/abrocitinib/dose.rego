# Abrocitinib dosing (Cibinqo PI §2.2 to §2.5): 100 mg once daily, 200 mg
# at most; 50 mg (may increase to 100 mg) in moderate renal impairment,
# in CYP2C19 poor metabolizers and with strong CYP2C19 inhibitors.

# METADATA
# scope: package
# title: Abrocitinib (Cibinqo)
# description: "The checks only abrocitinib has: reduced doses, renal impairment, CYP2C19 and antiplatelets."
# custom:
#   hooks: [order-select, order-sign]
#   drugs: [abrocitinib]
package labelguard.rules.abrocitinib

import data.labelguard.lib

# Cibinqo PI §2.3, §2.5: the reduced dose (start at 50 mg, at most
# 100 mg) and the eGFR range of moderate renal impairment, from the
# profile (profiles/abrocitinib.json).
limits := lib.profiles.abrocitinib.dose.limits

reduced := limits.reduced

orders := lib.orders_of("abrocitinib")

# reduced_limit: the highest daily dose when a 50 mg start applies:
# 50 mg at initiation, 100 mg at continuation.
reduced_limit(med) := reduced.startMgPerDay if lib.therapy_phase(med) == "initiation"

reduced_limit(med) := reduced.maxMgPerDay if lib.therapy_phase(med) == "continuation"

above_reduced_dose(med) if lib.dose_over_or_unknown(med, reduced_limit(med))

# --- moderate renal impairment

renal_moderate_lab := lib.egfr_between(limits.renalModerate.egfrFrom, limits.renalModerate.egfrBelow)

renal_moderate_dose(order) if {
	renal_moderate_lab
	above_reduced_dose(order)
}

# METADATA
# title: "Abrocitinib {{dose.limits.reduced.startMgPerDay}} mg in moderate renal impairment"
# description: "eGFR {{dose.limits.renalModerate.egfrFrom}} to < {{dose.limits.renalModerate.egfrBelow}} with a daily dose above {{dose.limits.reduced.maxMgPerDay}} mg, or above {{dose.limits.reduced.startMgPerDay}} mg at initiation (or not verifiable)."
# custom:
#   id: abrocitinib.renal-moderate-dose
#   indicator: warning
#   drugs: [abrocitinib]
#   tags: [dose]
#   source:
#     topic: renal-impairment
#   card:
#     summary: >-
#       Abrocitinib ({{dose .order}}) with eGFR {{num .lab.value}}: use {{num .startMgPerDay}} mg once daily
#       (may increase to {{num .maxMgPerDay}} mg)
#     detail: |-
#       Moderate renal impairment: eGFR **{{lab .lab}}**. Ordered: {{dose .order}} ({{.phase}}). Recommended: {{num .startMgPerDay}} mg once daily, increasing to {{num .maxMgPerDay}} mg once daily if needed.
findings contains f if {
	some order in orders
	renal_moderate_dose(order)
	lab := renal_moderate_lab
	f := {
		"rule": "abrocitinib.renal-moderate-dose",
		"indicator": "warning",
		# the phase is defined: above_reduced_dose reads it
		"text": {
			"order": order,
			"lab": lab,
			"phase": lib.therapy_phase(order),
			"startMgPerDay": reduced.startMgPerDay,
			"maxMgPerDay": reduced.maxMgPerDay,
		},
		"order": order.ref,
		"evidence": [lib.evidence_lab(lab, "eGFR")],
		"suggestions": lib.update_dose(order, reduced.startMgPerDay),
		"links": lib.topic_links("abrocitinib", "renal-impairment"),
	}
}

# --- CYP2C19 poor metabolizers

# No-function CYP2C19 alleles *2 to *8 on both chromosomes (CPIC).
poor_metabolizer_diplotype := `\*[2-8]\s*/\s*\*[2-8]\b`

poor_metabolizer := lab if {
	lab := lib.coded_lab_in("cyp2c19", "cyp2c19-poor-metabolizer")
}

poor_metabolizer := lab if {
	lab := lib.latest_lab("cyp2c19")
	not lib.coded_lab_in("cyp2c19", "cyp2c19-poor-metabolizer")

	# as recorded: valueText, normalised for words, has lost the * and /
	regex.match(poor_metabolizer_diplotype, object.get(lab, "valueDisplay", ""))
}

poor_metabolizer_dose(order) if {
	poor_metabolizer
	above_reduced_dose(order)
}

# METADATA
# title: "Abrocitinib {{dose.limits.reduced.startMgPerDay}} mg in CYP2C19 poor metabolizers"
# description: "CYP2C19 poor metabolizer with a daily dose above {{dose.limits.reduced.maxMgPerDay}} mg, or above {{dose.limits.reduced.startMgPerDay}} mg at initiation (or not verifiable)."
# custom:
#   id: abrocitinib.cyp2c19-poor-metabolizer
#   indicator: warning
#   drugs: [abrocitinib]
#   tags: [dose]
#   source:
#     topic: poor-metabolizers
#   card:
#     summary: >-
#       Abrocitinib ({{dose .order}}) in a CYP2C19 poor metabolizer: use {{num .startMgPerDay}} mg once daily
#     detail: |-
#       CYP2C19 result: **{{with index .lab "valueDisplay"}}{{truncate 80 . | md}}{{else}}poor metabolizer{{end}}** ({{date .lab.time}}). Ordered: {{dose .order}} ({{.phase}}). In CYP2C19 poor metabolizers the recommended dose is {{num .startMgPerDay}} mg once daily, increasing to {{num .maxMgPerDay}} mg if needed.
findings contains f if {
	some order in orders
	poor_metabolizer_dose(order)
	lab := poor_metabolizer
	f := {
		"rule": "abrocitinib.cyp2c19-poor-metabolizer",
		"indicator": "warning",
		# a coded result may come without its text (the facts leave out
		# an empty valueDisplay): the card says "poor metabolizer" then
		"text": {
			"order": order,
			"lab": lab,
			"phase": lib.therapy_phase(order),
			"startMgPerDay": reduced.startMgPerDay,
			"maxMgPerDay": reduced.maxMgPerDay,
		},
		"order": order.ref,
		"evidence": [lib.evidence_lab(lab, "CYP2C19")],
		"suggestions": lib.update_dose(order, reduced.startMgPerDay),
		"links": lib.topic_links("abrocitinib", "poor-metabolizers"),
	}
}

# --- strong CYP2C19 inhibitors (either direction)

cyp2c19_inhibitors(order) := {m |
	some m in lib.interacting(order, "abrocitinib", "strong-cyp2c19-inhibitors")
	lib.systemic(m)
}

cyp2c19_inhibitor_dose(order) if {
	count(cyp2c19_inhibitors(order)) > 0
	some t in lib.context_targets(order, "abrocitinib")
	above_reduced_dose(t)
}

# METADATA
# title: "Abrocitinib {{dose.limits.reduced.startMgPerDay}} mg with a strong CYP2C19 inhibitor"
# description: "A strong CYP2C19 inhibitor with abrocitinib above {{dose.limits.reduced.maxMgPerDay}} mg/day, or above {{dose.limits.reduced.startMgPerDay}} mg at initiation (or not verifiable)."
# custom:
#   id: abrocitinib.cyp2c19-inhibitor
#   indicator: warning
#   drugs: [abrocitinib]
#   tags: [dose]
#   source:
#     topic: dose-interactions
#   card:
#     summary: >-
#       {{printf "Abrocitinib (%s) with %s (strong CYP2C19 inhibitor): use %s mg once daily"
#       (join ", " (sorted (doses .targets))) (join ", " .inhibitors) (num .startMgPerDay) | truncate 140}}
#     detail: |-
#       Strong CYP2C19 inhibitors raise abrocitinib exposure. With {{join ", " .inhibitors}} the recommended dose is {{num .startMgPerDay}} mg once daily, increasing to {{num .maxMgPerDay}} mg if needed. Abrocitinib ordered or active: {{join ", " (sorted (doses .targets))}}.
findings contains f if {
	some order in input.orders
	cyp2c19_inhibitor_dose(order)
	inhibitors := cyp2c19_inhibitors(order)
	targets := lib.context_targets(order, "abrocitinib")
	f := {
		"rule": "abrocitinib.cyp2c19-inhibitor",
		"indicator": "warning",
		"text": {
			"inhibitors": sort({lib.med_name(m, "strong-cyp2c19-inhibitors") | some m in inhibitors}),
			# the card lists their doses each once, in the order of their
			# text ("100 mg/day" before "50 mg/day")
			"targets": targets,
			"startMgPerDay": reduced.startMgPerDay,
			"maxMgPerDay": reduced.maxMgPerDay,
		},
		"order": order.ref,
		"evidence": [lib.evidence_med(m) | some m in (inhibitors | (targets - {order}))],
		"suggestions": lib.update_dose(order, reduced.startMgPerDay),
		"links": lib.topic_links("abrocitinib", "dose-interactions"),
	}
}
