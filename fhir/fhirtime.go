package fhir

import (
	"strings"
	"time"
)

// FHIR date and dateTime forms, most specific first. A dateTime without a
// zone is not valid FHIR but some senders write it; it is read as UTC.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04",
	"2006-01-02",
	"2006-01",
	"2006",
}

// parseTime reads a FHIR date, dateTime or instant. A date without a time is
// midnight UTC and a partial date (YYYY, YYYY-MM) is the start of the period
// (docs/clinical/conventions.md#lab-result).
func parseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 64 {
		return time.Time{}, false
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// formatTime is the facts convention: RFC 3339 in UTC.
func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// normTime rewrites a FHIR time to the facts convention, or "" when it is
// not a time.
func normTime(s string) string {
	if t, ok := parseTime(s); ok {
		return formatTime(t)
	}
	return ""
}
