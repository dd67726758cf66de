# Card text and evidence helpers.
package labelguard.lib

# format_num: a number as card text shows it: at most three significant
# digits below 100 (0.8, 25.4, 7.63, 0.123), whole numbers from 100 (149,
# 1250), no trailing zeros and no float noise.
format_num(x) := sprintf("%v", [round(x)]) if {
	abs(x) >= 100
} else := sprintf("%v", [round(x * 10) / 10]) if {
	abs(x) >= 10
} else := sprintf("%v", [round(x * 100) / 100]) if {
	abs(x) >= 1
} else := sprintf("%v", [round(x * 1000) / 1000])

truncate(s, n) := s if {
	count(s) <= n
} else := concat("", [substring(s, 0, n - 1), "…"])

# compact drops null and empty fields.
compact(obj) := {k: v | some k, v in obj; not v in {null, ""}}

# Evidence objects: {reference, display, value?, unit?, time?}.
evidence_lab(lab, display) := compact({
	"reference": lab.ref,
	"display": display,
	"value": object.get(lab, "value", null),
	"unit": object.get(lab, "unit", null),
	"time": object.get(lab, "time", null),
})

evidence_med(med) := compact({
	"reference": med.ref,
	"display": truncate(display_name(med), 80),
	"time": object.get(med, "start", null),
})

evidence_condition(c) := compact({
	"reference": c.ref,
	"display": truncate(display_name(c), 80),
	"time": object.get(c, "onset", object.get(c, "recorded", null)),
})

evidence_immunization(i) := compact({
	"reference": i.ref,
	"display": truncate(display_name(i), 80),
	"time": object.get(i, "date", null),
})

# lab_text: "0.8 ×10⁹/L on 2026-05-01", or "positive on 2026-05-01".
lab_text(lab) := sprintf("%s %s on %s", [format_num(lab.value), display_unit(object.get(lab, "unit", "")), date_of(lab.time)]) if {
	is_number(lab.value)
} else := sprintf("%s on %s", [lab_value_word(lab), date_of(lab.time)])

# lab_value_word: a result without a number, in words: the qualitative
# result, else the coded value as recorded (made literal for Markdown),
# else its normalised text.
lab_value_word(lab) := lab.result if {
	"result" in object.keys(lab)
} else := md_text(lab.valueDisplay) if {
	"valueDisplay" in object.keys(lab)
} else := trim_space(lab.valueText) if {
	"valueText" in object.keys(lab)
} else := "recorded"

# md_text: text as recorded made literal in a card's Markdown (the card
# function md): \ ` * _ [ ] < > ~ | backslash-escaped, so that patient
# text cannot open emphasis, code, a link, raw HTML, strike or a table
# cell.
md_text(s) := regex.replace(s, "[\\\\`*_\\[\\]<>~|]", "\\$0")

# paragraphs: card detail paragraphs, the empty ones left out.
paragraphs(ps) := concat("\n\n", [p | some p in ps; p != ""])

# number_field: obj[key] is a number. Use `not number_field(x, "k")`
# rather than `not is_number(x.k)`, which is undefined when x.k is.
number_field(obj, key) if is_number(object.get(obj, key, null))

# evidence_text: evidence for card text, "eGFR 25 mL/min/1.73 m² (2026-06-01)".
evidence_text(evidence) := concat("; ", sort({evidence_line(e) | some e in evidence}))

evidence_line(e) := sprintf("%s %s %s (%s)", [md_text(e.display), format_num(e.value), display_unit(object.get(e, "unit", "")), date_of(e.time)]) if {
	is_number(e.value)
} else := md_text(e.display)

# evidence_list: a set of evidence objects as an array.
evidence_list(evidence) := [e | some e in evidence]

# display_name: a resource's name as sent (display), else its normalized
# match text, else its reference.
display_name(x) := x.display if {
	x.display != ""
} else := trim_space(x.text) if {
	trim_space(x.text) != ""
} else := x.ref

# evidence_dose: the order itself, with the daily dose derived from it.
evidence_dose(order) := compact({
	"reference": order.ref,
	"display": truncate(sprintf("Ordered: %s", [display_name(order)]), 80),
	"value": object.get(order, "dailyDoseMg", null),
	"unit": unit_if_dose(order),
})

unit_if_dose(order) := "mg/day" if is_number(object.get(order, "dailyDoseMg", null))

else := null

# evidence_dispense: the order itself, with the quantity dispensed
# (dispense: its input.dispense entry, which the caller reads, so that
# lib itself never reads input.dispense; see docs/policy-input.md).
evidence_dispense(order, dispense) := compact({
	"reference": order.ref,
	"display": truncate(sprintf("Dispense: %s", [display_name(order)]), 80),
	"value": object.get(dispense, ["quantity", "value"], null),
	"unit": object.get(dispense, ["quantity", "unit"], null),
})

# evidence_age: the patient, with the age in years at the evaluation time.
evidence_age := compact({
	"reference": input.patient.ref,
	"display": "Age",
	"value": age,
	"unit": "years",
})
