package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/labelguard/labelguard/policies"
)

// The template functions give exactly the text their Rego forms in
// policies/lib give, so that moving a card's text from sprintf in Rego to
// its METADATA changes no word: each case is rendered both ways.
func TestCardFuncsMatchRego(t *testing.T) {
	ps, err := Load(context.Background(), policies.FS, Options{})
	if err != nil {
		t.Fatal(err)
	}
	funcs := cardFuncs(ps.tables.labs, ps.tables.knowledge)
	type fn struct{ tmpl, rego string }
	var (
		num      = fn{"{{num .x}}", "data.labelguard.lib.format_num(input.x)"}
		lab      = fn{"{{lab .x}}", "data.labelguard.lib.lab_text(input.x)"}
		dose     = fn{"{{dose .x}}", "data.labelguard.lib.dose_phrase(input.x)"}
		egfr     = fn{"{{egfr .x}}", "data.labelguard.lib.egfr_text(input.x)"}
		evidence = fn{"{{evidence .x}}", "data.labelguard.lib.evidence_text(input.x)"}
		trunc    = fn{"{{.x | truncate 10}}", "data.labelguard.lib.truncate(input.x, 10)"}
		unit     = fn{"{{unit .x}}", "data.labelguard.lib.display_unit(input.x)"}
		labname  = fn{"{{labname .x}}", "data.labelguard.lib.lab_short(input.x)"}
		labunit  = fn{"{{labunit .x}}", "data.labelguard.lib.lab_display_unit(input.x)"}
		drug     = fn{"{{drug .x}}", "data.labelguard.lib.drug_display[input.x]"}
		date     = fn{"{{date .x}}", "data.labelguard.lib.date_of(input.x)"}
		seealso  = fn{`{{seealso .x "§ 4"}}`, `data.labelguard.lib.see_also(input.x, "§ 4")`}
		labdisp  = fn{"{{labdisplay .x}}", "data.labelguard.lib.lab_display(input.x)"}
		drugs    = fn{`{{join ", " (drugs .x)}}`, `concat(", ", [data.labelguard.lib.drug_display[d] | some d in input.x])`}
		nums     = fn{`{{join " or " (sorted (nums .x))}}`, `concat(" or ", sort({data.labelguard.lib.format_num(n) | some n in input.x}))`}
		chars    = fn{`{{chars .x}}`, `count(input.x)`}
		doses    = fn{`{{join ", " (sorted (doses .x))}}`, `concat(", ", sort({data.labelguard.lib.dose_phrase(m) | some m in input.x}))`}
	)
	type tc struct {
		f fn
		x string // JSON
	}
	var cases []tc
	for _, x := range []string{"0", "0.8", "1", "1.005", "2.675", "7.63", "7.625", "9.995", "10", "25.44", "25.45", "99.95", "99.94",
		"100", "149.5", "1250", "0.0004", "0.0005", "0.1234", "-0.0004", "-3.14159", "-149.5", "123456789", "0.30000000000000004", "1e-7", "4.9e3"} {
		cases = append(cases, tc{num, x}, tc{egfr, x})
	}
	for _, x := range []string{
		`{"value": 0.8, "unit": "10*9/L", "time": "2026-11-16T09:00:00Z"}`,
		`{"value": 7.625, "unit": "g/dL", "time": "2026-11-16"}`,
		`{"value": 25, "time": "2026-11-16T09:00:00+02:00"}`,
		`{"value": 3, "unit": "no-such-unit", "time": "2026-11-16T09:00:00Z"}`,
		`{"result": "positive", "valueText": "pos", "time": "2026-11-16T09:00:00Z"}`,
		`{"valueText": "reactive", "time": "2026-11-16T09:00:00Z"}`,
		`{"valueText": " never smoker ", "time": "2026-11-16T09:00:00Z"}`,
		`{"valueText": " poor metabolizer 2 2 ", "valueDisplay": "Poor metabolizer (*2/*2)", "time": "2026-11-16T09:00:00Z"}`,
		`{"result": "negative", "valueDisplay": "Not detected", "time": "2026-11-16T09:00:00Z"}`,
		`{"valueDisplay": "[see](x) <b>*2/*3*</b> a_b \\ ~c~ | d` + "`e`" + `", "time": "2026-11-16T09:00:00Z"}`,
		`{"time": "2026-11-16T09:00:00Z"}`,
	} {
		cases = append(cases, tc{lab, x})
	}
	for _, x := range []string{`{"dailyDoseMg": 30}`, `{"dailyDoseMg": 7.5}`, `{"dailyDoseMg": 0.05}`, `{}`, `{"dailyDoseMg": "30"}`} {
		cases = append(cases, tc{dose, x})
	}
	for _, x := range []string{
		`[]`,
		`[{"display": "eGFR", "value": 25, "unit": "mL/min/{1.73_m2}", "time": "2026-06-01T00:00:00Z"}, {"display": "Clopidogrel"}, {"display": "Clopidogrel"}, {"display": "Aspirin"}]`,
		`[{"display": "ANC", "value": 0.8, "time": "2026-06-01"}, {"display": "no time", "value": 1}, {"value": 2, "time": "2026-06-01"}]`,
		`[{"display": "Cirrhosis *alcoholic* [K70.3]", "time": "2026-06-01"}, {"display": "<i>x</i> \\ a_b | ~c~", "value": 3, "unit": "g/dL", "time": "2026-06-01"}, {"display": "Zoster` + "`x`" + `"}]`,
	} {
		cases = append(cases, tc{evidence, x})
	}
	cases = append(cases, tc{labdisp, `"no-such-analyte"`}, tc{drugs, `[]`}, tc{drugs, `["upadacitinib", "abrocitinib"]`},
		tc{nums, `[1, 0.75, 1, 10.25, 100]`}, tc{nums, `[]`}, tc{chars, `"×10⁹/L"`}, tc{chars, `""`})
	for _, a := range slices.Sorted(maps.Keys(ps.tables.labs.Analytes)) {
		cases = append(cases, tc{labdisp, fmt.Sprintf("%q", a)})
	}
	for _, x := range []string{`[]`, `[{"dailyDoseMg": 30}, {"dailyDoseMg": 15}, {}, {"dailyDoseMg": 30}, {"dailyDoseMg": 100}]`} {
		cases = append(cases, tc{doses, x})
	}
	for _, x := range []string{`""`, `"short"`, `"exactly 10"`, `"eleven char"`, `"älter als zehn Zeichen"`, `"日本語の長い薬の名前です"`} {
		cases = append(cases, tc{trunc, x})
	}
	for _, x := range []string{`""`, `"2026-11-16T09:00:00Z"`, `"2026-11"`, `"2026-11-16"`} {
		cases = append(cases, tc{date, x})
	}
	cases = append(cases, tc{unit, `""`}, tc{unit, `"no-such-unit"`}, tc{labname, `"no-such-analyte"`}, tc{labunit, `"no-such-analyte"`},
		tc{drug, `"no-such-drug"`})
	for _, u := range slices.Sorted(maps.Keys(ps.tables.labs.DisplayUnits)) {
		cases = append(cases, tc{unit, fmt.Sprintf("%q", u)})
	}
	for _, a := range slices.Sorted(maps.Keys(ps.tables.labs.Analytes)) {
		cases = append(cases, tc{labname, fmt.Sprintf("%q", a)}, tc{labunit, fmt.Sprintf("%q", a)})
	}
	for _, d := range slices.Sorted(maps.Keys(ps.tables.knowledge.profiles)) {
		cases = append(cases, tc{drug, fmt.Sprintf("%q", d)})
	}
	for _, d := range slices.Sorted(maps.Keys(ps.tables.knowledge.documents)) {
		cases = append(cases, tc{seealso, fmt.Sprintf("%q", d)})
	}
	for _, c := range cases {
		var x any
		if err := json.Unmarshal([]byte(c.x), &x); err != nil {
			t.Fatal(err)
		}
		want, err := ps.Query(context.Background(), c.f.rego, map[string]any{"x": x})
		if err != nil {
			t.Fatalf("%s with %s: %v", c.f.rego, c.x, err)
		}
		tmpl, err := parseCardText("summary", c.f.tmpl, funcs)
		if err != nil {
			t.Fatal(err)
		}
		var b []byte
		w := &byteWriter{&b}
		err = tmpl.Execute(w, map[string]any{"x": numbersAsFloats(x)})
		switch {
		case want == nil && err == nil:
			// where Rego is undefined (the finding would vanish), the
			// template fails, and the rule failure is counted and shown
			t.Errorf("%s with %s: Rego gives nothing (undefined), the template %q", c.f.tmpl, c.x, b)
		case want != nil && err != nil:
			t.Errorf("%s with %s: Rego gives %q, the template fails: %v", c.f.tmpl, c.x, want, err)
		case want != nil && string(b) != fmt.Sprint(want):
			t.Errorf("%s with %s: template %q, Rego %q", c.f.tmpl, c.x, b, want)
		}
	}
}

type byteWriter struct{ b *[]byte }

func (w *byteWriter) Write(p []byte) (int, error) { *w.b = append(*w.b, p...); return len(p), nil }

// A detail's paragraphs: one a condition leaves empty is dropped, as
// data.labelguard.lib.paragraphs drops empty strings; the summary is one line.
func TestCardRenderParagraphs(t *testing.T) {
	c := &CardTemplate{
		Summary: "{{.a}}\n   and   {{.b}}",
		Detail:  "First.\n\n{{if .more}}More.{{end}}\n\n{{if .more}}Again.{{end}}\n\nLast.\n",
	}
	if err := c.compile(cardFuncs(nil, nil)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		more          bool
		summary, want string
	}{
		{false, "x and y", "First.\n\nLast."},
		{true, "x and y", "First.\n\nMore.\n\nAgain.\n\nLast."},
	} {
		s, d, err := c.render(map[string]any{"a": "x", "b": "y", "more": tc.more})
		if err != nil || s != tc.summary || d != tc.want {
			t.Errorf("more=%v: %q / %q, %v; want %q / %q", tc.more, s, d, err, tc.summary, tc.want)
		}
	}
}

// Keys names the values a template reads from the finding, not the
// fields of a value ranged over.
func TestCardTemplateKeys(t *testing.T) {
	c := &CardTemplate{Summary: `{{drug .drug}} {{if eq .phase "initiation"}}{{num .lab.value}}{{end}}`, Detail: `{{range .items}}{{.display}}{{end}}{{with .extra}}{{.inner}}{{end}}`}
	if err := c.compile(cardFuncs(nil, nil)); err != nil {
		t.Fatal(err)
	}
	if got, want := c.Keys(), []string{"drug", "extra", "items", "lab", "phase"}; !slices.Equal(got, want) {
		t.Errorf("Keys() = %v, want %v", got, want)
	}
}

// num over many decimals as labs and doses write them, against Rego.
func TestFormatNumMatchesRegoOnManyValues(t *testing.T) {
	ps, err := Load(context.Background(), policies.FS, Options{})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(28, 2026))
	var xs []any
	for range 5000 {
		mag := math.Pow(10, float64(rng.IntN(8)-4)) // 1e-4 .. 1e3
		places := rng.IntN(6)
		x := math.Round(rng.Float64()*1000*mag*math.Pow(10, float64(places))) / math.Pow(10, float64(places))
		if rng.IntN(5) == 0 {
			x = -x
		}
		// halves at each rounding place, the hard cases, and numbers of
		// 15 to 17 significant digits (computed values)
		switch rng.IntN(4) {
		case 0:
			x = math.Trunc(x*100)/100 + 0.005
		case 1:
			x = math.Trunc(x*1000)/1000 + 0.0005
		case 2:
			x *= 1 + rng.Float64()*1e-9
		}
		xs = append(xs, json.Number(strconv.FormatFloat(x, 'f', -1, 64)))
	}
	got, err := ps.Query(context.Background(), "[data.labelguard.lib.format_num(x) | some x in input.xs]", map[string]any{"xs": xs})
	if err != nil {
		t.Fatal(err)
	}
	want := got.([]any)
	bad := 0
	for i, x := range xs {
		f, _ := x.(json.Number).Float64()
		if g := formatNum(f); g != want[i] {
			bad++
			if bad <= 10 {
				t.Errorf("format_num(%s): Go %q, Rego %q", x, g, want[i])
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d values differ", bad, len(xs))
	}
}

// A render error reaches the log: it names the template's keys, never a
// value of the finding.
func TestCardRenderErrorHoldsNoValue(t *testing.T) {
	c := &CardTemplate{Summary: `{{range .lab}}x{{end}}{{drug .drug}}`}
	if err := c.compile(cardFuncs(nil, &knowledge{})); err != nil {
		t.Fatal(err)
	}
	for _, values := range []map[string]any{
		{"lab": 12345.678, "drug": "upadacitinib"},
		{"lab": []any{}, "drug": "Jane Doe 1970-01-01"},
	} {
		_, _, err := c.render(values)
		if err == nil {
			t.Fatalf("%v rendered", values)
		}
		if strings.Contains(err.Error(), "12345") || strings.Contains(err.Error(), "Jane") {
			t.Errorf("error shows a value: %v", err)
		}
	}
}

// servedCard is the card template of a rule of the served set.
func servedCard(t *testing.T, ps *PolicySet, id string) *CardTemplate {
	t.Helper()
	for _, v := range ps.Catalog[id].Variants {
		if v.Card != nil {
			return v.Card
		}
	}
	t.Fatalf("rule %s has no card template", id)
	return nil
}

// Wording no scenario reaches: one day since the start is "1 day ago".
func TestServedCardWording(t *testing.T) {
	ps, err := Load(context.Background(), policies.FS, Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := servedCard(t, ps, "abrocitinib.antiplatelet")
	for _, tc := range []struct {
		days float64
		want string
	}{
		{0, "Abrocitinib: initiation."},
		{1, "(1 day ago)"},
		{2, "(2 days ago)"},
		{88, "(88 days ago)"},
	} {
		_, d, err := c.render(map[string]any{"interacting": []any{"clopidogrel"}, "windowMonths": 3.0, "lowDoseAspirinMg": 81.0,
			"started": "2026-09-01T00:00:00Z", "daysSinceStart": tc.days})
		if err != nil || !strings.Contains(d, tc.want) {
			t.Errorf("%v days: %q, %v; want %q", tc.days, d, err, tc.want)
		}
	}
}

// The executor agrees with text/template on the constructs card text
// may use, including those no served template uses yet, and on the
// errors: each template on each value set gives the same text, or an
// error from both.
func TestCardExecConstructs(t *testing.T) {
	funcs := cardFuncs(nil, &knowledge{profiles: map[string]*Profile{"upadacitinib": {Display: "Upadacitinib"}}})
	templates := []string{
		`{{.s}} {{.n}} {{.b}} {{.l}} {{.m}}`,
		`{{if .b}}yes{{else if .n}}n{{else}}no{{end}}`,
		`{{with .m}}{{.k}}{{else}}none{{end}}`,
		`{{range .l}}[{{.}}]{{else}}empty{{end}}`,
		`{{range $i, $x := .l}}{{if $i}}, {{end}}{{$i}}={{$x}}{{end}}`,
		`{{range $k, $v := .m}}{{$k}}:{{$v}};{{end}}`,
		`{{$a := ""}}{{range .l}}{{if $a}}{{$a = print $a "+"}}{{end}}{{$a = print $a .}}{{end}}{{$a}} {{$.s}}`,
		`{{eq .s "x"}} {{eq .n 1.0}} {{ne .s "y"}} {{eq .s "a" "x"}}`,
		`{{eq .n 1}}`,
		`{{eq .z "x"}} {{eq .z .z}}`,
		`{{eq .l .l}}`,
		`{{lt .n 2.0}} {{le .n 1.0}} {{gt .s "a"}} {{ge .n 3.0}}`,
		`{{lt .b true}}`,
		`{{and .s .n}} {{or .z .s}} {{and .z .s}} {{or .z 0}} {{not .b}} {{not .z}}`,
		`{{len .s}} {{len .l}} {{len .m}}`,
		`{{len .n}}`,
		`{{index .m "k"}} {{index .l 1}} {{with index .m "nothere"}}x{{else}}absent{{end}}`,
		`{{index .l 9}}`,
		`{{index .z "k"}}`,
		`{{printf "%s|%v|%.1f|%d" .s .n .n 3}} {{print .s .n .z}}`,
		`{{.s | printf "%s!"}} {{.n | num}} {{"upadacitinib" | drug}}`,
		`{{.m.k}} {{.m.nothere}}`,
		`{{.s.x}}`,
		`{{.nothere}}`,
		`{{num .s}}`,
		`{{truncate 3 .s}} {{.s | truncate 2}}`,
		`{{truncate 2.0 .s}}`,
		`{{lower .n}}`,
		`{{join ", " .l}} {{join ", " (sorted .l)}}`,
		`{{(num .n)}} {{(.s)}}`,
		`{{range .n}}x{{end}}`,
		`{{range .z}}x{{else}}none{{end}}`,
	}
	values := []string{
		`{"s": "x", "n": 1, "b": true, "l": ["c", "a", "b"], "m": {"k": "v", "j": 2}, "z": null}`,
		`{"s": "", "n": 0, "b": false, "l": [], "m": {}, "z": null}`,
		`{"s": "abcdef", "n": 2.5, "b": false, "l": ["a"], "m": {"k": null}, "z": null}`,
		`{"s": 3, "n": "1", "b": "true", "l": "a", "m": [1], "z": {}}`,
		`{"s": 1e999, "n": -1e999, "b": 1e999, "l": [1e999, "x"], "m": {"k": 1e999}, "z": null}`,
	}
	for _, src := range templates {
		tmpl, err := parseCardText("summary", src, funcs)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		for _, vs := range values {
			var v map[string]any
			d := json.NewDecoder(strings.NewReader(vs))
			d.UseNumber()
			if err := d.Decode(&v); err != nil {
				t.Fatal(err)
			}
			numbersAsFloats(v)
			var fast, ref strings.Builder
			fastErr := execCard(tmpl.Tree.Root, funcs, v, &fast)
			refErr := tmpl.Execute(&ref, v)
			if !AgreesWithTextTemplate([]string{fast.String()}, []string{ref.String()}, fastErr, refErr) {
				t.Errorf("%s with %s:\n executor      %q (%v)\n text/template %q (%v)", src, vs, fast.String(), fastErr, ref.String(), refErr)
			}
		}
	}
}

// Load refuses what the executor does not run.
func TestCardSubsetRefused(t *testing.T) {
	funcs := cardFuncs(nil, nil)
	for _, src := range []string{`{{define "x"}}y{{end}}{{template "x"}}`, `{{block "x" .}}y{{end}}`, `{{range .l}}{{break}}{{end}}`, `{{html .s}}`, `{{call .f}}`, `{{slice .s 1}}`} {
		if _, err := parseCardText("summary", src, funcs); err == nil {
			t.Errorf("%s: accepted", src)
		}
	}
}

// Every template function has a direct call in the executor (a new
// function of another signature would panic at its first card).
func TestEveryCardFuncHasADirectCall(t *testing.T) {
	for name, fn := range cardFuncs(nil, nil) {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("%s: %v", name, r)
				}
			}()
			cardParams(fn)
		}()
	}
}

// A null value fails the finding (text/template would show "<no value>"
// or "%!s(<nil>)"); the same words as patient text are shown as text.
func TestCardNullRefused(t *testing.T) {
	c := &CardTemplate{Summary: `Condition: {{.name}}`, Detail: `{{printf "%s" .note}}`}
	if err := c.compile(cardFuncs(nil, nil)); err != nil {
		t.Fatal(err)
	}
	for _, v := range []map[string]any{{"name": nil, "note": "x"}, {"name": "x", "note": nil}} {
		if _, _, err := c.render(v); err == nil || !strings.Contains(err.Error(), "null") {
			t.Errorf("%v: %v, want the null refused", v, err)
		}
	}
	s, d, err := c.render(map[string]any{"name": "Hepatic failure <no value>", "note": "%!s(<nil>)"})
	if err != nil || s != "Condition: Hepatic failure <no value>" || d != "%!s(<nil>)" {
		t.Errorf("patient text: %q / %q, %v", s, d, err)
	}
}

// TestMarkdownText: recorded text shown in a card's Markdown stays as
// recorded when rendered: no emphasis, code, link, raw HTML or table cell
// can open from it.
func TestMarkdownText(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", ""},
		{"Poor metabolizer", "Poor metabolizer"},
		{"*2/*3", `\*2/\*3`},
		{"Poor metabolizer (*2/*2)", `Poor metabolizer (\*2/\*2)`},
		{"[x](https://example.org)", `\[x\](https://example.org)`},
		{"<b>high</b>", `\<b\>high\</b\>`},
		{"a_b `c` ~d~ | e", "a\\_b \\`c\\` \\~d\\~ \\| e"},
		{`back\slash`, `back\\slash`},
		{"café *1", `café \*1`},
	} {
		if got := markdownText(c.in); got != c.want {
			t.Errorf("markdownText(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
