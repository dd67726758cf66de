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
// string elsewhere may be a code. A Patient's birth date moves so that the
// age in years at the moved time is the age at the original one.
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

// Move moves a record written for the evaluation time From by Days whole
// days. The zero Move moves nothing.
type Move struct {
	From time.Time
	Days int
}

// Between is the move of a record written for from to the day of to: by
// Days(from, to) days.
func Between(from, to time.Time) Move { return Move{From: from, Days: Days(from, to)} }

// To is the moved evaluation time: From moved by Days.
func (m Move) To() time.Time { return m.From.AddDate(0, 0, m.Days) }

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

// precision of a parsed date.
const (
	year = iota
	month
	fullDate
)

// date is a parsed FHIR date: its first day, its precision and the time of
// day as written (with a full date only).
type date struct {
	t    time.Time
	prec int
	rest string
}

func parseDate(key, s string) (date, bool) {
	if notDates[key] || len(s) < 4 || len(s) > 40 {
		return date{}, false
	}
	m := dateRE.FindStringSubmatch(s)
	if m == nil {
		return date{}, false
	}
	y, _ := strconv.Atoi(m[1])
	switch {
	case m[3] != "":
		if m[4] != "" && !timeRE.MatchString(m[4]) {
			return date{}, false
		}
		mo, _ := strconv.Atoi(m[2])
		d, _ := strconv.Atoi(m[3])
		t := time.Date(y, time.Month(mo), d, 0, 0, 0, 0, time.UTC)
		if t.Month() != time.Month(mo) || t.Day() != d {
			return date{}, false // 2026-02-30 is not a date
		}
		return date{t: t, prec: fullDate, rest: m[4]}, true
	case !dateKey(key):
		return date{}, false
	case m[2] != "":
		mo, _ := strconv.Atoi(m[2])
		if mo < 1 || mo > 12 {
			return date{}, false
		}
		return date{t: time.Date(y, time.Month(mo), 1, 0, 0, 0, 0, time.UTC), prec: month}, true
	default:
		return date{t: time.Date(y, time.January, 1, 0, 0, 0, 0, time.UTC), prec: year}, true
	}
}

func (d date) String() string {
	switch d.prec {
	case fullDate:
		return d.t.Format("2006-01-02") + d.rest
	case month:
		return d.t.Format("2006-01")
	default:
		return d.t.Format("2006")
	}
}

// moved moves d by days. A full date moves its date and keeps its time of
// day and offset as written: a fixed offset has no daylight saving, so the
// instant moves by exactly days × 24 h. A partial date moves by its middle
// day and keeps its precision.
func (d date) moved(days int) date {
	switch d.prec {
	case fullDate:
		d.t = d.t.AddDate(0, 0, days)
	case month:
		mid := d.t.AddDate(0, 0, 14).AddDate(0, 0, days)
		d.t = time.Date(mid.Year(), mid.Month(), 1, 0, 0, 0, 0, time.UTC)
	default:
		mid := d.t.AddDate(0, 0, 182).AddDate(0, 0, days)
		d.t = time.Date(mid.Year(), time.January, 1, 0, 0, 0, 0, time.UTC)
	}
	return d
}

// step moves d by n units of its precision.
func (d date) step(n int) date {
	switch d.prec {
	case fullDate:
		d.t = d.t.AddDate(0, 0, n)
	case month:
		d.t = d.t.AddDate(0, n, 0)
	default:
		d.t = d.t.AddDate(n, 0, 0)
	}
	return d
}

// ageYears is the age in completed years at now of a person born at birth
// (a partial date read as its start), as fhir derives it.
func ageYears(birth, now time.Time) int {
	age := now.Year() - birth.Year()
	if now.Month() < birth.Month() || now.Month() == birth.Month() && now.Day() < birth.Day() {
		age--
	}
	return age
}

// String moves s by m.Days when it is a date under key, and reports whether
// it did.
func (m Move) String(key, s string) (string, bool) {
	d, ok := parseDate(key, s)
	if !ok {
		return s, false
	}
	return d.moved(m.Days).String(), true
}

// BirthDate moves a birth date so that the age in completed years at the
// moved evaluation time is the age at From. Moving by whole days alone
// would not: a leap day between the two can put a 65th birthday on the day
// after, and "turns 65 today" is a case the rules must see as written.
func (m Move) BirthDate(s string) (string, bool) {
	d, ok := parseDate("birthDate", s)
	if !ok {
		return s, false
	}
	want := ageYears(d.t, m.From.UTC())
	to := m.To().UTC()
	b := d.moved(m.Days)
	for i := 0; i < 3; i++ {
		switch age := ageYears(b.t, to); {
		case age > want:
			b = b.step(1)
		case age < want:
			b = b.step(-1)
		default:
			return b.String(), true
		}
	}
	return b.String(), true
}

// Value moves every date in v, decoded JSON (objects as map[string]any,
// arrays as []any), in place, and returns v. A Patient's birthDate moves
// as BirthDate says.
func (m Move) Value(v any) any {
	if m.Days == 0 {
		return v
	}
	return m.walk("", v)
}

func (m Move) walk(key string, v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if b, ok := e.(string); ok && k == "birthDate" && x["resourceType"] == "Patient" {
				x[k], _ = m.BirthDate(b)
				continue
			}
			x[k] = m.walk(k, e)
		}
	case []any:
		for i, e := range x {
			x[i] = m.walk(key, e)
		}
	case string:
		if s, ok := m.String(key, x); ok {
			return s
		}
	}
	return v
}

// JSON moves every date of a JSON document. Numbers keep their spelling;
// object keys come out sorted, without indentation.
func (m Move) JSON(raw []byte) ([]byte, error) {
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
	if err := enc.Encode(m.Value(v)); err != nil {
		return nil, fmt.Errorf("timeshift.JSON: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// ParseTime reads an evaluation time as a person gives it: RFC 3339
// (2026-11-23T12:00:00Z), a date and time without a zone, read as UTC
// (2026-11-23T12:00, what a browser's datetime-local field sends), or a date
// alone, read as 12:00 UTC of that day (the time the scenarios use: the same
// calendar day from UTC-12 to UTC+11).
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	var t time.Time
	var err error
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err = time.Parse(layout, s); err == nil {
			if layout == "2006-01-02" {
				t = t.Add(12 * time.Hour)
			}
			if t.Year() < 1900 || t.Year() > 2200 {
				return time.Time{}, fmt.Errorf("%q is outside the years 1900 to 2200", s)
			}
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date (2026-11-23), a UTC date and time (2026-11-23T12:00) or an RFC 3339 time", s)
}
