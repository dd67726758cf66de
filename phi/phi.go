package phi

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"os"
	"strings"
	"sync"
)

// MinKeyLen is the shortest key accepted: 128 bits, below which guessing the
// key becomes the cheaper attack on the hashes.
const MinKeyLen = 16

// HashLen is the length, in hex characters, of what Hash returns: 128 bits
// of the HMAC, ample against collisions among a hospital's patients and
// short enough to index cheaply.
const HashLen = 32

// ErrShortKey is returned for a key shorter than MinKeyLen bytes.
var ErrShortKey = errors.New("phi: key shorter than 16 bytes")

// Hasher computes keyed hashes of identifiers. It is safe for concurrent use.
type Hasher struct {
	key  []byte
	pool sync.Pool // of hash.Hash (HMAC state), to keep Hash allocation-light on the hot path
}

// NewHasher returns a Hasher for key, which it copies. Keys shorter than
// MinKeyLen bytes are refused.
func NewHasher(key []byte) (*Hasher, error) {
	if len(key) < MinKeyLen {
		return nil, fmt.Errorf("%w (got %d)", ErrShortKey, len(key))
	}
	k := bytes.Clone(key)
	h := &Hasher{key: k}
	h.pool.New = func() any { return hmac.New(sha256.New, k) }
	return h, nil
}

// Hash returns the keyed hash of id as HashLen lower-case hex characters.
// The empty id hashes to the empty string, so that "no patient" stays
// visibly absent instead of becoming a hash shared by every such call.
func (h *Hasher) Hash(id string) string {
	if id == "" {
		return ""
	}
	m := h.pool.Get().(hash.Hash)
	m.Reset()
	_, _ = m.Write([]byte(id))
	var buf [sha256.Size]byte
	sum := m.Sum(buf[:0])
	h.pool.Put(m)
	return hex.EncodeToString(sum[:HashLen/2])
}

// HashRef pseudonymises a FHIR reference "Type/id" as "Type/<hash of
// Type/id>": the resource type is not identifying and keeps the audit
// readable, the id is. A reference without a type is hashed whole.
func (h *Hasher) HashRef(ref string) string {
	if ref == "" {
		return ""
	}
	typ, _, ok := strings.Cut(ref, "/")
	if !ok || typ == "" {
		return h.Hash(ref)
	}
	return typ + "/" + h.Hash(ref)
}

// LoadKey reads a key from the file at path. Surrounding white space is
// removed so that a key written with echo or kept in a Secret with a trailing
// newline works; anything else is used byte for byte. A key shorter than
// MinKeyLen bytes is refused here rather than at first use.
func LoadKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("phi: reading key: %w", err)
	}
	k := bytes.TrimSpace(b)
	if len(k) < MinKeyLen {
		return nil, fmt.Errorf("phi: key file %s: %w (got %d)", path, ErrShortKey, len(k))
	}
	return k, nil
}
