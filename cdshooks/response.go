package cdshooks

import "encoding/json"

// Card indicators, in order of increasing urgency.
const (
	IndicatorInfo     = "info"
	IndicatorWarning  = "warning"
	IndicatorCritical = "critical"
)

// Card selection behaviours.
const (
	SelectAtMostOne = "at-most-one"
	SelectAny       = "any"
)

// Action types.
const (
	ActionCreate = "create"
	ActionUpdate = "update"
	ActionDelete = "delete"
)

// Link types.
const (
	LinkAbsolute = "absolute"
	LinkSMART    = "smart"
)

// Response is the body of a successful service call.
type Response struct {
	// Cards is always serialized, as [] when there is no guidance.
	Cards         []Card   `json:"cards"`
	SystemActions []Action `json:"systemActions,omitempty"`
}

// MarshalJSON writes a nil Cards as [] because the specification requires
// the cards array and "no guidance" is the empty array, never null.
func (r Response) MarshalJSON() ([]byte, error) {
	type plain Response
	if r.Cards == nil {
		r.Cards = []Card{}
	}
	return json.Marshal(plain(r))
}

// Card is one piece of guidance shown to the user.
type Card struct {
	UUID              string         `json:"uuid,omitempty"`
	Summary           string         `json:"summary"`
	Detail            string         `json:"detail,omitempty"`
	Indicator         string         `json:"indicator"`
	Source            Source         `json:"source"`
	Suggestions       []Suggestion   `json:"suggestions,omitempty"`
	SelectionBehavior string         `json:"selectionBehavior,omitempty"`
	OverrideReasons   []Coding       `json:"overrideReasons,omitempty"`
	Links             []Link         `json:"links,omitempty"`
	Extension         map[string]any `json:"extension,omitempty"`
}

// Source names where a card's guidance comes from.
type Source struct {
	Label string  `json:"label"`
	URL   string  `json:"url,omitempty"`
	Icon  string  `json:"icon,omitempty"`
	Topic *Coding `json:"topic,omitempty"`
}

// Coding is the CDS Hooks trimmed-down FHIR Coding.
type Coding struct {
	System  string `json:"system"`
	Code    string `json:"code"`
	Display string `json:"display,omitempty"`
}

// Suggestion is a set of actions the user can accept together.
type Suggestion struct {
	Label         string   `json:"label"`
	UUID          string   `json:"uuid,omitempty"`
	IsRecommended bool     `json:"isRecommended,omitempty"`
	Actions       []Action `json:"actions,omitempty"`
}

// Action is one change to the client's data, proposed in a suggestion or as
// a system action.
type Action struct {
	Type        string `json:"type"`
	Description string `json:"description"`
	// Resource is the whole FHIR resource to create or update.
	Resource json.RawMessage `json:"resource,omitempty"`
	// ResourceID is the relative reference ("Type/id") of the resource to
	// delete.
	ResourceID string `json:"resourceId,omitempty"`
}

// Link points the user at a web page or a SMART app.
type Link struct {
	Label          string `json:"label"`
	URL            string `json:"url"`
	Type           string `json:"type"`
	AppContext     string `json:"appContext,omitempty"`
	Autolaunchable bool   `json:"autolaunchable,omitempty"`
}
