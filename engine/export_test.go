package engine

import (
	"errors"
	"slices"
	"strings"
	"text/template"
)

// RenderBoth renders a finding's values with the card executor and with
// text/template, the reference it must agree with (cardexec.go): the
// summary's and the detail's raw text, or the first error.
func (c *CardTemplate) RenderBoth(values map[string]any) (fast, ref []string, fastErr, refErr error) {
	numbersAsFloats(values)
	var ts []*template.Template
	for _, t := range []*template.Template{c.summary, c.detail} {
		if t != nil {
			ts = append(ts, t)
		}
	}
	run := func(reference bool) ([]string, error) {
		var out []string
		for _, t := range ts {
			var b strings.Builder
			var err error
			if reference {
				err = t.Execute(&b, values)
			} else {
				err = execCard(t.Tree.Root, c.funcs, values, &b)
			}
			if err != nil {
				return nil, err
			}
			out = append(out, b.String())
		}
		return out, nil
	}
	fast, fastErr = run(false)
	ref, refErr = run(true)
	return fast, ref, fastErr, refErr
}

// AgreesWithTextTemplate reports whether the executor's result agrees
// with text/template's: the same text, or errors from both, or a null
// the executor refuses where text/template wrote "<no value>" or
// "%!s(<nil>)" into the card.
func AgreesWithTextTemplate(fast, ref []string, fastErr, refErr error) bool {
	switch {
	case fastErr == nil && refErr == nil:
		return slices.Equal(fast, ref)
	case errors.Is(fastErr, errNull) && refErr == nil:
		for _, text := range ref {
			if strings.Contains(text, "<no value>") || strings.Contains(text, "<nil>") {
				return true
			}
		}
		return false
	}
	return (fastErr == nil) == (refErr == nil)
}
