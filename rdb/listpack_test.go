package rdb

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRDBListpackRoundTrip(t *testing.T) {
	vals := []string{"", "a", "0", "-1", "127", "128", "-4096", "4095", "4096", "-32769", "8388607", "-8388609", "2147483648", "9223372036854775807", "-9223372036854775808", "007", "1.5"}
	for _, n := range []int{63, 64, 4095, 4096, 20000, 3000000} {
		vals = append(vals, string(make([]byte, n)))
	}
	lp := NewListpack()
	for _, v := range vals {
		lp.Append([]byte(v))
	}
	var got []string
	require.NoError(t, listpackEach(lp.Bytes(), func(e []byte) error { got = append(got, string(e)); return nil }))
	require.Equal(t, vals, got)
	// every backlen size, decoded back
	for _, n := range []int{126, 127, 128, 16380, 16381, 16382, 16383, 2097149, 2097150, 2097151} {
		lp := NewListpack()
		lp.Append(make([]byte, n))
		lp.Append([]byte("x" + strconv.Itoa(n)))
		var got []string
		require.NoError(t, listpackEach(lp.Bytes(), func(e []byte) error { got = append(got, string(e)); return nil }), "n=%d", n)
		require.Len(t, got, 2)
		require.Equal(t, "x"+strconv.Itoa(n), got[1])
	}
}
