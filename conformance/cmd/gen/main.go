// Command gen writes docs/conformance.md from conformance/mapping.json after
// checking the mapping against the requirement sheets and the repository's
// tests. Run it from the module root:
//
//	go run ./conformance/cmd/gen
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/labelguard/labelguard/conformance"
)

func main() {
	root := flag.String("root", ".", "module root")
	force := flag.Bool("force", false, "write the document even when the mapping fails its checks")
	flag.Parse()
	if err := run(*root, *force); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(root string, force bool) error {
	m, err := conformance.LoadMapping(filepath.Join(root, conformance.MappingFile))
	if err != nil {
		return err
	}
	rows, err := m.ReadSheets(filepath.Join(root, "conformance"))
	if err != nil {
		return err
	}
	idx, err := conformance.IndexTests(root)
	if err != nil {
		return err
	}
	errs := m.Check(rows, idx)
	for _, e := range errs {
		fmt.Fprintln(os.Stderr, e)
	}
	if len(errs) > 0 && !force {
		return fmt.Errorf("%d problems in %s (use -force to write anyway)", len(errs), conformance.MappingFile)
	}
	out := filepath.Join(root, conformance.DocFile)
	if err := os.WriteFile(out, m.Markdown(), 0o644); err != nil {
		return err
	}
	fmt.Println("wrote", out)
	return nil
}
