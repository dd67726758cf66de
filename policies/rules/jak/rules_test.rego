package labelguard.rules.jak_test

import data.labelguard.rules.jak
import data.labelguard.testing as t

upa15 := t.order("upadacitinib", 15)

cream := object.union(t.order("ruxolitinib-cream", 0), {"text": "ruxolitinib 15 mg/g topical cream", "topical": true})

ids(orders, extra) := s if {
	s := {f.rule | some f in jak.findings} with input as t.input_with(orders, extra)
}

finding(id, orders, extra) := f if {
	some f in jak.findings with input as t.input_with(orders, extra)
	f.rule == id
}

n_findings(id, orders, extra) := n if {
	n := count(t.by_rule(jak.findings, id)) with input as t.input_with(orders, extra)
}

zoster_given := {"immunizations": [{"ref": "Immunization/rzv", "codes": [t.cvx("187")], "text": "zoster vaccine recombinant", "status": "completed", "date": t.days_ago(400)}]}

# --- allergy

test_allergy_to_brand_fires_with_delete if {
	a := {"ref": "AllergyIntolerance/a1", "text": "rinvoq", "active": true}
	f := finding("jak.allergy", [upa15], {"allergies": [a]})
	f.indicator == "critical"
	f.suggestions[0].kind == "delete"
}

test_allergy_to_other_drug_does_not_fire if {
	a := {"ref": "AllergyIntolerance/a1", "text": "penicillin", "active": true}
	not "jak.allergy" in ids([upa15], {"allergies": [a]})
}

test_inactive_allergy_does_not_fire if {
	a := {"ref": "AllergyIntolerance/a1", "text": "upadacitinib"}
	not "jak.allergy" in ids([upa15], {"allergies": [a]})
}

# --- concomitant JAK / immunomodulators

test_tofacitinib_active_fires if {
	"jak.concomitant-jak" in ids([upa15], {"medications": [upa15, t.med("tofa", "tofacitinib 5 mg oral tablet")]})
}

test_same_drug_active_is_not_another_jak if {
	not "jak.concomitant-jak" in ids([t.continuation(upa15, 100)], {"medications": [upa15, t.active_target("upadacitinib", 100)]})
}

test_oral_ruxolitinib_counts_against_cream if {
	"jak.concomitant-jak" in ids([cream], {"medications": [cream, t.med("jakafi", "ruxolitinib 5 mg oral tablet [jakafi]")]})
}

test_tofacitinib_order_while_upadacitinib_active_card_on_tofacitinib if {
	tofa := t.draft_med("tofa", "tofacitinib 5 mg oral tablet")
	f := finding("jak.concomitant-jak", [tofa], {"medications": [tofa, t.active_target("upadacitinib", 100)]})
	f.order == "MedicationRequest/tofa"
	f.text.drugs == ["upadacitinib"] # the card says "Upadacitinib with tofacitinib"
	f.text.names == ["tofacitinib"]
}

# An interacting order placed while two targets are active: its card names
# both, in the order of their names ("Abrocitinib, Upadacitinib with
# tofacitinib"); no scenario has two.
test_interacting_order_card_names_every_active_target if {
	tofa := t.draft_med("tofa", "tofacitinib 5 mg oral tablet")
	meds := [tofa, t.active_target("upadacitinib", 100), t.active_target("abrocitinib", 100)]
	f := finding("jak.concomitant-jak", [tofa], {"medications": meds})
	f.text.drugs == ["abrocitinib", "upadacitinib"]
	f.text.names == ["tofacitinib"]
}

test_dupilumab_fires_immunomodulator if {
	"jak.concomitant-immunomodulator" in ids([upa15], {"medications": [upa15, t.med("dupi", "dupilumab 300 mg/2ml prefilled syringe")]})
}

test_methotrexate_fires_immunomodulator if {
	"jak.concomitant-immunomodulator" in ids([upa15], {"medications": [upa15, t.med("mtx", "methotrexate 2.5 mg oral tablet")]})
}

# Three of them make one card that names each, sorted; its summary
# ("Upadacitinib with cyclosporine, dupilumab, methotrexate: combination
# with …") is longer than 140 characters and the card cuts it there, which
# no scenario shows.
test_several_immunomodulators_one_card_naming_each if {
	meds := [
		upa15,
		t.med("mtx", "methotrexate 2.5 mg oral tablet"),
		t.med("dupi", "dupilumab 300 mg/2ml prefilled syringe"),
		t.med("csa", "cyclosporine 100 mg oral capsule"),
	]
	f := finding("jak.concomitant-immunomodulator", [upa15], {"medications": meds})
	f.text.drugs == ["upadacitinib"]
	f.text.names == ["cyclosporine", "dupilumab", "methotrexate"]
	n_findings("jak.concomitant-immunomodulator", [upa15], {"medications": meds}) == 1
}

test_topical_tacrolimus_is_allowed if {
	not "jak.concomitant-immunomodulator" in ids([upa15], {"medications": [upa15, t.med("tac", "tacrolimus 0.1% topical ointment")]})
}

test_pimecrolimus_cream_is_allowed if {
	not "jak.concomitant-immunomodulator" in ids([upa15], {"medications": [upa15, t.med("pim", "pimecrolimus 1% cream")]})
}

# --- pregnancy and lactation

# The indicator and wording are the profile's (the label of the
# jurisdiction in force): the US Rinvoq label warns, the EU SmPC
# contraindicates.
test_pregnancy_indicator_and_wording_are_the_profiles if {
	c := t.condition("preg", t.icd("Z3A20"), "20 weeks gestation of pregnancy")
	f := finding("jak.pregnancy", [upa15], {"conditions": [c]})
	f.indicator == "warning"

	# the card gives the profile's summary and statement
	f.text.pregnancy.summary == data.labelguard.profiles.upadacitinib.pregnancy.summary
	f.text.pregnancy.statement == data.labelguard.profiles.upadacitinib.pregnancy.statement
	f.text.drug == "upadacitinib"
	count(f.suggestions) == 1
}

test_pregnancy_contraindicated_is_critical if {
	c := t.condition("preg", t.icd("Z3A20"), "20 weeks gestation of pregnancy")
	eu := {"indicator": "critical", "summary": "contraindicated (SmPC)", "statement": "Contraindicated."}
	f := finding("jak.pregnancy", [upa15], {"conditions": [c]}) with data.labelguard.profiles.upadacitinib.pregnancy as eu
	f.indicator == "critical"
	f.text.pregnancy.summary == "contraindicated (SmPC)" # the card says "Upadacitinib during pregnancy: contraindicated (SmPC)"
}

test_pregnancy_info_offers_no_removal if {
	c := t.condition("preg", t.icd("Z3A20"), "20 weeks gestation of pregnancy")
	info := {"indicator": "info", "summary": "no data", "statement": "No data."}
	f := finding("jak.pregnancy", [upa15], {"conditions": [c]}) with data.labelguard.profiles.upadacitinib.pregnancy as info
	f.indicator == "info"
	f.suggestions == []
}

test_pregnancy_is_warning_for_cream if {
	c := t.condition("preg", t.icd("Z3400"), "supervision of normal first pregnancy")
	f := finding("jak.pregnancy", [cream], {"conditions": [c]})
	f.indicator == "warning"
}

test_positive_hcg_within_30_days_fires if {
	"jak.pregnancy" in ids([upa15], {"labs": t.with_labs({"hcg": t.result("hcg", "positive", 30)})})
}

test_positive_hcg_at_31_days_does_not_fire if {
	not "jak.pregnancy" in ids([upa15], {"labs": t.with_labs({"hcg": t.result("hcg", "positive", 31)})})
}

test_pregnancy_status_not_pregnant_does_not_fire if {
	labs := t.with_labs({"pregnancy-status": t.coded("pregnancy-status", t.sct("60001007"), "not pregnant", 5)})
	not "jak.pregnancy" in ids([upa15], {"labs": labs})
}

test_pregnancy_status_pregnant_fires if {
	labs := t.with_labs({"pregnancy-status": t.coded("pregnancy-status", t.sct("77386006"), "pregnant", 5)})
	"jak.pregnancy" in ids([upa15], {"labs": labs})
}

test_encounter_for_pregnancy_test_negative_does_not_fire if {
	c := t.condition("z32", t.icd("Z3202"), "encounter for pregnancy test, result negative")
	not "jak.pregnancy" in ids([upa15], {"conditions": [c]})
}

test_one_pregnancy_finding_per_order_with_several_evidence if {
	c := t.condition("preg", t.sct("72892002"), "normal pregnancy")
	labs := t.with_labs({"hcg": t.result("hcg", "positive", 3)})
	n_findings("jak.pregnancy", [upa15], {"conditions": [c], "labs": labs}) == 1
}

test_breastfeeding_status_fires_lactation if {
	labs := t.with_labs({"breastfeeding": t.coded("breastfeeding", t.sct("413712001"), "breastfeeding", 5)})
	f := finding("jak.lactation", [t.order("abrocitinib", 100)], {"labs": labs})
	contains(f.text.lactation.summary, "1 day") # the card's summary is the profile's
	f.indicator == "warning"
}

test_breastfeeding_contraindicated_is_critical if {
	labs := t.with_labs({"breastfeeding": t.coded("breastfeeding", t.sct("413712001"), "breastfeeding", 5)})
	eu := {"indicator": "critical", "summary": "contraindicated during breast-feeding (SmPC)", "statement": "Contraindicated."}
	f := finding("jak.lactation", [t.order("abrocitinib", 100)], {"labs": labs}) with data.labelguard.profiles.abrocitinib.lactation as eu
	f.indicator == "critical"
}

test_not_breastfeeding_does_not_fire if {
	labs := t.with_labs({"breastfeeding": t.coded("breastfeeding", "http://loinc.org|LA29253-4", "not breastfeeding", 5)})
	not "jak.lactation" in ids([upa15], {"labs": labs})
}

# --- live vaccines

test_live_vaccine_28_days_before_initiation_fires if {
	imm := {"ref": "Immunization/mmr", "codes": [t.cvx("03")], "text": "mmr", "status": "completed", "date": t.days_ago(28)}
	"jak.live-vaccine" in ids([upa15], {"immunizations": [imm]})
}

test_live_vaccine_29_days_before_does_not_fire if {
	imm := {"ref": "Immunization/mmr", "codes": [t.cvx("03")], "text": "mmr", "status": "completed", "date": t.days_ago(29)}
	not "jak.live-vaccine" in ids([upa15], {"immunizations": [imm]})
}

test_live_vaccine_order_while_target_active_fires_on_vaccine if {
	vax := object.union(t.draft_med("yf", "yellow fever vaccine"), {"resourceType": "Immunization", "codes": [t.cvx("37")]})
	f := finding("jak.live-vaccine", [vax], {"medications": [vax, t.active_target("abrocitinib", 200)]})
	f.order == "MedicationRequest/yf"
	f.text.drugs == ["abrocitinib"] # the card says "Abrocitinib: avoid live vaccines …"
	f.text.windowDays == 28
}

# A vaccine ordered while two targets are active: the card names both
# ("Abrocitinib, Upadacitinib: avoid live vaccines …"); no scenario has
# two.
test_live_vaccine_order_names_every_active_target if {
	vax := object.union(t.draft_med("yf", "yellow fever vaccine"), {"resourceType": "Immunization", "codes": [t.cvx("37")]})
	meds := [vax, t.active_target("upadacitinib", 200), t.active_target("abrocitinib", 200)]
	f := finding("jak.live-vaccine", [vax], {"medications": meds})
	f.text.drugs == ["abrocitinib", "upadacitinib"]
}

test_recombinant_zoster_vaccine_is_not_live if {
	vax := object.union(t.draft_med("rzv", "zoster vaccine recombinant, adjuvanted"), {"codes": [t.cvx("187")]})
	not "jak.live-vaccine" in ids([vax], {"medications": [vax, t.active_target("abrocitinib", 200)]})
}

# --- dose maximum

test_dose_max_gives_the_doses_and_the_profiles_note if {
	f := finding("{drug}.dose-max", [t.order("upadacitinib", 45)], {})
	f.text.dailyDoseMg == 45
	f.text.maxMgPerDay == 30
	f.text.recommendedMgPerDay == 15
	f.text.maxNote == data.labelguard.profiles.upadacitinib.dose.maxNote
}

# Every profile has a note on its maximum (no scenario shows a card
# without one): without it the card ends at "once daily."
#
# (The profile is replaced through lib.profiles: `with` on a member of
# data.labelguard.profiles merges the given object into the stored one,
# so it cannot take a member away.)
test_dose_max_without_a_note if {
	profiles := json.remove(data.labelguard.profiles, ["upadacitinib/dose/maxNote"])
	not profiles.upadacitinib.dose.maxNote
	f := finding("{drug}.dose-max", [t.order("upadacitinib", 45)], {}) with data.labelguard.lib.profiles as profiles
	f.text.maxNote == ""
}

# --- dose unverifiable

test_dose_unverifiable_on_sign if {
	o := object.remove(upa15, ["dailyDoseMg"])
	f := finding("jak.dose-unverifiable", [o], {})
	f.indicator == "info"
	f.text.doseNote == "" # the card says "from the order, so", without a note
}

# The facts layer's note on why the dose could not be derived is on the
# card ("from the order (no dose quantity), so").
test_dose_unverifiable_gives_the_dose_note if {
	o := object.union(object.remove(upa15, ["dailyDoseMg"]), {"doseNote": "no dose quantity"})
	f := finding("jak.dose-unverifiable", [o], {})
	f.text.doseNote == "no dose quantity"
}

# The rule does not read the hook: its METADATA (hooks: [order-sign]) is
# what keeps its card off order-select, applied by the engine (scenario
# 020, engine TestFindingsOnlyOnTheirHooks), so that the policy set stays
# cross-hook (engine/crosshook.go).
test_dose_unverifiable_does_not_read_the_hook if {
	o := object.remove(upa15, ["dailyDoseMg"])
	finding("jak.dose-unverifiable", [o], {"hook": "order-select"}) == finding("jak.dose-unverifiable", [o], {})
}

# Left out beside a dose rule's card on the same order by the engine
# (custom.omitWhen: [dose]; scenario 021, engine TestOmitWhen); the card
# lists the drug's dose rules from the catalog (data.labelguard.tagged).
test_dose_unverifiable_lists_the_drugs_dose_rules if {
	o := object.remove(upa15, ["dailyDoseMg"])
	f := finding("jak.dose-unverifiable", [o], {})

	# the card lists each check as "- <title> (<id>)"
	{"id": "upadacitinib.dose-max", "title": "Upadacitinib above 30 mg/day"} in [{"id": c.id, "title": c.title} | some c in f.text.checks]
	"upadacitinib.dose-age65" in {c.id | some c in f.text.checks}
	every c in f.text.checks {
		not contains(c.id, "abrocitinib")
		not contains(c.title, "abrocitinib")
	}
	not contains(f.text.doseNote, "abrocitinib")
}

# --- infections

test_active_tb_fires_critical if {
	c := t.condition("tb", t.icd("A150"), "tuberculosis of lung")
	f := finding("jak.tb-active", [upa15], {"conditions": [c]})
	f.suggestions[0].kind == "delete"
}

test_latent_tb_text_is_latent_not_active if {
	c := {"ref": "Condition/ltbi", "text": "latent tuberculosis infection", "active": true, "history": true}
	s := ids([upa15], {"conditions": [c]})
	"jak.tb-latent" in s
	not "jak.tb-active" in s
}

test_positive_quantiferon_is_latent_tb if {
	"jak.tb-latent" in ids([upa15], {"labs": t.with_labs({"tb": t.result("tb", "positive", 100)})})
}

test_latent_tb_silent_with_active_tb if {
	c := t.condition("tb", t.sct("56717001"), "tuberculosis")
	not "jak.tb-latent" in ids([upa15], {"conditions": [c], "labs": t.with_labs({"tb": t.result("tb", "positive", 100)})})
}

test_chronic_hepatitis_b_fires if {
	"jak.hepatitis-active" in ids([upa15], {"conditions": [t.condition("hbv", t.icd("B181"), "chronic viral hepatitis b")]})
}

test_positive_hbsag_fires if {
	"jak.hepatitis-active" in ids([upa15], {"labs": t.with_labs({"hbsag": t.result("hbsag", "positive", 100)})})
}

test_herpes_zoster_is_serious_infection if {
	"jak.serious-infection" in ids([upa15], {"conditions": [t.condition("hz", t.icd("B029"), "zoster without complications")]})
}

test_resolved_pneumonia_does_not_fire if {
	not "jak.serious-infection" in ids([upa15], {"conditions": [t.resolved_condition("pn", t.sct("233604007"), "pneumonia")]})
}

test_child_pugh_c_text_fires_hepatic_severe if {
	c := {"ref": "Condition/cp", "text": t.norm("cirrhosis, child-pugh class c"), "active": true, "history": true}
	"jak.hepatic-severe" in ids([upa15], {"conditions": [c]})
}

# --- risk factors

test_no_risk_factors_no_card if {
	not "jak.risk-factors" in ids([upa15], {})
}

test_age_65_is_a_risk_factor_and_64_is_not if {
	f := finding("jak.risk-factors", [upa15], {"patient": t.patient(65, "male")})
	[x.id | some x in f.factors] == ["age-65"]
	not "jak.risk-factors" in ids([upa15], {"patient": t.patient(64, "male")})
}

test_all_factors_in_one_card if {
	conditions := [
		t.condition("smk", t.icd("Z87891"), "personal history of nicotine dependence"),
		t.resolved_condition("dvt", t.sct("128053003"), "deep venous thrombosis"),
		t.resolved_condition("brca", t.sct("254837009"), "malignant neoplasm of breast"),
		t.condition("mi", t.sct("399211009"), "history of myocardial infarction"),
		t.condition("htn", t.sct("59621000"), "essential hypertension"),
	]
	f := finding("jak.risk-factors", [upa15], {"patient": t.patient(70, "female"), "conditions": conditions})
	[x.id | some x in f.factors] == ["age-65", "smoker", "vte", "malignancy", "cv-event", "cv-risk"]
	f.text.ids == ["age-65", "smoker", "vte", "malignancy", "cv-event", "cv-risk"]
	f.text.drug == "upadacitinib"

	# the summary, as the card writes it from these values, fits without
	# being truncated
	count(sprintf("%s: boxed-warning risk factors (%s) — weigh risks, lowest effective dose", [
		data.labelguard.profiles.upadacitinib.display,
		concat(", ", f.text.ids),
	])) <= 140
	n_findings("jak.risk-factors", [upa15], {"patient": t.patient(70, "female"), "conditions": conditions}) == 1
}

test_basal_cell_carcinoma_is_not_malignancy if {
	c := t.condition("bcc", t.icd("C44311"), "basal cell carcinoma of skin of nose")
	not "jak.risk-factors" in ids([upa15], {"conditions": [c]})
}

test_hypertension_at_49_is_not_cv_risk_but_at_50_is if {
	c := t.condition("htn", t.icd("I10"), "essential hypertension")
	not "jak.risk-factors" in ids([upa15], {"patient": t.patient(49, "male"), "conditions": [c]})
	"jak.risk-factors" in ids([upa15], {"patient": t.patient(50, "male"), "conditions": [c]})
}

test_never_smoker_status_is_not_a_risk if {
	labs := t.with_labs({"smoking": t.coded("smoking", t.sct("266919005"), "never smoked tobacco", 100)})
	not "jak.risk-factors" in ids([upa15], {"labs": labs})
}

test_former_smoker_status_is_a_risk if {
	labs := t.with_labs({"smoking": t.coded("smoking", t.sct("8517006"), "former smoker", 1000)})
	"jak.risk-factors" in ids([upa15], {"labs": labs})
}

# --- zoster vaccine and monitoring plan

test_zoster_vaccine_missing_at_19 if {
	"jak.zoster-vaccine-missing" in ids([upa15], {"patient": t.patient(19, "male")})
}

test_zoster_vaccine_not_needed_at_18 if {
	not "jak.zoster-vaccine-missing" in ids([upa15], {"patient": t.patient(18, "male")})
}

test_zoster_vaccine_on_record if {
	not "jak.zoster-vaccine-missing" in ids([upa15], zoster_given)
}

test_monitoring_plan_at_initiation_with_due_dates if {
	f := finding("jak.monitoring-plan", [t.order("abrocitinib", 100)], zoster_given)
	count(f.suggestions) == 2
	f.suggestions[0].dueDate == "2026-07-13"
	f.text.plan[0].dueDate == "2026-07-13" # the card lists "(due 2026-07-13)"
	[p.label | some p in f.text.plan] == [s.label | some s in f.suggestions]

	# the summary, as the card writes it from these values, fits
	f.text.planSummary == data.labelguard.profiles.abrocitinib.monitoring.summary
	count(sprintf("%s monitoring plan: %s", [data.labelguard.profiles.abrocitinib.display, f.text.planSummary])) <= 140
}

# The plan's rule does not read the critical rules: the engine leaves the
# plan out beside a critical card on the same order (METADATA
# omitWhen: [critical]; engine and scenario tests).
test_monitoring_plan_does_not_depend_on_critical_cards if {
	labs := t.with_labs({"anc": t.lab("anc", 0.5, 5)})
	"jak.monitoring-plan" in ids([upa15], {"labs": labs})
}

test_no_monitoring_plan_at_continuation if {
	not "jak.monitoring-plan" in ids([t.continuation(upa15, 200)], {})
}

test_clean_initiation_only_plan_and_zoster if {
	ids([upa15], {}) == {"jak.monitoring-plan", "jak.zoster-vaccine-missing"}
}
