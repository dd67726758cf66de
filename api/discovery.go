package api

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/labelguard/labelguard/cdshooks"
)

// discovery lists the services of the active policy set: discovery is
// generated from the policies, never hand-written.
func (s *Server) discovery(c *gin.Context) {
	ps := s.policies.Load()
	if ps == nil {
		writeError(c, newError(http.StatusServiceUnavailable, codeUnavailable, "policies are not loaded yet", nil))
		return
	}
	c.JSON(http.StatusOK, cdshooks.Discovery{Services: s.discoveryServices(ps)})
}

// healthz says the process is alive; it checks nothing else.
func (s *Server) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

// readyz is ready once a policy set is compiled and active, until Drain.
// Optional dependencies are reported in the body but never make it
// unready: hooks keep answering without them.
func (s *Server) readyz(c *gin.Context) {
	if s.draining.Load() {
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "draining"})
		return
	}
	ps := s.policies.Load()
	body := gin.H{}
	checks := gin.H{}
	status := http.StatusOK
	if ps == nil {
		status = http.StatusServiceUnavailable
		body["status"] = "not ready"
		checks["policies"] = gin.H{"status": "not loaded"}
	} else {
		body["status"] = "ready"
		checks["policies"] = gin.H{"status": "ok", "revision": ps.Revision, "rules": len(ps.Catalog), "services": len(ps.Services)}
	}
	if s.cfg.Store != nil {
		ctx, cancel := context.WithTimeout(c.Request.Context(), time.Second)
		err := s.cfg.Store.Ping(ctx)
		cancel()
		db := gin.H{"status": "ok", "backend": s.cfg.Store.Backend()}
		if err != nil {
			// Reported, never fatal: hooks keep answering while the audit
			// queue buffers.
			db = gin.H{"status": "unavailable", "backend": s.cfg.Store.Backend(), "error": "database did not answer"}
		}
		checks["database"] = db
	}
	if s.cfg.Audit != nil {
		if q, ok := s.cfg.Audit.(interface{ Depth() int }); ok {
			checks["auditQueue"] = gin.H{"depth": q.Depth()}
		}
	}
	if s.cfg.AuthDisabled {
		checks["authentication"] = gin.H{"status": "disabled", "warning": "authentication is disabled: for local development only"}
	}
	body["checks"] = checks
	c.JSON(status, body)
}
