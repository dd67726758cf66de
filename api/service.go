package api

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/labelguard/labelguard/auth"
	"github.com/labelguard/labelguard/cdshooks"
	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/fhir"
	"github.com/labelguard/labelguard/pipeline"
	"github.com/labelguard/labelguard/prefetch"
)

var resourceTypeKey = []byte(`"resourceType"`)

// emptyResponse is what the service says when it has nothing to say.
var emptyResponse = cdshooks.Response{Cards: []cdshooks.Card{}}

// service answers one hook call: decode and check the request, screen the
// draft orders, derive the policy input from the prefetch, evaluate, and
// return the cards.
func (s *Server) service(c *gin.Context) {
	rec := &callRecord{start: time.Now(), now: s.cfg.Now().UTC()}
	defer func() { s.recordDecision(rec) }()
	ps := s.policies.Load()
	if ps == nil {
		writeError(c, newError(http.StatusServiceUnavailable, codeUnavailable, "policies are not loaded yet", nil))
		return
	}
	id := c.Param("id")
	svc, ok := ps.Service(id)
	// The stale-guidance id names one service per order hook: which one
	// answers is known once the body says its hook.
	var group map[string]engine.Service
	if !ok && id == s.cfg.StaleGuidanceID {
		group = s.staleGroup(ps)
	}
	if !ok && group == nil {
		writeError(c, newError(http.StatusNotFound, codeNotFound, "unknown service", nil))
		return
	}
	// The service answers one hook: a call refused before its body is
	// decoded (overloaded, unreadable, malformed) is still audited under it.
	rec.service, rec.hook, rec.revision = svc.ID, svc.Hook, ps.Revision
	if group != nil {
		rec.service = id
	}
	fail := func(err error) {
		rec.errorKind = errorCode(err)
		writeError(c, err)
	}
	addLogAttrs(c, slog.String("service", id), slog.String("policy_revision", ps.Revision))
	if s.conformanceCall(c) {
		rec.conformance = true
		s.conformanceCalls.Add(1)
		addLogAttrs(c, slog.Bool("conformance", true))
	}
	body, err := readRequestBody(c.Request, s.cfg.MaxBodyBytes)
	if err != nil {
		fail(mapReadError(err, s.cfg.MaxBodyBytes))
		return
	}
	// Every FHIR resource carries "resourceType": counting the key bounds
	// the resources before anything is decoded.
	if n := bytes.Count(body, resourceTypeKey); n > s.cfg.MaxResources {
		fail(newError(http.StatusRequestEntityTooLarge, codeTooLarge,
			fmt.Sprintf("request holds more than %d FHIR resources", s.cfg.MaxResources), nil))
		return
	}
	// The slot is taken once the body is read, so that slow uploads do not
	// hold one, and kept until the answer is written.
	release, err := s.admit.admit(c.Request.Context())
	if err != nil {
		c.Header("Retry-After", "1")
		fail(err)
		return
	}
	defer release()
	req, err := cdshooks.DecodeRequestBytes(body, s.cfg.Limits)
	if err != nil {
		fail(mapReadError(err, s.cfg.MaxBodyBytes))
		return
	}
	rec.hook, rec.hookInstance = req.Hook, req.HookInstance
	if group != nil {
		g, ok := group[req.Hook]
		if !ok {
			fail(newError(http.StatusBadRequest, cdshooks.CodeInvalidRequest,
				"hook: service "+id+" serves "+strings.Join(staleGuidanceHooks, " and "), nil))
			return
		}
		svc, rec.service = g, g.ID
		addLogAttrs(c, slog.String("evaluated_service", svc.ID))
	}
	if req.Hook != svc.Hook {
		fail(newError(http.StatusBadRequest, cdshooks.CodeInvalidRequest,
			"hook: service "+svc.ID+" serves "+svc.Hook, nil))
		return
	}
	hc, err := cdshooks.DecodeContext(req.Hook, req.Context)
	if err != nil {
		fail(err)
		return
	}
	switch {
	case hc.Order != nil:
		rec.patientID = hc.Order.PatientID
	case hc.PatientView != nil:
		rec.patientID = hc.PatientView.PatientID
	}
	pl := pipeline.Pipeline{Fetcher: s.cfg.Fetcher, Cache: s.cfg.PrefetchCache, Decisions: s.cfg.DecisionCache}
	res, err := pl.Run(c.Request.Context(), pipeline.Call{
		Policies: ps, Service: svc, Request: req, Context: hc, Now: rec.now,
		AllowFHIRServer: s.allowFHIRServer(c),
		EvalTimeout:     s.cfg.EvalTimeout,
		MaxDraftOrders:  s.cfg.MaxDraftOrders,
	})
	if err != nil {
		fail(mapFHIRError(err))
		return
	}
	rec.out = res
	if res.EvalTimedOut {
		rec.errorKind = "eval_timeout"
		s.log.Error("policy evaluation exceeded its deadline; answered data.incomplete",
			slog.String("request_id", requestID(c)), slog.String("service", svc.ID), slog.Duration("deadline", s.cfg.EvalTimeout))
	}
	if res.NoOrderOfInterest {
		addLogAttrs(c, slog.Bool("order_of_interest", false))
	}
	if res.DecisionCached {
		addLogAttrs(c, slog.Bool("decision_cached", true))
	}
	if res.DerivedCached {
		addLogAttrs(c, slog.Bool("derived_cached", true))
	}
	if res.Input != nil {
		if len(res.Input.Repairs) > 0 {
			addLogAttrs(c, slog.Any("repairs", res.Input.Repairs))
		}
		s.countDataIssues(res.Input.Input.DataIssues)
	}
	addLogAttrs(c, slog.Int("cards", len(res.Cards)), slog.Any("rules", firedRules(res)),
		slog.Float64("pipeline_ms", float64(time.Since(rec.start).Microseconds())/1000))
	s.countCards(res.Findings)
	s.recordRuleFailures(c, ps, res.Failures)
	for _, n := range res.Notes {
		s.log.Warn("policy defect", slog.String("request_id", requestID(c)), slog.String("note", n))
	}
	out, err := cdshooks.Response{Cards: orEmpty(res.Cards)}.Encode()
	if err != nil {
		fail(fmt.Errorf("encode response: %w", err))
		return
	}
	c.Data(http.StatusOK, "application/json; charset=utf-8", out)
	if s.cfg.Policies != nil && !res.NoOrderOfInterest && !rec.conformance {
		// Off the hot path: the candidate set is evaluated by a bounded
		// worker after the answer is written, and never returned.
		s.cfg.Policies.ShadowOutcome(svc.ID, res)
	}
}

// conformanceCall reports whether the call is a conformance tester's, to be
// answered as any other and kept out of the decision audit and the shadow
// evaluation (whose records land in the audit too). With authentication
// only the trusted-issuers file can say so (auth.Issuer.Conformance): a
// header any EHR could send must not take its decisions out of the audit.
// Without authentication the header is as good as anything else.
func (s *Server) conformanceCall(c *gin.Context) bool {
	if s.cfg.Auth != nil {
		p, ok := auth.FromContext(c.Request.Context())
		return ok && p.Conformance
	}
	return c.GetHeader(cdshooks.ConformanceHeader) == "true"
}

// allowFHIRServer is the SSRF guard for this call: the authenticated
// issuer's FHIR server list, or the configured list when authentication is
// disabled.
func (s *Server) allowFHIRServer(c *gin.Context) func(string) bool {
	if p, ok := auth.FromContext(c.Request.Context()); ok && p != nil {
		return p.AllowsFHIRServer
	}
	allow := s.cfg.FHIRAllow
	return func(u string) bool { return auth.FHIRServerAllowed(allow, u) }
}

// mapFHIRError gives FHIR problems their status: a draft order the service
// cannot read is the client's mistake (400); a patient that cannot be
// obtained is a failed precondition (412, per CDS Hooks).
func mapFHIRError(err error) error {
	var oe *fhir.OrderError
	switch {
	case errors.Is(err, pipeline.ErrTooManyDraftOrders):
		return newError(http.StatusBadRequest, cdshooks.CodeInvalidRequest, "context.draftOrders: too many draft orders", err)
	case errors.As(err, &oe):
		return newError(http.StatusBadRequest, codeInvalidOrder, oe.Error(), err)
	case errors.Is(err, prefetch.ErrPatientScopeMismatch):
		return newError(http.StatusPreconditionFailed, codePreconditionFailed,
			"fhirAuthorization.patient does not match context.patientId; nothing was fetched", err)
	case errors.Is(err, fhir.ErrPatientUnavailable):
		return newError(http.StatusPreconditionFailed, codePreconditionFailed,
			"the patient resource was neither prefetched nor obtainable", err)
	}
	return err
}

func firedRules(res *pipeline.Outcome) []string {
	out := make([]string, 0, len(res.Findings))
	for _, f := range res.Findings {
		out = append(out, f.Rule)
	}
	return out
}

func orEmpty(cards []cdshooks.Card) []cdshooks.Card {
	if cards == nil {
		return emptyResponse.Cards
	}
	return cards
}

// readRequestBody reads a request's body into one buffer sized by its
// Content-Length (at most limit): io.ReadAll grows from 512 bytes by
// doubling, which for a 73 KB body allocated about three times the body
// on every call, a good part of what a decision-cache hit allocated. A
// length the client misstates only costs a larger or smaller first buffer.
func readRequestBody(r *http.Request, limit int64) ([]byte, error) {
	n := r.ContentLength
	if n <= 0 || (limit > 0 && n > limit) {
		return io.ReadAll(r.Body)
	}
	buf := bytes.NewBuffer(make([]byte, 0, int(n)+bytes.MinRead))
	_, err := buf.ReadFrom(r.Body)
	return buf.Bytes(), err
}
