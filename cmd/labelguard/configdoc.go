package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"
)

// writeConfigDoc renders docs/configuration.md from the serve command's
// flags, so the reference cannot drift from the binary (a test compares).
func writeConfigDoc(w io.Writer) {
	cmd := newServeCmd()
	fmt.Fprint(w, `# Configuration reference

Generated from the flags of `+"`labelguard serve`"+` by `+"`go test ./cmd/labelguard -run TestConfigDoc -update`"+`; do not edit by hand.

Every setting can be given three ways. In order of precedence:

1. a flag on the command line: `+"`--addr :8080`"+`;
2. an environment variable `+"`LABELGUARD_<FLAG>`"+`, upper case with dashes as underscores: `+"`LABELGUARD_ADDR=:8080`"+`;
3. a YAML file named by `+"`--config`"+` (or `+"`LABELGUARD_CONFIG`"+`) whose keys are the flag names:

`+"```yaml"+`
addr: ":8080"
auth: required
trusted-issuers: /etc/labelguard/trusted-issuers/issuers.json
base-url: https://labelguard.hospital.example
cors-origins: [https://ehr.hospital.example]
`+"```"+`

A setting given nowhere takes its default. An unknown key in the file, or a
value of the wrong type anywhere, stops startup with a message naming the
setting. A `+"`LABELGUARD_*`"+` variable that sets no flag (a typo such as
`+"`LABELGUARD_ADRR`"+`) is logged as a warning at startup, naming it and the
nearest setting; with `+"`--strict-env`"+` it stops startup instead. Variables of
the tests (`+"`LABELGUARD_TEST_*`"+`), of the chart's tooling (`+"`LABELGUARD_TOOLS`"+`)
and those Kubernetes injects for a Service named `+"`labelguard...`"+`
(`+"`LABELGUARD_SERVICE_HOST`"+`, `+"`LABELGUARD_PORT_8080_TCP`"+`, ...) are not settings
and are ignored.

The startup log line (`+"`labelguard started`"+`) shows the effective value of every
setting, durations in milliseconds, with the database password redacted.

| flag | environment | default | meaning |
|---|---|---|---|
`)
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		def := f.DefValue
		switch {
		case def == "" || def == "[]":
			def = ""
		default:
			def = "`" + def + "`"
		}
		fmt.Fprintf(w, "| `--%s` | `%s` | %s | %s |\n", f.Name, envName(f.Name), def,
			strings.ReplaceAll(f.Usage, "|", `\|`))
	})
}
