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

# by_name: drugs in the order of their display names, one per name, as
# the cards list them ("Abrocitinib, Upadacitinib").
by_name(ds) := [min({d | some d in ds; lib.drug_display[d] == name}) |
	some name in sort({lib.drug_display[d] | some d in ds})
]

# lipid_due_days: days after the start the drug's monitoring plan checks
# lipids (its profile's monitoring.plan).
lipid_due_days(drug) := min({p.days | some p in lib.profiles[drug].monitoring.plan; "lipids" in p.analytes})

earliest_start(drug) := lib.started({"target": drug, "active": true})

# also_cite: a card about several drugs cites the first one's label in its
# source (its drug); the others' labels follow in the detail. Written
# here: the cards have no template function for a drug's label on a topic
# (lib.see_also_topic).
also_cite(ds, topic) := concat(" ", [lib.see_also_topic(d, topic) | some d in sort(ds); d != min(ds)])

# below: the drugs on treatment whose threshold for the analyte the
# latest result is below (each drug's profile labs).
below(analyte) := {d |
	some d in drugs
	lib.lab_below(d, analyte, "continuation")
}

# METADATA
# custom:
#   card:
#     summary: >-
#       {{$limits := join " or " (sorted (nums .limits))}}
#       {{printf "%s: %s %s below %s %s — interrupt treatment until %s is at least %s" (join ", " (drugs .drugs)) (labname .analyte) (num .lab.value) $limits (labunit .analyte) (labname .analyte) $limits | truncate 140}}
#     detail: |-
#       **{{labdisplay .analyte}} {{lab .lab}}**, below {{join " or " (sorted (nums .limits))}} {{labunit .analyte}}. Interrupt treatment until {{labname .analyte}} is at least {{join " or " (sorted (nums .limits))}}.
#
#       {{.also}}
lab_finding(rule_id, analyte) := {
	"rule": rule_id,
	"indicator": "critical",
	"text": {
		"drugs": by_name(ds),
		"analyte": analyte,
		"lab": lab,
		# each drug's threshold; the card shows each once, in the order
		# of their text ("0.75 or 1")
		"limits": [lib.lab_limit(d, analyte, "continuation") | some d in ds],
		"also": also_cite(ds, "labs"),
	},
	"drug": min(ds),
	"evidence": [lib.evidence_lab(lab, lib.lab_display(analyte))],
	"suggestions": [],
} if {
	ds := below(analyte)
	count(ds) > 0
	lab := lib.latest_lab(analyte)
}

# METADATA
# title: "ANC below {{labs.anc.below}} {{units.anc}} on treatment"
# description: "Absolute neutrophil count below {{labs.anc.below}} {{units.anc}} within the lab window in a patient on an oral JAK inhibitor."
# custom:
#   id: jak.lab-anc-low
#   card: lab_finding
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
#   card: lab_finding
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
#   card: lab_finding
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
#   card:
#     summary: >-
#       {{drug .drug}}: platelets {{num .lab.value}} {{labunit "platelets"}} below {{num .below}} — discontinue
#     detail: |-
#       Platelet count **{{lab .lab}}**. Discontinue {{lower (drug .drug)}} when the platelet count is below {{num .below}} {{labunit "platelets"}}; do not restart until it is above {{num .restart_above}} {{labunit "platelets"}}.
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
	f := {
		"rule": "{drug}.lab-platelets-low",
		"indicator": "critical",
		"text": {
			"drug": drug,
			"lab": lab,
			"below": limits.below,
			"restart_above": object.get(limits, "restartAbove", limits.below),
		},
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
#   card:
#     summary: >-
#       {{range $i, $d := .drugs}}{{if $i}}, {{end}}{{drug $d}}{{end}}: lipid panel due (none since the start of treatment)
#     detail: |-
#       {{range .due}}- {{drug .drug}} started {{date .start}}: lipids due {{num .weeks}} weeks after initiation
#       {{end}}
#
#       No lipid result dated on or after the start of treatment.
#
#       {{.also}}
#   indicator: info
#   drugs: [oral]
#   hooks: [patient-view]
#   source:
#     topic: monitoring
findings contains f if {
	count(lipids_due) > 0
	f := {
		"rule": "monitoring.lipids-due",
		"indicator": "info",
		"text": {
			"drugs": by_name(lipids_due),
			"due": [{"drug": d, "start": earliest_start(d), "weeks": lipid_due_days(d) / 7} | some d in lipids_due],
			"also": also_cite(lipids_due, "monitoring"),
		},
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
#   card:
#     summary: >-
#       {{range $i, $d := .drugs}}{{if $i}}, {{end}}{{drug $d}}{{end}}: CBC due (no ANC or hemoglobin in the last {{num .days}} days)
#     detail: |-
#       No ANC and no hemoglobin within {{num .days}} days. Monitor blood counts during treatment with {{range $i, $d := .drugs}}{{if $i}}, {{end}}{{drug $d}}{{end}}.
#
#       {{.also}}
#
#       {{seealso "iec-2024" "monitoring"}}
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
		"text": {
			"drugs": by_name(drugs),
			"days": lib.param("labWindowDays"),
			"also": also_cite(drugs, "monitoring"),
		},
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
#   card:
#     summary: >-
#       {{range $i, $d := .drugs}}{{if $i}}, {{end}}{{drug $d}}{{end}}: TB re-screening due (none in the last {{num .days}} days, the site's interval)
#     detail: |-
#       No TB screen (IGRA or tuberculin skin test) within {{num .days}} days, this site's re-screening interval. The labels ask to test for latent TB before and during therapy and to monitor for tuberculosis during treatment, including patients who tested negative before starting; none sets an interval (Cibinqo: consider yearly screening for patients in highly endemic areas for TB).
#
#       {{.also}}
#
#       {{seealso "iec-2024" "monitoring"}}
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
		"text": {
			"drugs": by_name(drugs),
			"days": days,
			"also": also_cite(drugs, "tb-monitoring"),
		},
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
