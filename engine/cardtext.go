package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"text/template/parse"
	"unicode/utf8"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/labelguard/labelguard/terminology"
)

// Card text written in METADATA and rendered after evaluation.
//
// A rule may write its card's summary and detail as templates in its
// METADATA (custom.card) instead of building them with sprintf in Rego:
//
//	# custom:
//	#   card:
//	#     summary: "{{drug .drug}}: {{labname .analyte}} {{num .lab.value}} {{labunit .analyte}} is below {{num .limit}}"
//	#     detail: |
//	#       **{{labname .analyte}} {{lab .lab}}**, below the threshold.
//
//	#       {{if .initiation}}Do not initiate.{{else}}Interrupt.{{end}}
//
// Its findings then carry the values the text shows, as "text": {...},
// and no summary or detail. The engine renders them (text/template's
// language, the functions of cardFuncs, run by cardexec.go) when it
// accepts the finding, so that
// the policies decide and Go writes: formatting in Rego (sprintf,
// format_num) was a quarter of the evaluation (docs/performance.md).
//
// A template is parsed at load: a syntax error, an unknown function or
// a key that is not summary or detail is refused naming the file, row and
// key. At run time a finding whose values do not fit its template (a
// missing key, a text where a number is wanted) fails alone, as a rule
// failure: counted, logged, named on the rule-failure card, never a card
// with half its text.
//
// Paragraphs in a detail are separated by a blank line; a paragraph a
// condition leaves empty is dropped (runs of blank lines become one), as
// lib.paragraphs does in Rego.

// CardTemplate is a rule variant's card text (custom.card).
type CardTemplate struct {
	Summary string `json:"summary"`
	Detail  string `json:"detail,omitempty"`

	summary, detail *template.Template
	// funcs are the functions the templates call, for execCard.
	funcs template.FuncMap
}

// cardKeys are the members custom.card takes.
var cardKeys = []string{"summary", "detail"}

// cardTemplateFrom reads custom.card (nil when absent). The templates are
// parsed here for their syntax and again, with the tables their functions
// read, by compile.
func cardTemplateFrom(v any) (*CardTemplate, error) {
	if v == nil {
		return nil, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("custom.card is an object with summary and detail templates, not a %s", jsonKind(v))
	}
	c := &CardTemplate{}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		s, ok := m[k].(string)
		switch {
		case !slices.Contains(cardKeys, k):
			return nil, fmt.Errorf("custom.card.%s: unknown member (custom.card takes summary and detail)", k)
		case !ok:
			return nil, fmt.Errorf("custom.card.%s: a template is a string, not a %s", k, jsonKind(m[k]))
		case k == "summary":
			c.Summary = strings.TrimSpace(s)
		case k == "detail":
			c.Detail = strings.TrimSpace(s)
		}
	}
	if c.Summary == "" {
		return nil, errors.New("custom.card.summary: missing (a card needs a summary)")
	}
	if err := c.compile(cardFuncs(nil, nil)); err != nil {
		return nil, err
	}
	return c, nil
}

// compile parses the templates with the functions they may call.
func (c *CardTemplate) compile(funcs template.FuncMap) error {
	c.funcs = funcs
	var err error
	if c.summary, err = parseCardText("summary", c.Summary, funcs); err != nil {
		return err
	}
	if c.Detail != "" {
		if c.detail, err = parseCardText("detail", c.Detail, funcs); err != nil {
			return err
		}
	}
	return nil
}

func parseCardText(key, text string, funcs template.FuncMap) (*template.Template, error) {
	t, err := template.New(key).Option("missingkey=error").Funcs(funcs).Parse(text)
	if err != nil {
		return nil, fmt.Errorf("custom.card.%s: %s", key, strings.TrimPrefix(err.Error(), "template: "))
	}
	if err := cardSubset(t.Tree.Root, funcs); err != nil {
		return nil, fmt.Errorf("custom.card.%s: %w", key, err)
	}
	return t, nil
}

// Keys are the finding's text members the templates read at their top
// level ({{.lab}}, {{if .initiation}}), for the authoring checks.
func (c *CardTemplate) Keys() []string {
	seen := map[string]bool{}
	for _, t := range []*template.Template{c.summary, c.detail} {
		if t != nil && t.Tree != nil {
			topFields(t.Tree.Root, seen)
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// topFields collects the first name of each field read from the finding's
// values: outside {{range}} and {{with}}, whose dot is something else.
func topFields(n parse.Node, seen map[string]bool) {
	switch x := n.(type) {
	case *parse.ListNode:
		if x == nil {
			return
		}
		for _, c := range x.Nodes {
			topFields(c, seen)
		}
	case *parse.ActionNode:
		topFields(x.Pipe, seen)
	case *parse.PipeNode:
		if x == nil {
			return
		}
		for _, c := range x.Cmds {
			topFields(c, seen)
		}
	case *parse.CommandNode:
		for _, a := range x.Args {
			topFields(a, seen)
		}
	case *parse.FieldNode:
		seen[x.Ident[0]] = true
	case *parse.IfNode:
		topFields(x.Pipe, seen)
		topFields(x.List, seen)
		topFields(x.ElseList, seen)
	case *parse.RangeNode:
		topFields(x.Pipe, seen)
		topFields(x.ElseList, seen)
	case *parse.WithNode:
		topFields(x.Pipe, seen)
		topFields(x.ElseList, seen)
	}
}

// blankLines are the runs of blank lines an empty paragraph leaves.
var blankLines = regexp.MustCompile(`\n[ \t]*\n(?:[ \t]*\n)+`)

// render writes a finding's summary and detail from its values.
func (c *CardTemplate) render(values map[string]any) (summary, detail string, err error) {
	var b strings.Builder
	if err := execCard(c.summary.Tree.Root, c.funcs, values, &b); err != nil {
		return "", "", fmt.Errorf("custom.card.summary: %w", err)
	}
	summary = strings.Join(strings.Fields(b.String()), " ")
	if summary == "" {
		return "", "", errors.New("custom.card.summary: rendered empty")
	}
	if c.detail == nil {
		return summary, "", nil
	}
	b.Reset()
	if err := execCard(c.detail.Tree.Root, c.funcs, values, &b); err != nil {
		return "", "", fmt.Errorf("custom.card.detail: %w", err)
	}
	detail = strings.TrimSpace(blankLines.ReplaceAllString(b.String(), "\n\n"))
	return summary, detail, nil
}

// numbersAsFloats turns OPA's json.Number values into float64 in place
// (the values are the finding's own, decoded for this call).
func numbersAsFloats(v any) any {
	switch x := v.(type) {
	case json.Number:
		if f, err := x.Float64(); err == nil {
			return f
		}
	case map[string]any:
		for k, e := range x {
			x[k] = numbersAsFloats(e)
		}
	case []any:
		for i, e := range x {
			x[i] = numbersAsFloats(e)
		}
	}
	return v
}

// cardFuncs are the functions card templates call: the Go forms of the
// library's text helpers (policies/lib/format.rego), each giving exactly
// the text its Rego form gives (TestCardFuncsMatchRego).
func cardFuncs(labs *terminology.LabTable, k *knowledge) template.FuncMap {
	displayUnit := func(u string) string {
		if labs != nil {
			if d, ok := labs.DisplayUnits[u]; ok {
				return d
			}
		}
		return u
	}
	analyte := func(id string) *terminology.Analyte {
		if labs == nil {
			return nil
		}
		return labs.Analytes[id]
	}
	return template.FuncMap{
		// num: lib.format_num.
		"num": func(v any) (string, error) {
			x, ok := toFloat(v)
			if !ok {
				return "", fmt.Errorf("num takes a number, not a %s", jsonKind(v))
			}
			return formatNum(x), nil
		},
		// unit: lib.display_unit, a UCUM unit as card text writes it.
		"unit": func(u any) string {
			s, _ := u.(string)
			return displayUnit(s)
		},
		// labname: lib.lab_short ("ANC").
		"labname": func(id string) string {
			a := analyte(id)
			switch {
			case a == nil:
				return id
			case a.Short != "":
				return a.Short
			case a.Display != "":
				return a.Display
			}
			return id
		},
		// labunit: lib.lab_display_unit, the analyte's unit as shown.
		"labunit": func(id string) string {
			if a := analyte(id); a != nil {
				return displayUnit(a.Unit)
			}
			return displayUnit("")
		},
		// labdisplay: lib.lab_display, the analyte's full name
		// ("Absolute neutrophil count").
		"labdisplay": func(id string) string {
			if a := analyte(id); a != nil && a.Display != "" {
				return a.Display
			}
			return id
		},
		// drugs: the display names of a list of drugs
		// ({{join ", " (drugs .drugs)}}).
		"drugs": func(v any) ([]any, error) {
			return eachOf("drugs", "drugs", v, func(e any) (any, error) {
				id, _ := e.(string)
				var p *Profile
				if k != nil {
					p = k.profiles[id]
				}
				if p == nil {
					// Rego's comprehension would leave the drug out of
					// the card; a card that names fewer drugs than it
					// concerns fails instead
					return nil, errors.New("drugs: no profile for one of the drugs")
				}
				return p.Display, nil
			})
		},
		// nums: num of each number of a list
		// ({{join " or " (sorted (nums .limits))}}).
		"nums": func(v any) ([]any, error) {
			return eachOf("nums", "numbers", v, func(e any) (any, error) {
				x, ok := toFloat(e)
				if !ok {
					return nil, fmt.Errorf("nums takes a list of numbers, not of %s", jsonKind(e))
				}
				return formatNum(x), nil
			})
		},
		// chars: the length of a text in characters, as Rego's count
		// gives it (len gives bytes).
		"chars": func(s string) int { return utf8.RuneCountInString(s) },
		// drug: lib.drug_display, the drug's display name.
		"drug": func(id string) (string, error) {
			if k != nil {
				if p := k.profiles[id]; p != nil {
					return p.Display, nil
				}
			}
			return "", errors.New("drug: no profile for that drug")
		},
		// date: lib.date_of, the date of a time.
		"date": dateOf,
		// lab: lib.lab_text, "0.8 ×10⁹/L on 2026-05-01".
		"lab": func(v any) (string, error) {
			lab, ok := v.(map[string]any)
			if !ok {
				return "", fmt.Errorf("lab takes a lab object, not a %s", jsonKind(v))
			}
			t, _ := lab["time"].(string)
			if x, ok := toFloat(lab["value"]); ok {
				u, _ := lab["unit"].(string)
				return formatNum(x) + " " + displayUnit(u) + " on " + dateOf(t), nil
			}
			r, ok := lab["result"].(string)
			if !ok {
				if r, ok = lab["valueDisplay"].(string); ok {
					r = markdownText(r)
				}
			}
			if !ok {
				if r, ok = lab["valueText"].(string); ok {
					r = strings.TrimSpace(r)
				} else {
					r = "recorded"
				}
			}
			return r + " on " + dateOf(t), nil
		},
		// dose: lib.dose_phrase, "30 mg/day" or "dose not verifiable".
		"dose": func(v any) (string, error) {
			med, ok := v.(map[string]any)
			if !ok {
				return "", fmt.Errorf("dose takes an order or medication, not a %s", jsonKind(v))
			}
			return dosePhrase(med), nil
		},
		// doses: the dose phrase of each order or medication of a list
		// ({{join ", " (sorted (doses .targets))}}).
		"doses": func(v any) ([]any, error) {
			return eachOf("doses", "orders or medications", v, func(e any) (any, error) {
				med, ok := e.(map[string]any)
				if !ok {
					return nil, fmt.Errorf("doses takes a list of orders or medications, not of %s", jsonKind(e))
				}
				return dosePhrase(med), nil
			})
		},
		// sorted: a list of strings sorted, each once, as Rego's
		// sort({x | ...}) gives it.
		"sorted": func(v any) ([]any, error) {
			list, ok := v.([]any)
			if !ok {
				return nil, fmt.Errorf("sorted takes a list, not a %s", jsonKind(v))
			}
			strs := make([]string, len(list))
			for i, e := range list {
				if strs[i], ok = e.(string); !ok {
					return nil, fmt.Errorf("sorted takes a list of strings, not of %s", jsonKind(e))
				}
			}
			slices.Sort(strs)
			strs = slices.Compact(strs)
			out := make([]any, len(strs))
			for i, s := range strs {
				out[i] = s
			}
			return out, nil
		},
		// egfr: lib.egfr_text, "25 mL/min/1.73 m²".
		"egfr": func(v any) (string, error) {
			x, ok := toFloat(v)
			if !ok {
				return "", fmt.Errorf("egfr takes a number, not a %s", jsonKind(v))
			}
			u := ""
			if a := analyte("egfr"); a != nil {
				u = a.Unit
			}
			return formatNum(x) + " " + displayUnit(u), nil
		},
		// evidence: lib.evidence_text, the evidence objects as one line
		// each ("eGFR 25 mL/min/1.73 m² (2026-06-01)"), sorted, each once.
		"evidence": func(v any) (string, error) {
			list, ok := v.([]any)
			if !ok {
				return "", fmt.Errorf("evidence takes a list of evidence objects, not a %s", jsonKind(v))
			}
			lines := make([]string, 0, len(list))
			for _, e := range list {
				m, ok := e.(map[string]any)
				if !ok {
					return "", fmt.Errorf("evidence takes a list of evidence objects, not of %s", jsonKind(e))
				}
				// as in Rego: no display, no line; a value without a
				// time, the display alone
				d, ok := m["display"].(string)
				if !ok {
					continue
				}
				d = markdownText(d)
				x, isNum := toFloat(m["value"])
				if t, hasTime := m["time"].(string); isNum && hasTime {
					u, _ := m["unit"].(string)
					d = d + " " + formatNum(x) + " " + displayUnit(u) + " (" + dateOf(t) + ")"
				}
				lines = append(lines, d)
			}
			slices.Sort(lines)
			return strings.Join(slices.Compact(lines), "; "), nil
		},
		// truncate: lib.truncate, at most n characters, "…" for the rest
		// ({{.name | truncate 60}}).
		"truncate": func(n int, s string) string {
			if utf8.RuneCountInString(s) <= n {
				return s
			}
			return string([]rune(s)[:max(n-1, 0)]) + "…"
		},
		// seealso: lib.see_also, "See also: [document](url), section." for
		// a shared document (the IEC consensus).
		"seealso": func(key, section string) (string, error) {
			var d Document
			ok := false
			if k != nil {
				d, ok = k.documents[key]
			}
			if !ok {
				return "", errors.New("seealso: no such shared document")
			}
			return "See also: [" + d.Title + "](" + d.URL + "), " + section + ".", nil
		},
		"lower": strings.ToLower,
		// md: text as recorded (a result, a name) made literal in the
		// card's Markdown, so that "*2/*3" inside **...** stays "*2/*3"
		// and patient text cannot open emphasis, a link or raw HTML.
		"md": markdownText,
		// join: the strings of a list joined with sep.
		"join": func(sep string, v any) (string, error) {
			list, ok := v.([]any)
			if !ok {
				return "", fmt.Errorf("join takes a list, not a %s", jsonKind(v))
			}
			parts := make([]string, len(list))
			for i, e := range list {
				if parts[i], ok = e.(string); !ok {
					return "", fmt.Errorf("join takes a list of strings, not of %s", jsonKind(e))
				}
			}
			return strings.Join(parts, sep), nil
		},
	}
}

// dosePhrase is lib.dose_phrase: "30 mg/day", or "dose not verifiable".
func dosePhrase(med map[string]any) string {
	if x, ok := toFloat(med["dailyDoseMg"]); ok {
		return formatNum(x) + " mg/day"
	}
	return "dose not verifiable"
}

// eachOf is fn of each element of a list (the list functions of
// cardFuncs).
func eachOf(name, what string, v any, fn func(any) (any, error)) ([]any, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%s takes a list of %s, not a %s", name, what, jsonKind(v))
	}
	out := make([]any, len(list))
	for i, e := range list {
		var err error
		if out[i], err = fn(e); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// dateOf is lib.date_of: the first ten characters of an RFC 3339 time.
func dateOf(t string) string {
	if len(t) > 10 {
		return t[:10]
	}
	return t
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int:
		return float64(x), true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	}
	return 0, false
}

// formatNum is lib.format_num: at most three significant digits below
// 100, whole numbers from 100, no trailing zeros. It does what OPA does
// for round(x * 100) / 100 and sprintf("%v"), step by step (regoMul,
// regoRound, regoQuo): OPA's numbers are decimal text computed with
// 64-bit-mantissa floats, which round some halves differently from both
// float64 and exact decimals (4.805 gives 4.8), and the card must read as
// it did when Rego wrote it.
//
// Only an exact half at the rounding place can come out differently from
// rounding the decimal itself, so the other numbers, nearly all, are
// rounded on their text: the shortest text of the float64 the value was
// decoded to, at most 17 significant digits. A value Rego computed with
// more (100*7/10.5 is 66.666666666666666664) was rounded to float64 on
// decoding, which can only matter within about 1e-16 of a half.
func formatNum(x float64) string {
	if math.IsInf(x, 0) || math.IsNaN(x) {
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	n := strconv.FormatFloat(x, 'f', -1, 64)
	places := 0
	switch a := math.Abs(x); {
	case a >= 100:
	case a >= 10:
		places = 1
	case a >= 1:
		places = 2
	default:
		places = 3
	}
	if s, ok := roundDecimal(n, places); ok {
		return s
	}
	if places == 0 {
		return regoSprintfV(regoRound(n))
	}
	scale := []string{"", "10", "100", "1000"}[places]
	return regoSprintfV(regoQuo(regoRound(regoMul(n, scale)), scale))
}

// roundDecimal rounds a decimal's text (as FormatFloat 'f' writes it) to
// places decimals, half away from zero, without trailing zeros; false for
// an exact half, which formatNum leaves to OPA's arithmetic.
func roundDecimal(n string, places int) (string, bool) {
	neg := strings.HasPrefix(n, "-")
	if neg {
		n = n[1:]
	}
	intPart, frac, _ := strings.Cut(n, ".")
	up := false
	if len(frac) > places {
		d := frac[places]
		if d == '5' && strings.TrimRight(frac[places+1:], "0") == "" {
			return "", false
		}
		up = d >= '5'
		frac = frac[:places]
	}
	digits := []byte(intPart + frac)
	if up {
		i := len(digits) - 1
		for ; i >= 0 && digits[i] == '9'; i-- {
			digits[i] = '0'
		}
		if i < 0 {
			digits = append([]byte{'1'}, digits...)
		} else {
			digits[i]++
		}
	}
	split := len(digits) - len(frac)
	intDigits := strings.TrimLeft(string(digits[:split]), "0")
	fracDigits := strings.TrimRight(string(digits[split:]), "0")
	if intDigits == "" && fracDigits == "" {
		return "0", true
	}
	if intDigits == "" {
		intDigits = "0"
	}
	out := intDigits
	if fracDigits != "" {
		out += "." + fracDigits
	}
	if neg {
		out = "-" + out
	}
	return out, true
}

// regoFloat is OPA's big float of a number's text (builtins.NumberToFloat).
func regoFloat(n string) *big.Float {
	f, _ := new(big.Float).SetString(n)
	return f
}

// regoNumber is OPA's number text of a big float (builtins.FloatToNumber).
func regoNumber(f *big.Float) string {
	if f.IsInt() {
		return f.Text('f', -1)
	}
	return f.Text('g', -1)
}

// regoSmallInt is OPA's small-integer fast path of arithmetic.
func regoSmallInt(n string) (int64, bool) {
	i, err := strconv.ParseInt(n, 10, 64)
	return i, err == nil && i >= -1<<31 && i <= 1<<31-1
}

func regoMul(a, b string) string {
	if x, ok := regoSmallInt(a); ok {
		if y, ok := regoSmallInt(b); ok {
			return strconv.FormatInt(x*y, 10)
		}
	}
	return regoNumber(new(big.Float).Mul(regoFloat(a), regoFloat(b)))
}

func regoQuo(a, b string) string {
	if x, ok := regoSmallInt(a); ok {
		if y, ok := regoSmallInt(b); ok && y != 0 && x != 0 && x%y == 0 {
			return strconv.FormatInt(x/y, 10)
		}
	}
	return regoNumber(new(big.Float).Quo(regoFloat(a), regoFloat(b)))
}

// regoRound is OPA's round: half away from zero.
func regoRound(a string) string {
	if _, ok := regoSmallInt(a); ok {
		return a
	}
	f := regoFloat(a)
	half := big.NewFloat(0.5)
	if f.Signbit() {
		f = new(big.Float).Sub(f, half)
	} else {
		f = new(big.Float).Add(f, half)
	}
	i, _ := f.Int(nil)
	return regoNumber(new(big.Float).SetInt(i))
}

// regoSprintfV is OPA's sprintf("%v") of a number: a float's text as Go
// prints a float64, an integer's as an integer.
func regoSprintfV(n string) string {
	if strings.ContainsAny(n, ".eE") {
		f, err := strconv.ParseFloat(n, 64)
		if err != nil {
			return n
		}
		return fmt.Sprintf("%v", f)
	}
	if i, err := strconv.ParseInt(n, 10, 64); err == nil {
		return strconv.FormatInt(i, 10)
	}
	return n
}

// sameCard reports whether two variants write the same card text.
func sameCard(a, b *CardTemplate) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Summary == b.Summary && a.Detail == b.Detail
}

// renderCard writes the summary and detail of a finding whose rule has
// card templates, and says why it cannot, or "".
func renderCard(v *Variant, f *Finding) string {
	switch {
	case v.Card == nil && f.Text != nil:
		return fmt.Sprintf("rule %s: the finding gives text values but the METADATA at %s has no custom.card to write them", f.Rule, v.Locations[0])
	case v.Card == nil:
		return ""
	case f.Summary != "" || f.Detail != "":
		return fmt.Sprintf("rule %s: its METADATA at %s writes the card (custom.card), and the finding gives a summary or detail too: give the values as text", f.Rule, v.Locations[0])
	case f.Text == nil:
		return fmt.Sprintf("rule %s: its METADATA at %s writes the card (custom.card) from the finding's text values, and the finding has none", f.Rule, v.Locations[0])
	}
	s, d, err := v.Card.render(f.Text)
	if err != nil {
		return fmt.Sprintf("rule %s: %v (METADATA at %s)", f.Rule, err, v.Locations[0])
	}
	f.Summary, f.Detail, f.Text = s, d, nil
	return ""
}

// sharedCards reads the card templates written on the functions that
// build findings for several rules (lab_finding), which those rules name
// (custom.card: lab_finding), so that rules that differ only in their
// values write their text once, next to the function that gives the
// values. It returns them by package path ("data.labelguard.rules.jak")
// and the problems, each with its METADATA's file and row.
func sharedCards(as *ast.AnnotationSet) (map[string]map[string]*CardTemplate, []cardProblem) {
	out := map[string]map[string]*CardTemplate{}
	var problems []cardProblem
	for _, ref := range as.Flatten() {
		a := ref.Annotations
		if a == nil || a.Custom["card"] == nil || len(ref.Path) < 2 {
			continue
		}
		name, ok := ref.Path[len(ref.Path)-1].Value.(ast.String)
		if !ok || string(name) == findingsRule {
			continue
		}
		pkg := ref.Path[:len(ref.Path)-1].String()
		if out[pkg] == nil {
			out[pkg] = map[string]*CardTemplate{}
		}
		c, err := cardTemplateFrom(a.Custom["card"])
		if err != nil {
			file, row := annotationPlace(a)
			problems = append(problems, cardProblem{file, row, fmt.Errorf("function %s: %w", string(name), err)})
		}
		// a refused card stays named (nil), so that the rules naming it
		// are not told it does not exist
		out[pkg][string(name)] = c
	}
	return out, problems
}

// cardProblem is a card template refused at load, where it is written.
type cardProblem struct {
	file string
	row  int
	err  error
}

// cardOfRule reads a rule's custom.card: its own templates, or the name
// of a function of its package whose METADATA has them (sharedCards).
func cardOfRule(v any, shared map[string]*CardTemplate) (*CardTemplate, error) {
	name, ok := v.(string)
	if !ok {
		return cardTemplateFrom(v)
	}
	c, ok := shared[name]
	switch {
	case !ok && len(shared) == 0:
		return nil, fmt.Errorf("custom.card names %q, and no function of the package has a card in its METADATA", name)
	case !ok:
		return nil, fmt.Errorf("custom.card names %q, which is no function of the package with a card in its METADATA (those with one: %s)", name, strings.Join(slices.Sorted(maps.Keys(shared)), ", "))
	case c == nil:
		return nil, fmt.Errorf("custom.card names %q, whose card is refused where it is written", name)
	}
	// Each variant compiles its own copy against the tables at load.
	cp := *c
	return &cp, nil
}

// annotationPlace is the file and row of a METADATA block.
func annotationPlace(a *ast.Annotations) (string, int) {
	if a == nil || a.Location == nil {
		return "", 0
	}
	return a.Location.File, a.Location.Row
}

// checkCardTemplates is labelguard check's look at the card templates:
// the words a summary template always shows fit in a summary, and where
// the finding's text is an object literal in the same rule (a rule or
// function with its own card), each value the templates read is one it
// gives, so that a renamed value is refused before a call fails on it. It
// returns how many summary templates it checked.
func checkCardTemplates(modules map[string]*ast.Module, add addFunc) int {
	mods := policyModules(modules)
	as, errs := ast.BuildAnnotationSet(mods)
	if len(errs) > 0 {
		return 0 // the metadata check reports them
	}
	n := 0
	for _, ref := range as.Flatten() {
		a := ref.Annotations
		if a == nil {
			continue
		}
		if _, own := a.Custom["card"].(map[string]any); !own {
			continue
		}
		c, err := cardTemplateFrom(a.Custom["card"])
		if err != nil {
			continue // the metadata check reports it
		}
		file, row := annotationPlace(a)
		n++
		if l := utf8.RuneCountInString(c.fixedSummary()); l > MaxSummary {
			add(CheckSummary, file, row, "custom.card.summary has %d characters before its values are filled in; CDS Hooks allows %d", l, MaxSummary)
		}
		r := ref.GetRule()
		if r == nil {
			continue
		}
		given, literal := textKeys(r)
		if !literal {
			continue
		}
		for _, k := range c.Keys() {
			if !given[k] {
				add(CheckMetadata, file, row, "custom.card reads .%s, which the finding's text (%s:%d) does not give", k, r.Location.File, r.Location.Row)
			}
		}
	}
	return n
}

// textKeys are the members of the object literals a rule gives as a
// finding's "text", and whether it has any (a text built otherwise is not
// checked).
func textKeys(r *ast.Rule) (map[string]bool, bool) {
	keys := map[string]bool{}
	found := false
	ast.WalkTerms(r, func(t *ast.Term) bool {
		obj, ok := t.Value.(ast.Object)
		if !ok {
			return false
		}
		text := obj.Get(ast.StringTerm("text"))
		if text == nil || obj.Get(ast.StringTerm("rule")) == nil {
			return false
		}
		vals, ok := text.Value.(ast.Object)
		if !ok {
			return false
		}
		found = true
		for _, k := range vals.Keys() {
			if s, ok := k.Value.(ast.String); ok {
				keys[string(s)] = true
			}
		}
		return false
	})
	return keys, found
}

// fixedSummary is the summary template's own words, its values left out.
func (c *CardTemplate) fixedSummary() string {
	var b strings.Builder
	var walk func(n parse.Node)
	walk = func(n parse.Node) {
		switch x := n.(type) {
		case *parse.ListNode:
			if x != nil {
				for _, c := range x.Nodes {
					walk(c)
				}
			}
		case *parse.TextNode:
			b.Write(x.Text)
		}
	}
	if c.summary != nil && c.summary.Tree != nil {
		walk(c.summary.Tree.Root)
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// markdownText backslash-escapes the characters that would make inline
// Markdown of text (CommonMark lets any ASCII punctuation be escaped;
// these are the ones that start emphasis, code, links, raw HTML, strike
// and table cells).
func markdownText(s string) string {
	if !strings.ContainsAny(s, markdownSpecial) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for _, r := range s {
		if r < utf8.RuneSelf && strings.ContainsRune(markdownSpecial, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

const markdownSpecial = "\\`*_[]<>~|"
