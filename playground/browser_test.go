package playground_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/playground"
	"github.com/labelguard/labelguard/policies"
)

// chromiumPath is Debian's Chromium, which .ci/run installs with apt.
const chromiumPath = "/usr/bin/chromium"

const installChromium = "apt-get update && apt-get install -y chromium"

// The page must work on a common laptop screen: at 1366x768 the editor and
// the results stand side by side without scrolling.
const viewWidth, viewHeight = 1366, 768

// browser starts a headless Chromium for the test, or skips (fails in CI)
// when it is not installed.
func browser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("Chromium is missing at %s; CI must install it: %s", chromiumPath, installChromium)
		}
		t.Skipf("Chromium is not installed at %s; install it with: %s", chromiumPath, installChromium)
	}
	profile, err := os.MkdirTemp("", "playground-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(profile) })
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.NoSandbox, // root in CI containers
		chromedp.DisableGPU,
		// Without these, Chromium reaches for Google's hosts, which this
		// network refuses.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(viewWidth, viewHeight),
	)
	ctx, cancelTimeout := context.WithTimeout(context.Background(), 3*time.Minute)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	t.Cleanup(func() { cancelBrowser(); cancelAlloc(); cancelTimeout() })
	return bctx
}

// outputDir is where the screenshot goes: $TEST_OUTPUT_DIR when set (CI
// keeps it), else the test's artifact directory (kept with go test
// -artifacts).
func outputDir(t *testing.T) string {
	if d := os.Getenv("TEST_OUTPUT_DIR"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.ArtifactDir()
}

func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %.80s: %v", expr, err)
	}
	return v
}

func waitFor(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(60*time.Second))); err != nil {
		status := eval[string](t, ctx, `document.getElementById('run-status').textContent + ' | ' + document.getElementById('patient-status').textContent`)
		t.Fatalf("waiting for %s: %v (page says: %s)", what, err, status)
	}
}

// selectValue chooses an option and fires change, as a user's choice does.
func selectValue(t *testing.T, ctx context.Context, id, value string) {
	t.Helper()
	v, _ := json.Marshal(value)
	ok := eval[bool](t, ctx, `(function(){ var s = document.getElementById('`+id+`');
		s.value = `+string(v)+`; if (s.value !== `+string(v)+`) { return false; }
		s.dispatchEvent(new Event('change', {bubbles: true})); return true; })()`)
	if !ok {
		t.Fatalf("#%s has no option %s", id, value)
	}
}

// a11yChecks are basic, automatable accessibility checks: every control has
// a label, headings start at h1 and never skip a level, the landmarks
// exist, ids are unique, buttons have names, every card carries its
// indicator as a word (colour is never the only signal), and visible text
// has WCAG AA contrast against its background. It returns the problems.
const a11yChecks = `(function () {
  var problems = [];
  document.querySelectorAll('input:not([type=hidden]), select, textarea').forEach(function (el) {
    if (!(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby')) {
      problems.push('control without label: #' + el.id);
    }
  });
  var prev = 0, h1 = 0;
  document.querySelectorAll('h1, h2, h3, h4, h5, h6').forEach(function (h) {
    var lvl = +h.tagName[1];
    if (lvl === 1) { h1++; }
    if (prev === 0 && lvl !== 1) { problems.push('first heading is ' + h.tagName); }
    if (lvl > prev + 1) { problems.push('heading skips from h' + prev + ' to h' + lvl + ': ' + h.textContent.trim().slice(0, 40)); }
    prev = lvl;
  });
  if (h1 !== 1) { problems.push(h1 + ' h1 elements'); }
  ['header', 'main', 'footer'].forEach(function (l) { if (document.querySelectorAll(l).length !== 1) { problems.push('landmark ' + l + ' missing or repeated'); } });
  if (!document.documentElement.lang) { problems.push('no lang'); }
  var ids = {};
  document.querySelectorAll('[id]').forEach(function (el) { if (ids[el.id]) { problems.push('duplicate id ' + el.id); } ids[el.id] = true; });
  document.querySelectorAll('button, a[href], summary').forEach(function (b) {
    if (!b.textContent.trim() && !b.getAttribute('aria-label')) { problems.push('control without a name: ' + b.outerHTML.slice(0, 60)); }
  });
  document.querySelectorAll('article.card').forEach(function (c) {
    var w = c.querySelector('.indicator-word');
    if (!w || ['CRITICAL', 'WARNING', 'INFO'].indexOf(w.textContent.trim()) < 0) { problems.push('card without indicator word: ' + c.textContent.slice(0, 40)); }
  });
  ['cards', 'run-status', 'patient-status'].forEach(function (id) {
    if (!document.getElementById(id).getAttribute('aria-live')) { problems.push('#' + id + ' is not a live region'); }
  });
  function rgb(c) {
    var m = /rgba?\(([^)]+)\)/.exec(c);
    if (!m) { return null; }
    var p = m[1].split(',').map(parseFloat);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  }
  function lum(c) {
    function f(v) { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  }
  function background(el) {
    for (var e = el; e; e = e.parentElement) {
      var c = rgb(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0.99) { return c; }
    }
    return { r: 255, g: 255, b: 255, a: 1 };
  }
  var walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  var seen = new Set(), checked = 0;
  while (walker.nextNode()) {
    var t = walker.currentNode;
    if (!t.nodeValue.trim()) { continue; }
    var el = t.parentElement;
    if (seen.has(el)) { continue; }
    seen.add(el);
    if (!el.getClientRects().length || el.closest('[disabled], option, [aria-hidden="true"], .skip-link')) { continue; }
    var cs = getComputedStyle(el);
    if (cs.visibility === 'hidden') { continue; }
    var fg = rgb(cs.color), bg = background(el);
    var l1 = lum(fg), l2 = lum(bg);
    var ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    var size = parseFloat(cs.fontSize), bold = parseInt(cs.fontWeight, 10) >= 700;
    var need = (size >= 24 || (bold && size >= 18.66)) ? 3 : 4.5;
    checked++;
    if (ratio < need) { problems.push('contrast ' + ratio.toFixed(2) + ' < ' + need + ' for ' + el.tagName + '.' + el.className + ' "' + t.nodeValue.trim().slice(0, 30) + '"'); }
  }
  if (checked < 20) { problems.push('only ' + checked + ' text elements checked'); }
  return problems;
})()`

func checkA11y(t *testing.T, ctx context.Context, when string) {
	t.Helper()
	for _, p := range eval[[]string](t, ctx, a11yChecks) {
		t.Errorf("accessibility (%s): %s", when, p)
	}
}

// TestBrowser drives the page in Chromium against the real CDS Hooks API:
// a patient and an order that must yield a critical card, the card as an
// EHR shows it, a suggestion's action, keyboard use, accessibility checks,
// a hot reload, an upload, and a screenshot.
func TestBrowser(t *testing.T) {
	ctx := browser(t)
	e := newEnv(t, nil)

	do(t, ctx, "open the page", chromedp.EmulateViewport(viewWidth, viewHeight), chromedp.Navigate(e.srv.URL+"/playground/"))
	waitFor(t, ctx, "the page to load its samples", `document.body.dataset.ready === 'true'`)
	if rev := eval[string](t, ctx, `document.getElementById('revision').textContent`); rev != defaultPolicies(t).Revision {
		t.Errorf("revision shown %q", rev)
	}
	checkA11y(t, ctx, "empty page")

	// The Markdown renderer escapes before it formats.
	md := eval[string](t, ctx, `lgMarkdown.render('<img src=x onerror=alert(1)> **bold** _it_ [bad](javascript:alert(1)) [ok](https://example.org/a_b_c)\n\n- one\n- two')`)
	for _, want := range []string{"&lt;img src=x", "<strong>bold</strong>", "<em>it</em>", `<a href="https://example.org/a_b_c"`, "<ul><li>one</li><li>two</li></ul>"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q: %s", want, md)
		}
	}
	if strings.Contains(md, "<img") || strings.Contains(md, "javascript:alert(1)\"") || strings.Contains(md, `href="javascript`) {
		t.Errorf("markdown let markup through: %s", md)
	}

	// A patient (the scenario with low neutrophils, so the why panel has
	// lab evidence) and the order: upadacitinib 45 mg once daily.
	selectValue(t, ctx, "sample", "scenario:010-kermit-upadacitinib-45mg-low-anc-hgb")
	waitFor(t, ctx, "the patient summary", `document.getElementById('patient-status').textContent.indexOf('Patient loaded') === 0`)
	// The scenario is written for testNow: the page evaluates as of then.
	if asOf := eval[string](t, ctx, `document.getElementById('as-of').value`); asOf != testNow.Format("2006-01-02") {
		t.Errorf("as-of %q, want the scenario's day %s", asOf, testNow.Format("2006-01-02"))
	}
	if hint := eval[string](t, ctx, `document.getElementById('as-of-hint').textContent`); !strings.Contains(hint, "written for") {
		t.Errorf("as-of hint %q", hint)
	}
	summary := eval[string](t, ctx, `document.getElementById('summary').textContent`)
	for _, want := range []string{"male", "33 years", "Absolute neutrophil count", "0.8 10*9/L", "2026-11-16"} {
		if !strings.Contains(summary, want) {
			t.Errorf("summary lacks %q: %.300s", want, summary)
		}
	}
	selectValue(t, ctx, "hook", "order-sign")
	selectValue(t, ctx, "drug", "upadacitinib 45 MG Extended Release Oral Tablet [Rinvoq]")
	selectValue(t, ctx, "frequency", "QD")
	if dose, unit := eval[string](t, ctx, `document.getElementById('dose').value`), eval[string](t, ctx, `document.getElementById('unit').value`); dose != "45" || unit != "mg" {
		t.Fatalf("the product choice set dose %q %q, want 45 mg", dose, unit)
	}

	// Keyboard only: Tab from the first control to Run, checking that each
	// stop shows a focus ring, then Enter.
	do(t, ctx, "focus the sample list", chromedp.Focus(chromedp.CSS("#sample")))
	var stops []string
	for i := 0; ; i++ {
		if i == 30 {
			t.Fatalf("Run not reached by Tab; stops: %v", stops)
		}
		do(t, ctx, "press Tab", chromedp.KeyEvent(kb.Tab))
		var focus struct {
			ID, Tag, Outline string
			Width            float64
		}
		raw := eval[[]byte](t, ctx, `(function(){ var a = document.activeElement, s = getComputedStyle(a);
			return {id: a.id, tag: a.tagName, outline: s.outlineStyle, width: parseFloat(s.outlineWidth)}; })()`)
		if err := json.Unmarshal(raw, &focus); err != nil {
			t.Fatal(err)
		}
		stops = append(stops, focus.Tag+"#"+focus.ID)
		if focus.Outline == "none" || focus.Width < 2 {
			t.Errorf("no visible focus on %s#%s (outline %s %.0fpx)", focus.Tag, focus.ID, focus.Outline, focus.Width)
		}
		if focus.ID == "run" {
			break
		}
	}
	t.Logf("Tab stops: %v", stops)
	do(t, ctx, "press Enter on Run", chromedp.KeyEvent(kb.Enter))
	waitFor(t, ctx, "the cards and the why panel",
		`!document.getElementById('run').disabled && document.querySelector('#cards article[data-rule="upadacitinib.dose-max"]') && document.querySelector('#why .fired')`)

	var card struct {
		Word, Summary, Detail, Source, Classes string
		Suggestions                            int
		Overrides                              int
	}
	raw := eval[[]byte](t, ctx, `(function(){ var c = document.querySelector('#cards article[data-rule="upadacitinib.dose-max"]');
		return { word: c.querySelector('.indicator-word').textContent, summary: c.querySelector('.card-summary').textContent,
			detail: c.querySelector('.card-detail') ? c.querySelector('.card-detail').textContent : '',
			source: c.querySelector('.card-source a') ? c.querySelector('.card-source a').href : '',
			classes: c.className, suggestions: c.querySelectorAll('button.suggestion').length,
			overrides: c.querySelectorAll('.override-reasons li').length }; })()`)
	if err := json.Unmarshal(raw, &card); err != nil {
		t.Fatal(err)
	}
	t.Logf("critical card: %+v", card)
	if card.Word != "CRITICAL" || !strings.Contains(card.Classes, "card-critical") {
		t.Errorf("indicator: word %q classes %q", card.Word, card.Classes)
	}
	if !strings.Contains(strings.ToLower(card.Summary), "upadacitinib") || !strings.Contains(card.Summary, "45") {
		t.Errorf("summary %q", card.Summary)
	}
	if card.Detail == "" || !strings.HasPrefix(card.Source, "https://") || card.Suggestions == 0 || card.Overrides == 0 {
		t.Errorf("card parts: %+v", card)
	}
	status := eval[string](t, ctx, `document.getElementById('run-status').textContent`)
	if !strings.Contains(status, "critical") || !strings.Contains(status, "jak-order-sign") || !strings.Contains(status, "as of 2026-11-23 12:00 UTC") {
		t.Errorf("status %q", status)
	}
	why := eval[string](t, ctx, `document.getElementById('why').textContent`)
	for _, want := range []string{"upadacitinib.dose-max", "jak.lab-anc-low", "Observation/anc-1", "Policy input"} {
		if !strings.Contains(why, want) {
			t.Errorf("why panel lacks %q", want)
		}
	}
	checkLayout(t, ctx)
	checkCitedOnce(t, ctx)
	checkEvidence(t, ctx)

	// The first suggestion shows the FHIR action it would apply: the draft
	// rewritten to 15 mg.
	do(t, ctx, "click the suggestion", chromedp.Click(chromedp.CSS(`#cards article[data-rule="upadacitinib.dose-max"] button.suggestion`)))
	waitFor(t, ctx, "the suggestion's action", `(function(){ var b = document.querySelector('#cards article[data-rule="upadacitinib.dose-max"] button.suggestion');
		return b.getAttribute('aria-expanded') === 'true' && !document.getElementById(b.getAttribute('aria-controls')).hidden; })()`)
	action := eval[string](t, ctx, `(function(){ var b = document.querySelector('#cards article[data-rule="upadacitinib.dose-max"] button.suggestion');
		return document.getElementById(b.getAttribute('aria-controls')).textContent; })()`)
	for _, want := range []string{`"type": "update"`, `"id": "` + playground.DraftOrderID + `"`, "upadacitinib 15 MG", "once daily"} {
		if !strings.Contains(action, want) {
			t.Errorf("action lacks %q: %.600s", want, action)
		}
	}
	checkA11y(t, ctx, "with cards")

	// The copy buttons are enabled; the JSON is there for a bug report.
	if eval[bool](t, ctx, `document.getElementById('copy-request').disabled || document.getElementById('copy-response').disabled`) {
		t.Errorf("copy buttons disabled after a run")
	}
	if !strings.Contains(eval[string](t, ctx, `document.getElementById('raw-request').textContent`), `"hook": "order-sign"`) {
		t.Errorf("raw request missing")
	}

	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(outputDir(t), "playground-critical-card.png")
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
	// What a reviewer sees first, at full size.
	do(t, ctx, "scroll to the top", chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`))
	view, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	vpath := filepath.Join(outputDir(t), "playground-viewport.png")
	if err := os.WriteFile(vpath, view, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", vpath)

	checkDiff(t, ctx)

	// A hot reload shows on the next run, without reloading the page.
	ps2, err := engine.Load(context.Background(), policies.FS, engine.Options{Revision: "reloaded-in-browser"})
	if err != nil {
		t.Fatal(err)
	}
	e.active.Store(ps2)
	do(t, ctx, "run again", chromedp.Click(chromedp.CSS("#run")))
	waitFor(t, ctx, "the new revision", `document.getElementById('revision').textContent === 'reloaded-in-browser' &&
		!document.getElementById('run').disabled && document.getElementById('cards').textContent.indexOf('revision reloaded-in-browser') >= 0`)

	// An uploaded bundle replaces the sample.
	abs, _ := filepath.Abs("testdata/tiny-bundle.json")
	do(t, ctx, "upload a bundle", chromedp.SetUploadFiles(chromedp.CSS("#upload"), []string{abs}))
	waitFor(t, ctx, "the uploaded patient", `document.getElementById('patient-status').textContent.indexOf('Bundle loaded') === 0`)
	if s := eval[string](t, ctx, `document.getElementById('summary').textContent`); !strings.Contains(s, "Zelda Quux-Sentinel") || !strings.Contains(s, "Multiple sclerosis") {
		t.Errorf("upload summary: %.300s", s)
	}
	if v := eval[string](t, ctx, `document.getElementById('sample').value`); v != "" {
		t.Errorf("sample still chosen after upload: %q", v)
	}
	if v := eval[string](t, ctx, `document.getElementById('as-of').value`); v != "" {
		t.Errorf("as-of %q after an upload, want empty (now)", v)
	}
	selectValue(t, ctx, "drug", "upadacitinib 45 MG Extended Release Oral Tablet [Rinvoq]")
	do(t, ctx, "run with the upload", chromedp.Click(chromedp.CSS("#run")))
	waitFor(t, ctx, "cards for the upload", `!document.getElementById('run').disabled && document.querySelector('#cards article[data-rule="upadacitinib.dose-max"]')`)
}

// rect is an element's box in the viewport.
type rect struct{ Top, Bottom, Left, Right float64 }

func box(t *testing.T, ctx context.Context, selector string) rect {
	t.Helper()
	sel, _ := json.Marshal(selector)
	raw := eval[[]byte](t, ctx, `(function(){ var e = document.querySelector(`+string(sel)+`); if (!e) { return null; }
		var r = e.getBoundingClientRect(); return {top: r.top, bottom: r.bottom, left: r.left, right: r.right}; })()`)
	var r *rect
	if err := json.Unmarshal(raw, &r); err != nil || r == nil {
		t.Fatalf("no element %s", selector)
	}
	return *r
}

// checkLayout: at 1366x768, after a run started from the keyboard, the
// page has not scrolled, the whole form (Run included) is in view, and the
// first cards stand beside it, in view too.
func checkLayout(t *testing.T, ctx context.Context) {
	t.Helper()
	var vp struct{ W, H, ScrollY, ScrollW float64 }
	raw := eval[[]byte](t, ctx, `({w: innerWidth, h: innerHeight, scrollY: scrollY, scrollW: document.documentElement.scrollWidth})`)
	if err := json.Unmarshal(raw, &vp); err != nil {
		t.Fatal(err)
	}
	if vp.W != viewWidth || vp.H != viewHeight {
		t.Fatalf("viewport %.0fx%.0f, want %dx%d", vp.W, vp.H, viewWidth, viewHeight)
	}
	if vp.ScrollY != 0 {
		t.Errorf("the page scrolled by %.0f px to run", vp.ScrollY)
	}
	if vp.ScrollW > vp.W {
		t.Errorf("the page is %.0f px wide in a %.0f px window", vp.ScrollW, vp.W)
	}
	form, run := box(t, ctx, "#order-form"), box(t, ctx, "#run")
	if run.Bottom > vp.H || form.Top < 0 {
		t.Errorf("the form spans %.0f to %.0f px, Run ends at %.0f px: not all in a %.0f px window", form.Top, form.Bottom, run.Bottom, vp.H)
	}
	status, first := box(t, ctx, "#run-status"), box(t, ctx, "#cards article")
	if first.Left < form.Right || status.Left < form.Right {
		t.Errorf("the cards (left %.0f px) are not beside the form (right %.0f px)", first.Left, form.Right)
	}
	// The status line and the first card's summary are in view.
	head := box(t, ctx, "#cards article .card-head")
	if status.Top < 0 || head.Bottom > vp.H {
		t.Errorf("status at %.0f px, first card's summary ends at %.0f px: not in a %.0f px window", status.Top, head.Bottom, vp.H)
	}
	shot(t, ctx, "playground-1366x768.png", chromedp.CaptureScreenshot())
}

func shot(t *testing.T, ctx context.Context, name string, a chromedp.Action[[]byte]) {
	t.Helper()
	png, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(outputDir(t), name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

// checkCitedOnce: every card links its source once, in the source
// position; the detail's own "Source:" line is not repeated, and another
// work a detail cites is kept.
func checkCitedOnce(t *testing.T, ctx context.Context) {
	t.Helper()
	var cards []struct {
		Rule, Source, SourceText string
		Times                    int
		SourceInDetail           bool
	}
	raw := eval[[]byte](t, ctx, `Array.prototype.map.call(document.querySelectorAll('#cards article'), function (c) {
		var a = c.querySelector('.card-source a'), url = a ? a.href : '';
		return { rule: c.dataset.rule, source: url, sourceText: c.querySelector('.card-source') ? c.querySelector('.card-source').textContent : '',
			times: Array.prototype.filter.call(c.querySelectorAll('a[href]'), function (x) { return x.href === url; }).length,
			sourceInDetail: !!c.querySelector('.card-detail') && /(^|\n)\s*Source:/.test(c.querySelector('.card-detail').innerText) };
	})`)
	if err := json.Unmarshal(raw, &cards); err != nil {
		t.Fatal(err)
	}
	if len(cards) < 5 {
		t.Fatalf("%d cards", len(cards))
	}
	for _, c := range cards {
		if c.Source == "" || c.Times != 1 || c.SourceInDetail {
			t.Errorf("%s: source %q linked %d times, a Source line in the detail: %v", c.Rule, c.Source, c.Times, c.SourceInDetail)
		}
		if c.Rule == "jak.pretreatment-incomplete" && !strings.Contains(c.SourceText, "International Eczema Council") {
			t.Errorf("%s: the second work its detail cites is gone: %q", c.Rule, c.SourceText)
		}
	}
}

// checkEvidence: a card's evidence gives the value with its unit, the date
// and the resource it came from, whose JSON opens in place; a value the
// evidence leaves out is read from the resource.
func checkEvidence(t *testing.T, ctx context.Context) {
	t.Helper()
	anc := `#cards article[data-rule="jak.lab-anc-low"] .evidence-item`
	item := eval[string](t, ctx, `document.querySelector('`+anc+`').textContent`)
	for _, want := range []string{"0.8 ×10⁹/L", "2026-11-16", "Observation/anc-1"} {
		if !strings.Contains(item, want) {
			t.Errorf("ANC evidence lacks %q: %q", want, item)
		}
	}
	do(t, ctx, "open the evidence's resource", chromedp.Click(chromedp.CSS(anc+` details summary`)))
	if res := eval[string](t, ctx, `document.querySelector('`+anc+` details pre').textContent`); !strings.Contains(res, `"751-8"`) || !strings.Contains(res, `"effectiveDateTime": "2026-11-16T09:00:00Z"`) {
		t.Errorf("the ANC resource: %.300s", res)
	}
	// Smoking status: the evidence has no value; the resource has one.
	smoke := eval[[]string](t, ctx, `Array.prototype.map.call(document.querySelectorAll('#cards article[data-rule="jak.risk-factors"] .evidence-item'), function (li) {
		return (li.querySelector('.ev-value') || {textContent: ''}).textContent + ' | ' + li.textContent; })`)
	if len(smoke) == 0 || strings.HasPrefix(smoke[0], " | ") || !strings.Contains(smoke[0], "2019-06-17") {
		t.Errorf("risk factor evidence without a value or date: %q", smoke)
	}
}

func runAndWait(t *testing.T, ctx context.Context, what string) {
	t.Helper()
	do(t, ctx, "run ("+what+")", chromedp.Click(chromedp.CSS("#run")))
	waitFor(t, ctx, what, `!document.getElementById('run').disabled && document.getElementById('run-status').textContent.indexOf('Running') < 0`)
}

// checkDiff: after an edit the page says which cards were added, removed
// or changed indicator since the previous run, and marks them.
func checkDiff(t *testing.T, ctx context.Context) {
	t.Helper()
	// 15 mg instead of 45: the dose card goes; nothing else changes.
	selectValue(t, ctx, "drug", "upadacitinib 15 MG Extended Release Oral Tablet [Rinvoq]")
	runAndWait(t, ctx, "the run at 15 mg")
	diff := eval[string](t, ctx, `document.getElementById('diff').textContent`)
	if !strings.Contains(diff, "1 removed") || eval[int](t, ctx, `document.querySelectorAll('#diff li.diff-removed[data-rule="upadacitinib.dose-max"]').length`) != 1 {
		t.Errorf("diff after 45 -> 15 mg: %q", diff)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('#cards article[data-change]').length`); n != 0 || strings.Contains(diff, "added") {
		t.Errorf("%d cards marked changed after 45 -> 15 mg; diff %q", n, diff)
	}
	// Four months later the labs of last week are outside their window.
	do(t, ctx, "set the as-of date", chromedp.SetValue(chromedp.CSS("#as-of"), "2027-03-23"))
	runAndWait(t, ctx, "the run as of 2027-03-23")
	if n := eval[int](t, ctx, `document.querySelectorAll('#diff li.diff-removed[data-rule="jak.lab-anc-low"]').length`); n != 1 {
		t.Errorf("the ANC card should be removed as of 2027-03-23: %q", eval[string](t, ctx, `document.getElementById('diff').textContent`))
	}
	if st := eval[string](t, ctx, `document.getElementById('run-status').textContent`); !strings.Contains(st, "as of 2027-03-23 12:00 UTC") {
		t.Errorf("status %q", st)
	}
	// The same pregnant woman on upadacitinib, then on baricitinib: the
	// pregnancy card changes from warning (the US Rinvoq label warns) to
	// critical (baricitinib's label contraindicates).
	selectValue(t, ctx, "sample", "scenario:073-woman-pregnancy-status-upadacitinib")
	waitFor(t, ctx, "the pregnant patient", `document.getElementById('patient-status').textContent.indexOf('Patient loaded') === 0`)
	runAndWait(t, ctx, "upadacitinib in pregnancy")
	if d := eval[string](t, ctx, `document.getElementById('diff').textContent`); d != "" {
		t.Errorf("a diff against another patient: %q", d)
	}
	bari := eval[string](t, ctx, `Array.prototype.find.call(document.getElementById('drug').options, function (o) { return /baricitinib/i.test(o.value); }).value`)
	selectValue(t, ctx, "drug", bari)
	runAndWait(t, ctx, "baricitinib in pregnancy")
	changed := `#diff li.diff-changed[data-rule="jak.pregnancy"]`
	if eval[int](t, ctx, `document.querySelectorAll('`+changed+`').length`) != 1 {
		t.Fatalf("no changed-indicator entry for jak.pregnancy: %q", eval[string](t, ctx, `document.getElementById('diff').textContent`))
	}
	if li := eval[string](t, ctx, `document.querySelector('`+changed+`').textContent`); !strings.Contains(li, "WARNING → CRITICAL") {
		t.Errorf("changed entry %q", li)
	}
	if tag := eval[string](t, ctx, `document.querySelector('#cards article[data-rule="jak.pregnancy"][data-change="changed"] .tag-changed').textContent`); tag != "Was warning" {
		t.Errorf("the pregnancy card's tag %q", tag)
	}
	checkA11y(t, ctx, "with a diff")
	shot(t, ctx, "playground-diff.png", chromedp.CaptureScreenshot())
}
