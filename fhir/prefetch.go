package fhir

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/labelguard/labelguard/facts"
)

// prefetchTypes are the resource types the rules read; others are ignored.
var prefetchTypes = map[string]bool{
	"Patient": true, "Condition": true, "MedicationRequest": true, "MedicationStatement": true,
	"Medication": true, "Immunization": true, "AllergyIntolerance": true, "Observation": true,
}

// maxBundleDepth bounds Bundles inside Bundles (a batch-response holding
// searchsets); deeper nesting is not a shape any EHR sends.
const maxBundleDepth = 4

// item is one decoded prefetch resource.
type item struct {
	key string // the prefetch key it came from (the first, if repeated)
	ref string // "Type/id"
	r   *resource
}

// store holds the prefetch after decoding: resources of interest in
// document order (keys in sorted order), each Type/id once.
type store struct {
	items   []*item
	byRef   map[string]*item
	fullURL map[string]string // Bundle.entry.fullUrl -> "Type/id"
	issues  map[facts.DataIssue]int
	order   []facts.DataIssue // issues in first-seen order, Count zero
	repairs []string
}

func newStore() *store {
	return &store{byRef: map[string]*item{}, fullURL: map[string]string{}, issues: map[facts.DataIssue]int{}}
}

func (s *store) issue(kind, key, detail string, n int) {
	k := facts.DataIssue{Kind: kind, Key: key, Detail: detail}
	if _, ok := s.issues[k]; !ok {
		s.order = append(s.order, k)
	}
	s.issues[k] += n
}

func (s *store) dataIssues() []facts.DataIssue {
	var out []facts.DataIssue
	for _, k := range s.order {
		d := k
		if k.Kind == "dropped" || k.Kind == "fetch-failed" {
			d.Count = s.issues[k]
		}
		out = append(out, d)
	}
	slices.SortStableFunc(out, func(a, b facts.DataIssue) int {
		if c := strings.Compare(a.Key, b.Key); c != 0 {
			return c
		}
		if c := strings.Compare(a.Kind, b.Kind); c != 0 {
			return c
		}
		return strings.Compare(a.Detail, b.Detail)
	})
	return out
}

// envelope is the outline of a prefetch value: a Bundle, a single resource,
// or a response wrapper ({"resource": ...} or {"response": ..., "resource":
// ...}, as some EHRs send a read result).
type envelope struct {
	ResourceType string            `json:"resourceType"`
	Total        json.RawMessage   `json:"total"`
	Entry        json.RawMessage   `json:"entry"`
	Link         []json.RawMessage `json:"link"`
	Resource     json.RawMessage   `json:"resource"`
	Response     *struct {
		Status string `json:"status"`
	} `json:"response"`
}

type bundleEntry struct {
	FullURL  string          `json:"fullUrl"`
	Resource json.RawMessage `json:"resource"`
	Search   notMatch        `json:"search"`
}

// bundleTotal reads Bundle.total, when it is a number.
func bundleTotal(raw json.RawMessage) (float64, bool) {
	n, err := strconv.ParseFloat(string(bytes.TrimSpace(raw)), 64)
	return n, err == nil
}

// addValue decodes one prefetch value. null is "no data" (docs/clinical/conventions.md#no-data).
func (s *store) addValue(key string, raw json.RawMessage) {
	if isNull(raw) {
		return
	}
	switch jsonKind(raw) {
	case '{':
		s.addObject(key, raw, "", 0)
	case '[':
		// Not a FHIR shape, but a list of resources is unambiguous.
		var list []json.RawMessage
		if decodeLight(raw, &list) != nil {
			s.issue("dropped", key, "not a FHIR resource", 1)
			return
		}
		s.repairs = append(s.repairs, fmt.Sprintf("prefetch %s: a JSON array, read as a list of resources", safeKey(key)))
		for _, e := range list {
			if isNull(e) {
				continue
			}
			s.addObject(key, e, "", 1)
		}
	default:
		s.issue("dropped", key, "not a FHIR resource", 1)
	}
}

func (s *store) addObject(key string, raw json.RawMessage, fullURL string, depth int) {
	if depth > maxBundleDepth {
		s.issue("dropped", key, "Bundle nested too deep", 1)
		return
	}
	// Fast path: most objects are resources that say what they are
	// first. A type the rules do not read (Claim, Encounter...) costs no
	// decoding at all, and one they read is decoded once.
	rt, ok := peekResourceType(raw)
	if ok && rt != "Bundle" && rt != "OperationOutcome" {
		if prefetchTypes[rt] {
			s.addResource(key, raw, fullURL)
		}
		return
	}
	if (!ok || rt == "Bundle") && s.addFast(key, raw, fullURL) {
		return
	}
	var env envelope
	if jsonKind(raw) != '{' || decodeLight(raw, &env) != nil {
		// Wrong types in the outline: read it as a resource, which
		// counts it as dropped if it is one of interest.
		s.addResource(key, raw, fullURL)
		return
	}
	switch {
	case env.ResourceType == "Bundle":
		s.addBundle(key, &env, depth)
	case env.ResourceType == "OperationOutcome" && depth == 0:
		// An outcome instead of the data: the fetch failed, whatever
		// the severity.
		s.issue("fetch-failed", key, "OperationOutcome", 1)
	case env.ResourceType == "" && !isNull(env.Resource):
		s.repairs = append(s.repairs, fmt.Sprintf("prefetch %s: response wrapper, resource read", safeKey(key)))
		s.addObject(key, env.Resource, fullURL, depth+1)
	case env.ResourceType == "" && env.Response != nil:
		// A wrapper with a response and no resource: the read failed.
		s.issue("fetch-failed", key, "response without resource", 1)
	case env.ResourceType == "" && !isNull(env.Entry):
		s.repairs = append(s.repairs, fmt.Sprintf("prefetch %s: Bundle without resourceType, read as a Bundle", safeKey(key)))
		s.addBundle(key, &env, depth)
	default:
		s.addResource(key, raw, fullURL)
	}
}

// addBundle reads a Bundle of any type: searchset, collection, transaction,
// batch-response, $everything output. Entries without a resource (a
// transaction-response status) carry nothing to read.
func (s *store) addBundle(key string, env *envelope, depth int) {
	matches := 0
	defer func() { s.addBundlePaging(key, env.Link, env.Total, matches) }()
	if isNull(env.Entry) {
		return
	}
	var entries []json.RawMessage
	if err := decodeLight(env.Entry, &entries); err != nil {
		s.issue("dropped", key, "Bundle.entry is not an array", 1)
		return
	}
	for _, e := range entries {
		if isNull(e) {
			continue
		}
		var be bundleEntry
		if decodeLight(e, &be) != nil {
			s.issue("dropped", key, "invalid Bundle entry", 1)
			matches++ // it was sent, and counted by total
			continue
		}
		if !be.Search {
			matches++
		}
		s.addEntry(key, &be, depth)
	}
}

// noteTotalShort is the paging-capped detail of a Bundle that has fewer
// matches than its total says and no next link to fetch them by.
const noteTotalShort = "the Bundle's total exceeds its entries, and it has no next link"

// addBundlePaging reports a search whose results are missing: a next link
// the sender did not follow, or a total larger than the matches sent.
func (s *store) addBundlePaging(key string, links []json.RawMessage, total json.RawMessage, matches int) {
	for _, l := range links {
		var link struct {
			Relation string `json:"relation"`
		}
		if decodeLight(l, &link) == nil && link.Relation == "next" {
			// The sender stopped paging: results are missing.
			s.issue("paging-capped", key, "", 0)
			return
		}
	}
	if n, ok := bundleTotal(total); ok && n > float64(matches) {
		s.issue("paging-capped", key, noteTotalShort, 0)
	}
}

func (s *store) addEntry(key string, be *bundleEntry, depth int) {
	if be == nil || isNull(be.Resource) {
		return
	}
	if jsonKind(be.Resource) != '{' {
		s.issue("dropped", key, "not a FHIR resource", 1)
		return
	}
	s.addObject(key, be.Resource, be.FullURL, depth+1)
}

// peekResourceType reads resourceType when it is the first member of the
// object, as FHIR JSON writes it. ok is false otherwise (then the caller
// decodes the object to find out).
func peekResourceType(raw json.RawMessage) (string, bool) {
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return "", false
	}
	i = skipSpace(raw, i+1)
	const k = `"resourceType"`
	if !bytes.HasPrefix(raw[i:], []byte(k)) {
		return "", false
	}
	i = skipSpace(raw, i+len(k))
	if i >= len(raw) || raw[i] != ':' {
		return "", false
	}
	i = skipSpace(raw, i+1)
	if i >= len(raw) || raw[i] != '"' {
		return "", false
	}
	end := bytes.IndexByte(raw[i+1:], '"')
	if end < 0 {
		return "", false
	}
	v := raw[i+1 : i+1+end]
	if bytes.IndexByte(v, '\\') >= 0 {
		return "", false // escaped: let the decoder read it
	}
	return string(v), true
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// fastValue decodes a whole prefetch value in one pass: a Bundle with its
// resources, or a single resource (the resource fields are promoted; a
// resource has no entry member, and Patient.link decodes as raw links).
type fastValue struct {
	resource
	Link  []json.RawMessage `json:"link"`
	Total json.RawMessage   `json:"total"`
	Entry []*struct {
		FullURL  string    `json:"fullUrl"`
		Resource *resource `json:"resource"`
		Search   notMatch  `json:"search"`
	} `json:"entry"`
}

// addFast reads a Bundle, or a single resource whose resourceType is not
// its first member (as encoders that sort keys write it), with a single
// json.Unmarshal: encoding/json validates and scans its input once per
// call, so decoding the outline, then each entry, then each resource
// would scan every byte several times. It reports false, having added
// nothing, when the value needs the member-by-member path: a wrong JSON
// type somewhere (which must be counted against the right resource), a
// nested Bundle, an entry or value without resourceType (a response
// wrapper), or an OperationOutcome in place of the data.
func (s *store) addFast(key string, raw json.RawMessage, fullURL string) bool {
	var v fastValue
	if jsonKind(raw) != '{' || decodeLight(raw, &v) != nil {
		return false
	}
	switch rt := v.ResourceType; rt {
	case "", "OperationOutcome":
		return false
	case "Bundle":
	default:
		if prefetchTypes[rt] {
			r := v.resource
			s.addDecoded(key, &r, nil, fullURL)
		}
		return true
	}
	for _, e := range v.Entry {
		if e != nil && e.Resource != nil && (e.Resource.ResourceType == "Bundle" || e.Resource.ResourceType == "") {
			return false
		}
	}
	matches := 0
	for _, e := range v.Entry {
		if e != nil && !e.Search {
			matches++
		}
		if e != nil && e.Resource != nil {
			s.addDecoded(key, e.Resource, nil, e.FullURL)
		}
	}
	s.addBundlePaging(key, v.Link, v.Total, matches)
	return true
}

// addResource decodes one resource and keeps it if the rules read its type.
func (s *store) addResource(key string, raw json.RawMessage, fullURL string) {
	r := &resource{}
	s.addDecoded(key, r, decodeLight(raw, r), fullURL)
}

func (s *store) addDecoded(key string, r *resource, err error, fullURL string) {
	switch {
	case r.ResourceType == "":
		s.issue("dropped", key, "missing resourceType", 1)
		return
	case r.ResourceType == "OperationOutcome":
		// An outcome inside a Bundle is usually a warning; only an
		// error means that results are missing.
		for _, is := range r.Issue {
			if is.Severity == "error" || is.Severity == "fatal" {
				s.issue("fetch-failed", key, "OperationOutcome", 1)
				break
			}
		}
		return
	case !prefetchTypes[r.ResourceType]:
		return
	case err != nil:
		s.issue("dropped", key, "invalid "+r.ResourceType, 1)
		return
	}
	if r.ID == "" {
		r.ID = idFromURL(fullURL, r.ResourceType)
	}
	if r.ID == "" {
		s.issue("dropped", key, "missing id", 1)
		return
	}
	ref := r.ResourceType + "/" + r.ID
	if fullURL != "" {
		if _, ok := s.fullURL[fullURL]; !ok {
			s.fullURL[fullURL] = ref
		}
	}
	if _, dup := s.byRef[ref]; dup {
		return // the same resource from another key or page counts once
	}
	it := &item{key: key, ref: ref, r: r}
	s.items = append(s.items, it)
	s.byRef[ref] = it
}

// idFromURL takes the id from a fullUrl: urn:uuid:<id> (Synthea), or an
// absolute URL ending in <Type>/<id>.
func idFromURL(u, typ string) string {
	if id, ok := strings.CutPrefix(u, "urn:uuid:"); ok {
		return id
	}
	if i := strings.Index(u, "/"+typ+"/"); i >= 0 {
		id := u[i+len(typ)+2:]
		if j := strings.IndexByte(id, '/'); j >= 0 {
			id = id[:j]
		}
		return id
	}
	return ""
}

// resolve turns a reference into "Type/id": a Bundle fullUrl (urn:uuid:,
// absolute), a relative reference, or an absolute URL ending in Type/id.
// Contained ("#x") and unresolvable references yield "".
func (s *store) resolve(ref string) string {
	ref = strings.TrimSpace(ref)
	if ref == "" || strings.HasPrefix(ref, "#") {
		return ""
	}
	if r, ok := s.fullURL[ref]; ok {
		return r
	}
	if strings.HasPrefix(ref, "urn:") {
		return ""
	}
	if i := strings.Index(ref, "/_history/"); i >= 0 {
		ref = ref[:i]
	}
	// The last two segments, "Type/id", are a substring of ref: slicing
	// it allocates nothing (this runs for every resource of a call).
	i := strings.LastIndexByte(ref, '/')
	if i < 0 {
		return ""
	}
	j := strings.LastIndexByte(ref[:i], '/')
	typ, id := ref[j+1:i], ref[i+1:]
	if typ == "" || id == "" || typ[0] < 'A' || typ[0] > 'Z' {
		return ""
	}
	return ref[j+1:]
}

// medication resolves a Medication reference in the prefetch.
func (s *store) medication(ref string) *medication {
	it := s.byRef[s.resolve(ref)]
	if it == nil || it.r.ResourceType != "Medication" {
		return nil
	}
	return &medication{ResourceType: "Medication", ID: it.r.ID, Code: it.r.Code, Form: it.r.Form}
}

// safeKey keeps prefetch keys (chosen by the service, not the patient) in
// notes, but bounds them.
func safeKey(k string) string {
	if len(k) > 64 {
		return k[:64]
	}
	return k
}
