package prefetch

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labelguard/labelguard/cdshooks"
	"github.com/labelguard/labelguard/facts"
)

// Defaults for the zero fields of Config.
const (
	DefaultTimeout      = 2 * time.Second
	DefaultMaxPages     = 5
	DefaultPageSize     = 100
	DefaultConcurrency  = 4
	DefaultCacheTTL     = 30 * time.Second
	DefaultCacheSize    = 512
	DefaultCacheBytes   = 32 << 20
	DefaultMaxBodyBytes = 8 << 20
)

// Config configures a Fetcher. Zero fields take the defaults above.
type Config struct {
	// Client sends the requests; nil uses a client over
	// http.DefaultTransport. The Fetcher uses a copy whose redirects are
	// confined to the FHIR server of the request, and sets no Client.Timeout
	// of its own: Timeout bounds the work instead.
	Client *http.Client
	// Timeout bounds one Fill: every key, every page, together. EHRs give up
	// on a hook after 0.5 to 2 s, so a late answer is worth nothing. A
	// shorter deadline on the Fill context wins.
	Timeout time.Duration
	// MaxPages is how many Bundle pages are read per key; results beyond
	// are reported as paging-capped.
	MaxPages int
	// PageSize is sent as _count on searches whose template has none, so
	// that servers with small default pages need fewer round trips. A
	// negative value sends no _count.
	PageSize int
	// Concurrency bounds the keys fetched at once per Fill, so one request
	// cannot open an unbounded number of connections to the EHR.
	Concurrency int
	// CacheTTL is how long a fetched result answers identical queries with
	// the same token. Negative disables the cache. The point is the burst of
	// order-select calls (one per selection) and the order-sign that
	// follows, not long-term storage of patient data.
	CacheTTL time.Duration
	// CacheSize and CacheBytes bound the cache by entries and by bytes.
	CacheSize  int
	CacheBytes int64
	// MaxBodyBytes bounds one response body.
	MaxBodyBytes int64
	// Allowed reports whether the service may send requests (and the
	// client's access token) to a fhirServer. It guards against a request
	// that points the service at an internal address (SSRF). nil refuses
	// every server.
	Allowed func(fhirServer string) bool
	// Logger receives refusals and failures: key, reason, status and the
	// server's origin. Never the access token, never the query (it holds
	// the patient id). nil discards.
	Logger *slog.Logger
}

// Fetcher fetches the prefetch keys a CDS client did not send. It is safe
// for concurrent use; create one per process so that the cache is shared.
type Fetcher struct {
	cfg    Config
	client *http.Client
	cache  *lru
	log    *slog.Logger
	now    func() time.Time
}

// NewFetcher returns a Fetcher for cfg.
func NewFetcher(cfg Config) *Fetcher {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxPages <= 0 {
		cfg.MaxPages = DefaultMaxPages
	}
	if cfg.PageSize == 0 {
		cfg.PageSize = DefaultPageSize
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.CacheTTL == 0 {
		cfg.CacheTTL = DefaultCacheTTL
	}
	if cfg.CacheSize <= 0 {
		cfg.CacheSize = DefaultCacheSize
	}
	if cfg.CacheBytes <= 0 {
		cfg.CacheBytes = DefaultCacheBytes
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	f := &Fetcher{cfg: cfg, log: cfg.Logger, now: time.Now}
	if f.log == nil {
		f.log = slog.New(slog.DiscardHandler)
	}
	var c http.Client
	if cfg.Client != nil {
		c = *cfg.Client
	}
	inner := c.CheckRedirect
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if err := confineRedirect(req, via); err != nil {
			return err
		}
		if inner != nil {
			return inner(req, via)
		}
		return nil
	}
	f.client = &c
	if cfg.CacheTTL > 0 {
		f.cache = newLRU(cfg.CacheTTL, cfg.CacheSize, cfg.CacheBytes, func() time.Time { return f.now() })
	}
	return f
}

// FillRequest is what Fill needs from one CDS Hooks request.
type FillRequest struct {
	// FHIRServer is the request's fhirServer ("" when absent).
	FHIRServer string
	// Authorization is the request's fhirAuthorization (nil when absent:
	// requests are then sent without Authorization).
	Authorization *cdshooks.FHIRAuthorization
	// PatientID is context.patientId, checked against
	// Authorization.Patient.
	PatientID string
	// Tokens fill the templates.
	Tokens Tokens
	// Templates are the service's prefetch templates by key.
	Templates map[string]string
	// Prefetch is what the client sent. It is not modified.
	Prefetch map[string]json.RawMessage
	// Allowed, when set, decides for this request instead of
	// Config.Allowed: the calling issuer's own allow-list.
	Allowed func(fhirServer string) bool
	// Horizons holds, per key, the oldest time any rule reads from its
	// results. A search that asks for the newest first (_sort=-date)
	// stops paging after a page whose entries are all older: the rest is
	// older still, and no rule would read it. A key without a horizon
	// pages to its end (or MaxPages).
	Horizons map[string]time.Time
}

// Result is the prefetch completed by Fill.
type Result struct {
	// Prefetch holds the client's values (JSON null included) plus every
	// key fetched. A key that could not be fetched stays absent, except a
	// search that failed after some pages, which keeps them (and has a
	// "partial: ..." issue). A fetched search is one Bundle with the
	// entries of all its pages; a fetched read is the resource.
	Prefetch map[string]json.RawMessage
	// Issues are fetch-failed (Detail: a Reason*, or "partial: " and one)
	// and paging-capped (Count: the entries kept) issues, sorted by key.
	Issues []facts.DataIssue
	// Fetched lists the keys Fill added to Prefetch, sorted; Completed
	// the keys the client sent as the first page of a search whose next
	// pages Fill fetched and merged in (the value is then one Bundle, as
	// for a fetched key); FromCache the keys of either answered by the
	// cache.
	Fetched   []string
	Completed []string
	FromCache []string
}

// Fill fetches, from req.FHIRServer, every key of req.Templates that
// req.Prefetch lacks, and completes every key the client sent as one page
// of a searchset Bundle with a next link: the following pages are fetched
// (with the same token, deadline and page limit, from the same server
// only) until the next links run out or the entries reach the Bundle's
// total. Other keys the client sent, as data or as null, are kept as sent.
// Every failure is reported in Result.Issues; the only error is
// ErrPatientScopeMismatch, returned with the client's prefetch unchanged and
// nothing fetched.
func (f *Fetcher) Fill(ctx context.Context, req FillRequest) (Result, error) {
	res := Result{Prefetch: make(map[string]json.RawMessage, len(req.Templates))}
	maps.Copy(res.Prefetch, req.Prefetch)
	if a := req.Authorization; a != nil && a.Patient != "" && bareID(a.Patient) != bareID(req.PatientID) {
		f.log.Warn("prefetch: refused, fhirAuthorization.patient does not match context.patientId")
		return res, ErrPatientScopeMismatch
	}
	var absent, paged []string
	sent := map[string]*bundleHead{}
	for k := range req.Templates {
		v, ok := req.Prefetch[k]
		if !ok {
			absent = append(absent, k)
			continue
		}
		if h := pagedBundle(v); h != nil {
			paged = append(paged, k)
			sent[k] = h
		}
	}
	if len(absent) == 0 && len(paged) == 0 {
		return res, nil
	}
	slices.Sort(absent)
	slices.Sort(paged)
	// Without a usable, allowed server nothing is fetched: absent keys
	// fail, and a client's page stays as sent (package fhir reports its
	// next link as paging-capped).
	failAll := func(reason string) (Result, error) {
		for _, k := range absent {
			res.Issues = append(res.Issues, facts.DataIssue{Kind: "fetch-failed", Key: k, Detail: reason})
		}
		return res, nil
	}
	if req.FHIRServer == "" {
		return failAll(ReasonNoServer)
	}
	base, err := parseBase(req.FHIRServer)
	if err != nil {
		f.log.Warn("prefetch: refused, fhirServer is not a usable URL")
		return failAll(ReasonNotAllowed)
	}
	allowed := f.cfg.Allowed
	if req.Allowed != nil {
		allowed = req.Allowed
	}
	if allowed == nil || !allowed(req.FHIRServer) {
		f.log.Warn("prefetch: refused, fhirServer is not allowed", "server", origin(base))
		return failAll(ReasonNotAllowed)
	}
	var token string
	if req.Authorization != nil {
		token = req.Authorization.AccessToken
		if !validToken(token) {
			return failAll(ReasonInvalidToken)
		}
	}

	ctx, cancel := context.WithTimeout(ctx, f.cfg.Timeout)
	defer cancel()
	job := fetchJob{base: base, token: token, digest: sha256.Sum256([]byte(token))}
	keys := append(slices.Clone(absent), paged...)
	results := make([]keyResult, len(keys))
	sem := make(chan struct{}, f.cfg.Concurrency)
	done := make(chan struct{})
	pending := len(keys)
	for i, k := range keys {
		var work func() keyResult
		if h := sent[k]; h != nil {
			work = func() keyResult { return f.completeKey(ctx, job, h, req.Horizons[k]) }
		} else {
			query, err := Render(req.Templates[k], req.Tokens)
			if err != nil {
				results[i] = keyResult{err: &fetchError{reason: ReasonRender, err: err}}
				pending--
				continue
			}
			work = func() keyResult { return f.fetchKey(ctx, job, f.withPageSize(query), req.Horizons[k]) }
		}
		go func() {
			defer func() { done <- struct{}{} }()
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
				results[i] = work()
			case <-ctx.Done():
				results[i] = keyResult{err: ctxError(ctx, ctx.Err())}
			}
		}()
	}
	for ; pending > 0; pending-- {
		<-done
	}

	for i, k := range keys {
		r := results[i]
		completing := sent[k] != nil
		if r.value != nil {
			res.Prefetch[k] = r.value
			if completing {
				res.Completed = append(res.Completed, k)
			} else {
				res.Fetched = append(res.Fetched, k)
			}
			if r.fromCache {
				res.FromCache = append(res.FromCache, k)
			}
		}
		if r.capped {
			res.Issues = append(res.Issues, facts.DataIssue{Kind: "paging-capped", Key: k, Count: r.entries,
				Detail: "more results on the server than the page limit"})
		}
		if r.err != nil {
			detail := r.err.reason
			if r.value != nil || completing {
				// A completed key keeps at least the client's page.
				detail = "partial: " + detail
			}
			res.Issues = append(res.Issues, facts.DataIssue{Kind: "fetch-failed", Key: k, Detail: detail})
			f.log.Warn("prefetch: fetch failed", "key", k, "reason", detail, "status", r.err.status,
				"server", origin(base), "err", r.err.err)
		}
	}
	slices.Sort(res.Completed)
	slices.Sort(res.FromCache)
	slices.SortStableFunc(res.Issues, func(a, b facts.DataIssue) int { return strings.Compare(a.Key, b.Key) })
	return res, nil
}

// pagedBundle returns the head of a prefetch value that is one page of a
// search with more to come: a Bundle with a next link. A byte check, then
// a decode of the links alone, spare copying the entries of the (often
// large) values that have none.
func pagedBundle(v json.RawMessage) *bundleHead {
	if !bytes.Contains(v, []byte(`"next"`)) {
		return nil
	}
	var links struct {
		ResourceType string       `json:"resourceType"`
		Link         []bundleLink `json:"link"`
	}
	if json.Unmarshal(v, &links) != nil || links.ResourceType != "Bundle" || (&bundleHead{Link: links.Link}).next() == "" {
		return nil
	}
	var h bundleHead
	if json.Unmarshal(v, &h) != nil {
		return nil
	}
	return &h
}

// withPageSize adds _count to a search that has none.
func (f *Fetcher) withPageSize(query string) string {
	if f.cfg.PageSize < 0 {
		return query
	}
	path, q, hasQ := strings.Cut(query, "?")
	if !isSearchPath(path) {
		return query
	}
	if hasQ {
		for p := range strings.SplitSeq(q, "&") {
			if strings.HasPrefix(p, "_count=") {
				return query
			}
		}
		return query + "&_count=" + strconv.Itoa(f.cfg.PageSize)
	}
	return query + "?_count=" + strconv.Itoa(f.cfg.PageSize)
}

// bareID strips a "Patient/" prefix, which clients add to either side.
func bareID(s string) string {
	return strings.TrimPrefix(strings.TrimSpace(s), "Patient/")
}

// validToken keeps a token that cannot travel in an HTTP header (control
// characters, non-ASCII) from reaching the transport, whose error would be
// less clear than ours.
func validToken(t string) bool {
	for i := 0; i < len(t); i++ {
		if t[i] < 0x20 || t[i] > 0x7e {
			return false
		}
	}
	return true
}

// parseBase checks that s is an absolute http(s) URL without credentials,
// query or fragment, and returns it without a trailing slash.
func parseBase(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return nil, errors.New("fhirServer must be an absolute http(s) URL without credentials, query or fragment")
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// origin is what logs show of the FHIR server: scheme and host.
func origin(u *url.URL) string { return u.Scheme + "://" + u.Host }
