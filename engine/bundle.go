package engine

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
	"testing/fstest"

	"github.com/open-policy-agent/opa/v1/bundle"
	"github.com/open-policy-agent/opa/v1/keys"

	"github.com/labelguard/labelguard/terminology"
)

// A labelguard bundle is an ordinary OPA bundle (a .tar.gz with .manifest,
// Rego modules and data.json, optionally .signatures.json), so existing
// bundle servers and OCI registries can serve it. There is ONE loading path:
// LoadBundle turns the bundle back into the policy set's files and calls
// Load, exactly as for a directory. To that end:
//
//   - every Rego module (tests included, so the receiving server can run
//     them before activating) is a bundle module at its policy set path;
//   - every JSON file of the policy set (services.json, data/*.json,
//     valuesets/*.json) travels verbatim as a value of
//     data.labelguard.source["<path>"] in the bundle's data.json, so that
//     the bundle signature covers it (OPA signs modules and data.json, not
//     arbitrary files);
//   - the manifest names the revision and the single root "labelguard".
//
// data.labelguard.source is transport only: Load builds the data documents
// (data.labelguard.params, labs, drugs, valuesets, ...) from those files.
const (
	// BundleRoot is the only root of a labelguard bundle.
	BundleRoot = "labelguard"
	// bundleSourceKey is data.labelguard.<key>, the policy set's JSON files
	// by path.
	bundleSourceKey = "source"
	// DefaultBundleKeyID is the key ID of signatures when none is given.
	DefaultBundleKeyID = "labelguard"
)

// BuildOptions control BuildBundle.
type BuildOptions struct {
	// Revision is the manifest's revision; default the content hash Load
	// computes.
	Revision string
	// SigningKey, when set, is a PEM private key (RSA or EC P-256) that signs
	// the bundle.
	SigningKey []byte
	// Algorithm is the signature algorithm: RS256 or ES256 (default: from
	// the key type).
	Algorithm string
	// KeyID is the signature's key ID (default DefaultBundleKeyID).
	KeyID string
}

// BundleOptions control LoadBundle.
type BundleOptions struct {
	// PublicKey is the PEM public key (or certificate) the signature is
	// verified with. Required unless SkipVerify.
	PublicKey []byte
	// Algorithm is the signature algorithm (default: from the key type).
	Algorithm string
	// KeyID is the expected key ID (default DefaultBundleKeyID).
	KeyID string
	// SkipVerify loads an unsigned (or unverified) bundle. For authoring
	// tools only; a server never sets it.
	SkipVerify bool
	// SiteParams is merged over data/params.json, as in Options, and
	// SiteParamsFile names it in messages.
	SiteParams     []byte
	SiteParamsFile string
	// Terminology is the site terminology, as in Options.
	Terminology *terminology.Site
	// MaxBytes bounds the uncompressed size of each file (default 64 MiB).
	MaxBytes int64
}

// BundleInfo describes a bundle read by ReadBundle.
type BundleInfo struct {
	Revision string   `json:"revision"`
	Roots    []string `json:"roots"`
	Signed   bool     `json:"signed"`
	// Verified is set when the signature was checked against a public key.
	Verified bool `json:"verified"`
	Files    int  `json:"files"`
}

// BuildBundle writes the policy set in fsys as an OPA bundle (.tar.gz) to
// w, signed when opts.SigningKey is set. The policy set must load: a bundle
// is never built from a set Load would refuse.
func BuildBundle(ctx context.Context, w io.Writer, fsys fs.FS, opts BuildOptions) (*BundleInfo, error) {
	ps, err := Load(ctx, fsys, Options{})
	if err != nil {
		return nil, fmt.Errorf("engine.BuildBundle: %w", err)
	}
	src, err := readSources(fsys)
	if err != nil {
		return nil, fmt.Errorf("engine.BuildBundle: %w", err)
	}
	rev := opts.Revision
	if rev == "" {
		rev = ps.Revision
	}
	b := bundle.Bundle{Data: map[string]any{}}
	files := map[string]any{}
	for _, p := range slices.Sorted(maps.Keys(src.raw)) {
		data := src.raw[p]
		if strings.HasSuffix(p, ".rego") {
			b.Modules = append(b.Modules, bundle.ModuleFile{URL: "/" + p, Path: "/" + p, RelativePath: "/" + p, Raw: data})
			continue
		}
		var v any
		if err := json.Unmarshal(data, &v); err != nil {
			return nil, fmt.Errorf("engine.BuildBundle: %s: %w", p, err)
		}
		files[p] = v
	}
	b.Data[BundleRoot] = map[string]any{bundleSourceKey: files}
	roots := []string{BundleRoot}
	regoV1 := 1
	b.Manifest = bundle.Manifest{Revision: rev, Roots: &roots, RegoVersion: &regoV1}
	if len(opts.SigningKey) > 0 {
		if err := signBundle(&b, opts.SigningKey, opts.Algorithm, opts.KeyID); err != nil {
			return nil, fmt.Errorf("engine.BuildBundle: %w", err)
		}
	}
	if err := bundle.NewWriter(w).DisableFormat(true).Write(b); err != nil {
		return nil, fmt.Errorf("engine.BuildBundle: write: %w", err)
	}
	return &BundleInfo{Revision: rev, Roots: roots, Signed: len(opts.SigningKey) > 0, Files: len(src.raw)}, nil
}

// SignBundle reads the bundle in r (an existing signature is dropped
// without being verified), signs it with the PEM private key and writes it
// to w.
func SignBundle(r io.Reader, w io.Writer, key []byte, alg, keyID string) (*BundleInfo, error) {
	b, err := bundle.NewReader(r).WithSkipBundleVerification(true).Read()
	if err != nil {
		return nil, fmt.Errorf("engine.SignBundle: read: %w", err)
	}
	if _, err := bundleFS(b); err != nil {
		return nil, fmt.Errorf("engine.SignBundle: %w", err)
	}
	b.Signatures = bundle.SignaturesConfig{}
	if err := signBundle(&b, key, alg, keyID); err != nil {
		return nil, fmt.Errorf("engine.SignBundle: %w", err)
	}
	if err := bundle.NewWriter(w).DisableFormat(true).Write(b); err != nil {
		return nil, fmt.Errorf("engine.SignBundle: write: %w", err)
	}
	return info(b, true), nil
}

func signBundle(b *bundle.Bundle, key []byte, alg, keyID string) error {
	if alg == "" {
		var err error
		if alg, err = keyAlgorithm(key); err != nil {
			return fmt.Errorf("signing key: %w", err)
		}
	}
	if keyID == "" {
		keyID = DefaultBundleKeyID
	}
	sc := bundle.NewSigningConfig(string(key), alg, "")
	if err := b.GenerateSignature(sc, keyID, false); err != nil {
		return fmt.Errorf("sign bundle: %w", err)
	}
	return nil
}

// ReadBundle reads and verifies a bundle and returns its policy set files
// as an fs.FS, with the manifest's revision. A missing, malformed or wrong
// signature is an error unless opts.SkipVerify.
func ReadBundle(r io.Reader, opts BundleOptions) (fs.FS, *BundleInfo, error) {
	rd := bundle.NewReader(r)
	limit := opts.MaxBytes
	if limit <= 0 {
		limit = 64 << 20
	}
	rd = rd.WithSizeLimitBytes(limit)
	if opts.SkipVerify {
		rd = rd.WithSkipBundleVerification(true)
	} else {
		if len(opts.PublicKey) == 0 {
			return nil, nil, errors.New("engine.ReadBundle: no public key: a bundle is only loaded with a verified signature")
		}
		alg := opts.Algorithm
		if alg == "" {
			var err error
			if alg, err = keyAlgorithm(opts.PublicKey); err != nil {
				return nil, nil, fmt.Errorf("engine.ReadBundle: public key: %w", err)
			}
		}
		kid := opts.KeyID
		if kid == "" {
			kid = DefaultBundleKeyID
		}
		kc := &keys.Config{Key: string(opts.PublicKey), Algorithm: alg}
		rd = rd.WithBundleVerificationConfig(bundle.NewVerificationConfig(map[string]*bundle.KeyConfig{kid: kc}, kid, "", nil))
	}
	b, err := rd.Read()
	if err != nil {
		return nil, nil, fmt.Errorf("engine.ReadBundle: %w", err)
	}
	fsys, err := bundleFS(b)
	if err != nil {
		return nil, nil, fmt.Errorf("engine.ReadBundle: %w", err)
	}
	bi := info(b, len(b.Signatures.Signatures) > 0)
	bi.Verified = !opts.SkipVerify
	return fsys, bi, nil
}

// LoadBundle reads and verifies a bundle (ReadBundle) and loads its policy
// set with Load; the PolicySet's Revision is the manifest's revision.
func LoadBundle(ctx context.Context, r io.Reader, opts BundleOptions) (*PolicySet, error) {
	fsys, bi, err := ReadBundle(r, opts)
	if err != nil {
		return nil, fmt.Errorf("engine.LoadBundle: %w", err)
	}
	ps, err := Load(ctx, fsys, Options{SiteParams: opts.SiteParams, SiteParamsFile: opts.SiteParamsFile, Revision: bi.Revision, Terminology: opts.Terminology})
	if err != nil {
		return nil, fmt.Errorf("engine.LoadBundle: revision %s: %w", bi.Revision, err)
	}
	return ps, nil
}

// bundleFS rebuilds the policy set's files from a bundle's modules and
// data.labelguard.source.
func bundleFS(b bundle.Bundle) (fs.FS, error) {
	if b.Manifest.Roots == nil || !slices.Equal(*b.Manifest.Roots, []string{BundleRoot}) {
		return nil, fmt.Errorf("not a labelguard bundle: manifest roots must be [%q]", BundleRoot)
	}
	root, _ := b.Data[BundleRoot].(map[string]any)
	files, ok := root[bundleSourceKey].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("not a labelguard bundle: no data.%s.%s", BundleRoot, bundleSourceKey)
	}
	out := fstest.MapFS{}
	for _, m := range b.Modules {
		p, err := bundlePath(m.Path)
		if err != nil {
			return nil, err
		}
		out[p] = &fstest.MapFile{Data: m.Raw}
	}
	for p, v := range files {
		clean, err := bundlePath(p)
		if err != nil || !strings.HasSuffix(clean, ".json") {
			return nil, fmt.Errorf("data.%s.%s: bad file name %q", BundleRoot, bundleSourceKey, p)
		}
		data, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("data.%s.%s[%q]: %w", BundleRoot, bundleSourceKey, p, err)
		}
		out[clean] = &fstest.MapFile{Data: data}
	}
	return out, nil
}

// bundlePath turns "/rules/jak/labs.rego" into a clean relative path and
// refuses anything that would escape the set.
func bundlePath(p string) (string, error) {
	c := path.Clean(strings.TrimPrefix(p, "/"))
	if c == "." || strings.HasPrefix(c, "../") || c == ".." || !fs.ValidPath(c) {
		return "", fmt.Errorf("bad path %q in bundle", p)
	}
	return c, nil
}

func info(b bundle.Bundle, signed bool) *BundleInfo {
	bi := &BundleInfo{Revision: b.Manifest.Revision, Signed: signed, Files: len(b.Modules)}
	if b.Manifest.Roots != nil {
		bi.Roots = *b.Manifest.Roots
	}
	root, _ := b.Data[BundleRoot].(map[string]any)
	files, _ := root[bundleSourceKey].(map[string]any)
	bi.Files += len(files)
	return bi
}

// keyAlgorithm picks RS256 for RSA keys and ES256 for EC P-256 keys, from
// a PEM private key, public key or certificate.
func keyAlgorithm(pemData []byte) (string, error) {
	block, _ := pem.Decode(pemData)
	if block == nil {
		return "", errors.New("not PEM")
	}
	var key any
	var err error
	switch block.Type {
	case "RSA PRIVATE KEY", "RSA PUBLIC KEY":
		return "RS256", nil
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "PUBLIC KEY":
		key, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "CERTIFICATE":
		var c *x509.Certificate
		if c, err = x509.ParseCertificate(block.Bytes); err == nil {
			key = c.PublicKey
		}
	default:
		return "", fmt.Errorf("unsupported PEM block %q", block.Type)
	}
	if err != nil {
		return "", err
	}
	switch k := key.(type) {
	case *rsa.PrivateKey, *rsa.PublicKey:
		return "RS256", nil
	case *ecdsa.PrivateKey:
		return ecAlg(k.Curve)
	case *ecdsa.PublicKey:
		return ecAlg(k.Curve)
	}
	return "", fmt.Errorf("unsupported key type %T (want RSA or EC P-256)", key)
}

func ecAlg(c elliptic.Curve) (string, error) {
	if c == elliptic.P256() {
		return "ES256", nil
	}
	return "", fmt.Errorf("unsupported EC curve %s (want P-256)", c.Params().Name)
}
