// Package terminology loads the reference data of a policy set that both the
// facts layer and the policy engine need: FHIR ValueSet files indexed for
// constant-time membership, the lab table with its unit conversions, and the
// drug table with product strengths; and a site's terminology
// (site.go): the RxNorm and NDC codes of the profiles' products, imported
// from the NLM and FDA files (sources.go, import.go), which the drug table
// looks up by an order's code in constant time, an NDC in any of its
// written forms (ndc.go).
//
// Codes are handled as "system|code" strings. ICD-10-CM codes are normalized
// to upper case without the dot, so that a value set entry "I82.4" is a
// prefix of a patient's "I82.401" whatever the sender's punctuation.
package terminology
