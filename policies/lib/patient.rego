# Patient facts.
package labelguard.lib

# age in completed years at the evaluation time; undefined when unknown.
age := input.patient.ageYears

female if input.patient.sex == "female"

# reproductive_potential: female aged reproductiveAgeMin to
# reproductiveAgeMax (docs/clinical/conventions.md#reproductive-potential). A female of unknown age counts, so
# that missing data never silences the pregnancy checks.
reproductive_potential if {
	female
	age >= param("reproductiveAgeMin")
	age <= param("reproductiveAgeMax")
}

reproductive_potential if {
	female
	not input.patient.ageYears
}

# Conditions (docs/clinical/conventions.md#active-condition): active is clinicalStatus active, recurrence,
# relapse or absent and not refuted; history also accepts inactive,
# resolved and remission. Both flags are set by the facts layer.
active_conditions_in(vs_id) := {c |
	some c in facts_in(conditions_by_valueset, vs_id)
	c.active
}

history_conditions_in(vs_id) := {c |
	some c in facts_in(conditions_by_valueset, vs_id)
	c.history
}

# Given immunizations (not "not-done" nor "entered-in-error").
immunizations_in(vs_id) := {i |
	some i in facts_in(immunizations_by_valueset, vs_id)
	object.get(i, "status", "completed") == "completed"
}

active_allergies := {a | some a in input.allergies; a.active}
