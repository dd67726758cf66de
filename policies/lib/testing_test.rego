# Builders for Rego test inputs: a fixed evaluation time, orders,
# medications, conditions and labs in canonical units (units are converted
# by the facts layer before Rego sees them).
package labelguard.testing

import data.labelguard.lib

now := "2026-06-15T12:00:00Z"

# days_ago: the RFC 3339 time n days before now.
days_ago(n) := time.format(time.parse_rfc3339_ns(now) - round(n * lib.ns_per_day))

# norm folds text as the facts layer does (terminology.NormalizeText): lower
# case, runs of other characters than letters and digits as one space, a
# space at each end.
norm(text) := concat("", [" ", trim_space(regex.replace(lower(text), `[^\p{L}\p{N}]+`, " ")), " "])

patient(age, sex) := {"ref": "Patient/p1", "ageYears": age, "sex": sex}

# order: a draft target order at initiation; extra fields override.
order(drug, daily_mg) := target_order(drug, {"dailyDoseMg": daily_mg})

target_order(drug, extra) := merge(
	{
		"ref": sprintf("MedicationRequest/%s-order", [drug]),
		"resourceType": "MedicationRequest",
		"codes": [],
		"text": norm(sprintf("%s tablet", [drug])),
		"ingredients": [ingredient[drug]],
		"target": drug,
		"status": "draft",
		"intent": "order",
		"draft": true,
		"phase": "initiation",
		"started": now,
	},
	extra,
)

ingredient := {
	"upadacitinib": "upadacitinib",
	"abrocitinib": "abrocitinib",
	"baricitinib": "baricitinib",
	"ruxolitinib-cream": "ruxolitinib",
}

continuation(o, started_days_ago) := merge(o, {"phase": "continuation", "started": days_ago(started_days_ago)})

# med: an active medication named by its text (matched by value set names).
med(id, text) := {
	"ref": sprintf("MedicationRequest/%s", [id]),
	"resourceType": "MedicationRequest",
	"text": norm(text),
	"status": "active",
	"active": true,
	"start": days_ago(30),
}

# draft_med: another draft order of the request.
draft_med(id, text) := {
	"ref": sprintf("MedicationRequest/%s", [id]),
	"resourceType": "MedicationRequest",
	"text": norm(text),
	"status": "draft",
	"draft": true,
}

# active_target: an active target medication started n days ago.
active_target(drug, started_days_ago) := {
	"ref": sprintf("MedicationRequest/%s-active", [drug]),
	"resourceType": "MedicationRequest",
	"text": norm(sprintf("%s tablet", [drug])),
	"ingredients": [ingredient[drug]],
	"target": drug,
	"status": "active",
	"active": true,
	"start": days_ago(started_days_ago),
}

condition(id, code, text) := {
	"ref": sprintf("Condition/%s", [id]),
	"codes": [code],
	"text": norm(text),
	"clinicalStatus": "active",
	"active": true,
	"history": true,
}

resolved_condition(id, code, text) := merge(condition(id, code, text), {"clinicalStatus": "resolved", "active": false})

icd(code) := concat("|", ["http://hl7.org/fhir/sid/icd-10-cm", code])

sct(code) := concat("|", ["http://snomed.info/sct", code])

cvx(code) := concat("|", ["http://hl7.org/fhir/sid/cvx", code])

# lab: a quantitative result in the canonical unit, n days old.
lab(analyte, value, age_days) := {
	"ref": sprintf("Observation/%s", [analyte]),
	"code": "http://loinc.org|test",
	"value": value,
	"unit": lib.lab_unit(analyte),
	"time": days_ago(age_days),
	"ageDays": age_days,
}

# result: a qualitative result (positive, negative, indeterminate).
result(analyte, res, age_days) := {
	"ref": sprintf("Observation/%s", [analyte]),
	"code": "http://loinc.org|test",
	"result": res,
	"time": days_ago(age_days),
	"ageDays": age_days,
}

# coded: a coded result (pregnancy status, smoking status, ...).
# A coded result as the facts layer gives it: valueText normalised for
# word matching (" poor metabolizer 2 2 "), valueDisplay as recorded.
coded(analyte, code, text, age_days) := {
	"ref": sprintf("Observation/%s", [analyte]),
	"code": "http://loinc.org|test",
	"valueCodes": [code],
	"valueText": normalized_text(text),
	"valueDisplay": text,
	"time": days_ago(age_days),
	"ageDays": age_days,
}

# normalized_text: terminology.NormalizeText for ASCII text without
# decimals: lower case, every run of other characters one space, padded.
normalized_text(text) := "" if {
	text_words(text) == []
} else := sprintf(" %s ", [concat(" ", text_words(text))])

text_words(text) := [w | some w in regex.split(`[^a-z0-9]+`, lower(text)); w != ""]

# A complete, unremarkable pre-treatment work-up.
baseline_labs := {
	"anc": lab("anc", 3.5, 10),
	"alc": lab("alc", 1.8, 10),
	"hgb": lab("hgb", 13.5, 10),
	"platelets": lab("platelets", 250, 10),
	"egfr": lab("egfr", 95, 10),
	"alt": lab("alt", 22, 10),
	"ast": lab("ast", 25, 10),
	"lipids": lab("lipids", 180, 10),
	"tb": result("tb", "negative", 30),
	"hbsag": result("hbsag", "negative", 30),
	"hcv": result("hcv", "negative", 30),
}

# input_with: an order-sign request for a 35-year-old man with a complete
# work-up; the orders are also among the medications (as drafts).
input_with(orders, extra) := merge(
	{
		"version": 1,
		"service": "jak-order-sign",
		"hook": "order-sign",
		"hookInstance": "test",
		"now": now,
		"patient": patient(35, "male"),
		"orders": orders,
		"medications": orders,
		"labs": baseline_labs,
	},
	extra,
)

# with_labs: replace some labs of the baseline.
with_labs(changes) := merge(baseline_labs, changes)

without_labs(names) := object.remove(baseline_labs, names)

# by_rule: the findings of one rule.
by_rule(findings, id) := [f | some f in findings; f.rule == id]

# merge: shallow merge, b's top-level keys replace a's (object.union would
# merge nested objects such as labs).
merge(a, b) := object.union(object.remove(a, object.keys(b)), b)

# rule_id: a finding's rule ID as the engine makes it: a template's
# {drug} is the finding's drug (its order's target, else its drug member)
# and a {map} segment its entry.
rule_id(f) := f.rule if {
	not contains(f.rule, "{")
} else := regex.replace(replace(f.rule, "{drug}", finding_drug(f)), `\{[A-Za-z]+\}`, object.get(f, "entry", ""))

finding_drug(f) := o.target if {
	some o in input.orders
	o.ref == object.get(f, "order", "")
	o.target
} else := f.drug

# order_packages and view_packages are the rule packages the order and
# the monitoring services evaluate.
order_packages := ["jak", "upadacitinib", "abrocitinib", "baricitinib", "ruxolitinib_cream", "data_quality"]

view_packages := ["monitoring", "data_quality"]

# drug_findings: the findings, with their rule IDs resolved, of the rules
# of one drug (ID prefix), wherever they are written (the drug's own
# package or a shared template), on the packages the hook evaluates.
drug_findings(drug, packages) := {object.union(f, {"rule": id}) |
	some p in packages
	some f in data.labelguard.rules[p].findings
	id := rule_id(f)
	startswith(id, concat("", [drug, "."]))
}
