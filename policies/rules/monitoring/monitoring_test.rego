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
	contains(f.summary, "365 days, the site's interval")
	not contains(f.summary, "annual")
}
