package main

import (
	"io"
	"strings"
	"testing"
)

const run = `{"Action":"start","Package":"a"}
{"Action":"run","Package":"a","Test":"TestOK"}
{"Action":"output","Package":"a","Test":"TestOK","Output":"=== RUN   TestOK\n"}
{"Action":"output","Package":"a","Test":"TestOK","Output":"--- PASS: TestOK (0.00s)\n"}
{"Action":"pass","Package":"a","Test":"TestOK"}
{"Action":"run","Package":"a","Test":"TestBrowser"}
{"Action":"output","Package":"a","Test":"TestBrowser","Output":"=== RUN   TestBrowser\n"}
{"Action":"output","Package":"a","Test":"TestBrowser","Output":"    browser_test.go:31: Chromium is not installed at /usr/bin/chromium; install it with: apt-get install -y chromium\n"}
{"Action":"output","Package":"a","Test":"TestBrowser","Output":"--- SKIP: TestBrowser (0.00s)\n"}
{"Action":"skip","Package":"a","Test":"TestBrowser"}
{"Action":"output","Package":"a","Output":"PASS\n"}
{"Action":"output","Package":"a","Output":"ok  \ta\t0.01s\n"}
{"Action":"pass","Package":"a"}
{"Action":"output","Package":"b","Output":"?   \tb\t[no test files]\n"}
{"Action":"skip","Package":"b"}
`

const failing = `{"Action":"run","Package":"c","Test":"TestBad"}
{"Action":"output","Package":"c","Test":"TestBad","Output":"=== RUN   TestBad\n"}
{"Action":"output","Package":"c","Test":"TestBad","Output":"    c_test.go:9: got 1, want 2\n"}
{"Action":"output","Package":"c","Test":"TestBad","Output":"--- FAIL: TestBad (0.00s)\n"}
{"Action":"fail","Package":"c","Test":"TestBad"}
{"Action":"output","Package":"c","Output":"FAIL\n"}
{"Action":"output","Package":"c","Output":"FAIL\tc\t0.01s\n"}
{"Action":"fail","Package":"c"}
`

func TestReport(t *testing.T) {
	var out, list strings.Builder
	ok, err := report(strings.NewReader(run), &out, &list)
	if err != nil || !ok {
		t.Fatalf("report = %v, %v", ok, err)
	}
	got := out.String()
	for _, want := range []string{
		"ok  \ta\t0.01s\n",
		"?   \tb\t[no test files]\n",
		"== skipped tests: 1\na TestBrowser: Chromium is not installed at /usr/bin/chromium; install it with: apt-get install -y chromium\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if !strings.HasPrefix(list.String(), "== skipped tests: 1\na TestBrowser: Chromium") {
		t.Errorf("skipped list %q", list.String())
	}
	if strings.Contains(got, "=== RUN") || strings.Contains(got, "PASS") {
		t.Errorf("-v noise in the output:\n%s", got)
	}
}

func TestReportFailure(t *testing.T) {
	var out strings.Builder
	ok, err := report(strings.NewReader(failing+"# d\nd/x.go:3:1: syntax error\n"), &out, io.Discard)
	if err != nil || ok {
		t.Fatalf("report = %v, %v; want a failure", ok, err)
	}
	for _, want := range []string{"c_test.go:9: got 1, want 2", "--- FAIL: TestBad", "FAIL\tc\t0.01s", "d/x.go:3:1: syntax error", "== skipped tests: 0\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if _, err := report(strings.NewReader("not json\n"), &out, io.Discard); err == nil {
		t.Error("no error for input without events")
	}
}
