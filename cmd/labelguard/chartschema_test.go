package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
)

var updateChartSchema = flag.Bool("update-chart-schema", false, "rewrite the chart's values.schema.json siteParams from the policy set's schema")

// TestChartSiteParamsSchemaIsCurrent holds the chart's values.schema.json
// entry for siteParams to the default policy set's
// schema/site-params.schema.json, stated once there: helm refuses at
// install what the service would refuse at start (a string for
// labWindowDays, an unknown key). Regenerate with
// go test ./cmd/labelguard -run TestChartSiteParamsSchemaIsCurrent -update-chart-schema.
func TestChartSiteParamsSchemaIsCurrent(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("..", "..", "policies", "schema", "site-params.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	var schema map[string]any
	if err := json.Unmarshal(src, &schema); err != nil {
		t.Fatal(err)
	}
	// A subschema of the chart's: no draft or id of its own.
	delete(schema, "$schema")
	delete(schema, "$id")
	path := filepath.Join("..", "..", "charts", "labelguard", "values.schema.json")
	chart, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	start, end := valueSpan(t, chart, "/properties/siteParams")
	indent := lineIndent(chart, start)
	want, err := json.MarshalIndent(schema, indent, "  ")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(chart[start:end], want) {
		return
	}
	if *updateChartSchema {
		out := append(append(append([]byte{}, chart[:start]...), want...), chart[end:]...)
		if err := os.WriteFile(path, out, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("charts/labelguard/values.schema.json: siteParams differs from policies/schema/site-params.schema.json; run go test ./cmd/labelguard -run TestChartSiteParamsSchemaIsCurrent -update-chart-schema")
}

// valueSpan is the byte range of the JSON value at pointer in data.
func valueSpan(t *testing.T, data []byte, pointer string) (int, int) {
	t.Helper()
	dec := jsontext.NewDecoder(bytes.NewReader(data))
	for {
		if string(dec.StackPointer()) == pointer && dec.StackDepth() > 0 {
			k, n := dec.StackIndex(dec.StackDepth())
			if k == '{' && n%2 == 1 { // the name was just read: the value is next
				start := dec.InputOffset()
				if _, err := dec.ReadValue(); err != nil {
					t.Fatal(err)
				}
				end := int(dec.InputOffset())
				s := int(start)
				for s < end && strings.ContainsRune(" \t\r\n:", rune(data[s])) {
					s++
				}
				return s, end
			}
		}
		if _, err := dec.ReadToken(); err != nil {
			t.Fatalf("%s not found: %v", pointer, err)
		}
	}
}

// lineIndent is the indentation of the line that holds offset.
func lineIndent(data []byte, offset int) string {
	lineStart := bytes.LastIndexByte(data[:offset], '\n') + 1
	i := lineStart
	for i < len(data) && data[i] == ' ' {
		i++
	}
	return string(data[lineStart:i])
}
