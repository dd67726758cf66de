# Lab results. input.labs holds the latest usable result per analyte in
# the canonical unit (facts layer); the windows are applied here so that a
# site can change them (site parameters; docs/clinical/conventions.md#lab-result).
package labelguard.lib

# The window parameter of each analyte. Analytes without a window
# (smoking status, CYP2C19 genotype) count whenever they were recorded.
lab_window_param := {
	"anc": "labWindowDays",
	"alc": "labWindowDays",
	"hgb": "labWindowDays",
	"platelets": "labWindowDays",
	"egfr": "labWindowDays",
	"alt": "labWindowDays",
	"ast": "labWindowDays",
	"lipids": "labWindowDays",
	"tb": "screeningWindowDays",
	"hbsag": "screeningWindowDays",
	"hcv": "screeningWindowDays",
	"hcg": "pregnancyWindowDays",
	"pregnancy-status": "pregnancyWindowDays",
	"breastfeeding": "pregnancyWindowDays",
	"weight": "weightWindowDays",
	"bsa": "bsaWindowDays",
}

lab_window_days(analyte) := param(lab_window_param[analyte])

# latest_lab: the latest result of an analyte when it is within its window
# (not after now, at most N x 24 hours before); undefined otherwise.
latest_lab(analyte) := current_labs[analyte]

# current_labs: the results within their window, by analyte, worked out once
# per evaluation rather than at every rule's call.
current_labs := {analyte: lab |
	some analyte, lab in input.labs
	lab_age_days(lab) >= 0
	within_window(analyte, lab)
}

# within_window and lab_age_days are else-chains rather than separate
# bodies: OPA evaluates every body of a function on each call, and these
# run for every lab result of every evaluation.
within_window(analyte, lab) if {
	lab_age_days(lab) <= lab_window_days(analyte)
} else if {
	not lab_window_param[analyte]
}

# lab_age_days: the facts layer's ageDays, else worked out from the time
# (hand-written inputs).
lab_age_days(lab) := lab.ageDays if {
	is_number(lab.ageDays)
} else := days_since(lab.time)

# stale_lab: a result that exists but is outside its window.
stale_lab(analyte) := lab if {
	lab := input.labs[analyte]
	not current_labs[analyte]
}

lab_display(analyte) := object.get(data.labelguard.labs, ["analytes", analyte, "display"], analyte)

# lab_short: how card text names an analyte ("ANC"), else its display.
lab_short(analyte) := object.get(data.labelguard.labs, ["analytes", analyte, "short"], lab_display(analyte))

# display_unit: how card text writes a canonical unit ("10*9/L" as
# "×10⁹/L"), from the one table of data/labs.json.
display_unit(unit) := object.get(data.labelguard.labs, ["displayUnits", unit], unit)

# lab_display_unit: how card text writes an analyte's unit.
lab_display_unit(analyte) := display_unit(object.get(data.labelguard.labs, ["analytes", analyte, "unit"], ""))

# egfr_text: an eGFR value with its unit ("30 mL/min/1.73 m²").
egfr_text(x) := sprintf("%s %s", [format_num(x), lab_display_unit("egfr")])

# lab_limit: a drug's threshold for an analyte at a phase (its profile's
# labs): below it, do not initiate or interrupt. A threshold of its own at
# initiation (belowAtInitiation) applies then.
lab_limit(drug, analyte, phase) := l.belowAtInitiation if {
	phase == "initiation"
	l := profiles[drug].labs[analyte]
	number_field(l, "belowAtInitiation")
} else := profiles[drug].labs[analyte].below

# lab_below: the latest result within its window when below the drug's
# threshold at the phase.
lab_below(drug, analyte, phase) := lab if {
	lab := latest_lab(analyte)
	lab.value < lab_limit(drug, analyte, phase)
}

positive(analyte) := lab if {
	lab := latest_lab(analyte)
	lab.result == "positive"
}

# coded_lab_in: a coded result (pregnancy, breastfeeding, smoking status,
# CYP2C19) whose value codes or value text are in a value set.
coded_lab_in(analyte, vs_id) := lab if {
	lab := latest_lab(analyte)
	in_valueset(coded_value(lab), vs_id)
}

# coded_value: a coded result's value as a fact for in_valueset, with the
# membership the facts layer computed when present (lab.valueSets).
coded_value(lab) := {"valueSets": lab.valueSets} if {
	is_array(object.get(lab, "valueSets", null))
} else := {"codes": object.get(lab, "valueCodes", []), "text": object.get(lab, "valueText", "")}

# lab_unit: the canonical unit of an analyte.
lab_unit(analyte) := object.get(data.labelguard.labs, ["analytes", analyte, "unit"], "")
