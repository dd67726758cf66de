package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// adminRoutes registers the operator's endpoints: /metrics and /status.
// They go on the API handler unless Config.SeparateAdmin moves them to
// AdminHandler.
func (s *Server) adminRoutes(r gin.IRoutes) {
	if s.cfg.Metrics != nil {
		r.GET("/metrics", gin.WrapH(promhttp.HandlerFor(s.cfg.Metrics.Registry, promhttp.HandlerOpts{})))
	}
	if s.cfg.Policies != nil {
		r.GET("/status", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"policies": s.cfg.Policies.Status()}) })
	}
}

// AdminHandler serves the operator's port (--admin-addr): /metrics,
// /status, and /healthz and /readyz as on the API port, so that probes
// and scrapes can target a port that no Ingress or EHR network policy
// exposes. Its requests are logged like the API's but not counted in
// labelguard_http_requests_total, which describes the API port.
func (s *Server) AdminHandler() http.Handler {
	r := newRouter("no such endpoint on the admin port", s.requestID, s.logRequests, s.recover)
	r.GET("/healthz", s.healthz)
	r.GET("/readyz", s.readyz)
	s.adminRoutes(r)
	return r
}
