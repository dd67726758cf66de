// Package facts defines version 1 of the policy input: the small, flat view
// of a CDS Hooks request that every rule reads.
//
// The fhir package derives an Input from the draft orders and the prefetch;
// the engine converts it once into OPA's value form and evaluates the
// policies against it. Keeping the contract in its own package lets both
// sides depend on it without depending on each other, and keeps FHIR parsing
// out of the engine. The contract is documented for policy authors in
// docs/policy-input.md and as a JSON Schema in docs/policy-input.schema.json.
package facts
