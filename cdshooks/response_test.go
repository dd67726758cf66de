package cdshooks_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/labelguard/labelguard/cdshooks"
)

func TestResponseMarshalsEmptyCards(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		v    any
		want string
	}{
		{"nil cards", cdshooks.Response{}, `{"cards":[]}`},
		{"pointer", &cdshooks.Response{}, `{"cards":[]}`},
		{"empty cards", cdshooks.Response{Cards: []cdshooks.Card{}}, `{"cards":[]}`},
		{"nested", struct {
			R cdshooks.Response `json:"r"`
		}{}, `{"r":{"cards":[]}}`},
		{"nil services", cdshooks.Discovery{}, `{"services":[]}`},
		{"minimal card", cdshooks.Response{Cards: []cdshooks.Card{{Summary: "s", Indicator: "info", Source: cdshooks.Source{Label: "l"}}}},
			`{"cards":[{"summary":"s","indicator":"info","source":{"label":"l"}}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := json.Marshal(tc.v)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("Marshal = %s, want %s", got, tc.want)
			}
		})
	}
}

// roundTrip checks that decoding into v and encoding again loses and adds
// nothing, which is what the omitempty tags are for.
func roundTrip(t *testing.T, file string, v any) {
	t.Helper()
	data := readFixture(t, file)
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var want, got any
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("round trip of %s changed the document (-fixture +encoded):\n%s", file, diff)
	}
}

func TestSpecResponses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		file string
		// field is where Validate fails, "" when the example is valid. The
		// spec examples are illustrative and omit some required members.
		field string
		// lossless is false where a required member is missing: required
		// members have no omitempty, so they come back as "".
		lossless bool
	}{
		{"spec/response-empty.json", "", true},
		{"spec/response-cards.json", "cards[1].uuid", true},
		{"spec/response-autolaunchable.json", "cards[0].indicator", false},
		{"spec/response-systemActions.json", "systemActions[0].description", false},
	} {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			var r cdshooks.Response
			if tc.lossless {
				roundTrip(t, tc.file, &r)
			} else if err := json.Unmarshal(readFixture(t, tc.file), &r); err != nil {
				t.Fatal(err)
			}
			wantValidationError(t, r.Validate(), tc.field)
		})
	}
}

func TestSpecResponseCardsValidWithUUID(t *testing.T) {
	t.Parallel()
	var r cdshooks.Response
	if err := json.Unmarshal(readFixture(t, "spec/response-cards.json"), &r); err != nil {
		t.Fatal(err)
	}
	r.Cards[1].UUID = "a1f5e5c4-0000-4000-8000-000000000001"
	if err := r.Validate(); err != nil {
		t.Error(err)
	}
}

// assignUUIDs sets the uuids labelguard always sets itself and the
// inferno fixtures leave out.
func assignUUIDs(c *cdshooks.Card, n int) {
	if c.UUID == "" {
		c.UUID = fmt.Sprintf("card-%d", n)
	}
	for i := range c.Suggestions {
		if c.Suggestions[i].UUID == "" {
			c.Suggestions[i].UUID = fmt.Sprintf("card-%d-suggestion-%d", n, i)
		}
	}
}

func TestValidCardsFixture(t *testing.T) {
	t.Parallel()
	var cards []cdshooks.Card
	roundTrip(t, "crd-test-kit/valid_cards.json", &cards)
	if len(cards) != 7 {
		t.Fatalf("%d cards, want 7", len(cards))
	}
	for i := range cards {
		assignUUIDs(&cards[i], i)
		if err := cards[i].Validate(); err != nil {
			t.Errorf("card %d: %v", i, err)
		}
	}
	// The fixture reuses one card uuid, which a response must not.
	wantValidationError(t, cdshooks.Response{Cards: cards}.Validate(), "cards[1].uuid")
}

func TestSpecCardFragments(t *testing.T) {
	t.Parallel()
	var src struct {
		Source cdshooks.Source `json:"source"`
	}
	roundTrip(t, "spec/card-source.json", &src)
	var reasons struct {
		OverrideReasons []cdshooks.Coding `json:"overrideReasons"`
	}
	roundTrip(t, "spec/card-overrideReasons.json", &reasons)
	c := validCard()
	c.Source, c.OverrideReasons = src.Source, reasons.OverrideReasons
	if err := c.Validate(); err != nil {
		t.Error(err)
	}
	for _, file := range []string{"spec/action-create.json", "spec/action-update.json", "spec/action-delete.json"} {
		var a cdshooks.Action
		roundTrip(t, file, &a)
		if err := a.Validate(); err != nil {
			t.Errorf("%s: %v", file, err)
		}
	}
}

func validCard() cdshooks.Card {
	return cdshooks.Card{
		UUID:      "0b6a1b6e-8f1e-4c52-9a51-6f0d3f1d0a01",
		Summary:   "Check ALT before starting",
		Indicator: cdshooks.IndicatorWarning,
		Source:    cdshooks.Source{Label: "labelguard", URL: "https://labelguard.example/rules"},
		Suggestions: []cdshooks.Suggestion{{
			Label: "Order ALT",
			UUID:  "5d0c7f34-1d4e-4d2b-8f4e-3c7b2b8e9a10",
			Actions: []cdshooks.Action{{
				Type:        cdshooks.ActionCreate,
				Description: "Order ALT",
				Resource:    json.RawMessage(`{"resourceType":"ServiceRequest","status":"draft"}`),
			}},
		}},
		SelectionBehavior: cdshooks.SelectAtMostOne,
		OverrideReasons:   []cdshooks.Coding{{System: "https://labelguard.example/override", Code: "done", Display: "Already done"}},
		Links:             []cdshooks.Link{{Label: "Label", URL: "https://labelguard.example/label", Type: cdshooks.LinkAbsolute}},
	}
}

func TestCardValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		modify func(*cdshooks.Card)
		field  string
	}{
		{"valid", func(*cdshooks.Card) {}, ""},
		{"minimal", func(c *cdshooks.Card) {
			*c = cdshooks.Card{UUID: "u", Summary: "s", Indicator: "info", Source: cdshooks.Source{Label: "l"}}
		}, ""},
		{"uuid missing", func(c *cdshooks.Card) { c.UUID = "" }, "uuid"},
		{"summary empty", func(c *cdshooks.Card) { c.Summary = "" }, "summary"},
		{"summary 140 runes", func(c *cdshooks.Card) { c.Summary = strings.Repeat("é", 140) }, ""},
		{"summary 141 runes", func(c *cdshooks.Card) { c.Summary = strings.Repeat("é", 141) }, "summary"},
		{"summary 141 ascii", func(c *cdshooks.Card) { c.Summary = strings.Repeat("a", 141) }, "summary"},
		{"summary invalid utf8", func(c *cdshooks.Card) { c.Summary = "a\xffb" }, "summary"},
		{"bad indicator", func(c *cdshooks.Card) { c.Indicator = "urgent" }, "indicator"},
		{"indicator wrong case", func(c *cdshooks.Card) { c.Indicator = "Critical" }, "indicator"},
		{"indicator missing", func(c *cdshooks.Card) { c.Indicator = "" }, "indicator"},
		{"source label missing", func(c *cdshooks.Card) { c.Source.Label = "" }, "source.label"},
		{"source url relative", func(c *cdshooks.Card) { c.Source.URL = "/rules" }, "source.url"},
		{"source url javascript", func(c *cdshooks.Card) { c.Source.URL = "javascript:alert(1)" }, "source.url"},
		{"source icon ftp", func(c *cdshooks.Card) { c.Source.Icon = "ftp://x.example/i.png" }, "source.icon"},
		{"topic without code", func(c *cdshooks.Card) { c.Source.Topic = &cdshooks.Coding{System: "s"} }, "source.topic.code"},
		{"topic without system", func(c *cdshooks.Card) { c.Source.Topic = &cdshooks.Coding{Code: "c"} }, "source.topic.system"},
		{"topic without display", func(c *cdshooks.Card) { c.Source.Topic = &cdshooks.Coding{System: "s", Code: "c"} }, ""},
		{"suggestions without selectionBehavior", func(c *cdshooks.Card) { c.SelectionBehavior = "" }, "selectionBehavior"},
		{"bad selectionBehavior", func(c *cdshooks.Card) { c.SelectionBehavior = "all" }, "selectionBehavior"},
		{"selectionBehavior without suggestions", func(c *cdshooks.Card) { c.Suggestions = nil }, "selectionBehavior"},
		{"suggestion label missing", func(c *cdshooks.Card) { c.Suggestions[0].Label = "" }, "suggestions[0].label"},
		{"suggestion uuid missing", func(c *cdshooks.Card) { c.Suggestions[0].UUID = "" }, "suggestions[0].uuid"},
		{"duplicate suggestion uuid", func(c *cdshooks.Card) {
			c.Suggestions = append(c.Suggestions, c.Suggestions[0])
		}, "suggestions[1].uuid"},
		{"two recommended with at-most-one", func(c *cdshooks.Card) {
			s := c.Suggestions[0]
			s.UUID, s.IsRecommended = "other", true
			c.Suggestions[0].IsRecommended = true
			c.Suggestions = append(c.Suggestions, s)
		}, "suggestions"},
		{"two recommended with any", func(c *cdshooks.Card) {
			s := c.Suggestions[0]
			s.UUID, s.IsRecommended = "other", true
			c.Suggestions[0].IsRecommended = true
			c.Suggestions = append(c.Suggestions, s)
			c.SelectionBehavior = cdshooks.SelectAny
		}, ""},
		{"action bad type", func(c *cdshooks.Card) { c.Suggestions[0].Actions[0].Type = "patch" }, "suggestions[0].actions[0].type"},
		{"action no description", func(c *cdshooks.Card) { c.Suggestions[0].Actions[0].Description = "" }, "suggestions[0].actions[0].description"},
		{"create without resource", func(c *cdshooks.Card) { c.Suggestions[0].Actions[0].Resource = nil }, "suggestions[0].actions[0].resource"},
		{"create with array resource", func(c *cdshooks.Card) { c.Suggestions[0].Actions[0].Resource = json.RawMessage(`[]`) }, "suggestions[0].actions[0].resource"},
		{"create without resourceType", func(c *cdshooks.Card) { c.Suggestions[0].Actions[0].Resource = json.RawMessage(`{"id":"1"}`) }, "suggestions[0].actions[0].resource.resourceType"},
		{"update without id", func(c *cdshooks.Card) { c.Suggestions[0].Actions[0].Type = cdshooks.ActionUpdate }, "suggestions[0].actions[0].resource.id"},
		{"delete without resourceId", func(c *cdshooks.Card) {
			c.Suggestions[0].Actions[0] = cdshooks.Action{Type: cdshooks.ActionDelete, Description: "d"}
		}, "suggestions[0].actions[0].resourceId"},
		{"delete with bare id", func(c *cdshooks.Card) {
			c.Suggestions[0].Actions[0] = cdshooks.Action{Type: cdshooks.ActionDelete, Description: "d", ResourceID: "123"}
		}, "suggestions[0].actions[0].resourceId"},
		{"delete with resource", func(c *cdshooks.Card) {
			c.Suggestions[0].Actions[0] = cdshooks.Action{Type: cdshooks.ActionDelete, Description: "d", ResourceID: "MedicationRequest/1", Resource: json.RawMessage(`"MedicationRequest/1"`)}
		}, "suggestions[0].actions[0].resource"},
		{"delete ok", func(c *cdshooks.Card) {
			c.Suggestions[0].Actions[0] = cdshooks.Action{Type: cdshooks.ActionDelete, Description: "d", ResourceID: "MedicationRequest/1"}
		}, ""},
		{"override reason without display", func(c *cdshooks.Card) { c.OverrideReasons[0].Display = "" }, "overrideReasons[0].display"},
		{"override reason without system", func(c *cdshooks.Card) { c.OverrideReasons[0].System = "" }, "overrideReasons[0].system"},
		{"override reason without code", func(c *cdshooks.Card) { c.OverrideReasons[0].Code = "" }, "overrideReasons[0].code"},
		{"link label missing", func(c *cdshooks.Card) { c.Links[0].Label = "" }, "links[0].label"},
		{"link url missing", func(c *cdshooks.Card) { c.Links[0].URL = "" }, "links[0].url"},
		{"link url relative", func(c *cdshooks.Card) { c.Links[0].URL = "label.html" }, "links[0].url"},
		{"link url with credentials", func(c *cdshooks.Card) { c.Links[0].URL = "https://u:p@x.example/" }, "links[0].url"},
		{"link bad type", func(c *cdshooks.Card) { c.Links[0].Type = "web" }, "links[0].type"},
		{"appContext on absolute link", func(c *cdshooks.Card) { c.Links[0].AppContext = "{}" }, "links[0].appContext"},
		{"appContext on smart link", func(c *cdshooks.Card) { c.Links[0].AppContext, c.Links[0].Type = "{}", cdshooks.LinkSMART }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := validCard()
			tc.modify(&c)
			wantValidationError(t, c.Validate(), tc.field)
			// Response.Validate reports the same problem under cards[0].
			want := ""
			if tc.field != "" {
				want = "cards[0]." + tc.field
			}
			wantValidationError(t, cdshooks.Response{Cards: []cdshooks.Card{c}}.Validate(), want)
		})
	}
}

func TestSystemActionsValidate(t *testing.T) {
	t.Parallel()
	r := cdshooks.Response{SystemActions: []cdshooks.Action{
		{Type: cdshooks.ActionUpdate, Description: "u", Resource: json.RawMessage(`{"resourceType":"ServiceRequest","id":"1"}`)},
		{Type: cdshooks.ActionDelete, Description: "d"},
	}}
	wantValidationError(t, r.Validate(), "systemActions[1].resourceId")
}

// labelguard's own answers, as the API golden files hold them: cards with
// suggestions, actions carrying FHIR resources, links and extensions.
var goldenResponses = []string{
	"../api/testdata/golden/upadacitinib-45mg-low-anc.response.json",
	"../api/testdata/golden/abrocitinib-with-clopidogrel.response.json",
	"../api/testdata/golden/upadacitinib-15mg-normal-cbc.response.json",
	"testdata/spec/response-cards.json",
	"testdata/spec/response-systemActions.json",
}

func goldenResponse(t testing.TB, file string) cdshooks.Response {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var r cdshooks.Response
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// v1Response has Response's fields without its MarshalJSON, so that
// encoding/json encodes it field by field, as it did before Encode.
type v1Response cdshooks.Response

func encodeV1(r cdshooks.Response) ([]byte, error) {
	if r.Cards == nil {
		r.Cards = []cdshooks.Card{}
	}
	return json.Marshal(v1Response(r))
}

// Encode must give the bytes encoding/json gives: services write it in
// place of json.Marshal, and clients and golden files see those bytes.
func TestResponseEncodeIsMarshal(t *testing.T) {
	t.Parallel()
	cases := map[string]cdshooks.Response{
		"nil cards":     {},
		"html chars":    {Cards: []cdshooks.Card{{Summary: "a < b & c > d \u2028", Indicator: "info", Source: cdshooks.Source{Label: "<l>"}}}},
		"invalid utf-8": {Cards: []cdshooks.Card{{Summary: "bad \xff\xfe byte", Indicator: "info", Source: cdshooks.Source{Label: "l"}}}},
		"odd raw resource and maps": {Cards: []cdshooks.Card{{
			Summary: "s", Indicator: "warning", Source: cdshooks.Source{Label: "l"},
			Suggestions: []cdshooks.Suggestion{{Label: "x", Actions: []cdshooks.Action{
				{Type: "create", Description: "d", Resource: json.RawMessage(" {\n \"resourceType\" : \"ServiceRequest\", \"note\": \"<&>\" } ")},
			}}},
			Links:     []cdshooks.Link{{Label: "l", URL: "https://x.test/?a=1&b=2", Type: "absolute"}},
			Extension: map[string]any{"z": 1.5, "a": []any{nil, true, "é"}, "m": map[string]any{"y": 0, "b": ""}},
		}}},
	}
	for _, f := range goldenResponses {
		cases[f] = goldenResponse(t, f)
	}
	for name, r := range cases {
		want, err := encodeV1(r)
		if err != nil {
			t.Fatal(err)
		}
		got, err := r.Encode()
		if err != nil {
			t.Fatal(err)
		}
		viaMarshal, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		for how, b := range map[string][]byte{"Encode": got, "json.Marshal": viaMarshal} {
			if name == "invalid utf-8" {
				// Both replace each invalid byte with U+FFFD; encoding/json
				// writes it as the escape \ufffd, v2 as the character.
				var g, w any
				if json.Unmarshal(b, &g) != nil || json.Unmarshal(want, &w) != nil || !cmp.Equal(g, w) || !json.Valid(b) {
					t.Errorf("%s: %s =\n%s\ndoes not decode as\n%s", name, how, b, want)
				}
				continue
			}
			if string(b) != string(want) {
				t.Errorf("%s: %s =\n%s\nwant\n%s", name, how, b, want)
			}
		}
		if name != "nil cards" && len(r.Cards) == 0 && len(r.SystemActions) == 0 {
			t.Errorf("%s: fixture decoded to an empty response", name)
		}
	}
}

// go test -run '^$' -bench ResponseEncode -benchmem ./cdshooks
func BenchmarkResponseEncode(b *testing.B) {
	r := goldenResponse(b, goldenResponses[0])
	for _, bc := range []struct {
		name string
		enc  func(cdshooks.Response) ([]byte, error)
	}{
		// What services did before Encode: gin's c.JSON, which is
		// json.Marshal of the Response, whose MarshalJSON encoded with
		// encoding/json (and json.Marshal compacted the result again).
		{"encoding/json+compact", func(r cdshooks.Response) ([]byte, error) {
			out, err := encodeV1(r)
			if err != nil {
				return nil, err
			}
			var buf bytes.Buffer
			err = json.Compact(&buf, out)
			return buf.Bytes(), err
		}},
		{"encoding/json", encodeV1},
		{"Encode", cdshooks.Response.Encode},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bc.enc(r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
