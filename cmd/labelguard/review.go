package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/url"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/terminology"
)

// Review statuses: a code or a label section is verified when someone
// checked it against its source and the data says how; anything else
// awaits a clinician's or a terminologist's sign-off.
const (
	statusVerified = "verified"
	statusAwaiting = "awaiting-review"
)

// reviewFile records which codes were verified and how (policies carry it,
// so a site's own set and a bundle carry its sign-offs). A code it does
// not name awaits review.
const reviewFile = "data/review.json"

// The sections of the review, in the order the document lists them.
var reviewSections = []struct{ id, title, intro string }{
	{"label-changes", "Label changes", "The items of issue 27 (a review of the rule catalog against the US PI and the EU SmPC), from `policies/data/label-changes.json`: what a stored copy of the label says, where it was read and the revision the copy shows; `implemented` when behaviour changed on that quote, `recorded` when a revision is noted without a behaviour change, `unconfirmed` when no source confirms it (behaviour unchanged). Counted verified when implemented; everything else awaits sign-off."},
	{"jurisdiction-gaps", "Citations across jurisdictions", "Per drug and jurisdiction (the site parameter `jurisdiction`), the topics whose card cites a document of another jurisdiction, because the profile states no section of its own jurisdiction's document for them (`jurisdictions.<J>.sources`): until a reviewer adds one, a card there cites, say, the US PI at an EU site. Baricitinib's atopic dermatitis content is the EU SmPC's in both (not FDA-approved for it)."},
	{"documents", "Label documents", "Each document a card cites, with the revision the rules follow (`revised`); a document's `status: verified` and `seen` record that the revision was checked against the publisher's current document."},
	{"sections", "Label sections", "Per drug and topic, the section of its own label a shared rule cites (the profile's `sources`): verified when the sentence was read in a copy of the document (`seen`)."},
	{"valueset-codes", "Value set codes", "The codes and code filters of each value set (`valuesets/*.json`), excluded ones marked."},
	{"lab-codes", "Lab codes", "The codes of each analyte of the lab table (the services' observations prefetch asks for them too), then each panel a suggestion orders whose code is not already a result's."},
	{"product-codes", "Product codes", "The codes of each product in the profiles and the drug table. They are site data, imported from the site's own terminology; none is shipped from memory."},
}

// reviewRow is one thing a clinician or terminologist signs off.
type reviewRow struct {
	Section string `json:"section"`
	What    string `json:"what"`
	// Value is the code (as "SYSTEM code") or the date.
	Value string `json:"value"`
	// Key is the code as data/review.json names it ("system|code").
	Key string `json:"key,omitempty"`
	// Source is the file that states it; URL the document it comes from.
	Source string `json:"source"`
	URL    string `json:"url,omitempty"`
	// Document names the document of a label section (its key in the
	// profile).
	Document string `json:"document,omitempty"`
	Status   string `json:"status"`
	// How says how it was verified (a note, or the copy a section was
	// read in).
	How string `json:"how,omitempty"`
	// Quotes (label changes) are the label text read, each with its copy
	// and revision, as markdown; Awaiting is what awaits sign-off.
	Quotes   []string `json:"quotes,omitempty"`
	Awaiting string   `json:"awaiting,omitempty"`
}

// labelChangesFile lists the label changes of a review of the catalog
// against the labels: what each source says and what changed.
const labelChangesFile = "data/label-changes.json"

// labelChange is one item of data/label-changes.json.
type labelChange struct {
	ID      string   `json:"id"`
	Item    string   `json:"item"`
	Status  string   `json:"status"`
	Rules   []string `json:"rules"`
	Sources []struct {
		Document string `json:"document"`
		URL      string `json:"url"`
		Revised  string `json:"revised"`
		Quote    string `json:"quote"`
	} `json:"sources"`
	Change   string `json:"change"`
	Awaiting string `json:"awaiting"`
}

// labelChangeStatuses are the statuses of a label change; the first
// counts as verified in the review.
var labelChangeStatuses = []string{"implemented", "partly implemented", "recorded", "unconfirmed"}

// readLabelChanges reads data/label-changes.json strictly, and refuses an
// item with an unknown status, a source without its quote and copy, an
// implemented item without a source, or a rule the catalog lacks.
func readLabelChanges(fsys fs.FS, catalog map[string]*engine.Rule) ([]labelChange, error) {
	data, err := fs.ReadFile(fsys, labelChangesFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var doc struct {
		Description string        `json:"description"`
		Items       []labelChange `json:"items"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%s: %w", labelChangesFile, err)
	}
	var problems []error
	seen := map[string]bool{}
	for i, it := range doc.Items {
		bad := func(format string, args ...any) {
			problems = append(problems, fmt.Errorf("%s: items[%d] (%s): %s", labelChangesFile, i, it.ID, fmt.Sprintf(format, args...)))
		}
		if it.ID == "" || seen[it.ID] {
			bad("id missing or repeated")
		}
		seen[it.ID] = true
		if !slices.Contains(labelChangeStatuses, it.Status) {
			bad("status %q is not one of %s", it.Status, strings.Join(labelChangeStatuses, ", "))
		}
		if it.Status == "implemented" && len(it.Sources) == 0 {
			bad("an implemented change names its source (a quote and where it was read)")
		}
		for j, src := range it.Sources {
			if strings.TrimSpace(src.Quote) == "" || !strings.HasPrefix(src.URL, "http") || src.Document == "" {
				bad("sources[%d] needs document, quote and url", j)
			}
		}
		for _, r := range it.Rules {
			if _, ok := catalog[r]; !ok {
				bad("rule %s is in no rule's METADATA", r)
			}
		}
	}
	return doc.Items, errors.Join(problems...)
}

func newReviewCmd() *cobra.Command {
	var policyDir, format string
	cmd := &cobra.Command{
		Use:   "review",
		Short: "List the codes and label revisions that await a clinician's or terminologist's sign-off",
		Long: `List what a clinician or a terminologist signs off in a policy set: each
label document and its revision date, the label section each drug's rules
cite per topic, and each code the rules match (value sets, lab table,
product codes), with where it comes from and its status: verified (and how)
or awaiting-review.

A section's status is its profile's sources.<topic>.status; a code's is
data/review.json's entry for it (none: awaiting-review).

--format markdown (default; docs/clinical/review.md is generated this way)
or json.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fsys, err := policyFS(policyDir)
			if err != nil {
				return err
			}
			ps, err := engine.Load(cmd.Context(), fsys, engine.Options{})
			if err != nil {
				return err
			}
			rows, err := collectReview(fsys, ps)
			if err != nil {
				return err
			}
			return printReview(cmd.OutOrStdout(), rows, format)
		},
	}
	f := cmd.Flags()
	f.StringVar(&policyDir, "policies", "", "policy directory (default: the embedded set)")
	f.StringVar(&format, "format", "markdown", "output format: markdown or json")
	return cmd
}

// reviewSources is what the review reads from the policy set's files
// beyond what the engine exposes: the engine keeps neither a value set's
// displays nor a profile's statuses. Decoded leniently: the engine has
// already validated the files, and a field the review does not show is
// no concern of it.
type reviewSources struct {
	profiles  []reviewProfile
	documents map[string]reviewDocument // data/documents.json
	drugs     map[string]struct {       // data/drugs.json
		Products []reviewProduct `json:"products"`
	}
	valueSets []reviewValueSet
	verdicts  map[string]reviewVerdict // data/review.json by key
}

type reviewProfile struct {
	ID        string                    `json:"id"`
	Products  []reviewProduct           `json:"products"`
	Documents map[string]reviewDocument `json:"documents"`
	Sources   map[string]reviewSection  `json:"sources"`
	// Jurisdictions are the members that differ by jurisdiction: their
	// documents and sections are signed off too.
	Jurisdictions map[string]struct {
		Documents map[string]reviewDocument `json:"documents"`
		Sources   map[string]reviewSection  `json:"sources"`
	} `json:"jurisdictions"`
	file string
}

type reviewSection struct {
	Document string `json:"document"`
	Section  string `json:"section"`
	Status   string `json:"status"`
	Seen     string `json:"seen"`
}

type reviewDocument struct {
	Jurisdiction string `json:"jurisdiction"`
	Title        string `json:"title"`
	URL          string `json:"url"`
	Revised      string `json:"revised"`
	Status       string `json:"status"`
	Seen         string `json:"seen"`
}

type reviewProduct struct {
	Display string   `json:"display"`
	Codes   []string `json:"codes"`
}

type reviewValueSet struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	Compose struct {
		Include []reviewInclude `json:"include"`
		Exclude []reviewInclude `json:"exclude"`
	} `json:"compose"`
	Expansion struct {
		Contains []struct {
			System  string `json:"system"`
			Code    string `json:"code"`
			Display string `json:"display"`
		} `json:"contains"`
	} `json:"expansion"`
	file string
}

type reviewInclude struct {
	System  string `json:"system"`
	Concept []struct {
		Code    string `json:"code"`
		Display string `json:"display"`
	} `json:"concept"`
	Filter []struct {
		Op    string `json:"op"`
		Value string `json:"value"`
	} `json:"filter"`
}

// reviewVerdict is one entry of data/review.json.
type reviewVerdict struct {
	Status string `json:"status"`
	How    string `json:"how"`
}

// readReviewSources decodes the files the review reads, each in one place.
func readReviewSources(fsys fs.FS) (*reviewSources, error) {
	src := &reviewSources{}
	decode := func(p string, v any) error {
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(data, v); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		return nil
	}
	files, _ := fs.Glob(fsys, "profiles/*.json")
	for _, p := range files {
		pr := reviewProfile{file: p}
		if err := decode(p, &pr); err != nil {
			return nil, err
		}
		src.profiles = append(src.profiles, pr)
	}
	var docs struct {
		Documents map[string]reviewDocument `json:"documents"`
	}
	if err := decode("data/documents.json", &docs); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	src.documents = docs.Documents
	var drugs struct {
		Drugs map[string]struct {
			Products []reviewProduct `json:"products"`
		} `json:"drugs"`
	}
	if err := decode("data/drugs.json", &drugs); err != nil {
		return nil, err
	}
	src.drugs = drugs.Drugs
	files, _ = fs.Glob(fsys, "valuesets/*.json")
	for _, p := range files {
		vs := reviewValueSet{file: p}
		if err := decode(p, &vs); err != nil {
			return nil, err
		}
		src.valueSets = append(src.valueSets, vs)
	}
	verdicts, err := readVerdicts(fsys)
	if err != nil {
		return nil, err
	}
	src.verdicts = verdicts
	return src, nil
}

// readVerdicts reads data/review.json strictly: a misspelt field or status
// would otherwise make a sign-off silently vanish.
func readVerdicts(fsys fs.FS) (map[string]reviewVerdict, error) {
	data, err := fs.ReadFile(fsys, reviewFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var doc struct {
		Codes map[string]reviewVerdict `json:"codes"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%s: %w", reviewFile, err)
	}
	for _, k := range slices.Sorted(maps.Keys(doc.Codes)) {
		v := doc.Codes[k]
		switch {
		case v.Status != statusVerified && v.Status != statusAwaiting:
			return nil, fmt.Errorf("%s: codes[%q].status %q is not %s or %s", reviewFile, k, v.Status, statusVerified, statusAwaiting)
		case v.Status == statusVerified && strings.TrimSpace(v.How) == "":
			return nil, fmt.Errorf("%s: codes[%q]: a verified code says how it was verified (how)", reviewFile, k)
		case !strings.Contains(k, "|"):
			return nil, fmt.Errorf("%s: codes[%q]: want system|code", reviewFile, k)
		}
	}
	return doc.Codes, nil
}

// collectReview lists what awaits sign-off in the policy set in fsys,
// which ps is loaded from.
func collectReview(fsys fs.FS, ps *engine.PolicySet) ([]reviewRow, error) {
	src, err := readReviewSources(fsys)
	if err != nil {
		return nil, fmt.Errorf("review: %w", err)
	}
	slices.SortFunc(src.profiles, func(a, b reviewProfile) int { return strings.Compare(a.ID, b.ID) })
	_, labs, _ := ps.Tables()
	r := &reviewer{verdicts: src.verdicts, used: map[string]bool{}}
	changes, err := readLabelChanges(fsys, ps.Catalog)
	if err != nil {
		return nil, fmt.Errorf("review: %w", err)
	}
	r.labelChanges(changes)
	r.jurisdictionGaps(src)
	r.documents(src)
	r.sections(src)
	r.valueSets(src)
	r.labs(labs)
	r.products(src)

	var stale []string
	for _, k := range slices.Sorted(maps.Keys(src.verdicts)) {
		if !r.used[k] {
			stale = append(stale, k)
		}
	}
	if len(stale) > 0 {
		return nil, fmt.Errorf("review: %s: codes %s: no value set, lab table or product lists them (a typo, or a code since removed)", reviewFile, strings.Join(stale, ", "))
	}
	return r.rows, nil
}

// reviewer collects the rows, section by section.
type reviewer struct {
	rows     []reviewRow
	verdicts map[string]reviewVerdict
	used     map[string]bool // the verdicts a row took
}

// code adds a code's row, with its verdict from review.json.
func (r *reviewer) code(section, what, system, c, source string) {
	system = terminology.NormalizeSystem(system)
	if strings.HasPrefix(system, "urn:labelguard:") {
		return // labelguard's own code: no terminology defines it
	}
	row := reviewRow{Section: section, What: what, Value: systemName(system) + " " + c,
		Key: system + "|" + strings.TrimSpace(c), Source: source, Status: statusAwaiting}
	if v, ok := r.verdicts[row.Key]; ok {
		r.used[row.Key] = true
		row.Status, row.How = v.Status, v.How
	}
	r.rows = append(r.rows, row)
}

func (r *reviewer) labelChanges(changes []labelChange) {
	for _, c := range changes {
		row := reviewRow{Section: "label-changes", What: c.ID + ": " + c.Item, Value: c.Status, Source: labelChangesFile,
			Status: statusAwaiting, How: c.Change, Awaiting: c.Awaiting}
		if c.Status == labelChangeStatuses[0] {
			row.Status = statusVerified
		}
		if len(c.Rules) > 0 {
			row.How = strings.TrimSpace(row.How + " Rules: " + strings.Join(c.Rules, ", ") + ".")
		}
		for _, s := range c.Sources {
			if row.URL == "" {
				row.URL = s.URL
			}
			row.Quotes = append(row.Quotes, fmt.Sprintf("%s: \"%s\" ([%s](%s), revision %s)", s.Document, s.Quote, hostOf(s.URL), s.URL, s.Revised))
		}
		r.rows = append(r.rows, row)
	}
}

// jurisdictionGaps lists, per drug and jurisdiction, the topics cited from
// another jurisdiction's document.
func (r *reviewer) jurisdictionGaps(src *reviewSources) {
	for _, p := range src.profiles {
		for _, j := range engine.Jurisdictions {
			v := p.Jurisdictions[j]
			var gaps []string
			for _, topic := range slices.Sorted(maps.Keys(p.Sources)) {
				s, ok := v.Sources[topic]
				if !ok {
					s = p.Sources[topic]
				}
				d, ok := v.Documents[s.Document]
				if !ok {
					d = p.Documents[s.Document]
				}
				if d.Jurisdiction != j {
					gaps = append(gaps, topic+" ("+s.Document+")")
				}
			}
			if len(gaps) > 0 {
				r.rows = append(r.rows, reviewRow{Section: "jurisdiction-gaps", What: p.ID + " (" + j + ")", Value: strings.Join(gaps, ", "), Source: p.file, Status: statusAwaiting})
			}
		}
	}
}

func (r *reviewer) documents(src *reviewSources) {
	add := func(d reviewDocument, file string) {
		v := d.Revised
		if v == "" {
			v = "not stated"
		}
		status, how := statusAwaiting, ""
		if d.Status == "verified" {
			status, how = "verified", "revision checked in "+d.Seen
		}
		r.rows = append(r.rows, reviewRow{Section: "documents", What: d.Title, Value: v, Source: file, URL: d.URL, Status: status, How: how})
	}
	for _, p := range src.profiles {
		for _, k := range slices.Sorted(maps.Keys(p.Documents)) {
			add(p.Documents[k], p.file)
		}
		for _, j := range slices.Sorted(maps.Keys(p.Jurisdictions)) {
			docs := p.Jurisdictions[j].Documents
			for _, k := range slices.Sorted(maps.Keys(docs)) {
				add(docs[k], p.file+" (jurisdictions."+j+")")
			}
		}
	}
	for _, k := range slices.Sorted(maps.Keys(src.documents)) {
		add(src.documents[k], "data/documents.json")
	}
}

func (r *reviewer) sections(src *reviewSources) {
	add := func(what string, s reviewSection, url, file string) {
		row := reviewRow{Section: "sections", What: what, Value: s.Section,
			Source: file, URL: url, Document: s.Document, Status: statusAwaiting}
		if s.Status == statusVerified {
			row.Status, row.How = statusVerified, s.Seen
		}
		r.rows = append(r.rows, row)
	}
	for _, p := range src.profiles {
		for _, topic := range slices.Sorted(maps.Keys(p.Sources)) {
			s := p.Sources[topic]
			add(p.ID+": "+topic, s, p.Documents[s.Document].URL, p.file)
		}
		// A jurisdiction's sections, each with its document (the
		// variant's own, else the base's).
		for _, j := range slices.Sorted(maps.Keys(p.Jurisdictions)) {
			v := p.Jurisdictions[j]
			for _, topic := range slices.Sorted(maps.Keys(v.Sources)) {
				s := v.Sources[topic]
				d, ok := v.Documents[s.Document]
				if !ok {
					d = p.Documents[s.Document]
				}
				add(p.ID+" ("+j+"): "+topic, s, d.URL, p.file)
			}
		}
	}
}

func (r *reviewer) valueSets(src *reviewSources) {
	for _, vs := range src.valueSets {
		name := vs.Title
		if name == "" {
			name = vs.ID
		}
		for _, part := range []struct {
			what     string
			includes []reviewInclude
		}{{name, vs.Compose.Include}, {name + " (excluded)", vs.Compose.Exclude}} {
			for _, inc := range part.includes {
				for _, c := range inc.Concept {
					r.code("valueset-codes", withDisplay(part.what, c.Display), inc.System, c.Code, vs.file)
				}
				for _, f := range inc.Filter {
					r.code("valueset-codes", part.what+": "+filterText(f.Op), inc.System, f.Value, vs.file)
				}
			}
		}
		for _, c := range vs.Expansion.Contains {
			r.code("valueset-codes", withDisplay(name, c.Display), c.System, c.Code, vs.file)
		}
	}
}

// labs lists each analyte's codes, then each panel a suggestion orders
// whose code is not also a result's: one code, one sign-off.
func (r *reviewer) labs(labs *terminology.LabTable) {
	results := map[string]bool{}
	for _, c := range labs.Codes() {
		results[c] = true
	}
	var panelCodes []string
	panels := map[string][]string{} // panel code -> analyte IDs
	panelNames := map[string]string{}
	for _, id := range slices.Sorted(maps.Keys(labs.Analytes)) {
		a := labs.Analytes[id]
		for _, c := range a.Codes {
			sys, v := terminology.SplitCode(c)
			r.code("lab-codes", a.Display+" ("+id+")", sys, v, "data/labs.json")
		}
		if a.Panel == nil || results[a.Panel.Code] {
			continue
		}
		if panels[a.Panel.Code] == nil {
			panelCodes = append(panelCodes, a.Panel.Code)
		}
		panels[a.Panel.Code] = append(panels[a.Panel.Code], id)
		panelNames[a.Panel.Code] = a.Panel.Display
	}
	for _, c := range panelCodes {
		sys, v := terminology.SplitCode(c)
		r.code("lab-codes", panelNames[c]+", the panel ordered for "+strings.Join(panels[c], ", "), sys, v, "data/labs.json")
	}
}

func (r *reviewer) products(src *reviewSources) {
	add := func(list []reviewProduct, file string) {
		for _, pr := range list {
			for _, c := range pr.Codes {
				sys, v := terminology.SplitCode(c)
				r.code("product-codes", pr.Display, sys, v, file)
			}
		}
	}
	for _, p := range src.profiles {
		add(p.Products, p.file)
	}
	for _, id := range slices.Sorted(maps.Keys(src.drugs)) {
		add(src.drugs[id].Products, "data/drugs.json")
	}
}

func withDisplay(what, display string) string {
	if display == "" {
		return what
	}
	return what + ": " + display
}

// filterText reads a value set filter's operation for a clinician.
func filterText(op string) string {
	switch op {
	case "is-a":
		return "the code and its subcodes"
	case "descendent-of":
		return "the subcodes of the code"
	case "regex":
		return "the codes matching the pattern"
	}
	return "filter " + op
}

// systemName is how the review names a code system.
func systemName(system string) string {
	switch system {
	case terminology.SystemSNOMED:
		return "SNOMED CT"
	case terminology.SystemLOINC:
		return "LOINC"
	case terminology.SystemICD10CM:
		return "ICD-10-CM"
	case terminology.SystemRxNorm:
		return "RxNorm"
	case terminology.SystemCVX:
		return "CVX"
	case terminology.SystemNDC:
		return "NDC"
	}
	return system
}

func printReview(w io.Writer, rows []reviewRow, format string) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if rows == nil {
			rows = []reviewRow{}
		}
		return enc.Encode(rows)
	case "markdown":
		writeReviewMarkdown(w, rows)
		return nil
	}
	return fmt.Errorf("--format %q: want markdown or json", format)
}

func writeReviewMarkdown(w io.Writer, rows []reviewRow) {
	bySection := map[string][]reviewRow{}
	for _, r := range rows {
		bySection[r.Section] = append(bySection[r.Section], r)
	}
	fmt.Fprint(w, `# Clinical review

Generated by `+"`labelguard review --format markdown`"+` from the default policy set; do not
edit. CI fails when it is stale.

What a clinician or a terminologist signs off before the rules are trusted:
each label document's revision, the label section each drug's rules cite,
and each code the rules match. A section is verified when its profile's
`+"`sources.<topic>.status`"+` says so (with `+"`seen`"+`, the copy it was read in); a
code when `+"`policies/data/review.json`"+` says so and how, keyed by
`+"`system|code`"+` (the `+"`key`"+` in `+"`labelguard review --format json`"+`).
Everything else awaits review. Codes of labelguard's own systems
(`+"`urn:labelguard:`"+`) are not listed: no terminology defines them. After a
sign-off, regenerate: `+"`go test ./cmd/labelguard -run TestReviewDocIsCurrent -update`"+`.

| | verified | awaiting review |
|---|---|---|
`)
	for _, s := range reviewSections {
		n := map[string]int{}
		for _, r := range bySection[s.id] {
			n[r.Status]++
		}
		fmt.Fprintf(w, "| [%s](#%s) | %d | %d |\n", s.title, anchor(s.title), n[statusVerified], n[statusAwaiting])
	}
	for _, s := range reviewSections {
		fmt.Fprintf(w, "\n## %s\n\n%s\n\n", s.title, s.intro)
		if len(bySection[s.id]) == 0 {
			fmt.Fprintln(w, "None.")
			continue
		}
		if s.id == "label-changes" {
			fmt.Fprintln(w, "| item | status | label text read (copy, revision) | what changed | awaiting sign-off |")
			fmt.Fprintln(w, "|---|---|---|---|---|")
			for _, r := range bySection[s.id] {
				quotes := "none found"
				if len(r.Quotes) > 0 {
					quotes = strings.Join(r.Quotes, "<br>")
				}
				fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", mdEscape(r.What), r.Value, mdEscape(quotes), mdEscape(r.How), mdEscape(r.Awaiting))
			}
			continue
		}
		fmt.Fprintln(w, "| what | value | source | status |")
		fmt.Fprintln(w, "|---|---|---|---|")
		for _, r := range bySection[s.id] {
			source := "`" + r.Source + "`"
			if r.URL != "" {
				text := r.Document
				if text == "" {
					text = hostOf(r.URL)
				}
				source = "[" + text + "](" + r.URL + "), " + source
			}
			status := "awaiting review"
			if r.Status == statusVerified {
				status = "verified"
				if r.How != "" {
					how := mdEscape(r.How)
					if strings.HasPrefix(r.How, "http") {
						how = "read in [" + hostOf(r.How) + "](" + r.How + ")"
					}
					status += ": " + how
				}
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s |\n", mdEscape(r.What), mdEscape(r.Value), source, status)
		}
	}
}

// anchor is the GitHub heading anchor of a title.
func anchor(title string) string {
	return strings.ReplaceAll(strings.ToLower(title), " ", "-")
}

func hostOf(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return u
	}
	return strings.TrimPrefix(p.Host, "www.")
}
