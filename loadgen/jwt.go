package loadgen

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Signer signs one CDS Hooks client JWT per request (a fresh jti each time,
// as the replay rules require), the way a CDS client does.
type Signer struct {
	key     *ecdsa.PrivateKey
	method  jwt.SigningMethod
	kid     string
	issuer  string
	baseURL string
}

// NewSigner reads an EC private key (PEM, PKCS#8 or SEC 1); P-256 signs
// ES256 and P-384 ES384. aud is baseURL + the endpoint path.
func NewSigner(keyFile, kid, issuer, baseURL string) (*Signer, error) {
	b, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("--sign-key: %w", err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, fmt.Errorf("--sign-key %s: no PEM block", keyFile)
	}
	var key *ecdsa.PrivateKey
	if k, err := x509.ParsePKCS8PrivateKey(blk.Bytes); err == nil {
		ek, ok := k.(*ecdsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("--sign-key %s: not an EC key", keyFile)
		}
		key = ek
	} else if key, err = x509.ParseECPrivateKey(blk.Bytes); err != nil {
		return nil, fmt.Errorf("--sign-key %s: %w", keyFile, err)
	}
	s := &Signer{key: key, kid: kid, issuer: issuer, baseURL: strings.TrimRight(baseURL, "/")}
	switch key.Curve {
	case elliptic.P256():
		s.method = jwt.SigningMethodES256
	case elliptic.P384():
		s.method = jwt.SigningMethodES384
	default:
		return nil, fmt.Errorf("--sign-key %s: curve %s is not P-256 or P-384", keyFile, key.Curve.Params().Name)
	}
	if s.kid == "" {
		s.kid = strings.ToLower(s.method.Alg())
	}
	return s, nil
}

// Alg is ES256 or ES384.
func (s *Signer) Alg() string { return s.method.Alg() }

// Token signs a token for the endpoint path.
func (s *Signer) Token(path string) (string, error) {
	now := time.Now()
	var jti [16]byte
	_, _ = rand.Read(jti[:])
	t := jwt.NewWithClaims(s.method, jwt.MapClaims{
		"iss": s.issuer, "sub": s.issuer, "aud": s.baseURL + path,
		"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(), "jti": hex.EncodeToString(jti[:]),
	})
	t.Header["kid"] = s.kid
	t.Header["typ"] = "JWT"
	return t.SignedString(s.key)
}

// WriteIssuer generates a P-256 and a P-384 key in dir (es256.pem,
// es384.pem) and a trusted-issuers file (trusted-issuers.json) that trusts
// both under one issuer, with kids es256 and es384, for `labelguard serve
// --trusted-issuers`.
func WriteIssuer(dir, issuer string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	var keys []map[string]string
	for _, k := range []struct {
		kid   string
		curve elliptic.Curve
		alg   string
	}{{"es256", elliptic.P256(), "ES256"}, {"es384", elliptic.P384(), "ES384"}} {
		priv, err := ecdsa.GenerateKey(k.curve, rand.Reader)
		if err != nil {
			return err
		}
		der, err := x509.MarshalPKCS8PrivateKey(priv)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, k.kid+".pem"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
			return err
		}
		size := (k.curve.Params().BitSize + 7) / 8
		pub, err := priv.PublicKey.ECDH()
		if err != nil {
			return err
		}
		raw := pub.Bytes() // 0x04 || X || Y
		keys = append(keys, map[string]string{
			"kty": "EC", "crv": k.curve.Params().Name, "kid": k.kid, "alg": k.alg, "use": "sig",
			"x": base64.RawURLEncoding.EncodeToString(raw[1 : 1+size]),
			"y": base64.RawURLEncoding.EncodeToString(raw[1+size:]),
		})
	}
	jwks, err := json.Marshal(map[string]any{"keys": keys})
	if err != nil {
		return err
	}
	doc, err := json.MarshalIndent(map[string]any{"issuers": []map[string]any{{"iss": issuer, "jwks": json.RawMessage(jwks)}}}, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "trusted-issuers.json"), doc, 0o600)
}
