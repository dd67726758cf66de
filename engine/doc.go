// Package engine loads a policy set, compiles it once with OPA in a sandbox,
// and turns the findings its rules yield into CDS Hooks cards.
//
// A policy set is read from an fs.FS (the embedded default, a directory, or
// later a bundle): Rego modules, their tests, the service definitions and the
// data documents (site parameters, lab and drug tables, indexed value sets).
// Loading refuses a set that does not compile under the restricted
// capabilities or whose card-yielding rules lack metadata, naming the file
// and the rule. Evaluation uses prepared queries and converts the policy
// input once; the engine never parses HTTP or FHIR. It also decides at load
// what of the input the rules can read: which call asks (crosshook.go) and
// the members few packages read (inputreads.go), so that the pipeline's
// decision cache keys a call on what its rules see.
package engine
