// Package pipeline runs one CDS Hooks call from a decoded request to the
// engine's result: screen the draft orders, derive the policy input from the
// prefetch (fhir), evaluate the service's policies (engine). The HTTP
// handlers, the CLI's eval, and the scenario tests share it, so that what an
// informaticist tests is what the EHR gets. With a DecisionCache, a call
// whose policy input the rules would read as an earlier call's is answered
// with that call's decision and cards built for it (serve's order-select
// storms), and a call on the same request data as an earlier one takes the
// facts that call derived, re-timed to it (derived.go); everything else
// evaluates every call.
package pipeline
