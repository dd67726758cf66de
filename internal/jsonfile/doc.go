// Package jsonfile validates the JSON data files informaticists edit (site
// parameters, drug profiles) against their JSON Schemas and reports each
// problem as file:line, the key path and what is wrong, so that a slip is
// refused by `labelguard check` and at load with a message an informaticist
// can act on, rather than a Go call chain.
package jsonfile
