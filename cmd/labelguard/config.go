package main

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/spf13/pflag"
	yaml "go.yaml.in/yaml/v3"
)

// applyConfigFile sets, from a YAML file whose keys are flag names, every
// flag that neither the command line nor the environment set. An unknown key
// or a value of the wrong type fails with the setting's name, so a typo in a
// deployed configuration stops startup instead of being ignored.
func applyConfigFile(fs *pflag.FlagSet, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("--config: %w", err)
	}
	var doc map[string]any
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil && err.Error() != "EOF" {
		return fmt.Errorf("--config %s: %w", path, err)
	}
	keys := make([]string, 0, len(doc))
	for k := range doc {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var errs []string
	for _, k := range keys {
		f := fs.Lookup(k)
		if f == nil || k == "config" {
			errs = append(errs, fmt.Sprintf("%s: unknown setting", k))
			continue
		}
		if f.Changed {
			continue
		}
		for _, v := range configValues(doc[k]) {
			if err := fs.Set(k, v); err != nil {
				errs = append(errs, fmt.Sprintf("%s: %v", k, err))
				break
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("--config %s: %s", path, strings.Join(errs, "; "))
	}
	return nil
}

// configValues renders a YAML value as the flag strings to set: a list sets
// a slice flag element by element.
func configValues(v any) []string {
	if list, ok := v.([]any); ok {
		out := make([]string, 0, len(list))
		for _, e := range list {
			out = append(out, fmt.Sprint(e))
		}
		return out
	}
	if v == nil {
		return []string{""}
	}
	return []string{fmt.Sprint(v)}
}
