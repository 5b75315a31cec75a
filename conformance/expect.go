package conformance

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Order says how the elements of an aggregate expectation are compared.
type Order int

const (
	Ordered        Order = iota
	Unordered            // elements as a multiset (SMEMBERS, KEYS)
	UnorderedPairs       // (field, value) pairs as a multiset (HGETALL)
)

// Expect is an expected reply: a literal value, a literal aggregate whose
// elements are expectations, or a pattern (<int>, <bulk /re/>, <array 3>).
type Expect struct {
	// Kind is the literal's kind, or the kind a pattern requires (0: any).
	Kind    Kind
	Pattern bool
	Nil     bool // <nil>: any null (null bulk, null array, RESP3 null)
	Lit     Value
	Re      *regexp.Regexp
	ReSrc   string
	Min     int64
	Max     int64
	HasMin  bool
	HasMax  bool
	Elems   []*Expect // literal aggregate elements (maps: key, value, ...)
	Order   Order
	// Count is the literal aggregate's count as written (pairs for maps).
	Count int
}

// Literal builds the expectation that matches exactly v (aggregates with
// the given order for the top level; RESP3 maps and sets are always
// unordered).
func Literal(v Value, order Order) *Expect {
	if !v.Kind.Aggregate() {
		return &Expect{Kind: v.Kind, Lit: v}
	}
	e := &Expect{Kind: v.Kind, Count: v.Len(), Order: order}
	if v.Kind == KindArray && order == UnorderedPairs && len(v.Elems)%2 != 0 {
		e.Order = Unordered
	}
	for _, el := range v.Elems {
		e.Elems = append(e.Elems, Literal(el, Ordered))
	}
	return e
}

// IsLiteral reports whether e (and everything under it) is a plain literal
// with default ordering: such expectations are safe to re-record.
func (e *Expect) IsLiteral() bool {
	if e.Pattern || e.Order != Ordered && e.Kind == KindArray {
		return false
	}
	for _, el := range e.Elems {
		if !el.IsLiteral() {
			return false
		}
	}
	return true
}

// ---- matching ----

// Match checks v against e; on mismatch it returns a reason naming where.
func (e *Expect) Match(v Value) (bool, string) {
	if e.Pattern {
		return e.matchPattern(v)
	}
	if !e.Kind.Aggregate() {
		if v.Equal(e.Lit) {
			return true, ""
		}
		return false, fmt.Sprintf("expected %s, got %s", FormatInline(e.Lit), FormatInline(v))
	}
	if v.Kind != e.Kind {
		return false, fmt.Sprintf("expected %s, got %s", e.Kind.Name(), describe(v))
	}
	if len(v.Elems) != len(e.Elems) {
		return false, fmt.Sprintf("expected %s of %d, got %d elements: %s", e.Kind.Name(), e.Count, v.Len(), FormatInline(v))
	}
	order := e.Order
	switch e.Kind {
	case KindMap:
		order = UnorderedPairs
	case KindSet:
		order = Unordered
	}
	switch order {
	case Unordered:
		if !matchMultiset(unit(e.Elems, 1), unitV(v.Elems, 1)) {
			return false, fmt.Sprintf("unordered elements differ: got %s", FormatInline(v))
		}
		return true, ""
	case UnorderedPairs:
		if !matchMultiset(unit(e.Elems, 2), unitV(v.Elems, 2)) {
			return false, fmt.Sprintf("unordered pairs differ: got %s", FormatInline(v))
		}
		return true, ""
	}
	for i := range e.Elems {
		if ok, why := e.Elems[i].Match(v.Elems[i]); !ok {
			return false, fmt.Sprintf("element %d: %s", i+1, why)
		}
	}
	return true, ""
}

func describe(v Value) string {
	if v.Kind.Aggregate() {
		return fmt.Sprintf("%s of %d", v.Kind.Name(), v.Len())
	}
	return FormatInline(v)
}

func unit(es []*Expect, n int) [][]*Expect {
	var out [][]*Expect
	for i := 0; i+n <= len(es); i += n {
		out = append(out, es[i:i+n])
	}
	return out
}

func unitV(vs []Value, n int) [][]Value {
	var out [][]Value
	for i := 0; i+n <= len(vs); i += n {
		out = append(out, vs[i:i+n])
	}
	return out
}

// matchMultiset finds a one-to-one assignment of values to expectations
// (backtracking; replies in cases are small).
func matchMultiset(es [][]*Expect, vs [][]Value) bool {
	if len(es) != len(vs) {
		return false
	}
	used := make([]bool, len(vs))
	ok := func(e []*Expect, v []Value) bool {
		for i := range e {
			if m, _ := e[i].Match(v[i]); !m {
				return false
			}
		}
		return true
	}
	var try func(i int) bool
	try = func(i int) bool {
		if i == len(es) {
			return true
		}
		for j := range vs {
			if !used[j] && ok(es[i], vs[j]) {
				used[j] = true
				if try(i + 1) {
					return true
				}
				used[j] = false
			}
		}
		return false
	}
	return try(0)
}

func (e *Expect) matchPattern(v Value) (bool, string) {
	bad := func() (bool, string) {
		return false, fmt.Sprintf("expected %s, got %s", e.formatPattern(), FormatInline(v))
	}
	if e.Nil {
		if v.Kind == KindNull || v.Kind == KindNullBulk || v.Kind == KindNullArray {
			return true, ""
		}
		return bad()
	}
	if e.Kind == 0 {
		return true, ""
	}
	if v.Kind != e.Kind {
		return bad()
	}
	var n int64
	var text string
	switch {
	case v.Kind == KindInt:
		n = v.Int
		text = strconv.FormatInt(v.Int, 10)
	case v.Kind.Aggregate():
		n = int64(v.Len())
	case v.Kind == KindBool:
		text = "f"
		if v.Bool {
			text = "t"
		}
	default:
		text = v.Str
		if v.Kind == KindDouble {
			if f, err := strconv.ParseFloat(strings.TrimSpace(v.Str), 64); err == nil {
				n = int64(f)
			}
		}
	}
	if e.HasMin && n < e.Min || e.HasMax && n > e.Max {
		return bad()
	}
	if e.Re != nil && !e.Re.MatchString(text) {
		return bad()
	}
	return true, ""
}

// ---- parsing ----

// patternKinds maps pattern names to kinds.
var patternKinds = map[string]Kind{
	"any": 0, "int": KindInt, "integer": KindInt, "bulk": KindBulk, "status": KindStatus,
	"error": KindError, "double": KindDouble, "array": KindArray, "map": KindMap,
	"set": KindSet, "push": KindPush, "bool": KindBool, "bignum": KindBigNum,
	"verbatim": KindVerbatim,
}

// parsePattern parses "<kind [range] [/regex/]>".
func parsePattern(s string) (*Expect, error) {
	if !strings.HasPrefix(s, "<") || !strings.HasSuffix(s, ">") {
		return nil, fmt.Errorf("bad pattern %q", s)
	}
	body := strings.TrimSpace(s[1 : len(s)-1])
	e := &Expect{Pattern: true}
	name, rest, _ := strings.Cut(body, " ")
	rest = strings.TrimSpace(rest)
	if name == "nil" {
		if rest != "" {
			return nil, fmt.Errorf("<nil> takes no arguments")
		}
		e.Nil = true
		return e, nil
	}
	k, ok := patternKinds[name]
	if !ok {
		return nil, fmt.Errorf("unknown pattern <%s>", name)
	}
	e.Kind = k
	if strings.HasPrefix(rest, "/") {
		if len(rest) < 2 || !strings.HasSuffix(rest, "/") {
			return nil, fmt.Errorf("unterminated regex in %q", s)
		}
		src := rest[1 : len(rest)-1]
		re, err := regexp.Compile(src)
		if err != nil {
			return nil, fmt.Errorf("regex %q: %v", src, err)
		}
		e.Re, e.ReSrc = re, src
		return e, nil
	}
	if rest == "" {
		return e, nil
	}
	if k != KindInt && k != KindDouble && !k.Aggregate() {
		return nil, fmt.Errorf("a range needs <int>, <double> or an aggregate: %q", s)
	}
	lo, hi, isRange := strings.Cut(rest, "..")
	if !isRange {
		hi = lo
	}
	if lo != "" {
		n, err := strconv.ParseInt(lo, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("bad range in %q", s)
		}
		e.Min, e.HasMin = n, true
	}
	if hi != "" {
		n, err := strconv.ParseInt(hi, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("bad range in %q", s)
		}
		e.Max, e.HasMax = n, true
	}
	return e, nil
}

// scalarEnd returns the end of the scalar token at the start of s (used to
// split "key => value" map entries).
func scalarEnd(s string) (int, error) {
	switch {
	case strings.HasPrefix(s, `"`):
		_, j, err := unquoteAt(s, 0)
		return j, err
	case strings.HasPrefix(s, "<"):
		// patterns may hold a regex with '>' inside: take the last '>'
		// before " => ".
		if k := strings.Index(s, " => "); k > 0 {
			return k, nil
		}
		return len(s), nil
	case len(s) > 1 && (s[0] == '+' || s[0] == '-') && s[1] == '"':
		if _, j, err := unquoteAt(s, 1); err == nil && (j == len(s) || strings.HasPrefix(s[j:], " => ")) {
			return j, nil
		}
	case strings.HasPrefix(s, "="):
		sp := strings.IndexByte(s, ' ')
		if sp < 0 {
			return len(s), nil
		}
		_, j, err := unquoteAt(s, sp+1)
		return j, err
	}
	if k := strings.Index(s, " => "); k >= 0 {
		return k, nil
	}
	return len(s), nil
}

// parseScalar parses a one-token expectation (literal scalar or pattern).
func parseScalar(s string) (*Expect, error) {
	if s == "" {
		return nil, fmt.Errorf("empty expectation")
	}
	lit := func(v Value) (*Expect, error) { return &Expect{Kind: v.Kind, Lit: v}, nil }
	switch s[0] {
	case '<':
		return parsePattern(s)
	case '"':
		str, j, err := unquoteAt(s, 0)
		if err != nil {
			return nil, err
		}
		if j != len(s) {
			return nil, fmt.Errorf("junk after string: %q", s)
		}
		return lit(Value{Kind: KindBulk, Str: str})
	case '+':
		return lit(Value{Kind: KindStatus, Str: unquoteLine(s[1:])})
	case '-':
		return lit(Value{Kind: KindError, Str: unquoteLine(s[1:])})
	case ':':
		n, err := strconv.ParseInt(s[1:], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("bad integer %q", s)
		}
		return lit(Value{Kind: KindInt, Int: n})
	case ',':
		return lit(Value{Kind: KindDouble, Str: s[1:]})
	case '(':
		return lit(Value{Kind: KindBigNum, Str: s[1:]})
	case '#':
		switch s {
		case "#t":
			return lit(Value{Kind: KindBool, Bool: true})
		case "#f":
			return lit(Value{Kind: KindBool})
		}
	case '_':
		if s == "_" {
			return lit(Value{Kind: KindNull})
		}
	case '$':
		if s == "$-1" {
			return lit(Value{Kind: KindNullBulk})
		}
	case '=':
		format, q, ok := strings.Cut(s[1:], " ")
		if ok && len(format) == 3 && strings.HasPrefix(q, `"`) {
			str, j, err := unquoteAt(q, 0)
			if err == nil && j == len(q) {
				return lit(Value{Kind: KindVerbatim, Format: format, Str: str})
			}
		}
	}
	if s == "*-1" {
		return lit(Value{Kind: KindNullArray})
	}
	return nil, fmt.Errorf("cannot read expectation %q", s)
}

type exLine struct {
	indent int
	text   string
	lineNo int
}

// ParseExpect parses the expectation lines under one command.
func ParseExpect(lines []string, firstLine int) (*Expect, error) {
	var ls []exLine
	for i, l := range lines {
		if strings.Contains(l, "\t") {
			return nil, fmt.Errorf("line %d: use spaces, not tabs, to indent", firstLine+i)
		}
		t := strings.TrimLeft(l, " ")
		ls = append(ls, exLine{indent: len(l) - len(t), text: strings.TrimRight(t, " "), lineNo: firstLine + i})
	}
	if len(ls) == 0 {
		return nil, fmt.Errorf("line %d: missing expectation", firstLine)
	}
	e, next, err := parseItem(ls, 0)
	if err != nil {
		return nil, err
	}
	if next != len(ls) {
		return nil, fmt.Errorf("line %d: unexpected line %q (one reply per command; indent elements)", ls[next].lineNo, ls[next].text)
	}
	return e, nil
}

// children returns the index range of the lines indented under ls[i].
func children(ls []exLine, i int) (int, int) {
	j := i + 1
	for j < len(ls) && ls[j].indent > ls[i].indent {
		j++
	}
	return i + 1, j
}

// parseItem parses the item at ls[i] with its indented children.
func parseItem(ls []exLine, i int) (*Expect, int, error) {
	text := ls[i].text
	from, to := children(ls, i)
	e, err := parseHeader(text, ls, from, to, ls[i].lineNo)
	if err != nil {
		return nil, 0, err
	}
	return e, to, nil
}

func parseHeader(text string, ls []exLine, from, to, lineNo int) (*Expect, error) {
	fail := func(format string, a ...any) error {
		return fmt.Errorf("line %d: %s", lineNo, fmt.Sprintf(format, a...))
	}
	if len(text) >= 2 && strings.ContainsRune("*%~>", rune(text[0])) && text != "*-1" {
		head, mods, _ := strings.Cut(text, " ")
		n, err := strconv.Atoi(head[1:])
		if err != nil || n < 0 {
			return nil, fail("bad aggregate header %q", text)
		}
		e := &Expect{Kind: Kind(head[0]), Count: n}
		for _, m := range strings.Fields(mods) {
			switch m {
			case "unordered":
				e.Order = Unordered
			case "unordered-pairs":
				e.Order = UnorderedPairs
			default:
				return nil, fail("unknown modifier %q (unordered, unordered-pairs)", m)
			}
		}
		if e.Order != Ordered && e.Kind != KindArray && e.Kind != KindPush {
			return nil, fail("%q: maps and sets are always unordered", text)
		}
		// Children: each is an item; inside maps an item may be a
		// "key => value" entry.
		j := from
		for j < to {
			ci, cj := children(ls, j)
			if ls[j].indent != ls[from].indent {
				return nil, fmt.Errorf("line %d: inconsistent indentation", ls[j].lineNo)
			}
			ct := ls[j].text
			if end, err := scalarEnd(ct); e.Kind == KindMap && err == nil && end < len(ct) && strings.HasPrefix(ct[end:], " => ") {
				k, err := parseScalar(ct[:end])
				if err != nil {
					return nil, fmt.Errorf("line %d: %v", ls[j].lineNo, err)
				}
				v, err := parseHeader(strings.TrimSpace(ct[end+4:]), ls, ci, cj, ls[j].lineNo)
				if err != nil {
					return nil, err
				}
				e.Elems = append(e.Elems, k, v)
			} else {
				c, err := parseHeader(ct, ls, ci, cj, ls[j].lineNo)
				if err != nil {
					return nil, err
				}
				e.Elems = append(e.Elems, c)
			}
			j = cj
		}
		want := n
		if e.Kind == KindMap {
			want = 2 * n
		}
		if len(e.Elems) != want {
			return nil, fail("%q announces %d but lists %d element(s)", text, n, len(e.Elems))
		}
		if e.Order == UnorderedPairs && n%2 != 0 {
			return nil, fail("unordered-pairs needs an even count")
		}
		return e, nil
	}
	if from != to {
		return nil, fail("only aggregates (*N %%N ~N >N) have indented elements")
	}
	e, err := parseScalar(text)
	if err != nil {
		return nil, fail("%v", err)
	}
	return e, nil
}

// ---- formatting ----

// FormatScalar renders a non-aggregate value as one case-file token.
func FormatScalar(v Value) string {
	switch v.Kind {
	case KindStatus, KindError:
		return string(rune(v.Kind)) + quoteLine(v.Str)
	case KindDouble, KindBigNum:
		return string(rune(v.Kind)) + v.Str
	case KindInt:
		return ":" + strconv.FormatInt(v.Int, 10)
	case KindBulk:
		return Quote(v.Str)
	case KindBool:
		if v.Bool {
			return "#t"
		}
		return "#f"
	case KindNull:
		return "_"
	case KindNullBulk:
		return "$-1"
	case KindNullArray:
		return "*-1"
	case KindVerbatim:
		return "=" + v.Format + " " + Quote(v.Str)
	}
	return FormatInline(v)
}

// FormatInline renders v on one line: aggregates as *2 ["a", :1],
// maps as %1 {"k" => "v"}.
func FormatInline(v Value) string {
	if !v.Kind.Aggregate() {
		return FormatScalar(v)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%c%d ", byte(v.Kind), v.Len())
	if v.Kind == KindMap {
		b.WriteByte('{')
		for i := 0; i+1 < len(v.Elems); i += 2 {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(FormatInline(v.Elems[i]))
			b.WriteString(" => ")
			b.WriteString(FormatInline(v.Elems[i+1]))
		}
		b.WriteByte('}')
		return b.String()
	}
	b.WriteByte('[')
	for i, e := range v.Elems {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(FormatInline(e))
	}
	b.WriteByte(']')
	return b.String()
}

// FormatValue renders v as case-file lines (two spaces per level).
func FormatValue(v Value, order Order) []string {
	return Literal(v, order).Lines()
}

// Lines renders e as case-file lines.
func (e *Expect) Lines() []string {
	var out []string
	e.lines("", "", &out)
	return out
}

func (e *Expect) header() string {
	if e.Pattern {
		return e.formatPattern()
	}
	if !e.Kind.Aggregate() {
		return FormatScalar(e.Lit)
	}
	h := fmt.Sprintf("%c%d", byte(e.Kind), e.Count)
	if e.Kind == KindArray || e.Kind == KindPush {
		switch e.Order {
		case Unordered:
			h += " unordered"
		case UnorderedPairs:
			h += " unordered-pairs"
		}
	}
	return h
}

func (e *Expect) lines(indent, prefix string, out *[]string) {
	*out = append(*out, indent+prefix+e.header())
	if e.Pattern || !e.Kind.Aggregate() {
		return
	}
	in := indent + "  "
	if e.Kind == KindMap {
		for i := 0; i+1 < len(e.Elems); i += 2 {
			k := e.Elems[i]
			if k.Pattern || !k.Kind.Aggregate() {
				e.Elems[i+1].lines(in, k.header()+" => ", out)
				continue
			}
			k.lines(in, "", out)
			e.Elems[i+1].lines(in, "", out)
		}
		return
	}
	for _, c := range e.Elems {
		c.lines(in, "", out)
	}
}

func (e *Expect) formatPattern() string {
	if e.Nil {
		return "<nil>"
	}
	name := "any"
	for n, k := range patternKinds {
		if k == e.Kind && n != "integer" && (e.Kind != 0 || n == "any") {
			name = n
		}
	}
	if e.Re != nil {
		return "<" + name + " /" + e.ReSrc + "/>"
	}
	if e.HasMin || e.HasMax {
		r := ""
		if e.HasMin {
			r = strconv.FormatInt(e.Min, 10)
		}
		if !(e.HasMin && e.HasMax && e.Min == e.Max) {
			r += ".."
			if e.HasMax {
				r += strconv.FormatInt(e.Max, 10)
			}
		}
		return "<" + name + " " + r + ">"
	}
	return "<" + name + ">"
}

// ---- normalization (for comparing two servers) ----

// Canonical returns v with RESP3 sets and maps sorted at every depth, so
// two servers' replies compare independently of hash order.
func Canonical(v Value) Value {
	if !v.Kind.Aggregate() {
		return v
	}
	out := v
	out.Elems = make([]Value, len(v.Elems))
	for i, e := range v.Elems {
		out.Elems[i] = Canonical(e)
	}
	switch v.Kind {
	case KindSet:
		sortUnits(out.Elems, 1)
	case KindMap:
		sortUnits(out.Elems, 2)
	}
	return out
}

// sortUnits sorts elems in groups of n by their wire encoding.
func sortUnits(elems []Value, n int) {
	if n <= 0 || len(elems)%n != 0 {
		return
	}
	type u struct {
		key  string
		vals []Value
	}
	units := make([]u, 0, len(elems)/n)
	for i := 0; i < len(elems); i += n {
		var k []byte
		for _, e := range elems[i : i+n] {
			k = AppendValue(k, e)
		}
		units = append(units, u{string(k), append([]Value(nil), elems[i:i+n]...)})
	}
	sort.SliceStable(units, func(a, b int) bool { return units[a].key < units[b].key })
	i := 0
	for _, x := range units {
		copy(elems[i:], x.vals)
		i += n
	}
}

// quoteLine renders status and error text: as is, unless it has leading or
// trailing blanks (which editors strip), control bytes, " => " (the map
// entry separator), or starts with a quote; then it is double-quoted ("-\"ERR ... with: \"").
func quoteLine(s string) string {
	if s == "" {
		return s
	}
	if s[0] == ' ' || s[len(s)-1] == ' ' || s[0] == '"' || strings.Contains(s, " => ") {
		return Quote(s)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			return Quote(s)
		}
	}
	return s
}

// unquoteLine undoes quoteLine: text that is exactly one quoted string is
// unquoted, anything else is literal.
func unquoteLine(s string) string {
	if len(s) >= 2 && s[0] == '"' {
		if u, j, err := unquoteAt(s, 0); err == nil && j == len(s) {
			return u
		}
	}
	return s
}
