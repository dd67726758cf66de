package scenario_test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/labelguard/labelguard/pipeline"
	"github.com/labelguard/labelguard/scenario"
)

var (
	// decimalNumber is a number with a fractional part in card text.
	decimalNumber = regexp.MustCompile(`\b\d+\.\d+\b`)
	// linkTarget is a Markdown link's URL, which may hold digits (a DOI).
	linkTarget = regexp.MustCompile(`\]\([^)]*\)`)
	// rawUnits are units as the data carry them (UCUM), not as a clinician
	// reads them: the cards use data/labs.json's display units.
	rawUnits = []string{"10*9/L", "10*3/uL", "10^9/L", "{1.73_m2}", "{cells}"}
)

// profileDisplays is each drug's display name, from its profile.
func profileDisplays(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, data := range profileFiles(t) {
		var p struct{ ID, Display string }
		if err := json.Unmarshal(data, &p); err != nil {
			t.Fatal(err)
		}
		out[p.ID] = p.Display
	}
	return out
}

// significant counts the significant digits of a decimal number ("0.80"
// has 2, "25.37" has 4).
func significant(num string) int {
	digits := strings.TrimLeft(strings.Replace(num, ".", "", 1), "0")
	return len(digits)
}

// TestCardsInAClinicansWords runs every scenario and holds each card to
// the wording the clinicians asked for: a summary of at most 140
// characters naming the drug, numbers of at most three significant digits
// without float noise, units as data/labs.json displays them, and the
// source cited once (in source, not again in the detail or a link).
func TestCardsInAClinicansWords(t *testing.T) {
	displays := profileDisplays(t)
	ps, _ := eachOutcome(t, func(s scenario.Scenario, out *pipeline.Outcome) {
		for i, c := range out.Cards {
			f := out.Findings[i]
			where := s.Name + ": " + f.Rule
			if n := utf8.RuneCountInString(c.Summary); n > 140 {
				t.Errorf("%s: summary of %d characters", where, n)
			}
			drugs := map[string]bool{}
			for _, o := range out.Input.Input.Orders {
				if o.Ref == f.Order && o.Target != "" {
					drugs[o.Target] = true
				}
			}
			if f.Drug != "" {
				drugs[f.Drug] = true
			}
			named := len(drugs) == 0 // a card about no one drug: data.incomplete, rule failures
			for d := range drugs {
				if name := displays[d]; name != "" && strings.Contains(strings.ToLower(c.Summary), strings.ToLower(name)) {
					named = true
				}
			}
			if !named {
				t.Errorf("%s: summary %q does not name the drug (%v)", where, c.Summary, drugs)
			}
			for _, text := range []string{c.Summary, c.Detail} {
				for _, num := range decimalNumber.FindAllString(linkTarget.ReplaceAllString(text, "]"), -1) {
					if significant(num) > 3 {
						t.Errorf("%s: %q shows %s", where, text, num)
					}
				}
				for _, u := range rawUnits {
					if strings.Contains(text, u) {
						t.Errorf("%s: %q writes the unit %s as the data carry it", where, text, u)
					}
				}
			}
			if c.Source.URL != "" && strings.Contains(c.Detail, "("+c.Source.URL+")") {
				t.Errorf("%s: the detail cites the card's source again:\n%s", where, c.Detail)
			}
			for _, l := range c.Links {
				if l.URL == c.Source.URL {
					t.Errorf("%s: a link repeats the card's source %s", where, l.URL)
				}
			}
		}
	})
	if ps == nil {
		t.Fatal("no policy set")
	}
}
