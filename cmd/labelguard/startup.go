package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"regexp"
	"runtime"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// reportedError is an error serve has already logged as its last line;
// main exits non-zero without printing it again, so that every line of a
// serve run is in the log format.
type reportedError struct{ error }

func (e reportedError) Unwrap() error { return e.error }

// reportError prints a command's error. serve's own errors are already
// logged; its other errors (a flag, an environment value or the --config
// file refused before its logger exists) are printed as a JSON log line,
// so that every line of a serve run parses as JSON. Other commands print
// plain text for a person at a terminal.
func reportError(w io.Writer, cmd *cobra.Command, err error) {
	var r reportedError
	switch {
	case errors.As(err, &r):
	case cmd != nil && cmd.Name() == "serve":
		slog.New(slog.NewJSONHandler(w, nil)).Error("labelguard serve stopped", slog.String("error", err.Error()))
	default:
		fmt.Fprintln(w, "labelguard:", err)
	}
}

// redacted replaces a secret's value in the startup line.
const redacted = "REDACTED"

// secretFlag reports whether a flag's value is a secret as a whole (none
// of serve's flags is today; the DSN has its own redaction). The names are
// matched by pattern so that a flag added later is redacted unless someone
// decides otherwise.
var secretFlag = regexp.MustCompile(`password|secret|token|credential`)

// configAttrs renders the effective configuration (after flags,
// environment and file) as log attributes: durations as durations (the
// logger writes them in milliseconds), numbers as numbers, the database
// DSN without its password. The hash key is never a flag value (only its
// file's path is), so it cannot appear.
func configAttrs(fs *pflag.FlagSet) []any {
	var attrs []any
	fs.VisitAll(func(f *pflag.Flag) {
		name := f.Name
		switch {
		case name == "help":
			return
		case name == "database-dsn":
			attrs = append(attrs, slog.String(name, redactDSN(f.Value.String())))
			return
		case secretFlag.MatchString(name):
			v := f.Value.String()
			if v != "" {
				v = redacted
			}
			attrs = append(attrs, slog.String(name, v))
			return
		}
		switch f.Value.Type() {
		case "duration":
			d, _ := fs.GetDuration(name)
			attrs = append(attrs, slog.Duration(name, d))
		case "int":
			n, _ := fs.GetInt(name)
			attrs = append(attrs, slog.Int(name, n))
		case "int64":
			n, _ := fs.GetInt64(name)
			attrs = append(attrs, slog.Int64(name, n))
		case "bool":
			b, _ := fs.GetBool(name)
			attrs = append(attrs, slog.Bool(name, b))
		case "stringSlice":
			ss, _ := fs.GetStringSlice(name)
			attrs = append(attrs, slog.Any(name, ss))
		default:
			attrs = append(attrs, slog.String(name, f.Value.String()))
		}
	})
	return attrs
}

// dsnPassword matches the password of a key=value DSN, quoted or not.
var dsnPassword = regexp.MustCompile(`(?i)(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)`)

// redactDSN removes the password from a PostgreSQL DSN, URL or key=value.
func redactDSN(dsn string) string {
	if dsn == "" {
		return ""
	}
	if strings.Contains(dsn, "://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return redacted // cannot tell where the password is
		}
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), redacted)
		}
		q := u.Query()
		if q.Has("password") {
			q.Set("password", redacted)
			u.RawQuery = q.Encode()
		}
		return u.String()
	}
	return dsnPassword.ReplaceAllString(dsn, "${1}"+redacted)
}

// startup is what serve knows once it listens, beyond its flags.
type startup struct {
	addr, scheme string
	// auth is "required" or "disabled", as decided from --auth and
	// --trusted-issuers.
	auth string
	// policyRevision is the active set's, "" while a bundle is awaited.
	policyRevision string
	// corsOrigins are the origins CORS allows, as decided from
	// --cors-origins and the authentication mode.
	corsOrigins []string
}

// startupAttrs is what the one startup line says: what runs, from which
// revision, with which configuration and policies, and where.
func startupAttrs(fs *pflag.FlagSet, s startup) []any {
	rev := s.policyRevision
	if rev == "" {
		rev = "pending (bundle not downloaded yet)"
	}
	origins := s.corsOrigins
	if origins == nil {
		origins = []string{}
	}
	attrs := []any{
		slog.String("version", version), slog.String("revision", buildRevision()), slog.String("go", runtime.Version()),
		slog.String("url", s.scheme+"://"+s.addr), slog.String("discovery", s.scheme+"://"+s.addr+"/cds-services"),
		slog.String("auth", s.auth), slog.Any("cors_origins", origins), slog.String("policy_revision", rev),
	}
	if fs != nil {
		attrs = append(attrs, slog.Group("config", configAttrs(fs)...))
	}
	return attrs
}
