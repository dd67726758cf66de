package labelguard.rules.upadacitinib_test

import data.labelguard.testing as t

lq(ml) := object.union(t.order("upadacitinib", ml), {"text": "upadacitinib 1 mg/ml oral solution [rinvoq lq]"})

test_oral_solution_fires if {
	f := finding("upadacitinib.oral-solution", [lq(6)], {})
	f.indicator == "warning"
	contains(f.text.statement, "not substitutable") # the card's second paragraph
	f.text.order.dailyDoseMg == 6 # "Ordered: 6 mg/day."
}

test_tablet_does_not_fire_oral_solution if {
	not "upadacitinib.oral-solution" in fired([upa(15)], {})
}

# Silence where the profile states no oralSolution (the EU's merge drops
# it) is checked by scenarios 140 and 141 run with jurisdiction EU: a
# `with` on the profile cannot remove a member here.
