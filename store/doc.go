// Package store persists the decision audit and CDS Hooks feedback.
//
// Hospitals must be able to answer "what did the system tell the
// clinician, on which policy revision, and what did the clinician do", and
// informaticists need override rates per rule. Two tables answer the first
// question (decisions, one row per service call, and decision_cards, one
// row per card returned), a third records feedback, and Report answers the
// second.
//
// One interface, Store, has two implementations with the same behaviour
// and the same logical schema: SQLite (modernc.org/sqlite, pure Go) as the
// embedded default, a file under the data directory, and PostgreSQL (pgx)
// when a DSN is configured, for several replicas. Open picks one. The
// schema is created and upgraded by versioned migrations embedded in the
// binary (migrations/<dialect>/NNNN_name.sql, recorded in
// schema_migrations), applied at startup and safe when replicas start
// together.
//
// Nothing here is a clinical value or an identifier in clear: the caller
// passes keyed hashes (package phi) for the patient and the orders. The
// one free-text field, the clinician's override comment, is stored because
// CDS Hooks feedback carries it, and is only ever counted by Report.
//
// The audit must never slow a hook call: AuditQueue takes decisions
// without blocking and writes them in batches in the background, retrying
// while the database is down and counting whatever it has to drop.
// Feedback, by contrast, is written synchronously (InsertFeedback) before
// the feedback call is answered, so a client whose feedback could not be
// stored gets an error and can retry.
//
// No call waits longer than its caller's context, which is how the caller
// bounds it (the replay check about 100 ms, feedback about a second, an
// audit batch 10 s): a partitioned PostgreSQL drops packets rather than
// refusing connections, and without a deadline a call would wait for the
// kernel to give up. Connection attempts have their own bound
// (DefaultConnectTimeout unless the DSN sets connect_timeout), and
// Deferred opens the database in the background, so that one caller's
// slow attempt never holds up another.
package store
