# Value set membership. Value sets are indexed by the loader (see
# docs/policy-contract.md): exact codes, ICD-10-CM prefixes (is-a), regular
# expressions over the code, the same three for exclusions, and names.
package labelguard.lib

# in_valueset holds when one of resource.codes is in the value set and not
# excluded, or, failing a listed code, when a name of the value set occurs
# as a whole word in resource.text. An excluded code also blocks the name
# match (so "not pregnant" coded as such never matches "pregnant").
in_valueset(resource, vs_id) if {
	# Naming the value set keeps an unknown ID from matching anything, and
	# lets the policy check (labelguard check) see vs_id as a value set ID.
	data.labelguard.valuesets[vs_id]
	vs_id in memberships(resource)
}

# memberships: the IDs of the value sets a fact belongs to. The facts layer
# computes them once (valueSets, always present on its facts); inputs
# without them (Rego unit tests, hand-written inputs) are matched here.
# object.get, not resource.valueSets: the type checker would otherwise
# drop the rule for literal objects that lack the field.
memberships(resource) := object.get(resource, "valueSets", null) if {
	is_array(object.get(resource, "valueSets", null))
} else := {vs_id | some vs_id, _ in data.labelguard.valuesets; match_valueset(resource, vs_id)}

# by_valueset indexes facts by value set, {vs_id: [fact, ...]}, so that a
# rule asking for the facts in one value set reads one entry instead of
# testing every fact. The engine builds the three indexes below in Go and
# passes them as input.byValueSet (docs/policy-contract.md); inputs
# without it (Rego unit tests, hand-written inputs) are indexed here, once
# per evaluation.
by_valueset(facts) := {vs_id: [f | some [v, f] in pairs; v == vs_id] | some [vs_id, _] in pairs} if {
	pairs := [[vs_id, f] | some f in facts; some vs_id in memberships(f)]
}

conditions_by_valueset := input.byValueSet.conditions if {
	input.byValueSet
} else := by_valueset(input.conditions)

immunizations_by_valueset := input.byValueSet.immunizations if {
	input.byValueSet
} else := by_valueset(input.immunizations)

medications_by_valueset := input.byValueSet.medications if {
	input.byValueSet
} else := by_valueset(input.medications)

# facts_in: the facts of an index that are in a value set (none for an
# unknown value set ID, which the policy check reports).
facts_in(index, vs_id) := object.get(index, vs_id, []) if data.labelguard.valuesets[vs_id]

# match_valueset computes membership from the resource's codes and text, for
# inputs that do not carry valueSets (Rego unit tests, hand-written inputs).
# The facts layer implements the same semantics in Go
# (terminology.ValueSets.Membership); a test checks they agree.
match_valueset(resource, vs_id) if {
	vs := data.labelguard.valuesets[vs_id]
	some code in object.get(resource, "codes", [])
	code_in(vs, "codes", "prefixes", "regexes", code)
	not code_in(vs, "excludeCodes", "excludePrefixes", "excludeRegexes", code)
}

match_valueset(resource, vs_id) if {
	vs := data.labelguard.valuesets[vs_id]
	not any_code_excluded(vs, resource)
	some name in object.get(vs, "names", [])
	has_word(object.get(resource, "text", ""), name)
}

any_code_excluded(vs, resource) if {
	some code in object.get(resource, "codes", [])
	code_in(vs, "excludeCodes", "excludePrefixes", "excludeRegexes", code)
}

code_in(vs, codes_key, _, _, code) if object.get(vs, [codes_key, code], false)

code_in(vs, _, prefixes_key, _, code) if {
	[system, value] := split_code(code)
	some prefix in object.get(vs, [prefixes_key, system], [])
	startswith(value, replace(upper(prefix), ".", ""))
}

code_in(vs, _, _, regexes_key, code) if {
	[system, value] := split_code(code)
	some pattern in object.get(vs, [regexes_key, system], [])
	regex.match(pattern, value)
}

# split_code splits "system|code" at the last bar.
split_code(code) := [substring(code, 0, i), substring(code, i + 1, -1)] if {
	i := max(indexof_n(code, "|"))
}

# has_word: name occurs in text as a whole word or phrase. The facts layer
# normalizes every text (lower case, each run of characters other than
# letters and digits read as one space) and the loader normalizes value set
# names the same way, so a plain substring search for " name " is a whole-word
# match. "St. John's wort" in a value set matches "ST JOHN'S WORT 300 MG".
has_word(text, name) if {
	name != ""
	contains(concat("", [" ", text, " "]), concat("", [" ", name, " "]))
}

# valueset_name returns the first name of the value set found in the
# resource's text, for card wording ("clopidogrel"), else "".
valueset_name(resource, vs_id) := names[0] if {
	names := [n |
		some n in object.get(data.labelguard.valuesets, [vs_id, "names"], [])
		has_word(object.get(resource, "text", ""), n)
	]
	count(names) > 0
} else := ""
