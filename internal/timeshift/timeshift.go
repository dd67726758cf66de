// Package timeshift moves every date of FHIR R4 JSON by whole days, so that
// a record written for one evaluation time reads the same at another: a lab
// seven days old on the day a case was written is seven days old today.
// The playground serves its samples moved to the current date, and the
// README's example request is printed moved to it; the CDS Hooks API never
// moves anything (a caller must not shift the clock of a real decision).
//
// Whole days keep a date and a dateTime of the same record in the same
// relation (a date-only value stays a date), and keep the time of day of
// every dateTime. Partial dates (a year, a year and month) move by their
// middle day and keep their precision, under keys that name a date only
// (birthDate, onsetDateTime, Period start and end): a bare four-digit
// string elsewhere may be a code.
package timeshift

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

const day = 24 * time.Hour

// Days is the number of whole days from from to to, rounded down: moving a
// record written for from by Days(from, to) days puts its evaluation time
// at most one day before to, never after it.
func Days(from, to time.Time) int {
	d := to.Sub(from)
	n := int(d / day)
	if d < 0 && d%day != 0 {
		n--
	}
	return n
}

// Time moves t by days whole days.
func Time(t time.Time, days int) time.Time { return t.AddDate(0, 0, days) }

var (
	// A FHIR date, dateTime or instant; the time part is checked apart.
	dateRE = regexp.MustCompile(`^([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2})(T.*)?)?)?$`)
	timeRE = regexp.MustCompile(`^T[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?(?:Z|[+-][0-9]{2}:[0-9]{2})?$`)
)

// notDates are keys whose values are never dates, whatever they look like.
var notDates = map[string]bool{
	"id": true, "code": true, "system": true, "reference": true, "url": true, "fullUrl": true,
	"display": true, "text": true, "version": true, "hookInstance": true, "div": true,
}

// dateKey reports whether key names a date element, where a partial date
// (a year, a year and month) is read as one.
func dateKey(key string) bool {
	return strings.Contains(strings.ToLower(key), "date") || key == "start" || key == "end"
}

// String moves s by days when it is a date under key, and reports whether
// it did.
func String(key, s string, days int) (string, bool) {
	if notDates[key] || len(s) < 4 || len(s) > 40 {
		return s, false
	}
	m := dateRE.FindStringSubmatch(s)
	if m == nil {
		return s, false
	}
	year, _ := strconv.Atoi(m[1])
	switch {
	case m[3] != "":
		if m[4] != "" && !timeRE.MatchString(m[4]) {
			return s, false
		}
		month, _ := strconv.Atoi(m[2])
		dd, _ := strconv.Atoi(m[3])
		t := time.Date(year, time.Month(month), dd, 0, 0, 0, 0, time.UTC)
		if t.Month() != time.Month(month) || t.Day() != dd {
			return s, false // 2026-02-30 is not a date
		}
		// The time of day and its offset stay as written: a fixed offset
		// has no daylight saving, so moving the date moves the instant by
		// exactly days × 24 h.
		return t.AddDate(0, 0, days).Format("2006-01-02") + m[4], true
	case !dateKey(key):
		return s, false
	case m[2] != "":
		month, _ := strconv.Atoi(m[2])
		if month < 1 || month > 12 {
			return s, false
		}
		return time.Date(year, time.Month(month), 15, 0, 0, 0, 0, time.UTC).AddDate(0, 0, days).Format("2006-01"), true
	default:
		return time.Date(year, time.July, 2, 0, 0, 0, 0, time.UTC).AddDate(0, 0, days).Format("2006"), true
	}
}

// Value moves every date in v, decoded JSON (objects as map[string]any,
// arrays as []any), in place, and returns v.
func Value(v any, days int) any {
	if days == 0 {
		return v
	}
	walk("", v, days)
	return v
}

func walk(key string, v any, days int) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = walk(k, e, days)
		}
	case []any:
		for i, e := range x {
			x[i] = walk(key, e, days)
		}
	case string:
		if s, ok := String(key, x, days); ok {
			return s
		}
	}
	return v
}

// JSON moves every date of a JSON document by days. Numbers keep their
// spelling; object keys come out sorted, without indentation.
func JSON(raw []byte, days int) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("timeshift.JSON: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("timeshift.JSON: data after the document")
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(Value(v, days)); err != nil {
		return nil, fmt.Errorf("timeshift.JSON: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
