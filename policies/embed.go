// Package policies holds the default policy set: Rego rules and their tests,
// FHIR ValueSets, the lab and drug tables, site parameters and the service
// definitions. It is embedded into the binary; a site may serve another
// directory or bundle instead. testdata/ is never embedded.
package policies

import "embed"

// FS is the default policy set.
//
//go:embed services.json data valuesets lib rules profiles schema
var FS embed.FS
