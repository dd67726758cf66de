package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/labelguard/labelguard/auth"
	"github.com/labelguard/labelguard/cdshooks"
	"github.com/labelguard/labelguard/store"
)

// feedback validates CDS Hooks feedback for a known service and writes it
// to the store before answering 200, so that an acknowledged outcome is
// never lost. Feedback for a card the service never issued is stored and
// flagged by the store, not dropped. The write gets FeedbackTimeout: a
// database that does not answer gets the client a 503 with Retry-After
// rather than a connection held until the network gives up. A write that
// timed out may still commit; the client's retry is then skipped as a
// duplicate by the store, so nothing is stored twice.
func (s *Server) feedback(c *gin.Context) {
	ps := s.policies.Load()
	if ps == nil {
		writeError(c, newError(http.StatusServiceUnavailable, codeUnavailable, "policies are not loaded yet", nil))
		return
	}
	id := c.Param("id")
	if _, ok := ps.Service(id); !ok && (id != s.cfg.StaleGuidanceID || s.staleGroup(ps) == nil) {
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
	if s.cfg.Store != nil {
		ctx, cancel := context.WithTimeout(c.Request.Context(), s.cfg.FeedbackTimeout)
		unknown, err := s.cfg.Store.InsertFeedback(ctx, feedbackRecords(c, id, fb, s.cfg.Now().UTC()))
		cancel()
		switch {
		case errors.Is(err, store.ErrInvalid):
			writeError(c, newError(http.StatusBadRequest, cdshooks.CodeInvalidRequest, "feedback: "+err.Error(), err))
			return
		case err != nil:
			c.Header("Retry-After", strconv.Itoa(FeedbackRetryAfterSeconds))
			writeError(c, newError(http.StatusServiceUnavailable, codeUnavailable,
				"feedback could not be stored; retry later", err))
			return
		}
		if unknown > 0 {
			addLogAttrs(c, slog.Int("unknown_cards", unknown))
		}
	}
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

// feedbackRecords maps decoded feedback to store records, with the calling
// issuer when the client authenticated.
func feedbackRecords(c *gin.Context, service string, fb *cdshooks.Feedback, now time.Time) []store.Feedback {
	issuer := ""
	if p, ok := auth.FromContext(c.Request.Context()); ok && p != nil {
		issuer = p.Issuer
	}
	out := make([]store.Feedback, 0, len(fb.Feedback))
	for _, e := range fb.Feedback {
		r := store.Feedback{
			CardUUID: e.Card, Service: service, Outcome: e.Outcome,
			OutcomeTime: e.OutcomeTimestamp, ReceivedAt: now, Issuer: issuer,
		}
		for _, a := range e.AcceptedSuggestions {
			r.AcceptedSuggestions = append(r.AcceptedSuggestions, a.ID)
		}
		if o := e.OverrideReason; o != nil {
			r.UserComment = o.UserComment
			if o.Reason != nil {
				r.ReasonSystem, r.ReasonCode, r.ReasonDisplay = o.Reason.System, o.Reason.Code, o.Reason.Display
			}
		}
		out = append(out, r)
	}
	return out
}
