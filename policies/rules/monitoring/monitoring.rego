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

# Active oral JAKi therapies (drafts do not count on patient-view).
therapies := {m | some m in input.medications; m.active; lib.oral_jaki(m)}

drugs := {m.target | some m in therapies}

drug_names := concat(", ", sort({lib.drug_display[d] | some d in drugs}))

# lipid_due_days: days after the start the drug's monitoring plan checks
# lipids (its profile's monitoring.plan).
lipid_due_days(drug) := min({p.days | some p in lib.profiles[drug].monitoring.plan; "lipids" in p.analytes})

earliest_start(drug) := lib.started({"target": drug, "active": true})

# also_cite: a card about several drugs cites the first one's label in its
# source (its drug); the others' labels follow in the detail.
also_cite(ds, topic) := concat(" ", [lib.see_also_topic(d, topic) | some d in sort(ds); d != min(ds)])

# below: the drugs on treatment whose threshold for the analyte the
# latest result is below (each drug's profile labs).
below(analyte) := {d |
	some d in drugs
	lib.lab_below(d, analyte, "continuation")
}

lab_finding(rule_id, analyte) := {
	"rule": rule_id,
	"indicator": "critical",
	"summary": lib.truncate(sprintf("%s: %s %s below %s — interrupt treatment until %s is at least %s", [names, name, lib.format_num(lab.value), threshold, name, limits]), 140),
	"detail": lib.paragraphs([
		sprintf("**%s %s**, below %s. Interrupt treatment until %s is at least %s.", [lib.lab_display(analyte), lib.lab_text(lab), threshold, name, limits]),
		also_cite(ds, "labs"),
	]),
	"drug": min(ds),
	"evidence": [lib.evidence_lab(lab, lib.lab_display(analyte))],
	"suggestions": [],
} if {
	ds := below(analyte)
	count(ds) > 0
	lab := lib.latest_lab(analyte)
	name := lib.lab_short(analyte)
	names := concat(", ", sort({lib.drug_display[d] | some d in ds}))
	limits := concat(" or ", sort({lib.format_num(lib.lab_limit(d, analyte, "continuation")) | some d in ds}))
	threshold := sprintf("%s %s", [limits, lib.lab_display_unit(analyte)])
}

# METADATA
# title: "ANC below {{labs.anc.below}} {{units.anc}} on treatment"
# description: "Absolute neutrophil count below {{labs.anc.below}} {{units.anc}} within the lab window in a patient on an oral JAK inhibitor."
# custom:
#   id: jak.lab-anc-low
#   indicator: critical
#   drugs: [oral]
#   hooks: [patient-view]
#   source:
#     topic: labs
findings contains lab_finding("jak.lab-anc-low", "anc")

# METADATA
# title: "ALC below {{labs.alc.below}} {{units.alc}} on treatment"
# description: "Absolute lymphocyte count below {{labs.alc.below}} {{units.alc}} within the lab window in a patient on an oral JAK inhibitor."
# custom:
#   id: jak.lab-alc-low
#   indicator: critical
#   drugs: [oral]
#   hooks: [patient-view]
#   source:
#     topic: labs
findings contains lab_finding("jak.lab-alc-low", "alc")

# METADATA
# title: "Hemoglobin below {{labs.hgb.below}} {{units.hgb}} on treatment"
# description: "Hemoglobin below {{labs.hgb.below}} {{units.hgb}} within the lab window in a patient on an oral JAK inhibitor."
# custom:
#   id: jak.lab-hgb-low
#   indicator: critical
#   drugs: [oral]
#   hooks: [patient-view]
#   source:
#     topic: labs
findings contains lab_finding("jak.lab-hgb-low", "hgb")

# METADATA
# title: "{{display}}: platelets below {{labs.platelets.below}} {{units.platelets}} on treatment"
# description: "Platelet count below {{labs.platelets.below}} {{units.platelets}} within the lab window in a patient on {{display}}."
# custom:
#   id: "{drug}.lab-platelets-low"
#   reads: [labs.platelets]
#   indicator: critical
#   drugs: [oral]
#   hooks: [patient-view]
#   source:
#     topic: labs
findings contains f if {
	some drug in below("platelets")
	lab := lib.latest_lab("platelets")
	limits := lib.profiles[drug].labs.platelets
	unit := lib.lab_display_unit("platelets")
	display := lib.drug_display[drug]
	f := {
		"rule": "{drug}.lab-platelets-low",
		"indicator": "critical",
		"summary": sprintf("%s: platelets %s %s below %s — discontinue", [display, lib.format_num(lab.value), unit, lib.format_num(limits.below)]),
		"detail": lib.paragraphs([
			sprintf("Platelet count **%s**. Discontinue %s when the platelet count is below %s %s; do not restart until it is above %s %s.", [
				lib.lab_text(lab), lower(display), lib.format_num(limits.below), unit, lib.format_num(object.get(limits, "restartAbove", limits.below)), unit,
			]),
		]),
		"drug": drug,
		"evidence": [lib.evidence_lab(lab, "Platelet count")],
		"suggestions": [],
	}
}

# lipids_due: drugs whose lipid check is due: started at least the due
# days ago and no lipid result dated on or after the start.
lipids_due contains drug if {
	some drug in drugs
	start := earliest_start(drug)
	lib.days_since(start) >= lipid_due_days(drug)
	not lipids_after(start)
}

lipids_after(start) if {
	lab := input.labs.lipids
	lib.to_ns(lab.time) >= lib.to_ns(start)
}

# METADATA
# title: Lipid panel due
# description: An oral JAK inhibitor started at least as long ago as the lipid check of its monitoring plan (profile monitoring.plan), and no lipid result since the start.
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
		"detail": lib.paragraphs([
			concat("\n", [sprintf("- %s started %s: lipids due %d weeks after initiation", [lib.drug_display[d], lib.date_of(earliest_start(d)), lipid_due_days(d) / 7]) | some d in lipids_due]),
			"No lipid result dated on or after the start of treatment.",
			also_cite(lipids_due, "monitoring"),
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
	count(analytes) > 0
	f := {
		"rule": "monitoring.cbc-due",
		"indicator": "info",
		"summary": sprintf("%s: CBC due (no ANC or hemoglobin in the last %d days)", [drug_names, lib.param("labWindowDays")]),
		"detail": lib.paragraphs([
			sprintf("No ANC and no hemoglobin within %d days. Monitor blood counts during treatment with %s.", [lib.param("labWindowDays"), drug_names]),
			also_cite(drugs, "monitoring"),
			lib.see_also("iec-2024", "monitoring"),
		]),
		"drug": min(drugs),
		"evidence": [],
		"suggestions": [{"kind": "create-lab", "label": "Order a CBC with differential", "analytes": analytes, "dueDate": lib.date_of(input.now)}],
	}
}

# cbc_analytes: the blood counts the drugs on treatment have thresholds
# for (their profiles' labs).
cbc_analytes := sort({a | some d in drugs; some a; lib.profiles[d].labs[a]})

# METADATA
# title: TB re-screening due
# description: "No TB screen within the site's re-screening interval (tbRescreenDays) in a patient on an oral JAK inhibitor. No label sets the interval: Cibinqo says to consider yearly screening in highly endemic areas, Rinvoq and Olumiant to test before and during therapy."
# custom:
#   id: monitoring.tb-due
#   indicator: info
#   drugs: [oral]
#   hooks: [patient-view]
#   source:
#     topic: tb-monitoring
findings contains f if {
	count(therapies) > 0
	not tb_screened_within(lib.param("tbRescreenDays"))
	days := lib.param("tbRescreenDays")
	f := {
		"rule": "monitoring.tb-due",
		"indicator": "info",
		"summary": sprintf("%s: TB re-screening due (none in the last %d days, the site's interval)", [drug_names, days]),
		"detail": lib.paragraphs([
			sprintf("No TB screen (IGRA or tuberculin skin test) within %d days, this site's re-screening interval. The labels ask to test for latent TB before and during therapy and to monitor for tuberculosis during treatment, including patients who tested negative before starting; none sets an interval (Cibinqo: consider yearly screening for patients in highly endemic areas for TB).", [days]),
			also_cite(drugs, "tb-monitoring"),
			lib.see_also("iec-2024", "monitoring"),
		]),
		"drug": min(drugs),
		"evidence": [],
		"suggestions": [{"kind": "create-lab", "label": "Order a TB screen (IGRA)", "analytes": ["tb"], "dueDate": lib.date_of(input.now)}],
	}
}

# tb_screened_within: a TB screen result at most `days` old (and not after
# now), whatever the screening window of the baseline work-up.
tb_screened_within(days) if {
	lab := input.labs.tb
	age := lib.lab_age_days(lab)
	age >= 0
	age <= days
}
