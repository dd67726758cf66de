package scenario_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/labelguard/labelguard/facts"
	"github.com/labelguard/labelguard/pipeline"
	"github.com/labelguard/labelguard/scenario"
)

var update = flag.Bool("update", false, "rewrite the golden files: docs/policy-input.example.json, testdata/card-text.golden.json")

var (
	schemaPath  = filepath.Join("..", "docs", "policy-input.schema.json")
	examplePath = filepath.Join("..", "docs", "policy-input.example.json")
)

// matchSchema validates doc against the JSON Schema with OPA's own
// validator (json.match_schema), so no second schema library is needed.
func matchSchema(t *testing.T, schema, doc any) []string {
	t.Helper()
	rs, err := rego.New(
		rego.Query(`[ok, errs] := json.match_schema(input.doc, input.schema)`),
		rego.Input(map[string]any{"doc": doc, "schema": schema}),
	).Eval(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rs[0].Bindings["ok"] == true {
		return nil
	}
	var out []string
	for _, e := range rs[0].Bindings["errs"].([]any) {
		b, _ := json.Marshal(e)
		out = append(out, string(b))
	}
	return out
}

// TestPolicyInputMatchesSchema checks every input the scenario corpus
// derives against docs/policy-input.schema.json, and keeps the documented
// example (docs/policy-input.example.json, the first scenario's input)
// current; regenerate it with -update.
func TestPolicyInputMatchesSchema(t *testing.T) {
	first := true
	var schema any
	raw, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &schema); err != nil {
		t.Fatal(err)
	}
	_, checked := eachOutcome(t, func(s scenario.Scenario, out *pipeline.Outcome) {
		b, _ := json.Marshal(out.Input.Input)
		var doc any
		_ = json.Unmarshal(b, &doc)
		for _, e := range matchSchema(t, schema, doc) {
			t.Errorf("%s: input does not match the schema: %s", s.Name, e)
		}
		if first {
			checkExample(t, b)
			first = false
		}
	})
	if checked < 100 {
		t.Errorf("only %d inputs checked", checked)
	}
}

func checkExample(t *testing.T, input []byte) {
	t.Helper()
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, input, "", "  "); err != nil {
		t.Fatal(err)
	}
	pretty.WriteByte('\n')
	if *update {
		if err := os.WriteFile(examplePath, pretty.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatalf("%v (regenerate with -update)", err)
	}
	if !bytes.Equal(want, pretty.Bytes()) {
		t.Error("docs/policy-input.example.json is stale: go test ./scenario -run TestPolicyInputMatchesSchema -update")
	}
}

// TestSchemaCoversEveryField checks that every JSON field of the Go input
// types is declared in the schema, so that the schema cannot fall behind the
// contract (the schema forbids unknown properties).
func TestSchemaCoversEveryField(t *testing.T) {
	raw, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type)
	walk = func(tp reflect.Type) {
		for tp.Kind() == reflect.Pointer || tp.Kind() == reflect.Slice || tp.Kind() == reflect.Map {
			tp = tp.Elem()
		}
		if tp.Kind() != reflect.Struct || seen[tp] {
			return
		}
		seen[tp] = true
		for i := range tp.NumField() {
			f := tp.Field(i)
			name := strings.Split(f.Tag.Get("json"), ",")[0]
			if name == "" || name == "-" {
				continue
			}
			if !strings.Contains(text, `"`+name+`":`) {
				t.Errorf("%s.%s (json %q) is not in docs/policy-input.schema.json", tp.Name(), f.Name, name)
			}
			walk(f.Type)
		}
	}
	walk(reflect.TypeOf(facts.Input{}))
}
