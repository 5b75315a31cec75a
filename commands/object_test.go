package commands_test

import (
	"testing"

	"github.com/shaledb/shale/server/servertest"
	"github.com/stretchr/testify/require"
)

// OBJECT ENCODING / REFCOUNT follow how Redis 7.0 built the string
// (checked against redis-server 7.0.15).
func TestObjectStringEncodingByHistory(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	do := func(args ...any) any {
		v, err := servertest.Do(c, args...)
		require.NoError(t, err, "%v", args)
		return v
	}
	do("SET", "i", "10")
	require.Equal(t, "int", do("OBJECT", "ENCODING", "i"))
	require.EqualValues(t, 2147483647, do("OBJECT", "REFCOUNT", "i"))

	do("SET", "a", "abc")
	require.Equal(t, "embstr", do("OBJECT", "ENCODING", "a"))
	do("APPEND", "a", "d")
	require.Equal(t, "raw", do("OBJECT", "ENCODING", "a"))
	do("EXPIRE", "a", "100")
	require.Equal(t, "raw", do("OBJECT", "ENCODING", "a"), "EXPIRE keeps the encoding")

	do("APPEND", "new", "12")
	require.Equal(t, "int", do("OBJECT", "ENCODING", "new"), "APPEND creating a key encodes it like SET")

	do("SETRANGE", "r", "0", "12")
	require.Equal(t, "raw", do("OBJECT", "ENCODING", "r"))

	do("INCRBYFLOAT", "f", "10")
	require.Equal(t, "10", do("GET", "f"))
	require.Equal(t, "embstr", do("OBJECT", "ENCODING", "f"))
	require.EqualValues(t, 1, do("OBJECT", "REFCOUNT", "f"))

	do("INCR", "f")
	require.Equal(t, "int", do("OBJECT", "ENCODING", "f"))

	do("COPY", "i", "i2")
	require.Equal(t, "int", do("OBJECT", "ENCODING", "i2"))
	require.EqualValues(t, 1, do("OBJECT", "REFCOUNT", "i2"))
	do("SET", "i2", "10")
	require.EqualValues(t, 2147483647, do("OBJECT", "REFCOUNT", "i2"))
}
