package api

import (
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"

	"github.com/gin-gonic/gin"
)

// maxLoggedOrigins bounds the refused origins remembered so that each is
// logged once: a client sending a new Origin on every call must not grow
// memory or the log without bound.
const maxLoggedOrigins = 256

// maxOriginBytes bounds an origin as remembered and logged; a real one is
// a scheme and a host name.
const maxOriginBytes = 256

// corsPolicy says which browser origins may call the service. With
// authentication on, "*" is never honoured: a page on any site could then
// drive a clinician's browser (which holds no token, but a SMART app's
// page may) against the service; only the listed origins are allowed.
type corsPolicy struct {
	any     bool
	origins map[string]bool
	refused atomic.Uint64

	mu      sync.Mutex
	logged  map[string]bool
	full    bool
	log     *slog.Logger
	enabled bool
}

func newCORSPolicy(origins []string, authOn bool, log *slog.Logger) *corsPolicy {
	p := &corsPolicy{origins: map[string]bool{}, logged: map[string]bool{}, log: log}
	for _, o := range origins {
		switch {
		case o == "*" && authOn:
			log.Warn(`CORS origin "*" ignored: authentication is on, so only listed origins are allowed`)
		case o == "*":
			p.any = true
		default:
			p.origins[o] = true
		}
	}
	p.enabled = p.any || len(p.origins) > 0
	return p
}

func (p *corsPolicy) allows(origin string) bool { return p.any || p.origins[origin] }

// refuse counts a refused origin and logs it the first time it is seen,
// remembering at most maxLoggedOrigins of them.
func (p *corsPolicy) refuse(origin string) {
	p.refused.Add(1)
	if len(origin) > maxOriginBytes {
		origin = origin[:maxOriginBytes]
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.logged[origin] || p.full {
		return
	}
	if len(p.logged) >= maxLoggedOrigins {
		p.full = true
		p.log.Warn("CORS: further refused origins are not logged one by one",
			slog.Int("origins_logged", len(p.logged)))
		return
	}
	p.logged[origin] = true
	p.log.Warn("CORS origin refused: not in --cors-origins; a browser on it gets no CORS headers",
		slog.String("origin", origin))
}

// sameOrigin reports whether origin is the service's own (the playground
// page calling its endpoints): no CORS header is needed, nothing is
// refused.
func sameOrigin(origin, host string) bool {
	u, err := url.Parse(origin)
	return err == nil && u.Host != "" && u.Host == host
}

// cors answers browser clients (the CDS Hooks Sandbox, SMART apps) on the
// configured origins, including preflight. Another origin gets no CORS
// header (a preflight from it gets 403) and is logged once.
func (s *Server) cors(c *gin.Context) {
	origin := c.GetHeader("Origin")
	if origin == "" || sameOrigin(origin, c.Request.Host) {
		c.Next()
		return
	}
	p := s.corsPolicy
	if !p.allows(origin) {
		p.refuse(origin)
		if c.Request.Method == http.MethodOptions && p.enabled {
			c.AbortWithStatus(http.StatusForbidden)
			return
		}
		c.Next()
		return
	}
	h := c.Writer.Header()
	if p.any {
		h.Set("Access-Control-Allow-Origin", "*")
	} else {
		h.Set("Access-Control-Allow-Origin", origin)
		h.Add("Vary", "Origin")
	}
	h.Set("Access-Control-Expose-Headers", RequestIDHeader)
	if c.Request.Method == http.MethodOptions && c.GetHeader("Access-Control-Request-Method") != "" {
		h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
		h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, "+RequestIDHeader)
		h.Set("Access-Control-Max-Age", "600")
		c.AbortWithStatus(http.StatusNoContent)
		return
	}
	c.Next()
}
