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
		moved := timeshift.Between(from, at(c.to)).To()
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
		{"birthDate", "1993", 200, "1994", true},
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
		got, moved := timeshift.Move{Days: c.days}.String(c.key, c.in)
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
	out, err := timeshift.Move{Days: 10}.JSON([]byte(in))
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
	back, err := timeshift.Move{Days: -10}.JSON(out)
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
		if _, err := (timeshift.Move{Days: 1}).JSON([]byte(bad)); err == nil {
			t.Errorf("JSON(%q): no error", bad)
		}
	}
}

func TestParseTime(t *testing.T) {
	for in, want := range map[string]string{
		"2026-11-23T12:00:00Z":      "2026-11-23T12:00:00Z",
		"2026-11-23T13:00:00+01:00": "2026-11-23T12:00:00Z",
		"2026-11-23T12:00":          "2026-11-23T12:00:00Z",
		"2026-11-23T12:00:30":       "2026-11-23T12:00:30Z",
		" 2026-11-23 ":              "2026-11-23T12:00:00Z",
	} {
		got, err := timeshift.ParseTime(in)
		if err != nil || got.UTC().Format(time.RFC3339) != want {
			t.Errorf("ParseTime(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
	for _, in := range []string{"", "yesterday", "2026-13-01", "23/11/2026", "0001-01-01", "9999-12-31T00:00:00Z"} {
		if _, err := timeshift.ParseTime(in); err == nil {
			t.Errorf("ParseTime(%q): no error", in)
		}
	}
}

// TestBirthDate: the age in years at the moved time is the age at the
// original one, a birthday today included, across leap days.
func TestBirthDate(t *testing.T) {
	from := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	for _, birth := range []string{"1961-11-23", "1961-11-24", "1961-11-22", "2024-02-29", "2024-11-23", "1993-05-10", "1993", "1993-11", "1961-12"} {
		for days := -800; days <= 1600; days += 37 {
			m := timeshift.Move{From: from, Days: days}
			moved, ok := m.BirthDate(birth)
			if !ok {
				t.Fatalf("BirthDate(%q) not moved", birth)
			}
			if len(moved) != len(birth) {
				t.Errorf("BirthDate(%q) = %q: precision changed", birth, moved)
			}
			if got, want := age(t, moved, m.To()), age(t, birth, from); got != want {
				t.Errorf("born %s, moved %d days: %s is %d at %s, want %d", birth, days, moved, got, m.To().Format("2006-01-02"), want)
			}
		}
	}
	// In a Patient, Value moves birthDate so; elsewhere it is a date.
	doc := map[string]any{"resourceType": "Bundle", "entry": []any{
		map[string]any{"resource": map[string]any{"resourceType": "Patient", "birthDate": "1961-11-23"}},
		map[string]any{"resource": map[string]any{"resourceType": "RelatedPerson", "birthDate": "1961-11-23"}},
	}}
	timeshift.Move{From: from, Days: 731}.Value(doc)
	entries := doc["entry"].([]any)
	if b := entries[0].(map[string]any)["resource"].(map[string]any)["birthDate"]; b != "1963-11-23" {
		t.Errorf("Patient birthDate moved to %v, want 1963-11-23 (65 on 2028-11-23)", b)
	}
	if b := entries[1].(map[string]any)["resource"].(map[string]any)["birthDate"]; b != "1963-11-24" {
		t.Errorf("RelatedPerson birthDate moved to %v, want 1963-11-24 (731 days)", b)
	}
}

// age is the age in completed years, a partial date read as its start.
func age(t *testing.T, birth string, at time.Time) int {
	t.Helper()
	for len(birth) < 10 {
		birth += "-01"
	}
	b, err := time.Parse("2006-01-02", birth)
	if err != nil {
		t.Fatal(err)
	}
	a := at.Year() - b.Year()
	if at.Month() < b.Month() || at.Month() == b.Month() && at.Day() < b.Day() {
		a--
	}
	return a
}
