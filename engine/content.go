package engine

import (
	"maps"
	"slices"
	"time"
)

// ContentReview is what a site needs to know about one drug's clinical
// content: the documents (label revisions) it follows in the jurisdiction
// in force, when and by whom it was last reviewed, and whether that
// review is older than the site's interval (contentReviewMonths).
type ContentReview struct {
	Drug         string            `json:"drug"`
	Jurisdiction string            `json:"jurisdiction"`
	Documents    []ContentDocument `json:"documents"`
	Reviewed     string            `json:"reviewed"`
	ReviewedBy   string            `json:"reviewedBy"`
	// AgeDays is the days since Reviewed; Due the date the next review
	// is due; Overdue whether now is past it.
	AgeDays        int    `json:"ageDays"`
	IntervalMonths int    `json:"intervalMonths"`
	Due            string `json:"due"`
	Overdue        bool   `json:"overdue"`
}

// ContentDocument is a document a drug's cards cite, with its revision.
type ContentDocument struct {
	Key          string `json:"key"`
	Title        string `json:"title"`
	Jurisdiction string `json:"jurisdiction"`
	Revised      string `json:"revised,omitempty"`
	// Newer is a newer revision known but not yet reviewed: the content
	// may not be current with the label.
	Newer *NewerRevision `json:"newer,omitempty"`
}

// ContentReviews lists, per drug in ID order, its content's revisions and
// review age at now. A reviewed date that does not parse (the schema
// refuses one) counts as overdue: a missing review is not a pass.
func (ps *PolicySet) ContentReviews(now time.Time) []ContentReview {
	months := 12
	if n, ok := number(ps.tables.params["contentReviewMonths"]); ok && n >= 1 {
		months = int(n)
	}
	k := ps.tables.knowledge
	out := []ContentReview{}
	for _, id := range slices.Sorted(maps.Keys(k.profiles)) {
		p := k.profiles[id]
		cr := ContentReview{Drug: id, Jurisdiction: ps.Jurisdiction(), Reviewed: p.Reviewed.Date, ReviewedBy: p.Reviewed.By, IntervalMonths: months, Documents: []ContentDocument{}}
		cited := map[string]bool{p.Label: true}
		for _, s := range p.Sources {
			cited[s.Document] = true
		}
		for _, key := range slices.Sorted(maps.Keys(cited)) {
			if d, ok := p.Documents[key]; ok {
				cr.Documents = append(cr.Documents, ContentDocument{Key: key, Title: d.Title, Jurisdiction: d.Jurisdiction, Revised: d.Revised, Newer: d.Newer})
			}
		}
		reviewed, err := time.Parse(time.DateOnly, p.Reviewed.Date)
		if err != nil {
			cr.Overdue = true
			out = append(out, cr)
			continue
		}
		due := reviewed.AddDate(0, months, 0)
		cr.Due = due.Format(time.DateOnly)
		cr.AgeDays = int(now.Sub(reviewed).Hours() / 24)
		cr.Overdue = !now.Before(due)
		out = append(out, cr)
	}
	return out
}
