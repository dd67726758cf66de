package labelguard.rules.abrocitinib_test

import data.labelguard.testing as t

platelets(v) := {"labs": t.with_labs({"platelets": t.lab("platelets", v, 10)})}

test_age_11_not_approved if {
	"abrocitinib.age-min" in fired([abro_mg(100)], {"patient": t.patient(11, "female")})
}

test_age_12_approved if {
	not "abrocitinib.age-min" in fired([abro_mg(100)], {"patient": t.patient(12, "male")})
}

test_platelets_149_at_initiation_fires if {
	f := finding("abrocitinib.lab-platelets-low", [abro_mg(100)], platelets(149))
	contains(f.summary, "do not initiate")
	f.evidence[0].value == 149
}

test_platelets_150_at_initiation_does_not_fire if {
	fired([abro_mg(100)], platelets(150)) == set()
}

test_platelets_100_in_continuation_does_not_fire if {
	fired([t.continuation(abro_mg(100), 200)], platelets(100)) == set()
}

test_platelets_49_in_continuation_fires if {
	f := finding("abrocitinib.lab-platelets-low", [t.continuation(abro_mg(100), 200)], platelets(49))
	contains(f.summary, "discontinue")
}

test_platelets_stale_does_not_fire if {
	fired([abro_mg(100)], {"labs": t.with_labs({"platelets": t.lab("platelets", 40, 91)})}) == set()
}

test_ckd_stage_4_snomed_is_severe if {
	c := t.condition("ckd4", t.sct("431857002"), "chronic kidney disease stage 4")
	"abrocitinib.renal-severe" in fired([abro_mg(100)], {"conditions": [c]})
}

test_esrd_n18_6_is_severe if {
	c := t.condition("esrd", t.icd("N186"), "end stage renal disease")
	"abrocitinib.renal-severe" in fired([abro_mg(100)], {"conditions": [c]})
}
