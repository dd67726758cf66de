package labelguard.rules.upa_test

import data.labelguard.rules.upa

test_fires_above_max if {
	some f in upa.findings with input as {"orders": [{"ref": "MedicationRequest/1", "target": "upadacitinib", "dailyDoseMg": 450}]}
	f.rule == "upadacitinib.dose-max"
}

test_silent_at_15 if {
	count(upa.findings) == 0 with input as {"orders": [{"ref": "MedicationRequest/1", "target": "upadacitinib", "dailyDoseMg": 15}]}
}
