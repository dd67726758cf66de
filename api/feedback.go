package api

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/labelguard/labelguard/cdshooks"
)

// feedback validates CDS Hooks feedback for a known service. Durable
// storage is the audit store's job; until it is configured the outcome is
// logged by card UUID and outcome only.
func (s *Server) feedback(c *gin.Context) {
	ps := s.policies.Load()
	if ps == nil {
		writeError(c, newError(http.StatusServiceUnavailable, codeUnavailable, "policies are not loaded yet", nil))
		return
	}
	id := c.Param("id")
	if _, ok := ps.Service(id); !ok {
		writeError(c, newError(http.StatusNotFound, codeNotFound, "unknown service", nil))
		return
	}
	fb, err := cdshooks.DecodeFeedback(c.Request.Body, s.cfg.Limits)
	if err != nil {
		writeError(c, mapReadError(err, s.cfg.MaxBodyBytes))
		return
	}
	accepted, overridden := 0, 0
	for _, e := range fb.Feedback {
		if e.Outcome == "accepted" {
			accepted++
		} else {
			overridden++
		}
	}
	addLogAttrs(c, slog.String("service", id), slog.Int("accepted", accepted), slog.Int("overridden", overridden))
	c.Status(http.StatusOK)
}

// mapReadError turns a body that broke the size limit into a 413; other
// errors go through writeError's mapping unchanged.
func mapReadError(err error, limit int64) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return tooLarge(limit)
	}
	return err
}
