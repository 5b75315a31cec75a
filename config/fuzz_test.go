package config

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// repr quotes a word the way Redis's sdscatrepr does (what CONFIG REWRITE
// writes for arbitrary strings): SplitArgs must read it back unchanged.
func repr(w string) string {
	var b bytes.Buffer
	b.WriteByte('"')
	for i := 0; i < len(w); i++ {
		switch c := w[i]; c {
		case '\\', '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\a':
			b.WriteString(`\a`)
		case '\b':
			b.WriteString(`\b`)
		default:
			if c >= 0x20 && c < 0x7f {
				b.WriteByte(c)
			} else {
				fmt.Fprintf(&b, `\x%02x`, c)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// Every vector below was checked against Redis 7.0.15's sdssplitargs (fed
// through redis-cli, which splits its input lines with it).
func TestSplitArgsVectors(t *testing.T) {
	ok := []struct {
		line string
		want []string
	}{
		{`save 900 1`, []string{"save", "900", "1"}},
		{`save ""`, []string{"save", ""}},
		{`dir "/tmp/with space"`, []string{"dir", "/tmp/with space"}},
		{`a "\x41\x4a" b`, []string{"a", "AJ", "b"}},
		{`"\n\r\t\b\a\\\"\q"`, []string{"\n\r\t\b\a\\\"q"}},
		{`'it\'s' 'a\b'`, []string{"it's", `a\b`}},
		{`"\x4" "\xZZ"`, []string{"x4", "xZZ"}},
		{`foo"bar"`, []string{"foobar"}},
		{`foo'bar' baz`, []string{"foobar", "baz"}},
		{`"a" 'b'`, []string{"a", "b"}},
		{`unquoted\x41`, []string{`unquoted\x41`}},
		{`"ends with backslash\\"`, []string{`ends with backslash\`}},
		{`x "" y`, []string{"x", "", "y"}},
		{`"\xff\xFE"`, []string{"\xff\xfe"}},
		{`'\x41'`, []string{`\x41`}},
		{`"\\x41"`, []string{`\x41`}},
		{`'escaped quote at end\''`, []string{"escaped quote at end'"}},
		{`"\"\""`, []string{`""`}},
		{"  port\t6379  ", []string{"port", "6379"}},
		{"\"tab\"\tnext", []string{"tab", "next"}},
	}
	for _, tc := range ok {
		got, err := SplitArgs(tc.line)
		require.NoError(t, err, "line %q", tc.line)
		require.Equal(t, tc.want, got, "line %q", tc.line)
	}
	for _, empty := range []string{"", "   ", "\t"} {
		got, err := SplitArgs(empty)
		require.NoError(t, err)
		require.Empty(t, got)
	}
	for _, bad := range []string{
		`"trailing escape \"`,
		`"closing"quote`,
		`'closing'quote`,
		`"never closed`,
		`'never closed`,
		`"a" "b`,
		`ok 'a\\'`,
		`"backslash at very end\`,
		`word"`,
		`"emptyfollow"""`,
		`a'b'c`,
		`"x"y`,
		`''x`,
	} {
		_, err := SplitArgs(bad)
		require.Error(t, err, "line %q", bad)
	}
}

func FuzzSplitArgs(f *testing.F) {
	for _, s := range []string{"", "save 900 1", `"a\x41" 'b\'c'`, `"unbalanced`, "dir \"/x y\"", "\"\\", "'\\", "\"\\x4"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		words, err := SplitArgs(line)
		if err != nil {
			return
		}
		// Whatever parses, quoted Redis-style and joined, parses back to the
		// same words.
		var b bytes.Buffer
		for i, w := range words {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(repr(w))
		}
		again, err := SplitArgs(b.String())
		if err != nil {
			t.Fatalf("re-quoted %q of %q does not parse: %v", b.String(), line, err)
		}
		if len(again) != len(words) {
			t.Fatalf("%q -> %q -> %q", line, words, again)
		}
		for i := range words {
			if again[i] != words[i] {
				t.Fatalf("%q -> %q -> %q", line, words, again)
			}
		}
	})
}

// FuzzSplitArgsRepr starts from arbitrary words: quoting each with repr
// and splitting must return them exactly.
func FuzzSplitArgsRepr(f *testing.F) {
	f.Add([]byte("a\x00b c"), byte(0))
	f.Add([]byte("\"'\\\n"), byte(' '))
	f.Fuzz(func(t *testing.T, raw []byte, sep byte) {
		words := bytes.Split(raw, []byte{sep})
		var line bytes.Buffer
		for i, w := range words {
			if i > 0 {
				line.WriteString(" \t"[i%2 : i%2+1])
			}
			line.WriteString(repr(string(w)))
		}
		got, err := SplitArgs(line.String())
		if err != nil {
			t.Fatalf("%q does not parse: %v", line.String(), err)
		}
		if len(got) != len(words) {
			t.Fatalf("%q: got %d words, want %d", line.String(), len(got), len(words))
		}
		for i := range words {
			if got[i] != string(words[i]) {
				t.Fatalf("%q: word %d is %q, want %q", line.String(), i, got[i], words[i])
			}
		}
	})
}
