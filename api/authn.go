package api

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/labelguard/labelguard/auth"
	"github.com/labelguard/labelguard/cdshooks"
)

// Authenticator verifies the CDS client's JWT on a request to the endpoint
// path; *auth.Verifier is the implementation.
type Authenticator interface {
	VerifyRequest(r *http.Request, endpointPath string) (*auth.Principal, error)
}

// authenticate lets a hook or feedback call through only with a valid JWT
// from a trusted issuer. A failure answers 401 with a WWW-Authenticate
// challenge and no detail; the reason goes to the log, never the token.
// Token checks run under their own admission bound (Server.verify): past
// capacity a call is refused with 503 before its signature is checked.
func (s *Server) authenticate(c *gin.Context) {
	if s.cfg.Auth == nil {
		c.Next()
		return
	}
	// The verifier takes a verification slot once the issuer's key is
	// known, for the signature and replay checks: a key set fetch from a
	// slow issuer holds none.
	r := c.Request.WithContext(auth.WithGate(c.Request.Context(), s.verify.admit))
	p, err := s.cfg.Auth.VerifyRequest(r, c.Request.URL.Path)
	if errors.Is(err, errOverloaded) {
		c.Header("Retry-After", "1")
		writeError(c, err)
		return
	}
	if err != nil {
		level := slog.LevelWarn
		if auth.IsServerSide(err) {
			level = slog.LevelError
		}
		// What the check expected and what came (iss, aud, tenant, the
		// time claims...), so that a misconfigured EHR or base URL can be
		// told from an attack; never the token.
		attrs := append([]slog.Attr{slog.String("request_id", requestID(c)), slog.String("reason", err.Error())}, auth.LogAttrs(err)...)
		s.log.LogAttrs(c.Request.Context(), level, "authentication failed", attrs...)
		c.Set(logErrorKey, "authentication failed")
		c.Header("WWW-Authenticate", auth.Challenge(err))
		c.AbortWithStatusJSON(http.StatusUnauthorized, cdshooks.NewError("unauthorized", "a valid bearer token from a trusted CDS client is required"))
		return
	}
	addLogAttrs(c, slog.String("iss", p.Issuer))
	c.Request = c.Request.WithContext(auth.NewContext(c.Request.Context(), p))
	c.Next()
}
