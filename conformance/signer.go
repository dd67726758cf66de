package conformance

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// ParsePrivateKey reads a PEM private key (PKCS#8, SEC 1 EC or PKCS#1 RSA).
func ParsePrivateKey(pemBytes []byte) (crypto.Signer, error) {
	for {
		var block *pem.Block
		block, pemBytes = pem.Decode(pemBytes)
		if block == nil {
			return nil, errors.New("no PEM private key found")
		}
		switch block.Type {
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
			if err != nil {
				return nil, err
			}
			s, ok := k.(crypto.Signer)
			if !ok {
				return nil, fmt.Errorf("unsupported key type %T", k)
			}
			return s, nil
		case "EC PRIVATE KEY":
			return x509.ParseECPrivateKey(block.Bytes)
		case "RSA PRIVATE KEY":
			return x509.ParsePKCS1PrivateKey(block.Bytes)
		}
	}
}

// Signer returns a Config.Token function that signs CDS client JWTs as CDS
// Hooks 2.0 describes them: iss, aud (the endpoint URL), iat, exp five
// minutes ahead and a random jti, with kid in the header. The algorithm
// follows the key: ES256, ES384 or ES512 for P-256, P-384 or P-521, RS384
// for RSA (the recommended ones where there is a choice).
func Signer(key crypto.Signer, iss, kid string) (func(aud string) (string, error), error) {
	var method jwt.SigningMethod
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		switch k.Curve {
		case elliptic.P256():
			method = jwt.SigningMethodES256
		case elliptic.P384():
			method = jwt.SigningMethodES384
		case elliptic.P521():
			method = jwt.SigningMethodES512
		default:
			return nil, errors.New("unsupported EC curve")
		}
	case *rsa.PrivateKey:
		method = jwt.SigningMethodRS384
	default:
		return nil, fmt.Errorf("unsupported key type %T", key)
	}
	if iss == "" || kid == "" {
		return nil, errors.New("the issuer and the key id are required")
	}
	return func(aud string) (string, error) {
		var b [16]byte
		if _, err := rand.Read(b[:]); err != nil {
			return "", err
		}
		now := time.Now()
		tok := jwt.NewWithClaims(method, jwt.MapClaims{
			"iss": iss, "aud": aud, "jti": hex.EncodeToString(b[:]),
			"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
		})
		tok.Header["kid"] = kid
		return tok.SignedString(key)
	}, nil
}
