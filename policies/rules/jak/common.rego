# What the all-target and oral-JAKi rules share.

# METADATA
# scope: package
# title: Rules every target drug shares
# description: "Checks that apply to several target drugs alike; each card cites the ordered drug's own label through its profile."
# custom:
#   hooks: [order-select, order-sign]
#   drugs: [all]
package labelguard.rules.jak

import data.labelguard.lib

# card_drugs: the target drugs (IDs) a card on `order` concerns: the
# ordered drug, or for an interacting order the targets it meets, in the
# order of their names, as the card lists them.
card_drugs(order) := [order.target] if {
	lib.target_drug(order)
} else := [d[1] | some d in sort({[lib.drug_display[t.target], t.target] | some t in lib.context_targets(order, "")})] if {
	not lib.target_drug(order)
}

# label_drug: the drug whose label a card on `order` cites.
label_drug(order) := order.target if {
	lib.target_drug(order)
} else := min({t.target | some t in lib.context_targets(order, "")})

# affirmative: text says word without a negation ("not breastfeeding").
affirmative(text, word) if {
	lib.has_word(text, word)
	not negated(text)
}

negated(text) if {
	some w in ["not", "no", "never", "denies"]
	lib.has_word(text, w)
}
