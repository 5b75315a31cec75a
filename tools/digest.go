package tools

import (
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"io"
	"math"
	"strconv"

	"github.com/shaledb/shale/engine"
	"github.com/shaledb/shale/rdb"
)

// Redis's DEBUG DIGEST (debug.c computeDatasetDigest): a SHA1-based digest
// of the whole dataset that does not depend on encodings or on the order
// of unordered elements, so the same data gives the same digest on Redis
// and on Shale. It is computed here from an RDB event stream, which makes
// it available for a running Shale (through an export of one snapshot),
// for a single key (through its DUMP payload) and for an RDB file.

// mixDigest is Redis's mixDigest: digest = SHA1(digest xor SHA1(p)), so
// the order of mixed items matters.
func mixDigest(digest *[20]byte, p []byte) {
	xorDigest(digest, p)
	*digest = sha1.Sum(digest[:])
}

// xorDigest is Redis's xorDigest: digest ^= SHA1(p).
func xorDigest(digest *[20]byte, p []byte) {
	s := sha1.Sum(p)
	for i := range digest {
		digest[i] ^= s[i]
	}
}

// objectType is the OBJ_* value Redis mixes in for a kind.
var objectType = [...]uint32{rdb.KindString: 0, rdb.KindList: 1, rdb.KindSet: 2, rdb.KindZSet: 3, rdb.KindHash: 4, rdb.KindModule: 5, rdb.KindStream: 6}

// valueDigest accumulates one key's value digest (xorObjectDigest) from
// the reader's events.
type valueDigest struct {
	d [20]byte
}

func (v *valueDigest) begin(kind rdb.Kind) {
	var aux [4]byte
	binary.BigEndian.PutUint32(aux[:], objectType[kind])
	mixDigest(&v.d, aux[:])
}

func (v *valueDigest) event(e *rdb.Event) {
	switch e.Type {
	case rdb.EvString, rdb.EvListElem:
		mixDigest(&v.d, e.Value)
	case rdb.EvSetMember:
		xorDigest(&v.d, e.Value)
	case rdb.EvZMember:
		var ele [20]byte
		mixDigest(&ele, e.Value)
		mixDigest(&ele, scoreText(e.Score))
		xorDigest(&v.d, ele[:])
	case rdb.EvHashField:
		var ele [20]byte
		mixDigest(&ele, e.Field)
		mixDigest(&ele, e.Value)
		xorDigest(&v.d, ele[:])
	case rdb.EvStreamEntry:
		id := strconv.AppendUint(nil, e.ID.Ms, 10)
		id = append(id, '.')
		id = strconv.AppendUint(id, e.ID.Seq, 10)
		mixDigest(&v.d, id)
		for _, f := range e.Fields {
			mixDigest(&v.d, f)
		}
	}
}

// scoreText is a score as C's "%.17g" prints it (what Redis mixes in).
func scoreText(f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return []byte("inf")
	case math.IsInf(f, -1):
		return []byte("-inf")
	}
	return strconv.AppendFloat(nil, f, 'g', 17, 64)
}

// end adds the expiry mark.
func (v *valueDigest) end(expireAt int64) {
	if expireAt != 0 {
		xorDigest(&v.d, []byte("!!expire!!"))
	}
}

// datasetDigest accumulates computeDatasetDigest over a stream of RDB
// events (databases in ascending order, as RDB files hold them).
type datasetDigest struct {
	nowMs  int64
	final  [20]byte
	v      valueDigest
	lastDB int
	skip   bool
	n      int // the current key's elements
}

func newDatasetDigest(nowMs int64) *datasetDigest {
	if nowMs == 0 {
		nowMs = engine.NowMs()
	}
	return &datasetDigest{nowMs: nowMs, lastDB: -1}
}

func (d *datasetDigest) event(e *rdb.Event) {
	switch e.Type {
	case rdb.EvKey:
		// Keys already expired are dropped, as a master drops them
		// while loading.
		d.skip = e.ExpireAt != 0 && e.ExpireAt <= d.nowMs
		d.v, d.n = valueDigest{}, 0
		mixDigest(&d.v.d, e.Key)
		d.v.begin(e.Kind)
	case rdb.EvKeyEnd:
		// Empty collections are dropped while loading too.
		if d.skip || d.n == 0 {
			return
		}
		if e.DB != d.lastDB {
			var aux [4]byte
			binary.BigEndian.PutUint32(aux[:], uint32(e.DB))
			mixDigest(&d.final, aux[:])
			d.lastDB = e.DB
		}
		d.v.end(e.ExpireAt)
		xorDigest(&d.final, d.v.d[:]) // final ^= SHA1(key digest)
	case rdb.EvString, rdb.EvListElem, rdb.EvSetMember, rdb.EvHashField, rdb.EvZMember, rdb.EvStreamEntry, rdb.EvStreamMeta:
		d.n++
		if !d.skip {
			d.v.event(e)
		}
	}
}

func (d *datasetDigest) hex() string { return hex.EncodeToString(d.final[:]) }

// DigestRDB returns, in hex, the DEBUG DIGEST Redis reports after loading
// the RDB stream r at nowMs.
func DigestRDB(r io.Reader, nowMs int64) (string, error) {
	d := newDatasetDigest(nowMs)
	err := rdb.NewReader(r).Parse(func(e *rdb.Event) error {
		d.event(e)
		return nil
	})
	return d.hex(), err
}

// Digest is DEBUG DIGEST of a running engine, from one snapshot.
func Digest(e *engine.Engine) (string, error) {
	pr, pw := io.Pipe()
	go func() {
		_, err := Export(e, pw, ExportOptions{})
		pw.CloseWithError(err)
	}()
	d, err := DigestRDB(pr, 0)
	pr.CloseWithError(io.ErrClosedPipe) // unblock the export if parsing stopped early
	return d, err
}

// DigestValue is DEBUG DIGEST-VALUE of key: the digest of its value and
// expiry without its name (40 zeros for a missing key).
func DigestValue(tx *engine.Tx, key []byte) (string, error) {
	var v valueDigest
	m, ok, err := tx.Lookup(key)
	if err != nil || !ok {
		return hex.EncodeToString(v.d[:]), err
	}
	payload, ok, err := DumpValue(tx, key)
	if err != nil || !ok {
		return hex.EncodeToString(v.d[:]), err
	}
	err = rdb.ParseDump(payload, RestoreMaxVersion, func(e *rdb.Event) error {
		if e.Type == rdb.EvKey {
			v.begin(e.Kind)
		} else {
			v.event(e)
		}
		return nil
	})
	v.end(m.ExpireAt)
	return hex.EncodeToString(v.d[:]), err
}
