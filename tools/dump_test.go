package tools_test

import (
	"testing"

	"github.com/shaledb/shale/rdb"
	"github.com/shaledb/shale/tools"
	"github.com/stretchr/testify/require"
)

func payload(body string) []byte { return rdb.DumpFooter([]byte(body), 10) }

func TestToolsDecodeDump(t *testing.T) {
	r, err := tools.DecodeDump(payload("\x00\x05hello"))
	require.NoError(t, err)
	require.Equal(t, "hello", string(r.Str))
	_, err = tools.DecodeDump(payload("\x00\x05hello!")) // trailing byte
	require.ErrorIs(t, err, tools.ErrBadFormat)
	_, err = tools.DecodeDump(payload("\x01\x00")) // empty list
	require.ErrorIs(t, err, tools.ErrBadFormat)
	p := payload("\x00\x05hello")
	p[len(p)-1] ^= 1
	_, err = tools.DecodeDump(p)
	require.ErrorIs(t, err, tools.ErrDumpPayload)
	_, err = tools.DecodeDump(rdb.DumpFooter([]byte("\x00\x01a"), 13)) // newer than any known RDB
	require.ErrorIs(t, err, tools.ErrDumpPayload)
}

func FuzzToolsDecodeDump(f *testing.F) {
	f.Add([]byte("\x00\x05hello"))
	f.Add([]byte("\x01\x02\x01a\x01b"))
	f.Add([]byte("\x04\x01\x01f\x01v"))
	f.Add([]byte("\x05\x01\x01m\x00\x00\x00\x00\x00\x00\xf0\x3f"))
	f.Add([]byte("\x12\x01\x02\x0b\x0b\x00\x00\x00\x01\x00\x81a\x02\xff"))
	f.Fuzz(func(t *testing.T, body []byte) {
		tools.DecodeDump(rdb.DumpFooter(body, 10)) // must not panic
		tools.DecodeDump(body)
	})
}
