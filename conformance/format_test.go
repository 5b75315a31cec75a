package conformance_test

import (
	"bytes"
	"math/rand"
	"strings"
	"testing"

	"github.com/shaledb/shale/conformance"
	"github.com/shaledb/shale/conformance/fakeredis"
	"github.com/stretchr/testify/require"
)

type V = conformance.Value

func bulk(s string) V { return V{Kind: conformance.KindBulk, Str: s} }
func num(n int64) V   { return V{Kind: conformance.KindInt, Int: n} }
func arr(k conformance.Kind, es ...V) V {
	return V{Kind: k, Elems: es}
}

// randValue makes a random reply of any RESP2/RESP3 type.
func randValue(r *rand.Rand, depth int) V {
	str := func() string {
		b := make([]byte, r.Intn(6))
		for i := range b {
			b[i] = byte(r.Intn(256))
		}
		if r.Intn(2) == 0 {
			return "hello world"[:r.Intn(11)]
		}
		return string(b)
	}
	line := func() string {
		s := []string{"OK", "ERR syntax error", " lead", "trail ", `"quoted"`, "x => y", "tab\there", ""}
		return s[r.Intn(len(s))]
	}
	kinds := []conformance.Kind{conformance.KindStatus, conformance.KindError, conformance.KindInt, conformance.KindBulk,
		conformance.KindNullBulk, conformance.KindNullArray, conformance.KindNull, conformance.KindDouble, conformance.KindBool,
		conformance.KindBigNum, conformance.KindVerbatim}
	if depth < 3 {
		kinds = append(kinds, conformance.KindArray, conformance.KindMap, conformance.KindSet, conformance.KindPush, conformance.KindArray)
	}
	k := kinds[r.Intn(len(kinds))]
	v := V{Kind: k}
	switch k {
	case conformance.KindStatus, conformance.KindError:
		v.Str = line()
	case conformance.KindInt:
		v.Int = r.Int63() - r.Int63()
	case conformance.KindBulk:
		v.Str = str()
	case conformance.KindDouble:
		v.Str = []string{"1.5", "inf", "-inf", "0", "3.0000000000000004"}[r.Intn(5)]
	case conformance.KindBool:
		v.Bool = r.Intn(2) == 0
	case conformance.KindBigNum:
		v.Str = "3492890328409238509324850943850943825024385"
	case conformance.KindVerbatim:
		v.Format, v.Str = "txt", str()
	case conformance.KindArray, conformance.KindSet, conformance.KindPush:
		for i := r.Intn(4); i > 0; i-- {
			v.Elems = append(v.Elems, randValue(r, depth+1))
		}
	case conformance.KindMap:
		for i := r.Intn(3); i > 0; i-- {
			v.Elems = append(v.Elems, randValue(r, depth+1), randValue(r, depth+1))
		}
	}
	return v
}

// Every reply survives wire encoding and case-file formatting unchanged.
func TestValueRoundTrip(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 3000; i++ {
		v := randValue(r, 0)
		wire := conformance.AppendValue(nil, v)
		got, err := conformance.NewReader(bytes.NewReader(wire)).Read()
		require.NoError(t, err)
		require.True(t, v.Equal(got), "wire: %q", wire)

		lines := conformance.FormatValue(v, conformance.Ordered)
		e, err := conformance.ParseExpect(lines, 1)
		require.NoError(t, err, strings.Join(lines, "\n"))
		ok, why := e.Match(v)
		require.True(t, ok, "%s\n%s", why, strings.Join(lines, "\n"))
		require.Equal(t, lines, e.Lines())
	}
}

func TestReaderProtocolErrors(t *testing.T) {
	for _, in := range []string{"?x\r\n", ":abc\r\n", "$5\r\nab\r\n", "*2\r\n:1\r\n", "$-2\r\n", "+OK\n", "#x\r\n", "%-1\r\n"} {
		_, err := conformance.NewReader(strings.NewReader(in)).Read()
		require.Error(t, err, "%q", in)
	}
	// Attributes are dropped, blob errors are errors.
	v, err := conformance.NewReader(strings.NewReader("|1\r\n+key\r\n+val\r\n:5\r\n")).Read()
	require.NoError(t, err)
	require.True(t, num(5).Equal(v))
	v, err = conformance.NewReader(strings.NewReader("!9\r\nERR oops!\r\n")).Read()
	require.NoError(t, err)
	require.Equal(t, conformance.KindError, v.Kind)
	require.Equal(t, "ERR oops!", v.Str)
}

func parse(t *testing.T, text string) *conformance.Expect {
	t.Helper()
	e, err := conformance.ParseExpect(strings.Split(strings.Trim(text, "\n"), "\n"), 1)
	require.NoError(t, err, text)
	return e
}

func matches(e *conformance.Expect, v V) bool {
	ok, _ := e.Match(v)
	return ok
}

func TestExpectPatterns(t *testing.T) {
	require.True(t, matches(parse(t, "<int>"), num(-3)))
	require.False(t, matches(parse(t, "<int>"), bulk("3")))
	require.True(t, matches(parse(t, "<int 1..5>"), num(5)))
	require.False(t, matches(parse(t, "<int 1..5>"), num(6)))
	require.True(t, matches(parse(t, "<int 10..>"), num(1<<40)))
	require.False(t, matches(parse(t, "<int ..-1>"), num(0)))
	require.True(t, matches(parse(t, "<bulk /^[0-9]+$/>"), bulk("123")))
	require.False(t, matches(parse(t, "<bulk /^[0-9]+$/>"), bulk("12a")))
	require.True(t, matches(parse(t, "<error /^WRONGTYPE /"+">"), V{Kind: conformance.KindError, Str: "WRONGTYPE x"}))
	require.True(t, matches(parse(t, "<any>"), V{Kind: conformance.KindNull}))
	for _, k := range []conformance.Kind{conformance.KindNull, conformance.KindNullBulk, conformance.KindNullArray} {
		require.True(t, matches(parse(t, "<nil>"), V{Kind: k}))
	}
	require.False(t, matches(parse(t, "<nil>"), bulk("")))
	require.True(t, matches(parse(t, "<array 2>"), arr(conformance.KindArray, num(1), bulk("x"))))
	require.False(t, matches(parse(t, "<array 2>"), arr(conformance.KindSet, num(1), bulk("x"))))
	require.False(t, matches(parse(t, "<array 3..>"), arr(conformance.KindArray, num(1))))

	// Exact types: a status is not a bulk, a null bulk is not a null array.
	require.False(t, matches(parse(t, "+OK"), bulk("OK")))
	require.False(t, matches(parse(t, `"OK"`), V{Kind: conformance.KindStatus, Str: "OK"}))
	require.False(t, matches(parse(t, "$-1"), V{Kind: conformance.KindNullArray}))
	require.False(t, matches(parse(t, "*-1"), V{Kind: conformance.KindNull}))
	require.False(t, matches(parse(t, ":1"), V{Kind: conformance.KindBool, Bool: true}))

	for _, bad := range []string{"<nope>", "<int abc>", "<bulk /x>", "<bulk 1..2>", "*2\n  :1", "*1 sorted\n  :1", "%1 unordered\n  :1 => :2", "ok", "  :1\n:2", ":1\n:2"} {
		_, err := conformance.ParseExpect(strings.Split(bad, "\n"), 1)
		require.Error(t, err, bad)
	}
}

func TestExpectUnordered(t *testing.T) {
	e := parse(t, `
*3 unordered
  "a"
  "b"
  <bulk /^c/>
`)
	require.True(t, matches(e, arr(conformance.KindArray, bulk("cx"), bulk("a"), bulk("b"))))
	require.False(t, matches(e, arr(conformance.KindArray, bulk("a"), bulk("a"), bulk("c"))))
	require.False(t, matches(e, arr(conformance.KindSet, bulk("a"), bulk("b"), bulk("c"))))
	ordered := parse(t, "*2\n  \"a\"\n  \"b\"")
	require.False(t, matches(ordered, arr(conformance.KindArray, bulk("b"), bulk("a"))))

	pairs := parse(t, `
*4 unordered-pairs
  "f1"
  "1"
  "f2"
  "2"
`)
	require.True(t, matches(pairs, arr(conformance.KindArray, bulk("f2"), bulk("2"), bulk("f1"), bulk("1"))))
	require.False(t, matches(pairs, arr(conformance.KindArray, bulk("f2"), bulk("1"), bulk("f1"), bulk("2"))))

	// Maps compare by pairs, sets as sets, nested values included.
	m := parse(t, `
%2
  "id" => <int>
  "list" => *2
    :1
    :2
`)
	require.True(t, matches(m, arr(conformance.KindMap, bulk("list"), arr(conformance.KindArray, num(1), num(2)), bulk("id"), num(9))))
	require.False(t, matches(m, arr(conformance.KindMap, bulk("list"), arr(conformance.KindArray, num(2), num(1)), bulk("id"), num(9))))
	s := parse(t, "~2\n  :1\n  :2")
	require.True(t, matches(s, arr(conformance.KindSet, num(2), num(1))))
}

func TestSplitArgs(t *testing.T) {
	args, err := conformance.SplitArgs(`SET "a b" 'it\'s' "\x00\xff\n" plain ""`)
	require.NoError(t, err)
	require.Equal(t, []string{"SET", "a b", "it's", "\x00\xff\n", "plain", ""}, args)
	for _, bad := range []string{`SET "a`, `SET 'a`, `SET "a"b`} {
		_, err := conformance.SplitArgs(bad)
		require.Error(t, err, bad)
	}
	r := rand.New(rand.NewSource(2))
	for i := 0; i < 2000; i++ {
		in := make([]string, 1+r.Intn(4))
		for j := range in {
			b := make([]byte, r.Intn(5))
			for k := range b {
				const alphabet = " a\"'\\\x00\xffZ\n"
				b[k] = alphabet[r.Intn(len(alphabet))]
			}
			in[j] = string(b)
		}
		out, err := conformance.SplitArgs(conformance.JoinArgs(in))
		require.NoError(t, err)
		require.Equal(t, in, out, conformance.JoinArgs(in))
	}
}

const sampleFile = `# header comment
=== first case
> SET k "v 1"
+OK
> GET k
"v 1"
@sleep 10ms

# a comment between cases
=== second
>& GET k
$-1
@conn other
> PING
+PONG
@reconnect
> HELLO 3
%1
  "id" => <int>
> CMD without expectation
`

func TestParseFile(t *testing.T) {
	f, err := conformance.ParseFile("grp/sample.case", sampleFile)
	require.NoError(t, err)
	require.Equal(t, "grp", f.Group)
	require.Len(t, f.Cases, 2)
	require.Equal(t, "first case", f.Cases[0].Name)
	require.Equal(t, "grp/sample.case: second", f.Cases[1].ID())
	ops := f.Cases[1].Ops
	require.Equal(t, conformance.OpSend, ops[0].Kind)
	require.Equal(t, conformance.OpConn, ops[1].Kind)
	require.Equal(t, "other", ops[1].Conn)
	require.Equal(t, conformance.OpReconnect, ops[3].Kind)
	require.Nil(t, ops[5].Expect)
	require.Equal(t, "cmd", ops[5].Name())
	require.Equal(t, sampleFile, f.Text(), "a parsed file renders back unchanged")

	for _, bad := range []string{"> SET \"a\n", "random text\n", "@nosuch\n", "@sleep forever\n", "> GET k\n*2\n  :1\n"} {
		_, err := conformance.ParseFile("x.case", bad)
		require.Error(t, err, bad)
	}
}

// TestRecordKeepsPatterns records from a fake: literal replies are
// rewritten, patterns that still hold are kept, missing ones filled in.
func TestRecordKeepsPatterns(t *testing.T) {
	fake := fakeredis.Start(t, nil)
	text := `=== c
> SET k hello
+WRONG
> STRLEN k
<int 1..10>
> GET k
> GET nokey
<bulk>
> APPEND k x
:6
`
	f, err := conformance.ParseFile("r/rec.case", text)
	require.NoError(t, err)
	res, err := conformance.Record(f, &conformance.Target{Addr: fake.Addr})
	require.NoError(t, err)
	require.True(t, res.Changed)
	require.Equal(t, `=== c
> SET k hello
+OK
> STRLEN k
<int 1..10>
> GET k
"hello"
> GET nokey
$-1
> APPEND k x
:6
`, res.Text)
	require.Len(t, res.Warnings, 1, "the <bulk> pattern no longer matching is reported")
	rep := conformance.Run([]*conformance.File{f}, &conformance.Target{Addr: fake.Addr})
	require.False(t, rep.Failed())

	// Record refuses servers that are not Redis 7.0.
	_, err = conformance.CheckRedis(&conformance.Target{Addr: fake.Addr})
	require.Error(t, err)
}

// TestRunReport checks the report on a failing case: the command, the
// expected and the actual reply, and per group / per command counts.
func TestRunReport(t *testing.T) {
	bad := fakeredis.Start(t, strlenBug)
	f, err := conformance.ParseFile("strings/x.case", `=== ok
> SET k v
+OK
=== broken
> SET k hello
+OK
> STRLEN k
:5
> GET k
"hello"
=== skipped
@skip not today
> PING
+PONG
`)
	require.NoError(t, err)
	rep := conformance.Run([]*conformance.File{f}, &conformance.Target{Addr: bad.Addr})
	require.True(t, rep.Failed())
	require.Equal(t, conformance.Counts{Passed: 1, Failed: 1, Skipped: 1}, rep.Totals)
	require.Equal(t, conformance.Counts{Passed: 1, Failed: 1, Skipped: 1}, *rep.Groups["strings"])
	require.Equal(t, conformance.Counts{Failed: 1}, *rep.Commands["strlen"])
	require.Equal(t, conformance.Counts{Skipped: 1}, *rep.Commands["get"])
	require.Equal(t, conformance.Counts{Passed: 2}, *rep.Commands["set"])
	require.Equal(t, []string{"strings/x.case"}, rep.FailedFiles())
	var sb strings.Builder
	rep.WriteText(&sb, true)
	out := sb.String()
	require.Contains(t, out, "FAIL strings/x.case: broken (line 7)")
	require.Contains(t, out, "> STRLEN k")
	require.Contains(t, out, "expected :5, got :6")
	var js bytes.Buffer
	require.NoError(t, conformance.WriteJSON(&js, rep))
	require.Contains(t, js.String(), `"command": "strlen"`)
}
