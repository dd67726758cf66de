package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/labelguard/labelguard/internal/jsonfile"
	"github.com/labelguard/labelguard/terminology"
)

// Files of the knowledge the rules read as data.
const (
	profilesDir        = "profiles"
	profileSchemaFile  = "schema/profile.schema.json"
	documentsFile      = "data/documents.json"
	siteParamsSchema   = "schema/site-params.schema.json"
	documentsSchemaRef = "urn:labelguard:schema:profile.schema.json#/$defs/document"
)

// Profile is one target drug's knowledge, stated once as data
// (profiles/<id>.json, validated by schema/profile.schema.json): its name,
// the documents it is labelled by, and per topic the section of its label
// that a shared rule cites for it. Shared rules read the profiles
// (data.labelguard.profiles) instead of keeping maps keyed by drug name.
type Profile struct {
	ID      string `json:"id"`
	Display string `json:"display"`
	// Ingredient is the drug table's ingredient this target is a form
	// of; Route says which forms: all (oral) or the topical ones.
	Ingredient string   `json:"ingredient"`
	Route      string   `json:"route"`
	Names      []string `json:"names"`
	ValueSet   string   `json:"valueSet,omitempty"`
	// MemberOf are the class value sets the drug belongs to
	// (jak-inhibitors): its names and codes join them at load.
	MemberOf []string              `json:"memberOf,omitempty"`
	Products []terminology.Product `json:"products,omitempty"`
	// Label is the key of the document cited by default.
	Label     string                 `json:"label"`
	Documents map[string]Document    `json:"documents"`
	Sources   map[string]TopicSource `json:"sources"`
	// Reviewed is when and by whom the content was last reviewed
	// against the documents' revisions.
	Reviewed Review `json:"reviewed"`

	file string
	// siteCodes are the site terminology's codes of this target that name
	// no one product (its ingredient, brand, or a strength it does not
	// list): they join its value sets with the products' codes.
	siteCodes []string
	// raw is the whole profile as decoded JSON: what the rules read
	// (data.labelguard.profiles) and METADATA placeholders resolve
	// against, including the members the engine itself does not use.
	raw map[string]any
}

// MarshalJSON writes the whole profile, as the rules read it.
func (p *Profile) MarshalJSON() ([]byte, error) { return json.Marshal(p.raw) }

// Document is a label or guideline a card cites.
type Document struct {
	Title        string `json:"title"`
	URL          string `json:"url"`
	Jurisdiction string `json:"jurisdiction"`
	Revised      string `json:"revised,omitempty"`
	// Newer is a newer revision known but not yet reviewed.
	Newer *NewerRevision `json:"newer,omitempty"`
}

// NewerRevision is a revision of a document newer than the one the rules
// follow, known but not yet reviewed.
type NewerRevision struct {
	Revised string `json:"revised"`
	What    string `json:"what"`
	Seen    string `json:"seen"`
}

// Review is when (YYYY-MM-DD) and by whom a profile's content was last
// reviewed.
type Review struct {
	Date string `json:"date"`
	By   string `json:"by"`
}

// TopicSource is where a drug's document states a topic.
type TopicSource struct {
	Document string `json:"document"`
	Section  string `json:"section"`
}

// knowledge is what the profiles and shared documents hold.
type knowledge struct {
	profiles  map[string]*Profile
	documents map[string]Document // shared: guidelines, consensus statements
}

// loadKnowledge reads and validates the profiles and the shared documents,
// each profile merged with its members for jurisdiction (the site
// parameter; "" is the base profile alone). Every jurisdiction's merge is
// validated, not only the one in force, so that a bad EU member is refused
// at a US site too. A policy set without profiles/ has none (the engine's
// small test sets); its rules then cannot cite by topic.
func loadKnowledge(fsys fs.FS, jurisdiction string) (*knowledge, error) {
	k := &knowledge{profiles: map[string]*Profile{}, documents: map[string]Document{}}
	entries, err := fs.ReadDir(fsys, profilesDir)
	if errors.Is(err, fs.ErrNotExist) {
		return k, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", profilesDir, err)
	}
	schemaData, err := fs.ReadFile(fsys, profileSchemaFile)
	if err != nil {
		return nil, fmt.Errorf("read %s (the drug profiles are validated against it): %w", profileSchemaFile, err)
	}
	schemas, err := jsonfile.CompileSchemas(map[string][]byte{"profile.schema.json": schemaData}, map[string]string{
		"documents": `{"type": "object", "additionalProperties": false, "required": ["documents"],
		  "properties": {"$schema": {"type": "string"}, "documents": {"type": "object", "additionalProperties": {"$ref": "` + documentsSchemaRef + `"}}}}`,
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", profileSchemaFile, err)
	}
	var problems jsonfile.Problems
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		file := path.Join(profilesDir, e.Name())
		data, err := fs.ReadFile(fsys, file)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", file, err)
		}
		if _, ps := schemas["profile.schema.json"].Validate(file, data); len(ps) > 0 {
			problems = append(problems, ps...)
			continue
		}
		var base map[string]any
		if err := json.Unmarshal(data, &base); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		delete(base, "$schema")
		lines := jsonfile.Lines(data)
		variants, _ := base["jurisdictions"].(map[string]any)
		delete(base, "jurisdictions")
		var p *Profile
		for _, j := range jurisdictionsToCheck(variants, jurisdiction) {
			q, ps := mergeProfile(file, lines, base, variants, j, schemas["profile.schema.json"])
			for _, pr := range ps {
				if !slices.Contains(problems, pr) {
					problems = append(problems, pr)
				}
			}
			if q != nil && j == jurisdiction {
				p = q
			}
		}
		if p == nil {
			continue
		}
		if want := strings.TrimSuffix(e.Name(), ".json"); p.ID != want {
			problems = append(problems, jsonfile.Problem{File: file, Line: lines["/id"], Path: "id", Message: fmt.Sprintf("the profile of %q must be named profiles/%s.json (the file name is the drug's ID)", p.ID, p.ID)})
		}
		k.profiles[p.ID] = p
	}
	if data, err := fs.ReadFile(fsys, documentsFile); err == nil {
		if _, ps := schemas["documents"].Validate(documentsFile, data); len(ps) > 0 {
			problems = append(problems, ps...)
		} else {
			var doc struct {
				Documents map[string]Document `json:"documents"`
			}
			if err := json.Unmarshal(data, &doc); err != nil {
				return nil, fmt.Errorf("%s: %w", documentsFile, err)
			}
			k.documents = doc.Documents
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read %s: %w", documentsFile, err)
	}
	return k, problems.Err()
}

// Jurisdictions are the values of the site parameter jurisdiction: the
// regulators whose labels a profile may state members for.
var Jurisdictions = []string{"US", "EU"}

// jurisdictionsToCheck lists the merges to validate: every jurisdiction
// and any other the file states, the one in force last (its merge is the
// profile served).
func jurisdictionsToCheck(variants map[string]any, inForce string) []string {
	var out []string
	for _, j := range slices.Sorted(slices.Values(append(slices.Clone(Jurisdictions), slices.Collect(maps.Keys(variants))...))) {
		if j != inForce && !slices.Contains(out, j) {
			out = append(out, j)
		}
	}
	return append(out, inForce)
}

// mergeProfile merges a profile's members for jurisdiction j over its base
// and validates the result: against the schema, and that its label and
// every source name one of its documents. A problem is reported at the
// line of the variant's member when the variant states it, else at the
// base's, so that an editor finds the key that is wrong.
func mergeProfile(file string, lines map[string]int, base, variants map[string]any, j string, schema *jsonfile.Schema) (*Profile, jsonfile.Problems) {
	merged := base
	over, _ := variants[j].(map[string]any)
	if over != nil {
		merged = mergeVariant(base, over, "")
	}
	locate := func(ptr string) (int, string) {
		if over != nil {
			vptr := "/jurisdictions/" + j + ptr
			for p := vptr; strings.HasPrefix(p, "/jurisdictions/"+j+"/"); p = p[:strings.LastIndex(p, "/")] {
				if l, ok := lines[p]; ok {
					return l, strings.ReplaceAll(strings.TrimPrefix(vptr, "/"), "/", ".")
				}
			}
		}
		for p := ptr; ; p = p[:strings.LastIndex(p, "/")] {
			if l, ok := lines[p]; ok {
				return l, strings.ReplaceAll(strings.TrimPrefix(ptr, "/"), "/", ".")
			}
			if p == "" {
				return 0, strings.ReplaceAll(strings.TrimPrefix(ptr, "/"), "/", ".")
			}
		}
	}
	in := ""
	if over != nil {
		in = " (merged for jurisdiction " + j + ")"
	}
	var problems jsonfile.Problems
	bad := func(ptr, format string, args ...any) {
		line, path := locate(ptr)
		problems = append(problems, jsonfile.Problem{File: file, Line: line, Path: path, Message: fmt.Sprintf(format, args...) + in})
	}
	if over != nil {
		// The schema checked the base file; the merge is checked as a value.
		for _, sp := range schema.ValidateValue(file, nil, merged) {
			ptr := ""
			if sp.Path != "" {
				ptr = "/" + strings.ReplaceAll(sp.Path, ".", "/")
			}
			bad(ptr, "%s", sp.Message)
		}
		if len(problems) > 0 {
			return nil, problems
		}
	}
	data, err := json.Marshal(merged)
	if err != nil {
		bad("", "%v", err)
		return nil, problems
	}
	p := &Profile{file: file}
	if err := json.Unmarshal(data, p); err != nil {
		bad("", "%v", err)
		return nil, problems
	}
	if err := json.Unmarshal(data, &p.raw); err != nil {
		bad("", "%v", err)
		return nil, problems
	}
	if _, ok := p.Documents[p.Label]; !ok {
		bad("/label", "no document %q in documents (%s)", p.Label, strings.Join(slices.Sorted(maps.Keys(p.Documents)), ", "))
	}
	for _, key := range slices.Sorted(maps.Keys(p.Documents)) {
		if d := p.Documents[key]; d.Newer != nil && d.Newer.Revised <= d.Revised {
			bad("/documents/"+key+"/newer/revised", "%s is not newer than the revision the rules follow (revised %s)", d.Newer.Revised, d.Revised)
		}
	}
	for _, topic := range slices.Sorted(maps.Keys(p.Sources)) {
		if _, ok := p.Documents[p.Sources[topic].Document]; !ok {
			bad("/sources/"+topic+"/document", "no document %q in documents (%s)", p.Sources[topic].Document, strings.Join(slices.Sorted(maps.Keys(p.Documents)), ", "))
		}
	}
	return p, problems
}

// mergeVariant overlays a jurisdiction's members on a profile: objects
// merge member by member, null removes a member, anything else replaces.
// A source entry (sources.<topic>) and a document entry (documents.<key>)
// are replaced whole: a quote, its copy and its status belong to one
// document's section, and must not outlive a change of document.
func mergeVariant(base, over map[string]any, parent string) map[string]any {
	out := make(map[string]any, len(base)+len(over))
	for k, v := range base {
		out[k] = v
	}
	whole := parent == "/sources" || parent == "/documents"
	for k, v := range over {
		if v == nil {
			delete(out, k)
			continue
		}
		if vo, ok := v.(map[string]any); ok && !whole {
			if bo, ok := out[k].(map[string]any); ok {
				out[k] = mergeVariant(bo, vo, parent+"/"+k)
				continue
			}
		}
		out[k] = v
	}
	return out
}

// Drug groups a rule or package may name in custom.drugs instead of
// listing drugs, so that a drug added with its profile is reached without
// editing the rules: every oral target, every topical one, all of them.
var drugGroups = map[string]func(*Profile) bool{
	"oral":    func(p *Profile) bool { return p.Route == "oral" },
	"topical": func(p *Profile) bool { return p.Route == "topical" },
	"all":     func(*Profile) bool { return true },
}

// expandDrugs replaces the groups in a drugs list by the profiles' IDs,
// keeping the list's order and dropping repeats.
func (k *knowledge) expandDrugs(drugs []string) []string {
	var out []string
	add := func(d string) {
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	for _, d := range drugs {
		in, ok := drugGroups[d]
		if !ok {
			add(d)
			continue
		}
		for _, id := range slices.Sorted(maps.Keys(k.profiles)) {
			if in(k.profiles[id]) {
				add(id)
			}
		}
	}
	return out
}

// resolveTopics gives every topic variant its source per drug from the
// profiles, and refuses a variant whose drug has no profile or no such
// topic: the card would otherwise cite nothing, or another drug's label.
func resolveTopics(catalog map[string]*Rule, k *knowledge) []Problem {
	var problems []Problem
	for _, id := range slices.Sorted(maps.Keys(catalog)) {
		for _, v := range catalog[id].Variants {
			if v.Topic == "" {
				continue
			}
			v.Sources = map[string]Source{}
			for _, d := range v.Drugs {
				p, ok := k.profiles[d]
				if !ok {
					problems = append(problems, locatedProblem(CheckMetadata, v.Locations[0], fmt.Sprintf("rule %s cites topic %q for drug %q, which has no profile (%s/%s.json)", id, v.Topic, d, profilesDir, d)))
					continue
				}
				ts, ok := p.Sources[v.Topic]
				if !ok {
					problems = append(problems, locatedProblem(CheckMetadata, v.Locations[0], fmt.Sprintf("rule %s cites topic %q, which %s does not have (sources.%s): say where the %s label states it", id, v.Topic, p.file, v.Topic, p.Display)))
					continue
				}
				doc := p.Documents[ts.Document]
				v.Sources[d] = Source{Label: doc.Title, Section: ts.Section, URL: doc.URL, Revised: doc.Revised}
			}
		}
	}
	return problems
}

// citations is, per drug and topic, what a card's detail cites (the
// profile's document and section, the section written as card text does),
// resolved once at load so that a rule reads one entry
// (data.labelguard.citations[drug][topic], through lib.cite_topic).
func (k *knowledge) citations() map[string]map[string]map[string]string {
	out := map[string]map[string]map[string]string{}
	for id, p := range k.profiles {
		out[id] = map[string]map[string]string{}
		for topic, ts := range p.Sources {
			doc := p.Documents[ts.Document]
			out[id][topic] = map[string]string{"label": doc.Title, "url": doc.URL, "section": sectionText(ts.Section)}
		}
	}
	return out
}

// addTargets makes the drug table know each profile's drug: its names,
// value set and products join its ingredient's entry (a new ingredient
// gets one), and the entry's target (every form, for an oral profile) or
// topical target is the profile. The facts layer recognises target orders
// from the table, so a new drug needs its profile, not code.
func addTargets(t *terminology.DrugTable, k *knowledge, vs terminology.ValueSets) error {
	var problems []error
	for _, id := range slices.Sorted(maps.Keys(k.profiles)) {
		p := k.profiles[id]
		d := t.Drugs[p.Ingredient]
		if d == nil {
			d = &terminology.Drug{Display: p.Display}
			t.Drugs[p.Ingredient] = d
		}
		for _, n := range p.Names {
			if !slices.Contains(d.Names, n) {
				d.Names = append(d.Names, n)
			}
		}
		codes := slices.Clone(p.siteCodes)
		for _, pr := range p.Products {
			codes = append(codes, pr.Codes...)
		}
		for _, id := range p.MemberOf {
			if vs[id] == nil {
				problems = append(problems, fmt.Errorf("%s: memberOf %q: no valuesets/*.json has that id", p.file, id))
				continue
			}
			vs[id].Include(p.Names, codes)
		}
		if p.ValueSet == "" {
			// A new drug needs no value set file: its names and product
			// codes are its value set (allergies).
			if vs[p.ID] == nil {
				made, err := terminology.NamedValueSet(p.ID, p.Display, p.Names, codes)
				if err != nil {
					problems = append(problems, fmt.Errorf("%s: %w", p.file, err))
					continue
				}
				vs[p.ID] = made
			}
			p.ValueSet = p.ID
			p.raw["valueSet"] = p.ID
		}
		switch {
		case vs[p.ValueSet] == nil:
			problems = append(problems, fmt.Errorf("%s: valueSet %q: no valuesets/*.json has that id", p.file, p.ValueSet))
		case d.ValueSet == "":
			d.ValueSet = p.ValueSet
		case d.ValueSet != p.ValueSet:
			problems = append(problems, fmt.Errorf("%s: valueSet %q differs from ingredient %s's %q in %s", p.file, p.ValueSet, p.Ingredient, d.ValueSet, drugsFile))
		}
		for _, pr := range p.Products {
			pr.Codes = slices.Clone(pr.Codes)
			for j, c := range pr.Codes {
				sys, code := terminology.SplitCode(c)
				pr.Codes[j] = terminology.NormalizeCode(sys, code)
			}
			d.Products = append(d.Products, pr)
		}
		target := &d.Target
		if p.Route == "topical" {
			target = &d.TopicalTarget
		}
		if *target != "" && *target != p.ID {
			problems = append(problems, fmt.Errorf("%s: ingredient %s already has the %s target %q", p.file, p.Ingredient, p.Route, *target))
			continue
		}
		*target = p.ID
	}
	return errors.Join(problems...)
}

// applySite gives each profile product the site terminology's codes
// matched to it, and each profile the codes of it that name no one
// product. A code naming a profile or product the policy set lacks is
// refused, naming the terminology file and entry: it was imported
// against other profiles and would silently recognise nothing.
func applySite(k *knowledge, site *terminology.Site) error {
	if site == nil {
		return nil
	}
	var problems []error
	for i := range site.Codes {
		c := &site.Codes[i]
		if c.Profile == "" {
			continue
		}
		p := k.profiles[c.Profile]
		if p == nil {
			problems = append(problems, fmt.Errorf("%s: %s: no profile %q in the policy set (%s/%s.json): import again against these policies", site.Where(i, "profile"), c.Code, c.Profile, profilesDir, c.Profile))
			continue
		}
		if c.Product == "" {
			p.siteCodes = append(p.siteCodes, c.Key())
			continue
		}
		j := slices.IndexFunc(p.Products, func(pr terminology.Product) bool { return pr.Display == c.Product })
		if j < 0 {
			problems = append(problems, fmt.Errorf("%s: %s: %s has no product %q: import again against these policies", site.Where(i, "product"), c.Code, p.file, c.Product))
			continue
		}
		p.Products[j].Codes = append(p.Products[j].Codes, c.Key())
	}
	return errors.Join(problems...)
}

// checkProfilesMatchTargets refuses a target drug without a profile and a
// profile of no target drug: the rules read each target's profile.
func checkProfilesMatchTargets(k *knowledge, targets map[string]bool) error {
	if len(k.profiles) == 0 {
		return nil
	}
	var problems []error
	for _, t := range slices.Sorted(maps.Keys(targets)) {
		if _, ok := k.profiles[t]; !ok {
			problems = append(problems, fmt.Errorf("%s: target drug %q has no profile (%s/%s.json)", drugsFile, t, profilesDir, t))
		}
	}
	for _, id := range slices.Sorted(maps.Keys(k.profiles)) {
		if !targets[id] {
			problems = append(problems, fmt.Errorf("%s: %q is no target drug of %s (target or topicalTarget)", k.profiles[id].file, id, drugsFile))
		}
	}
	return errors.Join(problems...)
}

// ImportProfiles returns, per profile, what `labelguard terminology
// import` matches a site's RxNorm and NDC codes to: the ingredient, route,
// names and product displays.
func (ps *PolicySet) ImportProfiles() []terminology.ImportProfile {
	k := ps.tables.knowledge
	var out []terminology.ImportProfile
	for _, id := range slices.Sorted(maps.Keys(k.profiles)) {
		p := k.profiles[id]
		ip := terminology.ImportProfile{ID: p.ID, Ingredient: p.Ingredient, Route: p.Route, Names: slices.Clone(p.Names)}
		for _, pr := range p.Products {
			ip.Products = append(ip.Products, pr.Display)
		}
		out = append(out, ip)
	}
	return out
}
