# Boxed-warning risk factors (mortality, malignancy, MACE, thrombosis) and
# severe hepatic impairment.
package labelguard.rules.jak

import data.labelguard.lib

# Boxed warning; Rinvoq PI §5.2 to §5.5; IEC baseline risk factors; EMA
# 2023 restriction: age 65 and older, smoking, VTE, malignancy, MI or
# stroke, and cardiovascular risk factors from age 50 (ORAL Surveillance
# enrolled patients 50 and older with at least one CV risk factor).
risk_ages := {"elderly": 65, "cv_risk": 50}

# risk_factors: {id, display, evidence} of every factor present.
risk_factors contains {"id": "age-65", "display": sprintf("Age %d (65 or older)", [lib.age]), "evidence": [lib.evidence_age]} if {
	lib.age >= risk_ages.elderly
}

risk_factors contains {"id": "smoker", "display": "Current or former smoker", "evidence": evidence} if {
	evidence := smoking_evidence
	count(evidence) > 0
}

risk_factors contains {"id": "vte", "display": "History of venous thromboembolism", "evidence": evidence} if {
	evidence := [lib.evidence_condition(c) | some c in lib.history_conditions_in("vte")]
	count(evidence) > 0
}

risk_factors contains {"id": "malignancy", "display": "Malignancy (other than non-melanoma skin cancer)", "evidence": evidence} if {
	evidence := [lib.evidence_condition(c) |
		some c in lib.history_conditions_in("malignancy")
		not lib.in_valueset(c, "malignancy-excluded")
	]
	count(evidence) > 0
}

risk_factors contains {"id": "cv-event", "display": "History of myocardial infarction or stroke", "evidence": evidence} if {
	evidence := [lib.evidence_condition(c) | some c in lib.history_conditions_in("cv-events")]
	count(evidence) > 0
}

risk_factors contains {"id": "cv-risk", "display": sprintf("Age %d with cardiovascular risk factors", [lib.age]), "evidence": evidence} if {
	lib.age >= risk_ages.cv_risk
	evidence := [lib.evidence_condition(c) | some c in lib.active_conditions_in("cv-risk")]
	count(evidence) > 0
}

smoking_evidence := array.concat(
	[lib.evidence_lab(lab, "Smoking status") | lab := lib.coded_lab_in("smoking", "smoking")],
	[lib.evidence_condition(c) | some c in lib.history_conditions_in("smoking")],
)

risk_factor_ids := {f.id | some f in risk_factors}

# METADATA
# title: Boxed-warning risk factors present
# description: Age 65 or older, smoking, VTE, malignancy, MI or stroke, or CV risk factors from 50; weigh the risks and use the lowest effective dose.
# custom:
#   id: jak.risk-factors
#   card:
#     summary: >-
#       {{printf "%s: boxed-warning risk factors (%s) — weigh risks, lowest effective dose" (drug .drug) (join ", " .ids) | truncate 140}}
#     detail: |-
#       JAK inhibitors carry a boxed warning for mortality, malignancy, major adverse cardiovascular events and thrombosis, with higher rates in patients 50 and older with cardiovascular risk factors, current or past smokers, and patients 65 and older. Weigh benefits and risks before starting or continuing, and use the lowest effective dose.
#       {{range .factors}}
#       - {{.display}}{{with evidence .evidence}}: {{.}}{{end}}{{end}}
#
#       {{seealso "iec-2024" "baseline risk factors"}}
#   indicator: warning
#   drugs: [oral]
#   source:
#     topic: risk-factors
findings contains f if {
	some order in lib.oral_jaki_orders
	count(risk_factors) > 0
	factors := sort_factors(risk_factors)
	f := {
		"rule": "jak.risk-factors",
		"indicator": "warning",
		"text": {
			"drug": order.target,
			"ids": [x.id | some x in factors],
			"factors": factors,
		},
		"order": order.ref,
		"evidence": [e | some x in factors; some e in x.evidence],
		"factors": factors,
		"suggestions": [],
		"links": lib.topic_links(order.target, "risk-factors"),
	}
}

# sort_factors: factors in catalog order.
factor_order := ["age-65", "smoker", "vte", "malignancy", "cv-event", "cv-risk"]

sort_factors(factors) := [f | some id in factor_order; some f in factors; f.id == id]

# --- severe hepatic impairment

hepatic_severe_conditions := lib.active_conditions_in("hepatic-severe")

# METADATA
# title: Oral JAK inhibitor in severe hepatic impairment
# description: Severe hepatic impairment (Child-Pugh C, hepatic failure); oral JAK inhibitors are not recommended.
# custom:
#   id: jak.hepatic-severe
#   card:
#     summary: >-
#       {{drug .drug}} not recommended in severe hepatic impairment (Child-Pugh C)
#     detail: |-
#       Severe hepatic impairment: {{evidence .evidence}}. {{drug .drug}} is not recommended in patients with severe hepatic impairment (Child-Pugh C).
#   indicator: critical
#   drugs: [oral]
#   source:
#     topic: hepatic-impairment
findings contains f if {
	some order in lib.oral_jaki_orders
	count(hepatic_severe_conditions) > 0
	evidence := [lib.evidence_condition(c) | some c in hepatic_severe_conditions]
	f := {
		"rule": "jak.hepatic-severe",
		"indicator": "critical",
		"text": {"drug": order.target, "evidence": evidence},
		"order": order.ref,
		"evidence": evidence,
		"suggestions": [],
		"links": lib.topic_links(order.target, "hepatic-impairment"),
	}
}
