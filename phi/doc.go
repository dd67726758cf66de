// Package phi keeps identifiers out of what labelguard records.
//
// The decision audit must be able to say that two calls concerned the same
// patient (to follow one patient's alerts over time) without holding the
// patient's identifier: whoever reads the audit database or a backup of it
// should learn nothing they could look up in the EHR. A Hasher turns an
// identifier into a keyed hash (HMAC-SHA256 truncated to 128 bits, hex). A
// plain hash would not do: patient and order identifiers come from small,
// guessable spaces (MRNs, sequential ids) and an unkeyed hash is reversed by
// hashing every candidate. With a secret key that attack needs the key.
//
// The key is a deployment secret (a file mounted from a Kubernetes Secret,
// generated with `openssl rand -base64 32`). Rotating it breaks linkage: the
// same patient hashes differently before and after, which is the intended
// effect when a key may have leaked.
package phi
