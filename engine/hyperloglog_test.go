package engine

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// Byte strings below were read from a real redis-server 7.0.15.

func TestHLLEmptyAndSmallBytesMatchRedis(t *testing.T) {
	h := NewHLL()
	require.Equal(t, "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff", string(h))
	require.True(t, IsHLL(h))
	for _, e := range []string{"a", "b", "c"} {
		var r int
		h, r = hllAdd(h, []byte(e), 3000)
		require.Equal(t, 1, r)
	}
	h2, r := hllAdd(h, []byte("a"), 3000)
	require.Equal(t, 0, r, "a register that does not grow is no change")
	require.Equal(t, "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80`\xf3\x80P\xb1\x84K\xfb\x80BZ", string(h2))
	n, ok := hllCount(h2)
	require.True(t, ok)
	require.Equal(t, uint64(3), n)
}

func TestHLLIsHLL(t *testing.T) {
	dense, ok := hllToDense(NewHLL())
	require.True(t, ok)
	require.Len(t, dense, hllDenseSize)
	require.True(t, IsHLL(dense))
	require.False(t, IsHLL(dense[:len(dense)-1]), "dense values have an exact size")
	require.False(t, IsHLL([]byte("HYLL\x01")), "shorter than the header")
	require.False(t, IsHLL([]byte("HYLX\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff")))
	require.False(t, IsHLL([]byte("HYLL\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff")), "unknown encoding")
}

// The sparse and dense encodings hold the same registers whatever the
// insertion order, and give the same estimate.
func TestHLLSparseDenseAgree(t *testing.T) {
	sparse := NewHLL()
	dense, _ := hllToDense(NewHLL())
	for i := 0; i < 2000; i++ {
		e := []byte(fmt.Sprintf("element-%d", i))
		var r1, r2 int
		sparse, r1 = hllAdd(sparse, e, 1<<30) // never promoted by size
		dense, r2 = hllAdd(dense, e, 0)
		require.GreaterOrEqual(t, r1, 0)
		require.Equal(t, r1, r2, "element %d changes a register in both or neither", i)
		if i%200 == 0 {
			require.Equal(t, byte(hllSparse), sparse[4])
			conv, ok := hllToDense(sparse)
			require.True(t, ok)
			require.Equal(t, dense[hllHdrSize:], conv[hllHdrSize:])
			c1, ok1 := hllCount(sparse)
			c2, ok2 := hllCount(dense)
			require.True(t, ok1 && ok2)
			require.Equal(t, c2, c1)
		}
	}
	var max [hllRegisters]uint8
	require.True(t, hllMergeInto(&max, sparse))
	for i := 0; i < hllRegisters; i++ {
		require.Equal(t, denseGet(dense[hllHdrSize:], i), max[i])
	}
}

func TestHLLDenseRegisters(t *testing.T) {
	regs := make([]byte, hllDenseSize-hllHdrSize)
	for i := 0; i < hllRegisters; i++ {
		denseSet(regs, i, uint8((i*7)&hllRegMax))
	}
	for i := 0; i < hllRegisters; i++ {
		require.Equal(t, uint8((i*7)&hllRegMax), denseGet(regs, i), "register %d", i)
	}
	denseSet(regs, hllRegisters-1, 63) // the last register ends in the last byte
	require.Equal(t, uint8(63), denseGet(regs, hllRegisters-1))
	require.Equal(t, uint8(((hllRegisters-2)*7)&hllRegMax), denseGet(regs, hllRegisters-2))
}

func TestHLLCorruptSparse(t *testing.T) {
	// Registers that do not add up to 16384.
	bad := []byte("HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff\x7f")
	_, ok := hllCount(bad)
	require.False(t, ok)
	_, ok = hllToDense(bad)
	require.False(t, ok)
	var max [hllRegisters]uint8
	require.False(t, hllMergeInto(&max, bad))
	// A truncated XZERO opcode.
	_, ok = hllCount([]byte("HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f"))
	require.False(t, ok)
}

func TestHLLEstimatorFunctions(t *testing.T) {
	require.True(t, math.IsInf(hllSigma(1), 1))
	require.Equal(t, 0.0, hllTau(0))
	require.Equal(t, 0.0, hllTau(1))
	require.Equal(t, 0.0, hllSigma(0))
	var histo [64]int
	histo[0] = hllRegisters
	require.Equal(t, uint64(0), hllEstimate(&histo))
	require.Equal(t, "", HLLSelfTest())
}

func TestHLLEngineOps(t *testing.T) {
	e := openHSEngine(t)
	hsRun(t, e, func(tx *Tx) error {
		ok, err := tx.PFAdd([]byte("h"), bs("a", "b", "c"), 3000)
		require.True(t, ok)
		return err
	})
	hsRun(t, e, func(tx *Tx) error {
		ok, err := tx.PFAdd([]byte("h"), bs("a"), 3000)
		require.False(t, ok)
		return err
	})
	hsRun(t, e, func(tx *Tx) error {
		n, err := tx.PFCount(bs("h"))
		require.Equal(t, uint64(3), n)
		return err
	})
	hsRun(t, e, func(tx *Tx) error {
		require.NoError(t, tx.SetString([]byte("s"), []byte("not an hll"), 0))
		_, err := tx.PFAdd([]byte("s"), bs("a"), 3000)
		require.ErrorIs(t, err, ErrHLLWrongType)
		_, err = tx.PFCount(bs("h", "s"))
		require.ErrorIs(t, err, ErrHLLWrongType)
		return nil
	})
	hsRun(t, e, func(tx *Tx) error {
		require.NoError(t, tx.PFMerge([]byte("m"), bs("h", "nokey"), 3000))
		n, err := tx.PFCount(bs("m"))
		require.Equal(t, uint64(3), n)
		return err
	})
}
