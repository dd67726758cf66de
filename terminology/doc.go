// Package terminology loads the reference data of a policy set that both the
// facts layer and the policy engine need: FHIR ValueSet files indexed for
// constant-time membership, the lab table with its unit conversions, and the
// drug table with product strengths.
//
// Codes are handled as "system|code" strings. ICD-10-CM codes are normalized
// to upper case without the dot, so that a value set entry "I82.4" is a
// prefix of a patient's "I82.401" whatever the sender's punctuation.
package terminology
