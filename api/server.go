package api

import (
	"github.com/labelguard/labelguard/fhir"
	"log/slog"
	"net/http"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/labelguard/labelguard/cdshooks"
	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/metrics"
	"github.com/labelguard/labelguard/phi"
	"github.com/labelguard/labelguard/pipeline"
	"github.com/labelguard/labelguard/policyload"
	"github.com/labelguard/labelguard/prefetch"
	"github.com/labelguard/labelguard/store"
)

// Config is what the HTTP layer needs; cmd/labelguard fills it from flags.
type Config struct {
	// MaxBodyBytes bounds a request body; larger bodies get 413.
	MaxBodyBytes int64
	// Limits bound the JSON structure of a request.
	Limits cdshooks.Limits
	// CORSOrigins are the browser origins allowed to call the service;
	// "*" allows any, but only while Auth is nil. Empty disables CORS
	// headers.
	CORSOrigins []string
	// Auth verifies the CDS client's JWT on hook and feedback calls; nil
	// disables authentication (local development only).
	Auth Authenticator
	// AuthDisabled is shown on /readyz so nobody mistakes a development
	// instance for a protected one.
	AuthDisabled bool
	// Now is the evaluation clock; tests fix it.
	Now func() time.Time
	// Metrics, when set, are updated and served on /metrics.
	Metrics *metrics.Metrics
	// Fetcher fetches prefetch the client left out; nil fetches nothing.
	Fetcher *prefetch.Fetcher
	// MaxDraftOrders and MaxResources bound the draft orders and the FHIR
	// resources of one request (0: the defaults).
	MaxDraftOrders int
	MaxResources   int
	// EvalTimeout bounds policy evaluation per request; past it the answer
	// is a data.incomplete card. 0 means DefaultEvalTimeout.
	EvalTimeout time.Duration
	// Audit receives a record of every service call; nil records nothing.
	Audit Auditor
	// Store holds feedback (written before the 200) and is pinged for
	// /readyz; nil keeps feedback in the log only.
	Store store.Store
	// FeedbackTimeout bounds the write of one feedback call; past it the
	// client gets 503 with Retry-After (0: DefaultFeedbackTimeout).
	FeedbackTimeout time.Duration
	// Hasher makes the keyed hashes of patient and order identifiers.
	Hasher *phi.Hasher
	// Policies reports reload and shadow status on /status and receives
	// each outcome for shadow evaluation; nil leaves both out.
	Policies PolicyStatus
	// Playground, when set, registers the policy playground's page and
	// read-only endpoints (development and review only).
	Playground interface{ Register(gin.IRouter) }
	// FHIRAllow is the FHIR server allow-list used when authentication is
	// disabled; with authentication, each issuer's own list applies.
	FHIRAllow []string
	// MaxConcurrentCalls bounds the hook calls worked on at once (0:
	// DefaultConcurrentCallsPerCPU per CPU); QueueWait is how long a call
	// waits for a slot before it is refused with 503 (0: DefaultQueueWait;
	// negative: no waiting).
	MaxConcurrentCalls int
	QueueWait          time.Duration
	// PrefetchCache, when set, reuses the decoding of prefetch values
	// sent again unchanged; nil decodes every call.
	PrefetchCache *fhir.PrefetchCache
	// DecisionCache, when set, answers a call the rules would read as an
	// earlier one with that call's decision (cards built for each call);
	// nil evaluates every call.
	DecisionCache *pipeline.DecisionCache
	// StaleGuidanceID, when set, lists the order-select and the order-sign
	// service in discovery under this one id, as CDS Hooks' "update stale
	// guidance" describes: a client that replaces the cards of a service
	// id when the next hook of that id fires drops the order-select cards
	// at order-sign. A call to the id is answered by the service of its
	// hook; the services' own ids keep working. Empty (the default) lists
	// each service under its own id: the CDS Hooks Sandbox keys services
	// by id and would keep only one of two entries sharing one.
	StaleGuidanceID string
	// SeparateAdmin serves /metrics and /status only on AdminHandler (the
	// --admin-addr port), so that nothing routing the API port to the EHR
	// network publishes them. /healthz and /readyz answer on both.
	SeparateAdmin bool
}

// PolicyStatus is the policy manager as the HTTP layer sees it
// (*policyload.Manager).
type PolicyStatus interface {
	Status() policyload.Status
	ShadowOutcome(service string, out *pipeline.Outcome) bool
}

// DefaultEvalTimeout is far above a normal evaluation (milliseconds) and
// below the 500 ms to 2 s after which EHRs give up on a service.
const DefaultEvalTimeout = 400 * time.Millisecond

// Defaults for the structural limits: far above any real order session,
// low enough that a hostile request cannot make the service allocate much.
const (
	DefaultMaxDraftOrders = 50
	DefaultMaxResources   = 20000
)

// Admission defaults: a few calls per CPU keep every core busy while one
// call waits on the network, and a quarter of a second in the queue still
// leaves an admitted call well inside the EHR's 500 ms to 2 s.
const (
	DefaultConcurrentCallsPerCPU = 4
	DefaultQueueWait             = 250 * time.Millisecond
)

// DefaultFeedbackTimeout is how long a feedback call waits for the
// database before it answers 503: a healthy write takes milliseconds, and
// an EHR posting feedback should learn within about a second that it has
// to retry, not at its own timeout.
const DefaultFeedbackTimeout = time.Second

// FeedbackRetryAfterSeconds is the Retry-After of a feedback call that
// could not be stored: database outages last seconds to minutes, and a
// client retrying every second would only add load while it lasts.
const FeedbackRetryAfterSeconds = 5

// DefaultMaxBodyBytes fits a whole-patient prefetch with room to spare.
const DefaultMaxBodyBytes = 8 << 20

// Server serves the CDS Hooks API.
type Server struct {
	cfg      Config
	policies *engine.Active
	log      *slog.Logger
	admit    *admission
	// verify bounds JWT signature checks the same way, on its own slots:
	// an ES384 check costs about 1 ms of CPU, and unbounded checks of the
	// calls waiting for admit starved the admitted ones (at 500 calls/s on
	// 2 cores, ES256: 16,491 of 30,000 calls timed out at 10 s). Slots of
	// its own, rather than admit's, keep a verified call from holding an
	// evaluation slot while its body is still arriving; the verifier takes
	// one for the signature and replay checks (auth.WithGate), not while
	// it fetches an issuer's keys.
	verify *admission
	// failures logs rule failures once per kind, then as a count.
	failures *failureLog
	// corsPolicy holds the allowed origins and the refused ones logged.
	corsPolicy *corsPolicy
	// draining is set by Drain: readiness is off while calls are served.
	draining atomic.Bool
	// conformanceCalls counts calls kept out of the audit as a
	// conformance tester's.
	conformanceCalls atomic.Uint64
}

// New returns a Server evaluating the policy set held by policies.
func New(cfg Config, policies *engine.Active, log *slog.Logger) *Server {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.MaxDraftOrders <= 0 {
		cfg.MaxDraftOrders = DefaultMaxDraftOrders
	}
	if cfg.MaxResources <= 0 {
		cfg.MaxResources = DefaultMaxResources
	}
	if cfg.EvalTimeout <= 0 {
		cfg.EvalTimeout = DefaultEvalTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxConcurrentCalls <= 0 {
		cfg.MaxConcurrentCalls = DefaultConcurrentCallsPerCPU * runtime.GOMAXPROCS(0)
	}
	if cfg.QueueWait == 0 {
		cfg.QueueWait = DefaultQueueWait
	}
	if cfg.FeedbackTimeout <= 0 {
		cfg.FeedbackTimeout = DefaultFeedbackTimeout
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, policies: policies, log: log,
		admit:      newAdmission(cfg.MaxConcurrentCalls, cfg.QueueWait),
		verify:     newAdmission(cfg.MaxConcurrentCalls, cfg.QueueWait),
		failures:   newFailureLog(log),
		corsPolicy: newCORSPolicy(cfg.CORSOrigins, cfg.Auth != nil, log)}
	if m := cfg.Metrics; m != nil {
		m.Func("labelguard_hook_calls_in_flight", "Hook calls being worked on.", false,
			func() float64 { return float64(s.admit.inFlight()) })
		if pc := cfg.PrefetchCache; pc != nil {
			m.Func("labelguard_prefetch_cache_hits_total", "Prefetch values whose decoding was reused (sent again unchanged within the cache TTL).", true,
				func() float64 { h, _ := pc.Stats(); return float64(h) })
			m.Func("labelguard_prefetch_cache_misses_total", "Prefetch values decoded.", true,
				func() float64 { _, miss := pc.Stats(); return float64(miss) })
			m.Func("labelguard_prefetch_cache_order_hits_total", "Draft orders whose typed R4 parse was reused (the same order sent again within the cache TTL).", true,
				func() float64 { h, _ := pc.OrderStats(); return float64(h) })
			m.Func("labelguard_prefetch_cache_order_misses_total", "Draft orders of interest parsed as typed R4.", true,
				func() float64 { _, miss := pc.OrderStats(); return float64(miss) })
		}
		// Present at zero with the cache off, so that a dashboard of hit
		// rates works on every pod.
		dc := cfg.DecisionCache
		m.Func("labelguard_decision_cache_hits_total", "Hook calls answered with a cached decision (the same policy input within the decision cache TTL; cards built for the call).", true,
			func() float64 { h, _ := dc.Stats(); return float64(h) })
		m.Func("labelguard_decision_cache_misses_total", "Hook calls that looked in the decision cache and evaluated the policies.", true,
			func() float64 { _, miss := dc.Stats(); return float64(miss) })
		m.Func("labelguard_decision_cache_entries", "Decisions held by the decision cache.", false,
			func() float64 { n, _ := dc.Size(); return float64(n) })
		m.Func("labelguard_decision_cache_bytes", "Size of the decisions held (their JSON form plus a per-entry overhead), bounded by --decision-cache-bytes.", false,
			func() float64 { _, b := dc.Size(); return float64(b) })
		m.Func("labelguard_decision_cache_derived_hits_total", "Hook calls whose policy input was the one an earlier call derived from the same request data (re-timed to the call).", true,
			func() float64 { h, _ := dc.DerivedStats(); return float64(h) })
		m.Func("labelguard_decision_cache_derived_misses_total", "Hook calls that looked for a derived policy input and derived it.", true,
			func() float64 { _, miss := dc.DerivedStats(); return float64(miss) })
		m.Func("labelguard_decision_cache_derived_entries", "Derived policy inputs held by the decision cache.", false,
			func() float64 { n, _ := dc.DerivedSize(); return float64(n) })
		m.Func("labelguard_decision_cache_derived_bytes", "Estimated heap of the derived policy inputs held (twice their JSON form), bounded by --decision-cache-bytes apart from the decisions.", false,
			func() float64 { _, b := dc.DerivedSize(); return float64(b) })
		m.Func("labelguard_cors_refused_total", "Requests from a browser origin CORS does not allow (each distinct origin is logged once).", true,
			func() float64 { return float64(s.corsPolicy.refused.Load()) })
		m.Func("labelguard_conformance_calls_total", "Hook calls marked as a conformance tester's, answered and kept out of the decision audit.", true,
			func() float64 { return float64(s.conformanceCalls.Load()) })
		m.Func("labelguard_hook_calls_shed_total", "Hook and feedback calls refused with 503 because every slot (JWT verification or evaluation) stayed busy for the queue wait.", true,
			func() float64 { return float64(s.admit.shed.Load() + s.verify.shed.Load()) })
	}
	return s
}

// Drain turns readiness off (/readyz answers 503) while every call is
// still served: on SIGTERM, the load balancer stops sending new calls
// before the server stops accepting them.
func (s *Server) Drain() { s.draining.Store(true) }

// Handler returns the routes with their middleware.
func (s *Server) Handler() http.Handler {
	r := newRouter("no such endpoint", s.requestID, s.logRequests, s.observe, s.recover, s.cors)
	r.GET("/healthz", s.healthz)
	r.GET("/readyz", s.readyz)
	r.GET("/cds-services", s.discovery)
	// The same answer with a trailing slash, rather than gin's 301 to the
	// path without one: a redirect carries no CORS headers, so a browser
	// client (the CDS Hooks Sandbox) given the URL with the slash fails.
	r.GET("/cds-services/", s.discovery)
	if !s.cfg.SeparateAdmin {
		s.adminRoutes(r)
	}
	if s.cfg.Playground != nil {
		s.cfg.Playground.Register(r)
	}
	hooks := r.Group("/cds-services", s.authenticate, s.limitBody)
	hooks.POST("/:id", s.service)
	hooks.POST("/:id/feedback", s.feedback)
	return r
}

// newRouter returns a gin engine with the middleware and JSON answers for
// unknown paths (notFound) and methods.
func newRouter(notFound string, middleware ...gin.HandlerFunc) *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.Use(middleware...)
	r.NoRoute(func(c *gin.Context) {
		writeError(c, newError(http.StatusNotFound, codeNotFound, notFound, nil))
	})
	r.NoMethod(func(c *gin.Context) {
		writeError(c, newError(http.StatusMethodNotAllowed, "method_not_allowed", "method not allowed on this endpoint", nil))
	})
	return r
}
