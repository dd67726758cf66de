// Command policydata prints the data document of a policy directory (value
// sets indexed, tables and parameters) as JSON, so that `opa test` or
// `opa eval` run beside the project see what labelguard loads:
//
//	go run ./internal/tools/policydata policies > /tmp/data.json
//	opa test policies /tmp/data.json
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/labelguard/labelguard/engine"
)

func main() {
	dir := "policies"
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	ps, err := engine.Load(context.Background(), os.DirFS(dir), engine.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "policydata:", err)
		os.Exit(1)
	}
	doc, err := ps.DataDocument()
	if err != nil {
		fmt.Fprintln(os.Stderr, "policydata:", err)
		os.Exit(1)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", " ")
	if err := enc.Encode(doc); err != nil {
		fmt.Fprintln(os.Stderr, "policydata:", err)
		os.Exit(1)
	}
}
