package timeshift_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/labelguard/labelguard/internal/timeshift"
)

func TestDays(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	from := at("2026-11-23T12:00:00Z")
	for _, c := range []struct {
		to   string
		want int
	}{
		{"2026-11-23T12:00:00Z", 0},
		{"2026-11-24T11:59:59Z", 0},
		{"2026-11-24T12:00:00Z", 1},
		{"2026-11-23T11:59:59Z", -1},
		{"2026-11-22T12:00:00Z", -1},
		{"2026-11-22T11:59:59Z", -2},
		{"2028-11-23T12:00:00Z", 731}, // 2028 is a leap year
		{"2026-11-24T01:00:00+02:00", 0},
	} {
		if got := timeshift.Days(from, at(c.to)); got != c.want {
			t.Errorf("Days(%s, %s) = %d, want %d", from.Format(time.RFC3339), c.to, got, c.want)
		}
		moved := timeshift.Time(from, timeshift.Days(from, at(c.to)))
		if moved.After(at(c.to)) || !moved.Add(24*time.Hour).After(at(c.to)) {
			t.Errorf("moved %s is not within the day before %s", moved, c.to)
		}
	}
}

func TestString(t *testing.T) {
	for _, c := range []struct {
		key, in string
		days    int
		want    string
		moved   bool
	}{
		{"effectiveDateTime", "2026-11-16T09:00:00Z", 7, "2026-11-23T09:00:00Z", true},
		{"effectiveDateTime", "2026-11-16T09:00:00.123+05:30", -16, "2026-10-31T09:00:00.123+05:30", true},
		{"issued", "2026-12-31T23:59:59Z", 1, "2027-01-01T23:59:59Z", true},
		{"authoredOn", "2026-11-23", 731, "2028-11-23", true},
		{"birthDate", "1993-02-28", 366, "1994-03-01", true},
		{"start", "2024-02-29", 365, "2025-02-28", true},
		// Partial dates move by their middle and keep their precision,
		// under date keys only.
		{"birthDate", "1993", 731, "1995", true},
		{"birthDate", "1993", 30, "1993", true},
		{"onsetDateTime", "2019-06", 20, "2019-07", true},
		{"end", "2019-12", 10, "2019-12", true},
		{"value", "1993", 731, "1993", false},
		{"valueString", "2019-06", 20, "2019-06", false},
		// Not dates.
		{"code", "2026-11-16", 7, "2026-11-16", false},
		{"id", "2026-11-16", 7, "2026-11-16", false},
		{"effectiveDateTime", "2026-02-30", 7, "2026-02-30", false},
		{"effectiveDateTime", "2026-11-16Tnoon", 7, "2026-11-16Tnoon", false},
		{"birthDate", "2019-13", 7, "2019-13", false},
		{"note", "on 2026-11-16", 7, "on 2026-11-16", false},
		{"value", "751-8", 7, "751-8", false},
	} {
		got, moved := timeshift.String(c.key, c.in, c.days)
		if got != c.want || moved != c.moved {
			t.Errorf("String(%q, %q, %d) = %q, %v; want %q, %v", c.key, c.in, c.days, got, moved, c.want, c.moved)
		}
	}
}

func TestJSON(t *testing.T) {
	in := `{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Observation","id":"2026-01-01",
		"effectiveDateTime":"2026-11-16T09:00:00Z","valueQuantity":{"value":0.80,"unit":"10*3/uL"},
		"code":{"coding":[{"system":"http://loinc.org","code":"751-8"}],"text":"ANC <low>"}}},
		{"resource":{"resourceType":"Patient","id":"p","birthDate":"1993-05-10",
		"extension":[{"url":"x","valueDate":"2020-01-31"}]}}]}`
	out, err := timeshift.JSON([]byte(in), 10)
	if err != nil {
		t.Fatal(err)
	}
	var got, want any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	wantText := `{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Observation","id":"2026-01-01",
		"effectiveDateTime":"2026-11-26T09:00:00Z","valueQuantity":{"value":0.80,"unit":"10*3/uL"},
		"code":{"coding":[{"system":"http://loinc.org","code":"751-8"}],"text":"ANC <low>"}}},
		{"resource":{"resourceType":"Patient","id":"p","birthDate":"1993-05-20",
		"extension":[{"url":"x","valueDate":"2020-02-10"}]}}]}`
	if err := json.Unmarshal([]byte(wantText), &want); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("moved document (-want +got):\n%s", d)
	}
	// Numbers keep their spelling and text is not HTML-escaped.
	for _, s := range []string{`"value":0.80`, `"ANC <low>"`} {
		if !json.Valid(out) || !strings.Contains(string(out), s) {
			t.Errorf("output lacks %s: %s", s, out)
		}
	}
	// Moving back restores the document.
	back, err := timeshift.JSON(out, -10)
	if err != nil {
		t.Fatal(err)
	}
	var round any
	_ = json.Unmarshal(back, &round)
	var orig any
	_ = json.Unmarshal([]byte(in), &orig)
	if d := cmp.Diff(orig, round); d != "" {
		t.Errorf("round trip (-want +got):\n%s", d)
	}
	for _, bad := range []string{`{`, `{} {}`, ``} {
		if _, err := timeshift.JSON([]byte(bad), 1); err == nil {
			t.Errorf("JSON(%q): no error", bad)
		}
	}
}
