package api

import (
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/facts"
)

// observe records request counts and latency. The service label is the
// service ID only when the active policy set knows it, so that a client
// cannot create label values by calling made-up paths.
func (s *Server) observe(c *gin.Context) {
	if s.cfg.Metrics == nil {
		c.Next()
		return
	}
	start := time.Now()
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	service := ""
	if id := c.Param("id"); id != "" {
		service = "unknown"
		if ps := s.policies.Load(); ps != nil {
			if _, ok := ps.Service(id); ok {
				service = id
			}
		}
	}
	m := s.cfg.Metrics
	m.Requests.WithLabelValues(route, service, strconv.Itoa(c.Writer.Status())).Inc()
	m.RequestDuration.WithLabelValues(route, service).Observe(time.Since(start).Seconds())
}

// countDataIssues records what could not be obtained, by kind and key.
func (s *Server) countDataIssues(issues []facts.DataIssue) {
	if s.cfg.Metrics == nil {
		return
	}
	for _, d := range issues {
		s.cfg.Metrics.DataIncomplete.WithLabelValues(d.Kind, d.Key).Inc()
	}
}

// countCards records the cards of one response by rule and indicator.
func (s *Server) countCards(findings []engine.Finding) {
	if s.cfg.Metrics == nil {
		return
	}
	for _, f := range findings {
		s.cfg.Metrics.Cards.WithLabelValues(f.Rule, f.Indicator).Inc()
	}
}
