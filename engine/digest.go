package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// ParamsDigest is a content hash of the site parameters in force: the
// policy set's data/params.json with the site's file merged over it, as
// the rules read them. Revision hashes the policy set's files only (or is
// a bundle's manifest revision), so two sets loaded from the same files
// with different site parameters share a Revision but not a ParamsDigest;
// whatever reuses a decision across calls keys on both. It is computed on
// each call (a few microseconds): cache it per set.
func (ps *PolicySet) ParamsDigest() (string, error) {
	// encoding/json writes map keys sorted, so equal parameters encode
	// equally whatever order the files listed them in.
	data, err := json.Marshal(ps.tables.params)
	if err != nil {
		return "", fmt.Errorf("engine.ParamsDigest: %w", err)
	}
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}
