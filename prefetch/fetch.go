package prefetch

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// fetchJob is what every key of one Fill shares.
type fetchJob struct {
	base   *url.URL
	token  string
	digest [sha256.Size]byte
}

// keyResult is the outcome for one key. value and err may both be set: a
// search that failed after some pages keeps them.
type keyResult struct {
	value     json.RawMessage
	capped    bool
	entries   int
	fromCache bool
	err       *fetchError
}

// baseKey carries the FHIR base URL of a request to the redirect check.
type baseKey struct{}

// fetchKey answers one rendered query from the cache or the server.
// horizon, when set, ends the paging of a newest-first search (see
// FillRequest.Horizons).
func (f *Fetcher) fetchKey(ctx context.Context, job fetchJob, query string, horizon time.Time) keyResult {
	ck := cacheKey{server: job.base.String(), query: query, token: job.digest}
	if f.cache != nil {
		if e, ok := f.cache.get(ck); ok {
			return keyResult{value: e.value, capped: e.capped, entries: e.entries, fromCache: true}
		}
	}
	r := f.fetchQuery(ctx, job, query, horizon)
	// Errors and partial results are not cached: the next request should
	// try again rather than inherit a transient failure.
	if f.cache != nil && r.err == nil && r.value != nil {
		f.cache.put(cacheEntry{key: ck, value: r.value, capped: r.capped, entries: r.entries})
	}
	return r
}

// fetchQuery GETs the query and, for a Bundle, follows its next links up to
// MaxPages, merging the pages into one Bundle.
func (f *Fetcher) fetchQuery(ctx context.Context, job fetchJob, query string, horizon time.Time) keyResult {
	u, err := url.Parse(job.base.String() + "/" + strings.TrimPrefix(query, "/"))
	if err != nil || !onServer(job.base, u) {
		// A template that escapes the base ("../", "//host/") is the
		// service's own error; it must still not move the token elsewhere.
		return keyResult{err: &fetchError{reason: ReasonRender, err: errors.New("query leaves the FHIR server")}}
	}
	return f.fetchPages(ctx, job, u, query, nil, horizon)
}

// completeKey fetches the pages that follow a searchset page the client
// sent (its next link), and returns the client's page and the fetched ones
// as one Bundle. The fetched pages are cached by the next link, which
// carries the query and the patient id like a rendered template does.
func (f *Fetcher) completeKey(ctx context.Context, job fetchJob, sent *bundleHead, horizon time.Time) keyResult {
	first := &mergedBundle{Type: sent.Type, Total: sent.Total, Entry: sent.Entry}
	matches, before := scanPage(sent.Entry, horizon)
	first.matches = matches
	next := sent.next()
	nu, err := url.Parse(next)
	if err != nil || !onServer(job.base, nu) {
		return first.partial(&fetchError{reason: ReasonForeignNext, err: errors.New("next link is not on the FHIR server")})
	}
	if first.complete() {
		return first.done(false) // a stale next link: the page already holds every match
	}
	ck := cacheKey{server: job.base.String(), query: nu.String(), token: job.digest}
	if f.cache != nil {
		if e, ok := f.cache.get(ck); ok {
			var rest bundleHead
			if json.Unmarshal(e.value, &rest) == nil {
				first.Entry = append(slices.Clip(first.Entry), rest.Entry...)
				r := first.done(e.capped)
				r.fromCache = true
				return r
			}
		}
	}
	if !before || !sortedNewestFirst(nu) {
		rest := f.fetchPages(ctx, job, nu, "", &mergedBundle{Type: sent.Type, Total: sent.Total, prior: matches}, horizon)
		if f.cache != nil && rest.err == nil && rest.value != nil {
			f.cache.put(cacheEntry{key: ck, value: rest.value, capped: rest.capped, entries: rest.entries})
		}
		var got bundleHead
		if rest.value != nil && json.Unmarshal(rest.value, &got) == nil {
			first.Entry = append(slices.Clip(first.Entry), got.Entry...)
		}
		r := first.done(rest.capped)
		r.err = rest.err
		return r
	}
	return first.done(false)
}

// fetchPages reads u and, for a Bundle, follows its next links up to
// MaxPages, merging the pages into one Bundle. query is the rendered
// template ("" when u is a next link), which tells a read from a search.
// merged, when set, holds what earlier pages (the client's) contributed to
// the paging decisions; only the entries read here are returned.
func (f *Fetcher) fetchPages(ctx context.Context, job fetchJob, u *url.URL, query string, merged *mergedBundle, horizon time.Time) keyResult {
	ctx = context.WithValue(ctx, baseKey{}, job.base)
	readType, readID := readTarget(query)
	newest := sortedNewestFirst(u)
	seen := map[string]bool{}
	for page := 0; ; page++ {
		body, ferr := f.get(ctx, job, u)
		if ferr != nil {
			return merged.partial(ferr)
		}
		seen[u.String()] = true
		var head bundleHead
		if err := json.Unmarshal(body, &head); err != nil {
			return merged.partial(&fetchError{reason: ReasonMalformed, err: errors.New("response is not a JSON object")})
		}
		switch {
		case head.ResourceType == "OperationOutcome" && readType != "OperationOutcome":
			return merged.partial(&fetchError{reason: ReasonOperationOutcome})
		case page == 0 && readType != "" && head.ResourceType == readType:
			if head.ID != "" && head.ID != readID {
				return keyResult{err: &fetchError{reason: ReasonMalformed, err: errors.New("read returned another resource id")}}
			}
			return keyResult{value: body}
		case head.ResourceType != "Bundle":
			return merged.partial(&fetchError{reason: ReasonMalformed, err: fmt.Errorf("expected %s, got a resource of another type", expected(readType))})
		}
		if merged == nil {
			merged = &mergedBundle{Type: head.Type, Total: head.Total}
		}
		merged.Entry = append(merged.Entry, head.Entry...)
		matches, before := scanPage(head.Entry, horizon)
		merged.matches += matches

		next := head.next()
		if next == "" || merged.complete() {
			return merged.done(false)
		}
		if newest && before {
			// Newest first, and this whole page is older than anything
			// a rule reads: so is every page after it.
			return merged.done(false)
		}
		nu, err := u.Parse(next) // relative links resolve against the page
		if err != nil || !onServer(job.base, nu) {
			return merged.partial(&fetchError{reason: ReasonForeignNext, err: errors.New("next link is not on the FHIR server")})
		}
		if seen[nu.String()] {
			return merged.done(false) // a server that links a page to itself has no more
		}
		if page+1 >= f.cfg.MaxPages {
			return merged.done(true)
		}
		u = nu
	}
}

// get sends one GET and returns the body of a 2xx answer.
func (f *Fetcher) get(ctx context.Context, job fetchJob, u *url.URL) ([]byte, *fetchError) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, &fetchError{reason: ReasonRender, err: errors.New("cannot build the request")}
	}
	req.Header.Set("Accept", "application/fhir+json")
	if job.token != "" {
		req.Header.Set("Authorization", "Bearer "+job.token)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, transportError(ctx, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		// Drain a little so the connection can be reused; the body (an
		// OperationOutcome at best) is not reported: servers have been
		// known to echo request headers into it.
		_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
		return nil, &fetchError{reason: reasonForStatus(resp.StatusCode), status: resp.StatusCode}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, f.cfg.MaxBodyBytes+1))
	if err != nil {
		return nil, transportError(ctx, err)
	}
	if int64(len(body)) > f.cfg.MaxBodyBytes {
		return nil, &fetchError{reason: ReasonTooLarge, status: resp.StatusCode}
	}
	return body, nil
}

// transportError classifies a failed exchange. The *url.Error is unwrapped
// because its message repeats the URL, and with it the patient id.
func transportError(ctx context.Context, err error) *fetchError {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var fe *fetchError
	if errors.As(err, &fe) {
		return fe // a refused redirect
	}
	if ctx.Err() != nil {
		return ctxError(ctx, err)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return &fetchError{reason: ReasonTimeout, err: err}
	}
	return &fetchError{reason: ReasonUnreachable, err: err}
}

// ctxError tells the Fill deadline (timeout) from the caller giving up.
func ctxError(ctx context.Context, err error) *fetchError {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return &fetchError{reason: ReasonTimeout, err: err}
	}
	return &fetchError{reason: ReasonCanceled, err: err}
}

// confineRedirect keeps redirects on the FHIR server of the request, so the
// access token (which Go's client forwards to the same host) goes nowhere
// else.
func confineRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 3 {
		return &fetchError{reason: ReasonUnreachable, err: errors.New("too many redirects")}
	}
	base, _ := req.Context().Value(baseKey{}).(*url.URL)
	if base == nil || !onServer(base, req.URL) {
		return &fetchError{reason: ReasonForeignNext, err: errors.New("redirect leaves the FHIR server")}
	}
	return nil
}

// onServer reports whether u is on the FHIR server at base: same scheme,
// host and port, no credentials, and a path under the base path without dot
// segments.
func onServer(base, u *url.URL) bool {
	if u.Scheme != base.Scheme || !sameHost(base, u) || u.User != nil || u.Opaque != "" {
		return false
	}
	for seg := range strings.SplitSeq(u.Path, "/") {
		if seg == "." || seg == ".." {
			return false
		}
	}
	return u.Path == base.Path || strings.HasPrefix(u.Path, base.Path+"/")
}

func sameHost(a, b *url.URL) bool {
	return strings.EqualFold(a.Hostname(), b.Hostname()) && port(a) == port(b)
}

func port(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if u.Scheme == "https" {
		return "443"
	}
	return "80"
}

// readTarget returns the resource type and id of a read ("Patient/123"),
// or "" for a search or an operation.
func readTarget(query string) (typ, id string) {
	path, _, _ := strings.Cut(query, "?")
	typ, id, ok := strings.Cut(strings.Trim(path, "/"), "/")
	if !ok || strings.Contains(id, "/") || strings.HasPrefix(id, "$") || !isResourceType(typ) {
		return "", ""
	}
	if uid, err := url.PathUnescape(id); err == nil {
		id = uid
	}
	return typ, id
}

// isSearchPath reports whether a query path is a type-level search
// ("Observation"), the only kind of request _count is added to.
func isSearchPath(path string) bool {
	return isResourceType(strings.Trim(path, "/"))
}

func expected(readType string) string {
	if readType != "" {
		return readType
	}
	return "a Bundle"
}

// bundleHead is the top of a response: enough to classify it and, for a
// Bundle, to page through it. Entries stay raw; package fhir decodes them.
type bundleHead struct {
	ResourceType string            `json:"resourceType"`
	ID           string            `json:"id"`
	Type         string            `json:"type"`
	Total        *int              `json:"total"`
	Link         []bundleLink      `json:"link"`
	Entry        []json.RawMessage `json:"entry"`
}

type bundleLink struct {
	Relation string `json:"relation"`
	URL      string `json:"url"`
}

func (h *bundleHead) next() string {
	for _, l := range h.Link {
		if l.Relation == "next" {
			return l.URL
		}
	}
	return ""
}

// mergedBundle is the Bundle handed on for a search: the first page's type
// and total and the entries of every page read, without links (they point
// into the FHIR server's paging state, which means nothing downstream).
type mergedBundle struct {
	ResourceType string            `json:"resourceType"`
	Type         string            `json:"type,omitempty"`
	Total        *int              `json:"total,omitempty"`
	Entry        []json.RawMessage `json:"entry,omitempty"`
	// matches counts the matches among Entry, and prior those of pages
	// read before these (the client's page, when completing one), for
	// the total check.
	matches, prior int
}

// complete reports whether the entries read reach the Bundle's total, the
// number of matches: servers that keep a next link on the last page (or
// a client that sends one) need not be asked for an empty page.
func (m *mergedBundle) complete() bool {
	return m.Total != nil && m.prior+m.matches >= *m.Total
}

// entryHead is what paging decisions read of an entry: whether it is a
// match (total counts matches, not _include'd resources) and the time of
// an Observation-like result.
type entryHead struct {
	Search *struct {
		Mode string `json:"mode"`
	} `json:"search"`
	Resource *struct {
		EffectiveDateTime string `json:"effectiveDateTime"`
		EffectiveInstant  string `json:"effectiveInstant"`
		EffectivePeriod   *struct {
			Start string `json:"start"`
			End   string `json:"end"`
		} `json:"effectivePeriod"`
		Issued string `json:"issued"`
	} `json:"resource"`
}

// scanPage reads a page's entries once: how many are matches (a malformed
// entry counts, so that it cannot keep paging going), and whether every one
// has a time before horizon (an entry without a usable time keeps paging
// going: where a server sorts it is not known; a zero horizon is never
// reached).
func scanPage(entries []json.RawMessage, horizon time.Time) (matches int, before bool) {
	before = !horizon.IsZero() && len(entries) > 0
	for _, raw := range entries {
		var e entryHead
		if json.Unmarshal(raw, &e) != nil {
			matches++
			before = false
			continue
		}
		if e.Search == nil || e.Search.Mode == "" || e.Search.Mode == "match" {
			matches++
		}
		if before {
			t, ok := resultTime(e)
			before = ok && t.Before(horizon)
		}
	}
	return matches, before
}

// resultTime is the latest instant a result's time can stand for: the
// effective time (a period's end, else its start), else issued; a partial
// date ("2019-06") counts as the end of its period, so that a page is
// never taken for older than it is.
func resultTime(e entryHead) (time.Time, bool) {
	r := e.Resource
	if r == nil {
		return time.Time{}, false
	}
	for _, s := range []string{r.EffectiveDateTime, r.EffectiveInstant, periodEnd(r.EffectivePeriod), r.Issued} {
		if t, ok := latestInstant(s); ok {
			return t, true
		}
	}
	return time.Time{}, false
}

func periodEnd(p *struct {
	Start string `json:"start"`
	End   string `json:"end"`
}) string {
	switch {
	case p == nil:
		return ""
	case p.End != "":
		return p.End
	}
	return p.Start
}

// latestInstant parses a FHIR date or dateTime to the end of what it
// names.
func latestInstant(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, l := range []struct {
		layout string
		span   func(time.Time) time.Time
	}{
		{time.RFC3339Nano, func(t time.Time) time.Time { return t }},
		{"2006-01-02T15:04:05", func(t time.Time) time.Time { return t }},
		{"2006-01-02", func(t time.Time) time.Time { return t.AddDate(0, 0, 1) }},
		{"2006-01", func(t time.Time) time.Time { return t.AddDate(0, 1, 0) }},
		{"2006", func(t time.Time) time.Time { return t.AddDate(1, 0, 0) }},
	} {
		if t, err := time.Parse(l.layout, s); err == nil {
			return l.span(t), true
		}
	}
	return time.Time{}, false
}

// sortedNewestFirst reports whether a search URL asks for the newest
// results first (_sort=-date), the only order in which a horizon ends the
// paging.
func sortedNewestFirst(u *url.URL) bool {
	for _, v := range u.Query()["_sort"] {
		if first, _, _ := strings.Cut(v, ","); strings.TrimSpace(first) == "-date" {
			return true
		}
	}
	return false
}

// done encodes the merged Bundle; capped says more pages remained.
func (m *mergedBundle) done(capped bool) keyResult {
	m.ResourceType = "Bundle"
	if m.Type == "" {
		m.Type = "searchset"
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return keyResult{err: &fetchError{reason: ReasonMalformed, err: err}}
	}
	return keyResult{value: bytes.TrimSpace(buf.Bytes()), capped: capped, entries: len(m.Entry)}
}

// partial returns err with whatever pages were read before it.
func (m *mergedBundle) partial(err *fetchError) keyResult {
	if m == nil {
		return keyResult{err: err}
	}
	r := m.done(false)
	r.err = err
	return r
}
