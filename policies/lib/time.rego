# Dates and times. Every time is RFC 3339 UTC; a bare date counts as
# midnight UTC (docs/clinical/conventions.md#lab-result). The evaluation time is input.now: policies
# never read the clock.
package labelguard.lib

ns_per_day := 86400000000000

to_ns(t) := time.parse_rfc3339_ns(t) if {
	contains(t, "T")
} else := time.parse_rfc3339_ns(concat("", [t, "T00:00:00Z"]))

# days_between: days (fractional) from a to b; negative when b is earlier.
days_between(a, b) := (to_ns(b) - to_ns(a)) / ns_per_day

# days_since: days from t to the evaluation time.
days_since(t) := days_between(t, input.now)

# add_days: the date (YYYY-MM-DD) n days after t.
add_days(t, n) := time.format([time.add_date(to_ns(t), 0, 0, n), "UTC", "2006-01-02"])

# date_of: the date part of a time, for card text.
date_of(t) := substring(t, 0, 10)
