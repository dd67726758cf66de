// Package record holds a patient's record as FHIR resources and turns it
// into what a CDS client sends: it reads a FHIR transaction Bundle (a
// Synthea patient, an upload in the playground), rewrites the bundle's
// urn:uuid references into "Type/id", splits the resources into the
// prefetch keys the services declare and builds the CDS Hooks request
// around draft orders. The scenario runner, the playground, `labelguard
// eval --patient` and the load generator's corpus build their requests
// with it; tests add the observations and orders a case needs.
package record
