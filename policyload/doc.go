// Package policyload keeps the policy set in service current without a
// restart, and never lets a bad one in.
//
// A Manager owns the engine.Active that the HTTP layer evaluates against.
// WatchDir watches a policy directory and a site parameters file (fsnotify,
// debounced); PollBundle polls an OPA bundle server (HTTP with ETag and
// If-None-Match) and verifies each bundle's signature. Either way a
// candidate goes through one gate before it is stored: it must load
// (compile under the sandbox, complete METADATA, valid site overrides), its
// Rego unit tests must pass, and, for a directory with
// testdata/scenarios, every scenario must pass. Only then is it swapped in
// atomically; a request reads the pointer once, so no request is ever
// evaluated half with one set and half with the other. A candidate that
// fails is rejected, logged, counted (Config.OnReload, for the metric
// labelguard_policy_reload_total{outcome}) and shown by Status; the last
// good set keeps serving.
//
// Shadow mode evaluates a candidate set beside the active one: the HTTP
// layer hands each answered call to Shadow (non-blocking, bounded queue,
// one worker), which evaluates the candidate on the same derived policy
// input and accumulates, per rule, the cards that would appear, disappear
// or change indicator. The summary is in Status; the candidate's cards are
// never returned to the EHR. The derived input is the active set's: a
// candidate whose value sets or tables would derive different facts is
// judged on the active set's facts (labelguard diff re-derives).
//
// Files: manager.go (Manager, gate, Status), watch.go (directory and site
// parameters), poll.go (bundle polling), shadow.go (shadow evaluation),
// compare.go (card differences, shared with labelguard diff).
package policyload
