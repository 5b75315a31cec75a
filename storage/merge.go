package storage

import (
	"encoding/binary"
	"io"

	"github.com/cockroachdb/pebble/v2"
)

// counterMerger sums int64 operands. Per-database key counters are kept as
// merge operands written in the same batch as the key they count, so the
// counts are exact and crash-consistent without a read-modify-write.
var counterMerger = &pebble.Merger{
	Name: "shale.counter.v1",
	Merge: func(key, value []byte) (pebble.ValueMerger, error) {
		m := &sumMerger{}
		return m, m.MergeNewer(value)
	},
}

type sumMerger struct{ sum int64 }

func (m *sumMerger) MergeNewer(v []byte) error {
	m.sum += DecodeCounter(v)
	return nil
}

func (m *sumMerger) MergeOlder(v []byte) error {
	m.sum += DecodeCounter(v)
	return nil
}

func (m *sumMerger) Finish(bool) ([]byte, io.Closer, error) {
	return EncodeCounter(m.sum), nil, nil
}

// EncodeCounter encodes a counter value or delta.
func EncodeCounter(v int64) []byte {
	return binary.BigEndian.AppendUint64(nil, uint64(v))
}

// DecodeCounter decodes a counter value; malformed input counts as zero.
func DecodeCounter(b []byte) int64 {
	if len(b) != 8 {
		return 0
	}
	return int64(binary.BigEndian.Uint64(b))
}
