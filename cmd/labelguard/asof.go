package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/labelguard/labelguard/internal/timeshift"
)

// asOfFlag is the evaluation time of the offline commands (eval, diff):
// --as-of, with --now kept as its earlier name. Only these commands take a
// clock from their caller; the CDS Hooks API never does.
type asOfFlag struct{ asOf, now string }

func (a *asOfFlag) register(cmd *cobra.Command, what string) {
	f := cmd.Flags()
	f.StringVar(&a.asOf, "as-of", "", what+": a date (2026-11-23, read as 12:00 UTC), a UTC date and time (2026-11-23T12:00) or an RFC 3339 time (default: now)")
	f.StringVar(&a.now, "now", "", "the same as --as-of (its earlier name)")
	_ = f.MarkHidden("now")
}

// time returns the evaluation time, the current time when none is given.
func (a *asOfFlag) time() (time.Time, error) {
	name, v := "--as-of", a.asOf
	switch {
	case a.asOf != "" && a.now != "":
		return time.Time{}, errors.New("--as-of and --now are the same flag: give one")
	case a.now != "":
		name, v = "--now", a.now
	case v == "":
		return time.Now(), nil
	}
	t, err := timeshift.ParseTime(v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: %w", name, err)
	}
	return t, nil
}
