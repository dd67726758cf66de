# Daily doses (mg/day, derived by the facts layer) and dose suggestions.
package labelguard.lib

# dose_over: the daily dose is known and above the limit.
dose_over(med, limit) if med.dailyDoseMg > limit

# dose_over_or_unknown: for dose rules whose other condition (age, eGFR,
# an interacting drug, poor metabolizer) holds: they fire and state the
# maximum when the daily dose cannot be derived
# (docs/clinical/conventions.md#daily-dose).
dose_over_or_unknown(med, limit) if dose_over(med, limit)

dose_over_or_unknown(med, _) if not number_field(med, "dailyDoseMg")

# dose_phrase: "30 mg/day", or "dose not verifiable".
dose_phrase(med) := sprintf("%s mg/day", [format_num(med.dailyDoseMg)]) if {
	number_field(med, "dailyDoseMg")
} else := "dose not verifiable"

# update_dose: the suggestion to rewrite a draft target order to a once
# daily dose; none when the card is on another (interacting) order.
update_dose(order, mg) := [{
	"kind": "update-dose",
	"label": sprintf("Change to %s mg once daily", [format_num(mg)]),
	"targetDailyDoseMg": mg,
}] if {
	target_drug(order)
} else := []

delete_order(what) := [{"kind": "delete", "label": sprintf("Cancel the %s order", [what])}]

# eGFR within the lab window, and renal conditions.
egfr := latest_lab("egfr")

egfr_below(limit) := egfr if egfr.value < limit

egfr_between(lo, hi) := egfr if {
	egfr.value >= lo
	egfr.value < hi
}
