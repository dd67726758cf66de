package playground

import (
	"embed"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/labelguard/labelguard/cdshooks"
	"github.com/labelguard/labelguard/engine"
)

// Prefix is where the playground lives; the page's own links are relative
// to it, and the CDS Hooks endpoints it calls are at the server root.
const Prefix = "/playground"

// DefaultMaxUploadBytes bounds an uploaded bundle. Synthea bundles of a
// whole life are about 0.7 MB; 8 MiB matches the CDS Hooks body limit.
const DefaultMaxUploadBytes = 8 << 20

// DefaultEvalTimeout bounds an explain evaluation; a runaway policy must not
// hold a playground request forever.
const DefaultEvalTimeout = 10 * time.Second

//go:embed static
var staticFS embed.FS

// Config is what the playground needs; cmd/labelguard fills it from flags.
type Config struct {
	// Policies is the active policy set, read on every call so that a hot
	// reload shows at once. Required.
	Policies *engine.Active
	// SamplesDir is laid out like policies/testdata: patients/*.json
	// (Synthea bundles) and scenarios/*.json (the scenario corpus). Empty
	// or missing offers uploads only.
	SamplesDir string
	// MaxUploadBytes bounds an uploaded bundle (and a request-building call
	// carrying one); zero means DefaultMaxUploadBytes.
	MaxUploadBytes int64
	// Now is the evaluation clock; it must be the CDS Hooks API's clock so
	// that the why panel explains the cards the page shows. Tests fix it.
	Now func() time.Time
	// EvalTimeout bounds one explain evaluation, as the API bounds a hook
	// call; zero means DefaultEvalTimeout.
	EvalTimeout time.Duration
	// Guard, when set, runs before every /playground/api route (for example
	// a network or operator check). The page and its assets are not
	// guarded: they hold no data.
	Guard gin.HandlerFunc
	// Logger gets sample-loading problems. Nothing a caller sends is ever
	// logged.
	Logger *slog.Logger
}

// Playground serves the page and its read-only endpoints.
type Playground struct {
	cfg     Config
	log     *slog.Logger
	samples *sampleIndex
}

// New indexes the samples (a broken samples directory is logged, not
// fatal: the page still works with uploads) and returns the playground.
func New(cfg Config) *Playground {
	if cfg.MaxUploadBytes <= 0 {
		cfg.MaxUploadBytes = DefaultMaxUploadBytes
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.EvalTimeout <= 0 {
		cfg.EvalTimeout = DefaultEvalTimeout
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Playground{cfg: cfg, log: log, samples: loadSamples(cfg.SamplesDir, log)}
}

// Register adds the playground's routes under /playground to r. Mount it on
// the same router as the CDS Hooks API so that the page, the API and the
// request-ID and logging middleware share one origin.
func (p *Playground) Register(r gin.IRouter) {
	r.GET(Prefix, func(c *gin.Context) { c.Redirect(http.StatusMovedPermanently, Prefix+"/") })
	r.GET(Prefix+"/", p.page)
	r.GET(Prefix+"/static/*file", p.static)
	handlers := func(h gin.HandlerFunc) []gin.HandlerFunc {
		hs := []gin.HandlerFunc{noStore}
		if p.cfg.Guard != nil {
			hs = append(hs, p.cfg.Guard)
		}
		return append(hs, h)
	}
	api := r.Group(Prefix + "/api")
	api.GET("/info", handlers(p.info)...)
	api.GET("/samples", handlers(p.listSamples)...)
	api.GET("/samples/:id", handlers(p.sampleSummary)...)
	api.POST("/summary", handlers(p.uploadSummary)...)
	api.POST("/request", handlers(p.buildRequest)...)
	api.POST("/explain", handlers(p.explain)...)
}

// Handler returns the playground alone as an http.Handler, for mounting
// beside another handler (an http.ServeMux pattern "/playground/").
func (p *Playground) Handler() http.Handler {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(gin.Recovery())
	r.NoRoute(func(c *gin.Context) { writeError(c, http.StatusNotFound, "not_found", "no such endpoint") })
	p.Register(r)
	return r
}

// The page may load only its own scripts and styles and talk only to its
// own origin: it renders text that comes from policies and patients.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"

func securityHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
}

func (p *Playground) page(c *gin.Context) {
	data, err := staticFS.ReadFile("static/index.html")
	if err != nil {
		writeError(c, http.StatusInternalServerError, "internal_error", "page missing from the binary")
		return
	}
	securityHeaders(c)
	c.Header("Cache-Control", "no-cache")
	c.Data(http.StatusOK, "text/html; charset=utf-8", data)
}

// static serves the embedded assets by name; only files in static/ exist.
func (p *Playground) static(c *gin.Context) {
	name := strings.TrimPrefix(c.Param("file"), "/")
	if name == "" || strings.Contains(name, "..") || name == "index.html" {
		writeError(c, http.StatusNotFound, "not_found", "no such asset")
		return
	}
	data, err := fs.ReadFile(staticFS, "static/"+name)
	if err != nil {
		writeError(c, http.StatusNotFound, "not_found", "no such asset")
		return
	}
	ct := mime.TypeByExtension(name[strings.LastIndexByte(name, '.'):])
	if ct == "" {
		ct = "application/octet-stream"
	}
	securityHeaders(c)
	c.Header("Cache-Control", "no-cache")
	c.Data(http.StatusOK, ct, data)
}

// noStore keeps patient summaries and requests out of browser and proxy
// caches.
func noStore(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	c.Header("X-Content-Type-Options", "nosniff")
	c.Next()
}

// writeError answers with the CDS Hooks error body the API uses, so that
// the page shows every failure the same way. Messages never echo input.
func writeError(c *gin.Context, status int, code, message string) {
	c.AbortWithStatusJSON(status, cdshooks.NewError(code, message))
}

// policies returns the active set or answers 503.
func (p *Playground) policies(c *gin.Context) *engine.PolicySet {
	var ps *engine.PolicySet
	if p.cfg.Policies != nil {
		ps = p.cfg.Policies.Load()
	}
	if ps == nil {
		writeError(c, http.StatusServiceUnavailable, "unavailable", "policies are not loaded yet")
	}
	return ps
}

// readBody reads a JSON POST body of at most limit bytes, answering 415 or
// 413 itself.
func readBody(c *gin.Context, limit int64) ([]byte, bool) {
	if ct := c.GetHeader("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			writeError(c, http.StatusUnsupportedMediaType, "unsupported_media_type", "Content-Type must be application/json or application/fhir+json")
			return nil, false
		}
	}
	tooLarge := func() ([]byte, bool) {
		writeError(c, http.StatusRequestEntityTooLarge, "request_too_large", fmt.Sprintf("body exceeds %d bytes", limit))
		return nil, false
	}
	if c.Request.ContentLength > limit {
		return tooLarge()
	}
	data, err := io.ReadAll(io.LimitReader(c.Request.Body, limit+1))
	if err != nil {
		writeError(c, http.StatusBadRequest, "invalid_request", "could not read the body")
		return nil, false
	}
	if int64(len(data)) > limit {
		return tooLarge()
	}
	return data, true
}
