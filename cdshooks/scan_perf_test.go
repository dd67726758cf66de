package cdshooks

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// The one-pass scanner must never accept what the original path rejects,
// and must split exactly as encoding/json does when it accepts.
func checkScanAgrees(t *testing.T, body []byte, max int) {
	top, pf, ok := scanRequest(body, max)
	if !ok {
		return
	}
	// scanMembers is scanRequest without the prefetch split: it accepts
	// at least as much, and splits the top level alike.
	if m, ok := scanMembers(body, max); !ok || len(m) != len(top) {
		t.Fatalf("scanMembers refuses what scanRequest accepts, or splits it differently: %q", body)
	}
	if err := checkDuplicates(body, ""); err != nil {
		t.Fatalf("scanner accepted a body with a duplicated name: %v", err)
	}
	if !json.Valid(body) {
		t.Fatalf("scanner accepted invalid JSON %q", body)
	}
	if err := checkDepth(body, max); err != nil {
		t.Fatalf("scanner accepted a body the depth check refuses: %v", err)
	}
	var want map[string]json.RawMessage
	if err := json.Unmarshal(body, &want); err != nil || want == nil {
		t.Fatalf("scanner accepted a body that is not an object: %v", err)
	}
	if len(top) != len(want) {
		t.Fatalf("top: %d members, want %d", len(top), len(want))
	}
	for k, v := range want {
		if !bytes.Equal(top[k], v) {
			t.Fatalf("top[%q] = %q, want %q", k, top[k], v)
		}
	}
	raw, has := want["prefetch"]
	if !has || jsonKind(raw) != "object" {
		if pf != nil {
			t.Fatalf("prefetch split without a prefetch object")
		}
		return
	}
	var wantPF map[string]json.RawMessage
	if err := json.Unmarshal(raw, &wantPF); err != nil {
		t.Fatal(err)
	}
	if err := checkDuplicates(raw, "prefetch"); err != nil {
		t.Fatalf("scanner accepted a prefetch with a duplicated key: %v", err)
	}
	if pf == nil || len(pf) != len(wantPF) {
		t.Fatalf("prefetch: %d members, want %d", len(pf), len(wantPF))
	}
	for k, v := range wantPF {
		if !bytes.Equal(pf[k], v) {
			t.Fatalf("prefetch[%q] differs", k)
		}
	}
}

func scanSeeds(tb testing.TB) [][]byte {
	seeds := [][]byte{
		[]byte(`{"hook":"a","prefetch":{"x":{"a":[1,-2.5e+3,true,false,null,"\u00e9\n"]},"y":null},"prefetch":{"z":1}}`),
		[]byte(`{"prefetch":{"a":1},"prefetch":null}`),
		[]byte(`{"a\u0062":1}`), []byte(`{"a":01}`), []byte(`{"a":1.}`), []byte(`{"a":"\x01"}`),
		[]byte(` {"a" : [ ] , "b" : { } } `), []byte(`{"a":1}x`), []byte(`[]`), []byte(`{"a":[[[[[[1]]]]]]}`),
		[]byte("{\"a\":\"\xff\"}"), []byte(`{"a":tru}`), []byte(`{"a":1,}`), []byte(`{}`),
	}
	for _, dir := range []string{"../api/testdata/requests", "testdata/spec"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				tb.Fatal(err)
			}
			seeds = append(seeds, b)
		}
	}
	return seeds
}

func TestScanRequestAgrees(t *testing.T) {
	for _, b := range scanSeeds(t) {
		for _, max := range []int{3, 5, DefaultMaxDepth} {
			checkScanAgrees(t, b, max)
			// Every truncation is invalid or a different document.
			for i := 0; i < len(b) && i < 400; i += 7 {
				checkScanAgrees(t, b[:i], max)
			}
		}
	}
}

func FuzzScanRequest(f *testing.F) {
	for _, b := range scanSeeds(f) {
		f.Add(b, uint8(8))
	}
	f.Fuzz(func(t *testing.T, body []byte, max uint8) {
		checkScanAgrees(t, body, int(max%80)+1)
	})
}
