package cdshooks

import (
	"encoding/json"
	"fmt"
	"net/url"
	"unicode/utf8"
)

// MaxSummaryRunes is the longest card summary Validate accepts, counted in
// Unicode code points. The specification says "<140-character"; labelguard
// reads that as "at most 140", the common reading in the CDS Hooks test
// kits, and keeps its own summaries well short of it.
const MaxSummaryRunes = 140

// Validate reports the first way in which r must not be sent: an invalid
// card, two cards sharing a uuid (feedback could not tell them apart) or an
// invalid system action. Errors are *ValidationError.
func (r Response) Validate() error {
	seen := make(map[string]int, len(r.Cards))
	for i, c := range r.Cards {
		p := indexPath("cards", i)
		if err := c.Validate(); err != nil {
			return within(p, err)
		}
		if j, dup := seen[c.UUID]; dup {
			return verr(p+".uuid", fmt.Sprintf("duplicates cards[%d].uuid", j))
		}
		seen[c.UUID] = i
	}
	for i, a := range r.SystemActions {
		if err := a.Validate(); err != nil {
			return within(indexPath("systemActions", i), err)
		}
	}
	return nil
}

// Validate reports the first way in which c must not be sent. It follows the
// specification and, beyond it, requires what labelguard always sets: a
// card uuid and a uuid on every suggestion, without which the client sends
// no feedback. Errors are *ValidationError with paths relative to the card.
func (c Card) Validate() error {
	if c.UUID == "" {
		return verr("uuid", "is required")
	}
	if err := checkSummary(c.Summary); err != nil {
		return err
	}
	if !utf8.ValidString(c.Detail) {
		return verr("detail", "must be valid UTF-8")
	}
	switch c.Indicator {
	case IndicatorInfo, IndicatorWarning, IndicatorCritical:
	default:
		return verr("indicator", "must be info, warning or critical")
	}
	if err := c.Source.validate(); err != nil {
		return within("source", err)
	}
	if err := c.validateSuggestions(); err != nil {
		return err
	}
	for i, r := range c.OverrideReasons {
		p := indexPath("overrideReasons", i)
		if err := r.validate(); err != nil {
			return within(p, err)
		}
		// Clients show display to clinicians; the specification requires
		// it for override reasons.
		if r.Display == "" {
			return verr(p+".display", "is required")
		}
	}
	for i, l := range c.Links {
		if err := l.validate(); err != nil {
			return within(indexPath("links", i), err)
		}
	}
	return nil
}

func checkSummary(s string) error {
	switch {
	case s == "":
		return verr("summary", "is required")
	case !utf8.ValidString(s):
		return verr("summary", "must be valid UTF-8")
	case utf8.RuneCountInString(s) > MaxSummaryRunes:
		return verr("summary", fmt.Sprintf("must be at most %d characters", MaxSummaryRunes))
	}
	return nil
}

func (c Card) validateSuggestions() error {
	if len(c.Suggestions) == 0 {
		if c.SelectionBehavior != "" {
			return verr("selectionBehavior", "must be omitted when there are no suggestions")
		}
		return nil
	}
	switch c.SelectionBehavior {
	case SelectAtMostOne, SelectAny:
	case "":
		return verr("selectionBehavior", "is required when suggestions are present")
	default:
		return verr("selectionBehavior", "must be at-most-one or any")
	}
	seen := map[string]bool{}
	recommended := 0
	for i, s := range c.Suggestions {
		p := indexPath("suggestions", i)
		if err := s.validate(); err != nil {
			return within(p, err)
		}
		if seen[s.UUID] {
			return verr(p+".uuid", "duplicates another suggestion on the card")
		}
		seen[s.UUID] = true
		if s.IsRecommended {
			recommended++
		}
	}
	// The specification allows several recommended suggestions only when
	// the user may pick several.
	if recommended > 1 && c.SelectionBehavior != SelectAny {
		return verr("suggestions", "only one suggestion may be recommended unless selectionBehavior is any")
	}
	return nil
}

func (s Source) validate() error {
	if s.Label == "" {
		return verr("label", "is required")
	}
	if s.URL != "" {
		if err := checkURL(s.URL); err != nil {
			return within("url", err)
		}
	}
	if s.Icon != "" {
		if err := checkURL(s.Icon); err != nil {
			return within("icon", err)
		}
	}
	if s.Topic != nil {
		if err := s.Topic.validate(); err != nil {
			return within("topic", err)
		}
	}
	return nil
}

func (c Coding) validate() error {
	if c.Code == "" {
		return verr("code", "is required")
	}
	if c.System == "" {
		return verr("system", "is required")
	}
	return nil
}

func (s Suggestion) validate() error {
	if s.Label == "" {
		return verr("label", "is required")
	}
	if s.UUID == "" {
		return verr("uuid", "is required")
	}
	for i, a := range s.Actions {
		if err := a.Validate(); err != nil {
			return within(indexPath("actions", i), err)
		}
	}
	return nil
}

// Validate reports the first way in which a must not be sent. create and
// update carry the whole resource (update with its id); delete names the
// resource by resourceId, since the specification deprecates a resource
// member for deletes. Errors are *ValidationError.
func (a Action) Validate() error {
	switch a.Type {
	case ActionCreate, ActionUpdate, ActionDelete:
	default:
		return verr("type", "must be create, update or delete")
	}
	if a.Description == "" {
		return verr("description", "is required")
	}
	if a.ResourceID != "" {
		if _, _, ok := splitReference(a.ResourceID); !ok {
			return verr("resourceId", "must be a relative reference such as MedicationRequest/123")
		}
	}
	if a.Type == ActionDelete {
		if len(a.Resource) > 0 {
			return verr("resource", "must be omitted for delete, use resourceId")
		}
		if a.ResourceID == "" {
			return verr("resourceId", "is required for delete")
		}
		return nil
	}
	if len(a.Resource) == 0 {
		return verr("resource", "is required for "+a.Type)
	}
	var r struct {
		ResourceType string `json:"resourceType"`
		ID           string `json:"id"`
	}
	if jsonKind(a.Resource) != "object" || json.Unmarshal(a.Resource, &r) != nil {
		return verr("resource", "must be a JSON object")
	}
	if !isResourceType(r.ResourceType) {
		return verr("resource.resourceType", "must be a FHIR resource type")
	}
	if a.Type == ActionUpdate && !isFHIRID(r.ID) {
		return verr("resource.id", "must be a FHIR resource id for update")
	}
	return nil
}

func (l Link) validate() error {
	if l.Label == "" {
		return verr("label", "is required")
	}
	if l.URL == "" {
		return verr("url", "is required")
	}
	if err := checkURL(l.URL); err != nil {
		return within("url", err)
	}
	switch l.Type {
	case LinkAbsolute:
		if l.AppContext != "" {
			return verr("appContext", "must be omitted for absolute links")
		}
	case LinkSMART:
	default:
		return verr("type", "must be absolute or smart")
	}
	return nil
}

// checkURL accepts absolute http(s) URLs only: clients open these in a
// browser, where javascript: or data: URLs would run in the EHR's context.
// Credentials are refused because clients display URLs.
func checkURL(s string) error {
	if !isAbsoluteHTTPURL(s) {
		return verr("", "must be an absolute http or https URL")
	}
	if u, _ := url.Parse(s); u.User != nil {
		return verr("", "must not contain credentials")
	}
	return nil
}
