# Value set membership. Value sets are indexed by the loader (see
# docs/policy-contract.md): exact codes, ICD-10-CM prefixes (is-a), regular
# expressions over the code, the same three for exclusions, and names.
package labelguard.lib

# in_valueset holds when one of resource.codes is in the value set and not
# excluded, or, failing a listed code, when a name of the value set occurs
# as a whole word in resource.text. An excluded code also blocks the name
# match (so "not pregnant" coded as such never matches "pregnant").
in_valueset(resource, vs_id) if {
	# The facts layer computed the membership (input from labelguard).
	# object.get, not resource.valueSets: the type checker would otherwise
	# drop the rule for literal objects that lack the field.
	memberships := object.get(resource, "valueSets", null)
	is_array(memberships)
	vs_id in memberships
}

in_valueset(resource, vs_id) if {
	not is_array(object.get(resource, "valueSets", null))
	match_valueset(resource, vs_id)
}

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
