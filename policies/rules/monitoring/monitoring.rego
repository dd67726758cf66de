# Monitoring for patients on an oral JAK inhibitor (patient-view,
# jak-monitoring): blood counts at the continuation thresholds, and labs
# and screening that are due.

# METADATA
# scope: package
# title: Monitoring on treatment
# description: "For patients on an oral JAK inhibitor: blood counts at the continuation thresholds, and monitoring that is due."
# custom:
#   hooks: [patient-view]
#   drugs: [oral]
package labelguard.rules.monitoring

import data.labelguard.lib
import data.labelguard.rules.abrocitinib
import data.labelguard.rules.jak

# Active oral JAKi therapies (drafts do not count on patient-view).
therapies := {m | some m in input.medications; m.active; lib.oral_jaki(m)}

drugs := {m.target | some m in therapies}

drug_names := concat(", ", sort({lib.drug_display[d] | some d in drugs}))

# Lipids after the start: abrocitinib at 4 weeks, upadacitinib and
# baricitinib at 12 weeks (Cibinqo PI §5, Rinvoq PI §5, Olumiant SmPC 4.4).
lipid_due_days := {"abrocitinib": 28, "upadacitinib": 84, "baricitinib": 84}

earliest_start(drug) := lib.started({"target": drug, "active": true})

# cite_each: a statement the class shares cites each drug's own label.
cite_each(ds, topic) := concat(" ", [lib.cite_topic(d, topic) | some d in sort(ds)])

lab_finding(rule_id, analyte, lab, threshold_text, action) := {
	"rule": rule_id,
	"indicator": "critical",
	"summary": lib.truncate(sprintf("%s: %s %s below %s — %s", [drug_names, lib.lab_display(analyte), lib.format_num(lab.value), threshold_text, action]), 140),
	"detail": concat("\n\n", [
		sprintf("**%s %s**, below %s. %s.", [lib.lab_display(analyte), lib.lab_text(lab), threshold_text, action]),
		cite_each(drugs, "labs"),
	]),
	"drug": min(drugs),
	"evidence": [lib.evidence_lab(lab, lib.lab_display(analyte))],
	"suggestions": [],
}

# METADATA
# title: ANC below 1.0 ×10^9/L on treatment
# description: Absolute neutrophil count below 1.0 ×10^9/L within the lab window in a patient on an oral JAK inhibitor.
# custom:
#   id: jak.lab-anc-low
#   indicator: critical
#   drugs: [oral]
#   hooks: [patient-view]
#   source:
#     topic: labs
findings contains lab_finding("jak.lab-anc-low", "anc", lab, "1.0 ×10^9/L", "interrupt treatment until ANC is at least 1.0") if {
	count(therapies) > 0
	lab := jak.lab_low("anc")
}

# METADATA
# title: ALC below 0.5 ×10^9/L on treatment
# description: Absolute lymphocyte count below 0.5 ×10^9/L within the lab window in a patient on an oral JAK inhibitor.
# custom:
#   id: jak.lab-alc-low
#   indicator: critical
#   drugs: [oral]
#   hooks: [patient-view]
#   source:
#     topic: labs
findings contains lab_finding("jak.lab-alc-low", "alc", lab, "0.5 ×10^9/L", "interrupt treatment until ALC is at least 0.5") if {
	count(therapies) > 0
	lab := jak.lab_low("alc")
}

# METADATA
# title: Hemoglobin below 8 g/dL on treatment
# description: Hemoglobin below 8 g/dL within the lab window in a patient on an oral JAK inhibitor.
# custom:
#   id: jak.lab-hgb-low
#   indicator: critical
#   drugs: [oral]
#   hooks: [patient-view]
#   source:
#     topic: labs
findings contains lab_finding("jak.lab-hgb-low", "hgb", lab, "8 g/dL", "interrupt treatment until hemoglobin is at least 8") if {
	count(therapies) > 0
	lab := jak.lab_low("hgb")
}

# METADATA
# title: Platelets below 50 ×10^9/L on abrocitinib
# description: Platelet count below 50 ×10^9/L within the lab window in a patient on abrocitinib.
# custom:
#   id: abrocitinib.lab-platelets-low
#   indicator: critical
#   drugs: [abrocitinib]
#   hooks: [patient-view]
#   source:
#     label: Cibinqo (abrocitinib) US Prescribing Information
#     section: "2.1, 5"
#     url: https://dailymed.nlm.nih.gov/dailymed/lookup.cfm?setid=3f6d6fcd-e9f9-42c8-bfa2-bb2cfc9ed258
#     revised: "2023-12"
findings contains f if {
	"abrocitinib" in drugs
	lab := lib.latest_lab("platelets")
	lab.value < abrocitinib.platelet_limits.continuation
	f := {
		"rule": "abrocitinib.lab-platelets-low",
		"indicator": "critical",
		"summary": sprintf("Abrocitinib: platelets %s ×10^9/L below %d — discontinue", [lib.format_num(lab.value), abrocitinib.platelet_limits.continuation]),
		"detail": concat("\n\n", [
			sprintf("Platelet count **%s**. Discontinue abrocitinib when the platelet count is below %d ×10^9/L; do not restart until it is above %d ×10^9/L.", [lib.lab_text(lab), abrocitinib.platelet_limits.continuation, abrocitinib.platelet_restart]),
			lib.cite("abrocitinib", "§2.1 and §5 (laboratory abnormalities)"),
		]),
		"evidence": [lib.evidence_lab(lab, "Platelet count")],
		"suggestions": [],
	}
}

# lipids_due: drugs whose lipid check is due: started at least the due
# days ago and no lipid result dated on or after the start.
lipids_due contains drug if {
	some drug in drugs
	start := earliest_start(drug)
	lib.days_since(start) >= lipid_due_days[drug]
	not lipids_after(start)
}

lipids_after(start) if {
	lab := input.labs.lipids
	lib.to_ns(lab.time) >= lib.to_ns(start)
}

# METADATA
# title: Lipid panel due
# description: Abrocitinib started 4 weeks ago or upadacitinib or baricitinib 12 weeks ago, and no lipid result since the start.
# custom:
#   id: monitoring.lipids-due
#   indicator: info
#   drugs: [oral]
#   hooks: [patient-view]
#   source:
#     topic: monitoring
findings contains f if {
	count(lipids_due) > 0
	names := concat(", ", sort({lib.drug_display[d] | some d in lipids_due}))
	f := {
		"rule": "monitoring.lipids-due",
		"indicator": "info",
		"summary": sprintf("%s: lipid panel due (none since the start of treatment)", [names]),
		"detail": concat("\n\n", [
			concat("\n", [sprintf("- %s started %s: lipids due %d weeks after initiation", [lib.drug_display[d], lib.date_of(earliest_start(d)), lipid_due_days[d] / 7]) | some d in lipids_due]),
			"No lipid result dated on or after the start of treatment.",
			cite_each(lipids_due, "monitoring"),
		]),
		"drug": min(lipids_due),
		"evidence": [],
		"suggestions": [{"kind": "create-lab", "label": "Order a lipid panel", "analytes": ["lipids"], "dueDate": lib.date_of(input.now)}],
	}
}

# METADATA
# title: CBC due
# description: Neither an ANC nor a hemoglobin within the lab window in a patient on an oral JAK inhibitor.
# custom:
#   id: monitoring.cbc-due
#   indicator: info
#   drugs: [oral]
#   hooks: [patient-view]
#   source:
#     topic: monitoring
findings contains f if {
	count(therapies) > 0
	not lib.latest_lab("anc")
	not lib.latest_lab("hgb")
	analytes := cbc_analytes
	f := {
		"rule": "monitoring.cbc-due",
		"indicator": "info",
		"summary": sprintf("%s: CBC due (no ANC or hemoglobin in the last %d days)", [drug_names, lib.param("labWindowDays")]),
		"detail": concat("\n\n", [
			sprintf("No ANC and no hemoglobin within %d days. Monitor blood counts during treatment with %s.", [lib.param("labWindowDays"), drug_names]),
			concat(" ", [cite_each(drugs, "monitoring"), lib.cite_document("iec-2024", "monitoring")]),
		]),
		"drug": min(drugs),
		"evidence": [],
		"suggestions": [{"kind": "create-lab", "label": "Order a CBC with differential", "analytes": analytes, "dueDate": lib.date_of(input.now)}],
	}
}

cbc_analytes := ["anc", "alc", "hgb", "platelets"] if "abrocitinib" in drugs

cbc_analytes := ["anc", "alc", "hgb"] if not "abrocitinib" in drugs

# METADATA
# title: TB screening due
# description: No TB screen within the screening window in a patient on an oral JAK inhibitor.
# custom:
#   id: monitoring.tb-due
#   indicator: info
#   drugs: [oral]
#   hooks: [patient-view]
#   source:
#     topic: tb-monitoring
findings contains f if {
	count(therapies) > 0
	not lib.latest_lab("tb")
	f := {
		"rule": "monitoring.tb-due",
		"indicator": "info",
		"summary": sprintf("%s: annual TB screening due (none in the last %d days)", [drug_names, lib.param("screeningWindowDays")]),
		"detail": concat("\n\n", [
			sprintf("No TB screen (IGRA or tuberculin skin test) within %d days. Monitor for tuberculosis during treatment, including patients who tested negative before starting.", [lib.param("screeningWindowDays")]),
			concat(" ", [cite_each(drugs, "tb-monitoring"), lib.cite_document("iec-2024", "monitoring")]),
		]),
		"drug": min(drugs),
		"evidence": [],
		"suggestions": [{"kind": "create-lab", "label": "Order a TB screen (IGRA)", "analytes": ["tb"], "dueDate": lib.date_of(input.now)}],
	}
}
