package engine

import (
	"bytes"
	"testing"

	"github.com/shaledb/shale/encoding"
	"github.com/stretchr/testify/require"
)

func bmMeta(t *testing.T, e *Engine, key string) encoding.Metadata {
	t.Helper()
	tx := e.Begin(0)
	m, ok, err := tx.Lookup([]byte(key))
	require.NoError(t, err)
	require.True(t, ok)
	return m
}

func bmValue(t *testing.T, e *Engine, key string) []byte {
	t.Helper()
	tx := e.Begin(0)
	v, ok, err := tx.GetString([]byte(key))
	require.NoError(t, err)
	require.True(t, ok)
	return append([]byte(nil), v...)
}

// A string stays inline up to FragThreshold bytes and is fragmented by the
// partial write that grows it past that; whole-value reads are unchanged.
func TestBitmapFragmentationThreshold(t *testing.T) {
	e := openHSEngine(t)
	hsRun(t, e, func(tx *Tx) error {
		_, err := tx.SetRange([]byte("k"), FragThreshold-3, []byte("abc"), 512<<20)
		return err
	})
	m := bmMeta(t, e, "k")
	require.Zero(t, m.Flags&encoding.FlagFragmented)
	require.Len(t, m.Value, FragThreshold)
	require.Equal(t, 0, subRecords(t, e, "k"))

	hsRun(t, e, func(tx *Tx) error {
		n, err := tx.Append([]byte("k"), []byte("d"), 512<<20)
		require.Equal(t, int64(FragThreshold+1), n)
		return err
	})
	m = bmMeta(t, e, "k")
	require.NotZero(t, m.Flags&encoding.FlagFragmented)
	require.Equal(t, uint64(FragThreshold+1), m.Size)
	// Only the two non-zero fragments (the last full one and the tail).
	require.Equal(t, 2, subRecords(t, e, "k"))
	want := make([]byte, FragThreshold+1)
	copy(want[FragThreshold-3:], "abcd")
	require.True(t, bytes.Equal(want, bmValue(t, e, "k")))

	// Zeroing a fragment's bytes removes its record.
	hsRun(t, e, func(tx *Tx) error {
		_, err := tx.SetRange([]byte("k"), FragThreshold, []byte{0}, 512<<20)
		return err
	})
	require.Equal(t, 1, subRecords(t, e, "k"))

	// A plain SET stores inline again and drops the fragments.
	hsRun(t, e, func(tx *Tx) error { return tx.SetString([]byte("k"), []byte("v"), 0) })
	require.Equal(t, 0, subRecords(t, e, "k"))
	require.Equal(t, "v", string(bmValue(t, e, "k")))
}

// Scan, ReadAt and PopCount see zeros in missing fragments and in the
// missing tail of short ones.
func TestBitmapSparseReads(t *testing.T) {
	e := openHSEngine(t)
	hsRun(t, e, func(tx *Tx) error {
		b, err := tx.OpenBitmap([]byte("s"))
		require.NoError(t, err)
		_, err = b.SetBit(8*300000+7, 1)
		require.NoError(t, err)
		_, err = b.SetBit(5, 1)
		require.NoError(t, err)
		return b.Flush()
	})
	tx := e.Begin(0)
	b, err := tx.OpenBitmap([]byte("s"))
	require.NoError(t, err)
	require.Equal(t, int64(300001), b.Len())
	n, err := b.PopCount(0, b.Len()-1, 0, 0)
	require.NoError(t, err)
	require.Equal(t, int64(2), n)
	var total int64
	require.NoError(t, b.Scan(0, b.Len(), func(p []byte) bool { total += int64(len(p)); return true }))
	require.Equal(t, b.Len(), total, "chunks cover the whole range")
	pos, err := b.FirstBit(1, b.Len()-1, 1)
	require.NoError(t, err)
	require.Equal(t, int64(8*299999+7), pos)
	buf := make([]byte, 4)
	require.NoError(t, b.ReadAt(buf, 299999))
	require.Equal(t, []byte{0, 1, 0, 0}, buf)
	v, err := b.GetBit(8*300000 + 7)
	require.NoError(t, err)
	require.Equal(t, 1, v)
	require.Equal(t, 2, subRecords(t, e, "s"))
}

// Redis's checkSignedBitfieldOverflow / checkUnsignedBitfieldOverflow,
// cases whose BITFIELD replies were checked against Redis 7.0.15.
func TestBitmapFieldOverflow(t *testing.T) {
	w, of := checkSignedOverflow(-128, -1, 8, OverflowWrap)
	require.True(t, of)
	require.Equal(t, int64(127), w)
	w, of = checkSignedOverflow(100, 0, 4, OverflowSat)
	require.True(t, of)
	require.Equal(t, int64(7), w)
	w, of = checkSignedOverflow(-100, 0, 4, OverflowSat)
	require.True(t, of)
	require.Equal(t, int64(-8), w)
	_, of = checkSignedOverflow(1<<62, 1<<62-1, 64, OverflowWrap)
	require.False(t, of)
	w, of = checkSignedOverflow(1<<63-1, 1, 64, OverflowWrap)
	require.True(t, of)
	require.Equal(t, int64(-1<<63), w)
	u, of := checkUnsignedOverflow(255, 1, 8, OverflowWrap)
	require.True(t, of)
	require.Equal(t, uint64(0), u)
	u, of = checkUnsignedOverflow(^uint64(0), 0, 8, OverflowSat) // SET u8 -1
	require.True(t, of)
	require.Equal(t, uint64(255), u)
	u, of = checkUnsignedOverflow(0, -1, 63, OverflowWrap)
	require.True(t, of)
	require.Equal(t, uint64(1<<63-1), u)
	_, of = checkUnsignedOverflow(5, -5, 8, OverflowFail)
	require.False(t, of)
}
