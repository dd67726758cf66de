package labelguard.rules.monitoring_test

import data.labelguard.rules.monitoring
import data.labelguard.testing as t

on_drug(drug, days) := {"hook": "patient-view", "service": "jak-monitoring", "orders": [], "medications": [t.active_target(drug, days)]}

ids(extra) := s if {
	s := {t.rule_id(f) | some f in monitoring.findings} with input as t.input_with([], extra)
}

with_(a, b) := t.merge(a, b)

test_nothing_due_with_recent_labs if {
	ids(on_drug("upadacitinib", 30)) == set()
}

test_no_cards_without_jak_therapy if {
	ids({"hook": "patient-view", "orders": [], "medications": [], "labs": {}}) == set()
}

test_anc_low_on_treatment_fires_without_order if {
	some f in monitoring.findings with input as t.input_with([], with_(on_drug("baricitinib", 100), {"labs": t.with_labs({"anc": t.lab("anc", 0.9, 5)})}))
	f.rule == "jak.lab-anc-low"
	not "order" in object.keys(f)

	# "Baricitinib: ANC 0.9 below 1 ×10⁹/L — interrupt treatment until ANC
	# is at least 1"; "**Absolute neutrophil count 0.9 ×10⁹/L on ...**"; one
	# drug, no other label to cite
	f.text.drugs == ["baricitinib"]
	f.text.analyte == "anc"
	f.text.lab.value == 0.9
	f.text.limits == [1]
	f.text.also == ""
}

# Several drugs below their thresholds: one card naming them all, each
# threshold once in the order of their text, the other drugs' labels cited
# in the detail.
test_lab_low_on_several_drugs_names_each_drug_and_threshold if {
	inp := t.input_with([], {
		"hook": "patient-view", "service": "jak-monitoring", "orders": [],
		"medications": [t.active_target("upadacitinib", 100), t.active_target("abrocitinib", 100), t.active_target("baricitinib", 100)],
		"labs": t.with_labs({"hgb": t.lab("hgb", 7.5, 5)}),
	})
	some f in monitoring.findings with input as inp with data.labelguard.profiles.abrocitinib.labs.hgb.below as 10
	f.rule == "jak.lab-hgb-low"
	f.drug == "abrocitinib"
	f.text.drugs == ["abrocitinib", "baricitinib", "upadacitinib"] # "Abrocitinib, Baricitinib, Upadacitinib: Hemoglobin 7.5 below ..."

	# the card says "below 10 or 8 g/dL": each threshold once, in the order
	# of their text (the template's nums and sorted)
	sort(f.text.limits) == [8, 8, 10]
	startswith(f.text.also, "See also: [Olumiant (baricitinib)")
	contains(f.text.also, "See also: [Rinvoq (upadacitinib)")
}

test_platelets_49_on_abrocitinib_says_discontinue_and_restart_above if {
	some f in monitoring.findings with input as t.input_with([], with_(on_drug("abrocitinib", 100), {"labs": t.with_labs({"platelets": t.lab("platelets", 49, 5)})}))
	f.rule == "{drug}.lab-platelets-low"

	# "Abrocitinib: platelets 49 ×10⁹/L below 50 — discontinue"; "do not
	# restart until it is above 100 ×10⁹/L"
	f.text.drug == "abrocitinib"
	f.text.lab.value == 49
	f.text.below == 50
	f.text.restart_above == 100
}

test_platelets_49_on_abrocitinib_fires if {
	"abrocitinib.lab-platelets-low" in ids(with_(on_drug("abrocitinib", 100), {"labs": t.with_labs({"platelets": t.lab("platelets", 49, 5)})}))
}

test_platelets_49_on_upadacitinib_does_not_fire if {
	not "abrocitinib.lab-platelets-low" in ids(with_(on_drug("upadacitinib", 100), {"labs": t.with_labs({"platelets": t.lab("platelets", 49, 5)})}))
}

test_lipids_due_for_abrocitinib_at_4_weeks if {
	labs := t.with_labs({"lipids": t.lab("lipids", 180, 40)})
	"monitoring.lipids-due" in ids(with_(on_drug("abrocitinib", 28), {"labs": labs}))
	not "monitoring.lipids-due" in ids(with_(on_drug("abrocitinib", 27), {"labs": labs}))
}

# Lipids due for two drugs: both named, a line each ("- Abrocitinib started
# <date>: lipids due 4 weeks after initiation"), the other label cited.
test_lipids_due_for_two_drugs_lists_each if {
	inp := t.input_with([], {
		"hook": "patient-view", "service": "jak-monitoring", "orders": [],
		"medications": [t.active_target("upadacitinib", 100), t.active_target("abrocitinib", 100)],
		"labs": t.with_labs({"lipids": t.lab("lipids", 180, 200)}),
	})
	some f in monitoring.findings with input as inp
	f.rule == "monitoring.lipids-due"
	f.text.drugs == ["abrocitinib", "upadacitinib"]
	f.text.due == [
		{"drug": "abrocitinib", "start": t.days_ago(100), "weeks": 4},
		{"drug": "upadacitinib", "start": t.days_ago(100), "weeks": 12},
	]
	startswith(f.text.also, "See also: [Rinvoq (upadacitinib)")
}

test_lipids_after_start_satisfy if {
	labs := t.with_labs({"lipids": t.lab("lipids", 180, 10)})
	not "monitoring.lipids-due" in ids(with_(on_drug("upadacitinib", 100), {"labs": labs}))
}

test_lipids_due_for_upadacitinib_at_12_weeks if {
	labs := t.with_labs({"lipids": t.lab("lipids", 180, 100)})
	"monitoring.lipids-due" in ids(with_(on_drug("upadacitinib", 84), {"labs": labs}))
	not "monitoring.lipids-due" in ids(with_(on_drug("upadacitinib", 83), {"labs": labs}))
}

test_cbc_due_when_anc_and_hgb_missing if {
	"monitoring.cbc-due" in ids(with_(on_drug("upadacitinib", 30), {"labs": t.without_labs(["anc", "hgb"])}))
}

# "Abrocitinib, Upadacitinib: CBC due (no ANC or hemoglobin in the last 90
# days)", the other label cited before the IEC guide.
test_cbc_due_for_two_drugs_names_both_and_the_window if {
	inp := t.input_with([], {
		"hook": "patient-view", "service": "jak-monitoring", "orders": [],
		"medications": [t.active_target("upadacitinib", 30), t.active_target("abrocitinib", 30)],
		"labs": t.without_labs(["anc", "hgb"]),
	})
	some f in monitoring.findings with input as inp
	f.rule == "monitoring.cbc-due"
	f.text.drugs == ["abrocitinib", "upadacitinib"]
	f.text.days == 90
	startswith(f.text.also, "See also: [Rinvoq (upadacitinib)")
}

test_cbc_not_due_with_hgb_only if {
	not "monitoring.cbc-due" in ids(with_(on_drug("upadacitinib", 30), {"labs": t.without_labs(["anc"])}))
}

test_tb_due_after_365_days if {
	"monitoring.tb-due" in ids(with_(on_drug("baricitinib", 400), {"labs": t.with_labs({"tb": t.result("tb", "negative", 366)})}))
	not "monitoring.tb-due" in ids(with_(on_drug("baricitinib", 400), {"labs": t.with_labs({"tb": t.result("tb", "negative", 365)})}))
}

# The re-screening interval is the site's (tbRescreenDays), not the
# baseline screening window.
test_tb_due_follows_the_site_interval if {
	tb200 := with_(on_drug("baricitinib", 400), {"labs": t.with_labs({"tb": t.result("tb", "negative", 200)})})
	"monitoring.tb-due" in ids(tb200) with data.labelguard.params.tbRescreenDays as 180
	not "monitoring.tb-due" in ids(tb200) with data.labelguard.params.tbRescreenDays as 730
	not "monitoring.tb-due" in ids(tb200) with data.labelguard.params.screeningWindowDays as 30
}

test_tb_due_summary_names_the_site_interval if {
	old := with_(on_drug("upadacitinib", 400), {"labs": t.with_labs({"tb": t.result("tb", "negative", 366)})})
	some f in monitoring.findings with input as t.input_with([], old)
	f.rule == "monitoring.tb-due"

	# the card says "none in the last 365 days, the site's interval" (its
	# words, not "annual", are the METADATA's, pinned by scenario 127 in
	# scenario/testdata/card-text.golden.json): the days are the site's
	f.text.days == 365
	f.text.drugs == ["upadacitinib"]
	some g in monitoring.findings with input as t.input_with([], old) with data.labelguard.params.tbRescreenDays as 180
	g.rule == "monitoring.tb-due"
	g.text.days == 180
}
