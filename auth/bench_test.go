package auth

import (
	"context"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

func benchVerify(b *testing.B, method jwt.SigningMethod, kid string) {
	k := getKeys(b)
	c := newClock(t0)
	v := newTestVerifier(b, c, func(cfg *Config) {
		cfg.Replay = NewMemoryReplayCache(b.N+10, c.now)
	})
	tokens := make([]string, b.N)
	for i := range tokens {
		tk := baseTok(b, t0)
		tk.method, tk.header["kid"] = method, kid
		switch kid {
		case "ec384":
			tk.key = k.ec384
		default:
			tk.key = k.ec256
		}
		tokens[i] = "Bearer " + tk.sign(b)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := v.Verify(ctx, tokens[i], testPath); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyES256 measures a full verification (parse, key lookup,
// signature, claims, in-memory replay cache) of distinct ES256 tokens.
func BenchmarkVerifyES256(b *testing.B) { benchVerify(b, jwt.SigningMethodES256, "ec256") }

// BenchmarkVerifyES384 is the same for ES384, the algorithm CDS Hooks
// recommends and the Sandbox uses.
func BenchmarkVerifyES384(b *testing.B) { benchVerify(b, jwt.SigningMethodES384, "ec384") }
