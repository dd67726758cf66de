package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"text/template/parse"
)

// A card template is parsed by text/template and executed here.
//
// text/template's executor reaches every value, field and function through
// reflection: rendering the six cards of the focused request took about
// 2,300 allocations, as many as the sprintf it replaced had cost in Rego.
// The cards' values are JSON (strings, float64, bool, nil, []any,
// map[string]any) and their functions are cardFuncs, so this executor
// walks the same parse tree with type switches instead. It takes the
// subset of the language card text needs (fields, variables, pipelines,
// if, with, range, and the builtins and, or, not, eq, ne, lt, le, gt, ge,
// len, index, print, printf); load refuses anything else (cardSubset).
// text/template stays the reference: TestCardExecMatchesTextTemplate and
// FuzzCardExec render every served template both ways and require the
// same text, or an error from both.

// cardBuiltins are text/template's builtin functions card text may call.
var cardBuiltins = map[string]bool{
	"and": true, "or": true, "not": true, "eq": true, "ne": true, "lt": true, "le": true, "gt": true, "ge": true,
	"len": true, "index": true, "print": true, "printf": true,
}

// cardSubset refuses a parse tree that uses what the executor does not
// run: {{template}}, {{define}}, {{block}}, {{break}}, {{continue}},
// method chains, and builtins card text has no use for (html, js, call...).
func cardSubset(root *parse.ListNode, funcs map[string]any) error {
	var err error
	var walk func(n parse.Node)
	walk = func(n parse.Node) {
		if err != nil || n == nil {
			return
		}
		switch x := n.(type) {
		case *parse.ListNode:
			if x == nil {
				return
			}
			for _, c := range x.Nodes {
				walk(c)
			}
		case *parse.TextNode, *parse.CommentNode, *parse.DotNode, *parse.FieldNode, *parse.VariableNode,
			*parse.StringNode, *parse.NumberNode, *parse.BoolNode, *parse.NilNode:
		case *parse.ActionNode:
			walk(x.Pipe)
		case *parse.PipeNode:
			if x == nil {
				return
			}
			for _, c := range x.Cmds {
				walk(c)
			}
		case *parse.CommandNode:
			for _, a := range x.Args {
				walk(a)
			}
		case *parse.IdentifierNode:
			if _, ok := funcs[x.Ident]; !ok && !cardBuiltins[x.Ident] {
				err = fmt.Errorf("function %q is not one card text can call", x.Ident)
			}
		case *parse.IfNode:
			walk(x.Pipe)
			walk(x.List)
			walk(x.ElseList)
		case *parse.WithNode:
			walk(x.Pipe)
			walk(x.List)
			walk(x.ElseList)
		case *parse.RangeNode:
			walk(x.Pipe)
			walk(x.List)
			walk(x.ElseList)
		default:
			err = fmt.Errorf("%s is not something card text can use", n)
		}
	}
	walk(root)
	return err
}

// missing stands for "no value yet" in a pipeline (text/template's
// missingVal), apart from a JSON null.
type missingType struct{}

var missing any = missingType{}

type cardVar struct {
	name  string
	value any
}

// cardExec is one execution of a template.
type cardExec struct {
	funcs map[string]any
	vars  []cardVar
	b     *strings.Builder
}

// execCard runs a parsed template on a finding's values.
func execCard(root *parse.ListNode, funcs map[string]any, values map[string]any, b *strings.Builder) error {
	e := &cardExec{funcs: funcs, vars: []cardVar{{"$", values}}, b: b}
	return e.walk(values, root)
}

func (e *cardExec) walk(dot any, n parse.Node) error {
	switch x := n.(type) {
	case *parse.ListNode:
		if x == nil {
			return nil
		}
		for _, c := range x.Nodes {
			if err := e.walk(dot, c); err != nil {
				return err
			}
		}
	case *parse.TextNode:
		e.b.Write(x.Text)
	case *parse.CommentNode:
	case *parse.ActionNode:
		v, err := e.pipeline(dot, x.Pipe)
		if err != nil {
			return err
		}
		if len(x.Pipe.Decl) == 0 {
			if err := e.print(v); err != nil {
				return err
			}
		}
	case *parse.IfNode:
		return e.branch(dot, x.Pipe, x.List, x.ElseList, false)
	case *parse.WithNode:
		return e.branch(dot, x.Pipe, x.List, x.ElseList, true)
	case *parse.RangeNode:
		return e.rangeNode(dot, x)
	default:
		return fmt.Errorf("%s is not something card text can use", n)
	}
	return nil
}

// errNull is a null shown on a card: text/template would print "<no
// value>" (or, in printf, "%!s(<nil>)"); a card never shows either, so
// the finding fails instead.
var errNull = errors.New("shows a value that is null")

// print writes a value as text/template does (fmt's form); a null is an
// error.
func (e *cardExec) print(v any) error {
	switch x := v.(type) {
	case string:
		e.b.WriteString(x)
	case nil, missingType:
		return errNull
	default:
		fmt.Fprint(e.b, x)
	}
	return nil
}

func (e *cardExec) branch(dot any, pipe *parse.PipeNode, list, elseList *parse.ListNode, with bool) error {
	mark := len(e.vars)
	defer func() { e.vars = e.vars[:mark] }()
	v, err := e.pipeline(dot, pipe)
	if err != nil {
		return err
	}
	t, err := truth(v)
	if err != nil {
		return err
	}
	if t {
		if with {
			dot = v
		}
		return e.walk(dot, list)
	}
	if elseList != nil {
		return e.walk(dot, elseList)
	}
	return nil
}

func (e *cardExec) rangeNode(dot any, r *parse.RangeNode) error {
	mark := len(e.vars)
	defer func() { e.vars = e.vars[:mark] }()
	v, err := e.pipeline(dot, r.Pipe)
	if err != nil {
		return err
	}
	inner := len(e.vars)
	one := func(index, elem any) error {
		if len(r.Pipe.Decl) > 0 {
			if r.Pipe.IsAssign {
				if len(r.Pipe.Decl) > 1 {
					e.setVar(r.Pipe.Decl[0].Ident[0], index)
				} else {
					e.setVar(r.Pipe.Decl[0].Ident[0], elem)
				}
			} else {
				e.vars[len(e.vars)-1].value = elem
			}
		}
		if len(r.Pipe.Decl) > 1 {
			if r.Pipe.IsAssign {
				e.setVar(r.Pipe.Decl[1].Ident[0], elem)
			} else {
				e.vars[len(e.vars)-2].value = index
			}
		}
		defer func() { e.vars = e.vars[:inner] }()
		return e.walk(elem, r.List)
	}
	switch x := v.(type) {
	case []any:
		if len(x) > 0 {
			for i, elem := range x {
				if err := one(i, elem); err != nil {
					return err
				}
			}
			return nil
		}
	case map[string]any:
		if len(x) > 0 {
			for _, k := range slices.Sorted(maps.Keys(x)) {
				if err := one(k, x[k]); err != nil {
					return err
				}
			}
			return nil
		}
	case nil, missingType:
	default:
		return errors.New("range can't iterate over that value")
	}
	if r.ElseList != nil {
		return e.walk(dot, r.ElseList)
	}
	return nil
}

func (e *cardExec) setVar(name string, v any) {
	for i := len(e.vars) - 1; i >= 0; i-- {
		if e.vars[i].name == name {
			e.vars[i].value = v
			return
		}
	}
}

func (e *cardExec) varValue(name string) (any, error) {
	for i := len(e.vars) - 1; i >= 0; i-- {
		if e.vars[i].name == name {
			return e.vars[i].value, nil
		}
	}
	return nil, fmt.Errorf("undefined variable: %s", name)
}

func (e *cardExec) pipeline(dot any, pipe *parse.PipeNode) (any, error) {
	if pipe == nil {
		return missing, nil
	}
	final := missing
	for _, cmd := range pipe.Cmds {
		v, err := e.command(dot, cmd, final)
		if err != nil {
			return nil, err
		}
		final = v
	}
	for _, d := range pipe.Decl {
		if pipe.IsAssign {
			e.setVar(d.Ident[0], final)
		} else {
			e.vars = append(e.vars, cardVar{d.Ident[0], final})
		}
	}
	return final, nil
}

func (e *cardExec) command(dot any, cmd *parse.CommandNode, final any) (any, error) {
	first := cmd.Args[0]
	if id, ok := first.(*parse.IdentifierNode); ok {
		return e.call(dot, id.Ident, cmd.Args[1:], final)
	}
	if len(cmd.Args) > 1 || final != missing {
		return nil, fmt.Errorf("can't give argument to non-function %s", first)
	}
	switch n := first.(type) {
	case *parse.PipeNode:
		return e.pipeline(dot, n)
	case *parse.NilNode:
		return nil, errors.New("nil is not a command")
	}
	return e.arg(dot, first)
}

// arg evaluates an argument node.
func (e *cardExec) arg(dot any, n parse.Node) (any, error) {
	switch x := n.(type) {
	case *parse.DotNode:
		return dot, nil
	case *parse.FieldNode:
		return fields(dot, x.Ident)
	case *parse.VariableNode:
		v, err := e.varValue(x.Ident[0])
		if err != nil {
			return nil, err
		}
		return fields(v, x.Ident[1:])
	case *parse.StringNode:
		return x.Text, nil
	case *parse.BoolNode:
		return x.True, nil
	case *parse.NumberNode:
		// text/template's idealConstant
		switch {
		case x.IsComplex:
		case x.IsFloat && !strings.HasPrefix(x.Text, "0x") && !strings.HasPrefix(x.Text, "0X") && !strings.HasPrefix(x.Text, "'") && strings.ContainsAny(x.Text, ".eEpP"):
			return x.Float64, nil
		case x.IsInt:
			return int(x.Int64), nil
		}
		return nil, fmt.Errorf("number %s is not one card text can use", x.Text)
	case *parse.NilNode:
		return nil, nil
	case *parse.PipeNode:
		return e.pipeline(dot, x)
	case *parse.IdentifierNode:
		return e.call(dot, x.Ident, nil, missing)
	}
	return nil, fmt.Errorf("%s is not something card text can use", n)
}

// fields follows .a.b through JSON objects; a missing member is an
// error, as with missingkey=error.
func fields(v any, idents []string) (any, error) {
	for _, id := range idents {
		m, ok := v.(map[string]any)
		if !ok {
			if v == nil {
				return nil, fmt.Errorf("nil pointer evaluating .%s", id)
			}
			return nil, fmt.Errorf("can't evaluate field %s in type %T", id, v)
		}
		if v, ok = m[id]; !ok {
			return nil, fmt.Errorf("map has no entry for key %q", id)
		}
	}
	return v, nil
}

// call runs a builtin or one of cardFuncs with the arguments and, in a
// pipeline, the previous command's value last.
func (e *cardExec) call(dot any, name string, argNodes []parse.Node, final any) (any, error) {
	switch name {
	case "and", "or":
		return e.andOr(dot, name, argNodes, final)
	}
	args := make([]any, 0, len(argNodes)+1)
	for _, n := range argNodes {
		v, err := e.arg(dot, n)
		if err != nil {
			return nil, err
		}
		args = append(args, v)
	}
	if final != missing {
		args = append(args, final)
	}
	if fn, ok := e.funcs[name]; ok {
		// An integer parameter takes any integral constant (2.0 too), as
		// text/template converts a constant to the parameter's type.
		if _, intParam := fn.(func(int, string) string); intParam && len(argNodes) > 0 {
			if n, ok := argNodes[0].(*parse.NumberNode); ok && n.IsInt {
				args[0] = int(n.Int64)
			}
		}
		v, err := callCardFunc(fn, args)
		if err != nil {
			return nil, fmt.Errorf("error calling %s: %w", name, err)
		}
		return v, nil
	}
	v, err := builtin(name, args)
	if err != nil {
		return nil, fmt.Errorf("error calling %s: %w", name, err)
	}
	return v, nil
}

// andOr are text/template's short-circuit and and or: the first falsy
// (and) or truthy (or) argument, else the last.
func (e *cardExec) andOr(dot any, name string, argNodes []parse.Node, final any) (any, error) {
	n := len(argNodes)
	if final != missing {
		n++
	}
	if n < 1 {
		return nil, fmt.Errorf("wrong number of args for %s: want at least 1 got 0", name)
	}
	var v any
	for i := range n {
		var err error
		if i < len(argNodes) {
			v, err = e.arg(dot, argNodes[i])
		} else {
			v = final
		}
		if err != nil {
			return nil, err
		}
		t, err := truth(v)
		if err != nil {
			return nil, err
		}
		if t == (name == "or") {
			return v, nil
		}
	}
	return v, nil
}

// truth is text/template's truth of a value.
func truth(v any) (bool, error) {
	switch x := v.(type) {
	case nil:
		return false, nil
	case missingType:
		return false, errors.New("if/with can't use an empty pipeline")
	case bool:
		return x, nil
	case string:
		return x != "", nil
	case json.Number:
		return x != "", nil
	case float64:
		return x != 0, nil
	case int:
		return x != 0, nil
	case []any:
		return len(x) > 0, nil
	case map[string]any:
		return len(x) > 0, nil
	}
	return true, nil
}

// kindOf is text/template's basic kind of a value for comparisons (a
// json.Number, a number too large for float64 left as OPA wrote it, is
// a string to text/template).
func kindOf(v any) string {
	switch v.(type) {
	case bool:
		return "bool"
	case string, json.Number:
		return "string"
	case float64:
		return "float"
	case int:
		return "int"
	}
	return ""
}

var errBadComparison = errors.New("incompatible types for comparison")

// builtin runs text/template's builtins (other than and, or) on JSON
// values.
func builtin(name string, args []any) (any, error) {
	want := func(n int) error {
		if len(args) != n {
			return fmt.Errorf("wrong number of args for %s: want %d got %d", name, n, len(args))
		}
		return nil
	}
	switch name {
	case "not":
		if err := want(1); err != nil {
			return nil, err
		}
		t, err := truth(args[0])
		return !t, err
	case "print":
		p, err := printable(args)
		if err != nil {
			return nil, err
		}
		return fmt.Sprint(p...), nil
	case "printf":
		if len(args) < 1 {
			return nil, fmt.Errorf("wrong number of args for %s: want at least 1 got 0", name)
		}
		format, ok := args[0].(string)
		if !ok {
			return nil, errors.New("printf takes a format string")
		}
		p, err := printable(args[1:])
		if err != nil {
			return nil, err
		}
		return fmt.Sprintf(format, p...), nil
	case "len":
		if err := want(1); err != nil {
			return nil, err
		}
		switch x := args[0].(type) {
		case string:
			return len(x), nil
		case json.Number:
			return len(x), nil
		case []any:
			return len(x), nil
		case map[string]any:
			return len(x), nil
		}
		return nil, errors.New("len of a value that has none")
	case "index":
		if len(args) < 1 {
			return nil, fmt.Errorf("wrong number of args for %s: want at least 1 got 0", name)
		}
		v := args[0]
		for _, k := range args[1:] {
			switch x := v.(type) {
			case map[string]any:
				s, ok := k.(string)
				if !ok {
					return nil, errors.New("index of an object by a non-string")
				}
				v = x[s]
			case []any:
				i, ok := k.(int)
				if !ok {
					return nil, errors.New("cannot index slice/array with a non-integer")
				}
				if i < 0 || i >= len(x) {
					return nil, fmt.Errorf("index out of range: %d", i)
				}
				v = x[i]
			case nil:
				return nil, errors.New("index of untyped nil")
			default:
				return nil, errors.New("can't index item of that type")
			}
		}
		return v, nil
	case "eq":
		if len(args) < 2 {
			return nil, fmt.Errorf("wrong number of args for %s: want at least 2 got %d", name, len(args))
		}
		for _, a := range args[1:] {
			eq, err := equal(args[0], a)
			if err != nil || eq {
				return eq, err
			}
		}
		return false, nil
	case "ne":
		if err := want(2); err != nil {
			return nil, err
		}
		eq, err := equal(args[0], args[1])
		return !eq, err
	case "lt", "le", "gt", "ge":
		if err := want(2); err != nil {
			return nil, err
		}
		lt, err := less(args[0], args[1])
		if err != nil {
			return nil, err
		}
		switch name {
		case "lt":
			return lt, nil
		case "ge":
			return !lt, nil
		}
		eq, err := equal(args[0], args[1])
		if err != nil {
			return nil, err
		}
		if name == "le" {
			return lt || eq, nil
		}
		return !lt && !eq, nil
	}
	return nil, fmt.Errorf("function %q not defined", name)
}

// printable gives print and printf their arguments; a null is an error
// (text/template would write "<nil>" into the card).
func printable(args []any) ([]any, error) {
	for _, a := range args {
		if a == nil || a == missing {
			return nil, errNull
		}
	}
	return args, nil
}

// equal is text/template's eq of two JSON values: basic kinds compare
// when they are the same kind; null equals only null and is unequal, not
// an error, to a basic value; lists and objects do not compare.
func equal(a, b any) (bool, error) {
	ka, kb := kindOf(a), kindOf(b)
	if ka != kb {
		if a == nil || b == nil {
			return false, nil
		}
		return false, errBadComparison
	}
	if ka != "" {
		return numberText(a) == numberText(b), nil
	}
	if a == nil || b == nil {
		return a == nil && b == nil, nil
	}
	return false, errors.New("non-comparable type")
}

func less(a, b any) (bool, error) {
	ka, kb := kindOf(a), kindOf(b)
	switch {
	case ka == "" || kb == "" || ka == "bool" || kb == "bool":
		return false, errors.New("invalid type for comparison")
	case ka != kb:
		return false, errBadComparison
	}
	switch x := a.(type) {
	case string, json.Number:
		return fmt.Sprint(numberText(x)) < fmt.Sprint(numberText(b)), nil
	case float64:
		return x < b.(float64), nil
	case int:
		return x < b.(int), nil
	}
	return false, errBadComparison
}

// callCardFunc calls one of cardFuncs with the conversions text/template
// makes: a string parameter takes a string, an int parameter an integer,
// an any parameter anything.
func callCardFunc(fn any, args []any) (any, error) {
	params := cardParams(fn)
	if len(args) != len(params) {
		return nil, fmt.Errorf("wrong number of args: want %d got %d", len(params), len(args))
	}
	for i, p := range params {
		if args[i] == missing {
			args[i] = nil
		}
		ok := true
		switch p {
		case 's':
			_, ok = args[i].(string)
		case 'i':
			_, ok = args[i].(int)
		}
		if !ok {
			want := map[rune]string{'s': "string", 'i': "int"}[p]
			return nil, fmt.Errorf("wrong type for value; expected %s; got %s", want, typeName(args[i]))
		}
	}
	str := func(i int) string { return args[i].(string) }
	switch f := fn.(type) {
	case func(any) (string, error):
		return f(args[0])
	case func(any) string:
		return f(args[0]), nil
	case func(any) ([]any, error):
		return f(args[0])
	case func(string) string:
		return f(str(0)), nil
	case func(string) int:
		return f(str(0)), nil
	case func(string) (string, error):
		return f(str(0))
	case func(string, string) (string, error):
		return f(str(0), str(1))
	case func(string, any) (string, error):
		return f(str(0), args[1])
	case func(int, string) string:
		return f(args[0].(int), str(1)), nil
	}
	panic(fmt.Sprintf("engine: card function of type %T has no direct call", fn))
}

// cardParams are the parameter kinds of one of cardFuncs: 'a' any, 's'
// string, 'i' int.
func cardParams(fn any) string {
	switch fn.(type) {
	case func(any) (string, error), func(any) string, func(any) ([]any, error):
		return "a"
	case func(string) string, func(string) int, func(string) (string, error):
		return "s"
	case func(string, string) (string, error):
		return "ss"
	case func(string, any) (string, error):
		return "sa"
	case func(int, string) string:
		return "is"
	}
	panic(fmt.Sprintf("engine: card function of type %T has no direct call", fn))
}

// numberText is a string or json.Number's text, else the value itself.
func numberText(v any) any {
	if n, ok := v.(json.Number); ok {
		return string(n)
	}
	return v
}

func typeName(v any) string {
	if v == nil || v == missing {
		return "nil"
	}
	return fmt.Sprintf("%T", v)
}
