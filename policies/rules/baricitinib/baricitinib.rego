# Baricitinib (Olumiant) for atopic dermatitis: approved in the EU and
# Japan, not by the FDA; dosing from the EU SmPC section 4.2 and 4.5.

# METADATA
# scope: package
# title: Baricitinib (Olumiant)
# description: "The checks only baricitinib has: approval, dose limits, renal impairment, OAT3."
# custom:
#   hooks: [order-select, order-sign]
#   drugs: [baricitinib]
package labelguard.rules.baricitinib

import data.labelguard.lib
import data.labelguard.rules.jak

# Olumiant SmPC 4.2, 4.5: the reduced dose and the age and eGFR bounds,
# from the profile (profiles/baricitinib.json).
limits := lib.profiles.baricitinib.dose.limits

reduced_mg := limits.reduced.maxMgPerDay

elderly_age := limits.reduced.fromAge

severe_renal_egfr_below := limits.renalSevere.egfrBelow

# Risk factors for which the SmPC recommends 2 mg (EU 2023 restriction).
dose_risk_factor_ids := {"vte", "malignancy", "cv-event", "smoker"}

# Olumiant SmPC 4.2 (atopic dermatitis): 2 mg once daily also for patients
# with a history of chronic or recurrent infections. Which conditions count
# is the value set's (valuesets/chronic-recurrent-infections.json), a local
# choice awaiting sign-off: no label lists them. An active condition counts
# too (history covers both).
infection_evidence := [lib.evidence_condition(c) |
	some c in lib.history_conditions_in("chronic-recurrent-infections")
]

infection_risks := [{"id": "infections", "display": "History of chronic or recurrent infections", "evidence": infection_evidence}] if {
	count(infection_evidence) > 0
} else := []

orders := lib.orders_of("baricitinib")

# METADATA
# title: Baricitinib not approved for atopic dermatitis in this jurisdiction
# description: "The profile of the jurisdiction in force says baricitinib is not approved for atopic dermatitis there (approval.approved false: the US); an off-label use."
# custom:
#   id: baricitinib.jurisdiction
#   card:
#     summary: >-
#       {{.summary}}
#     detail: |-
#       {{.statement}}
#   indicator: info
#   drugs: [baricitinib]
#   source:
#     topic: approval
findings contains f if {
	some order in orders
	approval := object.get(lib.profiles.baricitinib, "approval", {"approved": true})
	approval.approved == false
	f := {
		"rule": "baricitinib.jurisdiction",
		"indicator": "info",
		# the profile's own words
		# a missing summary (the profile schema requires it) is a null,
		# which fails the card visibly instead of silencing the rule
		"text": {"summary": object.get(approval, "summary", null), "statement": approval.statement},
		"order": order.ref,
		"evidence": [],
		"suggestions": [],
		"links": lib.topic_links("baricitinib", "approval"),
	}
}

# dose-risk: age 65+, a risk factor of the EU restriction, or a history of
# chronic or recurrent infections. The age risk has no display: the card
# writes it from its age (id "age"). An unknown age is no age risk, and
# the other risks still count (missing data is not a pass).
elderly if lib.age >= elderly_age

dose_risks := array.concat([{"id": "age", "age": lib.age, "evidence": [lib.evidence_age]}], other_dose_risks) if {
	elderly
} else := other_dose_risks

other_dose_risks := array.concat([x | some x in jak.risk_factors; x.id in dose_risk_factor_ids], infection_risks)

dose_risk(order) if {
	count(dose_risks) > 0
	lib.dose_over_or_unknown(order, reduced_mg)
}

# METADATA
# title: "Baricitinib {{dose.limits.reduced.maxMgPerDay}} mg for patients at higher risk"
# description: "Daily dose above {{dose.limits.reduced.maxMgPerDay}} mg (or not verifiable) at age {{dose.limits.reduced.fromAge}} or older or with VTE, malignancy, MI or stroke, smoking, or a history of chronic or recurrent infections (value set chronic-recurrent-infections)."
# custom:
#   id: baricitinib.dose-risk
#   card:
#     summary: >-
#       {{$ids := ""}}{{range .ids}}{{if $ids}}{{$ids = print $ids ", "}}{{end}}{{if eq . "age"}}{{$ids = print $ids "age-" (num $.from_age)}}{{else}}{{$ids = print $ids .}}{{end}}{{end}}
#       {{printf "Baricitinib (%s): %s mg once daily recommended (%s)" (dose .order) (num .reduced) $ids | truncate 140}}
#     detail: |-
#       Ordered: {{dose .order}}. A dose of {{num .reduced}} mg once daily is recommended for patients {{num .from_age}} and older, for patients with a history of VTE, malignancy or major cardiovascular events, current or past long-time smokers, and patients with a history of chronic or recurrent infections:
#
#       {{range .risks}}- {{if eq .id "age"}}Age {{num .age}} ({{num $.from_age}} or older){{else}}{{.display}}{{end}}
#       {{end}}
#   indicator: warning
#   drugs: [baricitinib]
#   tags: [dose]
#   source:
#     topic: risk-dose
findings contains f if {
	some order in orders
	dose_risk(order)
	risks := dose_risks
	f := {
		"rule": "baricitinib.dose-risk",
		"indicator": "warning",
		"text": {
			"order": order,
			"reduced": reduced_mg,
			"from_age": elderly_age,
			"risks": risks,
			# sorted; "age", which the card writes age-65, sorts first
			# as age-65 did among the other ids (cv-event, infections, ...)
			"ids": sort({x.id | some x in risks}),
		},
		"order": order.ref,
		"evidence": [e | some x in risks; some e in x.evidence],
		"suggestions": lib.update_dose(order, reduced_mg),
		"links": lib.topic_links("baricitinib", "risk-dose"),
	}
}

renal_moderate_lab := lib.egfr_between(limits.renalModerate.egfrFrom, limits.renalModerate.egfrBelow)

renal_moderate_dose(order) if {
	renal_moderate_lab
	lib.dose_over_or_unknown(order, reduced_mg)
}

# METADATA
# title: "Baricitinib {{dose.limits.reduced.maxMgPerDay}} mg with eGFR {{dose.limits.renalModerate.egfrFrom}} to {{dose.limits.renalModerate.egfrBelow}}"
# description: "eGFR {{dose.limits.renalModerate.egfrFrom}} to < {{dose.limits.renalModerate.egfrBelow}} with a daily dose above {{dose.limits.reduced.maxMgPerDay}} mg (or not verifiable)."
# custom:
#   id: baricitinib.renal-moderate-dose
#   card:
#     summary: >-
#       Baricitinib ({{dose .order}}) with eGFR {{num .lab.value}}: use {{num .reduced}} mg once daily
#     detail: |-
#       eGFR **{{lab .lab}}** ({{num .from}} to < {{egfr .below}}). Ordered: {{dose .order}}. Recommended: {{num .reduced}} mg once daily.
#   indicator: warning
#   drugs: [baricitinib]
#   tags: [dose]
#   source:
#     topic: renal-impairment
findings contains f if {
	some order in orders
	renal_moderate_dose(order)
	lab := renal_moderate_lab
	f := {
		"rule": "baricitinib.renal-moderate-dose",
		"indicator": "warning",
		"text": {
			"order": order,
			"lab": lab,
			"from": limits.renalModerate.egfrFrom,
			"below": limits.renalModerate.egfrBelow,
			"reduced": reduced_mg,
		},
		"order": order.ref,
		"evidence": [lib.evidence_lab(lab, "eGFR")],
		"suggestions": lib.update_dose(order, reduced_mg),
		"links": lib.topic_links("baricitinib", "renal-impairment"),
	}
}

severe_renal_evidence contains lib.evidence_lab(lab, "eGFR") if {
	lab := lib.egfr_below(severe_renal_egfr_below)
}

severe_renal_evidence contains lib.evidence_condition(c) if {
	some vs in ["ckd-stage-4", "esrd"]
	some c in lib.active_conditions_in(vs)
}

# METADATA
# title: "Baricitinib with eGFR below {{dose.limits.renalSevere.egfrBelow}}"
# description: "eGFR below {{dose.limits.renalSevere.egfrBelow}}, CKD stage 4 or 5 or dialysis; baricitinib is not recommended."
# custom:
#   id: baricitinib.renal-severe
#   card:
#     summary: >-
#       Baricitinib not recommended with eGFR < {{egfr .below}} or dialysis
#     detail: |-
#       Severe renal impairment: {{evidence .evidence}}. Baricitinib is not recommended with eGFR < {{egfr .below}}.
#   indicator: critical
#   drugs: [baricitinib]
#   source:
#     topic: renal-impairment
findings contains f if {
	some order in orders
	count(severe_renal_evidence) > 0
	f := {
		"rule": "baricitinib.renal-severe",
		"indicator": "critical",
		"text": {
			"evidence": lib.evidence_list(severe_renal_evidence),
			"below": severe_renal_egfr_below,
		},
		"order": order.ref,
		"evidence": lib.evidence_list(severe_renal_evidence),
		"suggestions": [],
		"links": lib.topic_links("baricitinib", "renal-impairment"),
	}
}

oat3_inhibitors(order) := {m | some m in lib.interacting(order, "baricitinib", "oat3-inhibitors"); lib.systemic(m)}

oat3_dose(order) if {
	count(oat3_inhibitors(order)) > 0
	some t in lib.context_targets(order, "baricitinib")
	lib.dose_over_or_unknown(t, reduced_mg)
}

# METADATA
# title: "Baricitinib {{dose.limits.reduced.maxMgPerDay}} mg with probenecid"
# description: "Probenecid (strong OAT3 inhibitor) with baricitinib above {{dose.limits.reduced.maxMgPerDay}} mg/day (or not verifiable)."
# custom:
#   id: baricitinib.oat3-inhibitor
#   card:
#     summary: >-
#       Baricitinib ({{join ", " (sorted (doses .targets))}}) with probenecid (OAT3 inhibitor): use {{num .reduced}} mg once daily
#     detail: |-
#       Probenecid, a strong OAT3 inhibitor, doubles baricitinib exposure; the recommended dose with probenecid is {{num .reduced}} mg once daily. Baricitinib ordered or active: {{join ", " (sorted (doses .targets))}}.
#   indicator: warning
#   drugs: [baricitinib]
#   tags: [dose]
#   source:
#     topic: dose-interactions
findings contains f if {
	some order in input.orders
	oat3_dose(order)
	meds := oat3_inhibitors(order)
	targets := lib.context_targets(order, "baricitinib")
	f := {
		"rule": "baricitinib.oat3-inhibitor",
		"indicator": "warning",
		"text": {
			# the card lists their doses each once, in the order of their
			# text ("16 mg/day, 8 mg/day")
			"targets": targets,
			"reduced": reduced_mg,
		},
		"order": order.ref,
		"evidence": [lib.evidence_med(m) | some m in (meds | (targets - {order}))],
		"suggestions": lib.update_dose(order, reduced_mg),
		"links": lib.topic_links("baricitinib", "dose-interactions"),
	}
}
