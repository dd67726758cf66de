package jsonfile_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/labelguard/labelguard/internal/jsonfile"
)

const doc = `{
  "a": 1,
  "rules": {
    "x.y": {"enabled": false},
    "z": {
      "indicator": "info"
    }
  },
  "list": [
    1,
    {"k": "v"}
  ]
}`

func TestLines(t *testing.T) {
	t.Parallel()
	got := jsonfile.Lines([]byte(doc))
	want := map[string]int{
		"": 1, "/a": 2, "/rules": 3, "/rules/x.y": 4, "/rules/x.y/enabled": 4,
		"/rules/z": 5, "/rules/z/indicator": 6, "/list": 9, "/list/0": 10, "/list/1": 11, "/list/1/k": 11,
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Lines (-want +got):\n%s", d)
	}
}

const schema = `{
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "labWindowDays": {"type": "integer", "minimum": 1},
    "jurisdiction": {"enum": ["US", "EU"]},
    "rules": {"type": "object", "additionalProperties": {
      "type": "object", "additionalProperties": false,
      "properties": {"enabled": {"type": "boolean"}}}}
  }
}`

func TestValidateNamesLineAndKey(t *testing.T) {
	t.Parallel()
	s, err := jsonfile.CompileSchema("params", []byte(schema))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, data string
		want       []string // substrings of each problem, in order
	}{
		{"valid", `{"labWindowDays": 30, "rules": {"a.b": {"enabled": false}}}`, nil},
		{"string for a number", "{\n  \"labWindowDays\": \"30\"\n}", []string{"params.json:2: labWindowDays: got string, want integer"}},
		{"out of range", "{\"labWindowDays\": 0}", []string{"params.json:1: labWindowDays: minimum"}},
		{"unknown key", "{\n\n  \"labWindowDayz\": 30\n}", []string{"params.json:1: additional properties 'labWindowDayz' not allowed"}},
		{"nested", "{\"rules\": {\n \"a.b\": {\"enabled\": \"no\"}}}", []string{"params.json:2: rules.a.b.enabled: got string, want boolean"}},
		{"duplicate key", "{\"labWindowDays\": 30,\n \"labWindowDays\": 60}", []string{"params.json:2: labWindowDays: this key appears twice"}},
		{"not JSON", "{\"labWindowDays\": }", []string{"params.json:1: not valid JSON"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, ps := s.Validate("params.json", []byte(tc.data))
			if len(ps) != len(tc.want) {
				t.Fatalf("got %d problems %v, want %d", len(ps), ps, len(tc.want))
			}
			for i, w := range tc.want {
				if !strings.Contains(ps[i].String(), w) {
					t.Errorf("problem %d = %q, want it to contain %q", i, ps[i].String(), w)
				}
			}
		})
	}
}
