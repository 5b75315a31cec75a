// Package rdb reads and writes Redis RDB files (versions 1 to 12) and DUMP
// payloads as streams: the reader turns a file into a sequence of events
// (one per key, then one per element), so memory does not grow with the
// file or with one collection's size. It is used by the shale-rdb tool
// (tools/), by DUMP/RESTORE and, later, by replication's full sync.
package rdb

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
)

// On-disk value types.
const (
	TypeString            = 0
	TypeList              = 1
	TypeSet               = 2
	TypeZSet              = 3
	TypeHash              = 4
	TypeZSet2             = 5
	TypeModulePreGA       = 6
	TypeModule2           = 7
	TypeHashZipmap        = 9
	TypeListZiplist       = 10
	TypeSetIntset         = 11
	TypeZSetZiplist       = 12
	TypeHashZiplist       = 13
	TypeListQuicklist     = 14
	TypeStreamListpacks   = 15
	TypeHashListpack      = 16
	TypeZSetListpack      = 17
	TypeListQuicklist2    = 18
	TypeStreamListpacks2  = 19
	TypeSetListpack       = 20
	TypeStreamListpacks3  = 21
	TypeHashMetadataPreGA = 22
	TypeHashListpackExPre = 23
	TypeHashMetadata      = 24
	TypeHashListpackEx    = 25
)

// Opcodes.
const (
	opSlotInfo      = 244
	opFunction2     = 245
	opFunctionPreGA = 246
	opModuleAux     = 247
	opIdle          = 248
	opFreq          = 249
	opAux           = 250
	opResizeDB      = 251
	opExpireTimeMs  = 252
	opExpireTime    = 253
	opSelectDB      = 254
	opEOF           = 255
)

// MaxVersion is the newest RDB version the reader understands.
const MaxVersion = 12

// Kind is the logical type of a key.
type Kind uint8

const (
	KindString Kind = iota
	KindList
	KindSet
	KindZSet
	KindHash
	KindStream
	KindModule
)

func (k Kind) String() string {
	return [...]string{"string", "list", "set", "zset", "hash", "stream", "module"}[k]
}

// KindOf maps an on-disk type to its logical type.
func KindOf(t byte) (Kind, bool) {
	switch t {
	case TypeString:
		return KindString, true
	case TypeList, TypeListZiplist, TypeListQuicklist, TypeListQuicklist2:
		return KindList, true
	case TypeSet, TypeSetIntset, TypeSetListpack:
		return KindSet, true
	case TypeZSet, TypeZSet2, TypeZSetZiplist, TypeZSetListpack:
		return KindZSet, true
	case TypeHash, TypeHashZipmap, TypeHashZiplist, TypeHashListpack, TypeHashMetadataPreGA,
		TypeHashListpackExPre, TypeHashMetadata, TypeHashListpackEx:
		return KindHash, true
	case TypeStreamListpacks, TypeStreamListpacks2, TypeStreamListpacks3:
		return KindStream, true
	case TypeModulePreGA, TypeModule2:
		return KindModule, true
	}
	return 0, false
}

// EventType says what an Event carries.
type EventType uint8

const (
	EvAux            EventType = iota + 1 // Field=name, Value
	EvSelectDB                            // DB
	EvResizeDB                            // Size, Expires
	EvSlotInfo                            // Slot, Size, Expires
	EvFunction                            // Value = library code
	EvKey                                 // a key begins: DB, Key, Kind, RDBType, ExpireAt, Idle, Freq
	EvString                              // Value
	EvListElem                            // Value
	EvSetMember                           // Value
	EvHashField                           // Field, Value, FieldExpireAt (0 = none)
	EvZMember                             // Value = member, Score
	EvStreamEntry                         // ID, Fields (f1 v1 f2 v2 ...)
	EvStreamMeta                          // Stream
	EvStreamGroup                         // Group
	EvStreamConsumer                      // Consumer
	EvKeyEnd                              // the key's value is complete
)

// StreamID is a stream entry id.
type StreamID struct{ Ms, Seq uint64 }

func (id StreamID) String() string { return fmt.Sprintf("%d-%d", id.Ms, id.Seq) }

// StreamMeta is a stream's header, sent after its entries.
type StreamMeta struct {
	Length       uint64
	LastID       StreamID
	FirstID      StreamID // v2+ only (HasV2)
	MaxDeletedID StreamID
	EntriesAdded uint64
	HasV2        bool
}

// PendingEntry is one entry of a group's PEL.
type PendingEntry struct {
	ID            StreamID
	DeliveryTime  int64
	DeliveryCount uint64
	Consumer      []byte // filled from the consumers' PELs once known
}

// StreamGroup is one consumer group with its PEL.
type StreamGroup struct {
	Name        []byte
	LastID      StreamID
	EntriesRead int64 // -1 = unknown (or not stored, v1)
	PEL         []PendingEntry
}

// StreamConsumer is one consumer of a group.
type StreamConsumer struct {
	Group      []byte
	Name       []byte
	SeenTime   int64
	ActiveTime int64 // -1 = never active / not stored
	Pending    []StreamID
}

// Event is one item of the stream of events. Slices are only valid during
// the callback.
type Event struct {
	Type          EventType
	DB            int
	Key           []byte
	Kind          Kind
	RDBType       byte
	ExpireAt      int64 // unix ms, 0 = none
	Idle          int64 // -1 = not given
	Freq          int   // -1 = not given
	Field, Value  []byte
	FieldExpireAt int64
	Score         float64
	Size, Expires uint64
	Slot          uint64
	ID            StreamID
	Fields        [][]byte
	Stream        *StreamMeta
	Group         *StreamGroup
	Consumer      *StreamConsumer
}

// Error is a read error with the byte offset where it was detected.
type Error struct {
	Offset int64
	Err    error
}

func (e *Error) Error() string { return fmt.Sprintf("rdb: %v (at byte offset %d)", e.Err, e.Offset) }
func (e *Error) Unwrap() error { return e.Err }

var (
	// ErrChecksum is a CRC64 trailer that does not match the content.
	ErrChecksum = errors.New("wrong RDB checksum")
	errCorrupt  = errors.New("corrupt value")
	errTooLarge = errors.New("length out of range")
)

// Reader reads an RDB stream.
type Reader struct {
	r       io.Reader
	buf     []byte
	pos     int
	end     int
	off     int64 // bytes consumed
	crc     uint64
	noCRC   bool
	eof     bool
	version int
	ev      Event
	fn      func(*Event) error
	tmp     [16]byte
}

// NewReader returns a Reader on r.
func NewReader(r io.Reader) *Reader {
	return &Reader{r: r, buf: make([]byte, 64<<10)}
}

// Version is the file's RDB version (after the header was read).
func (r *Reader) Version() int { return r.version }

// Offset is the number of bytes consumed so far.
func (r *Reader) Offset() int64 { return r.off }

func (r *Reader) fail(err error) error {
	var ue userErr
	if errors.As(err, &ue) {
		return ue.error
	}
	var re *Error
	if errors.As(err, &re) {
		return err
	}
	return &Error{Offset: r.off, Err: err}
}

// fill makes at least n bytes (n <= len(buf)) available.
func (r *Reader) fill(n int) error {
	if r.end-r.pos >= n {
		return nil
	}
	if r.pos > 0 {
		copy(r.buf, r.buf[r.pos:r.end])
		r.end -= r.pos
		r.pos = 0
	}
	for r.end < n {
		if r.eof {
			return io.ErrUnexpectedEOF
		}
		m, err := r.r.Read(r.buf[r.end:])
		r.end += m
		if err == io.EOF {
			r.eof = true
		} else if err != nil {
			return err
		}
	}
	return nil
}

func (r *Reader) consume(p []byte) {
	if !r.noCRC {
		r.crc = CRC64(r.crc, p)
	}
	r.off += int64(len(p))
}

// peek returns the next n (<= buffer size) bytes, valid until the next read.
func (r *Reader) next(n int) ([]byte, error) {
	if err := r.fill(n); err != nil {
		return nil, err
	}
	p := r.buf[r.pos : r.pos+n]
	r.pos += n
	r.consume(p)
	return p, nil
}

// readBytes returns n bytes in a new slice. The slice grows as data arrives,
// so a corrupt length cannot make it allocate more than the input holds.
func (r *Reader) readBytes(n uint64) ([]byte, error) {
	if n > 1<<40 {
		return nil, errTooLarge
	}
	const chunk = 1 << 20
	out := make([]byte, 0, min(n, chunk))
	for uint64(len(out)) < n {
		want := min(n-uint64(len(out)), uint64(len(r.buf)))
		p, err := r.next(int(want))
		if err != nil {
			return nil, err
		}
		out = append(out, p...)
	}
	return out, nil
}

func (r *Reader) byte1() (byte, error) {
	p, err := r.next(1)
	if err != nil {
		return 0, err
	}
	return p[0], nil
}

// readLen reads a length; enc reports a special (integer/LZF) encoding.
func (r *Reader) readLen() (n uint64, enc bool, err error) {
	c, err := r.byte1()
	if err != nil {
		return 0, false, err
	}
	switch c >> 6 {
	case 0:
		return uint64(c & 0x3f), false, nil
	case 1:
		c2, err := r.byte1()
		if err != nil {
			return 0, false, err
		}
		return uint64(c&0x3f)<<8 | uint64(c2), false, nil
	case 2:
		switch c {
		case 0x80:
			p, err := r.next(4)
			if err != nil {
				return 0, false, err
			}
			return uint64(binary.BigEndian.Uint32(p)), false, nil
		case 0x81:
			p, err := r.next(8)
			if err != nil {
				return 0, false, err
			}
			return binary.BigEndian.Uint64(p), false, nil
		}
		return 0, false, fmt.Errorf("unknown length encoding %d", c)
	}
	return uint64(c & 0x3f), true, nil
}

func (r *Reader) length() (uint64, error) {
	n, enc, err := r.readLen()
	if err == nil && enc {
		err = errCorrupt
	}
	return n, err
}

// readString reads a (possibly integer- or LZF-encoded) string.
func (r *Reader) readString() ([]byte, error) {
	n, enc, err := r.readLen()
	if err != nil {
		return nil, err
	}
	if !enc {
		return r.readBytes(n)
	}
	switch n {
	case 0, 1, 2:
		w := 1 << n
		p, err := r.next(w)
		if err != nil {
			return nil, err
		}
		var v int64
		switch w {
		case 1:
			v = int64(int8(p[0]))
		case 2:
			v = int64(int16(binary.LittleEndian.Uint16(p)))
		default:
			v = int64(int32(binary.LittleEndian.Uint32(p)))
		}
		return strconv.AppendInt(nil, v, 10), nil
	case 3:
		clen, err := r.length()
		if err != nil {
			return nil, err
		}
		ulen, err := r.length()
		if err != nil {
			return nil, err
		}
		if ulen > clen*300+64 { // LZF cannot expand more than this
			return nil, errLZF
		}
		c, err := r.readBytes(clen)
		if err != nil {
			return nil, err
		}
		return lzfDecompress(c, int(ulen))
	}
	return nil, fmt.Errorf("unknown string encoding %d", n)
}

func (r *Reader) readMillis() (int64, error) {
	p, err := r.next(8)
	if err != nil {
		return 0, err
	}
	return int64(binary.LittleEndian.Uint64(p)), nil
}

// readDouble reads a type-3 zset score (length-prefixed text).
func (r *Reader) readDouble() (float64, error) {
	c, err := r.byte1()
	if err != nil {
		return 0, err
	}
	switch c {
	case 253:
		return math.NaN(), nil
	case 254:
		return math.Inf(1), nil
	case 255:
		return math.Inf(-1), nil
	}
	p, err := r.next(int(c))
	if err != nil {
		return 0, err
	}
	return parseScore(p)
}

func parseScore(p []byte) (float64, error) {
	f, err := strconv.ParseFloat(string(p), 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return f, nil
		}
		return 0, fmt.Errorf("invalid score %q", p)
	}
	return f, nil
}

func (r *Reader) readBinaryDouble() (float64, error) {
	p, err := r.next(8)
	if err != nil {
		return 0, err
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(p)), nil
}

func (r *Reader) emit() error { return r.fn(&r.ev) }

// ReadHeader reads and checks "REDIS" + version.
func (r *Reader) ReadHeader() error {
	p, err := r.next(9)
	if err != nil {
		return r.fail(err)
	}
	if string(p[:5]) != "REDIS" {
		return r.fail(errors.New("wrong signature trying to load DB from file"))
	}
	v, err := strconv.Atoi(string(p[5:9]))
	if err != nil || v < 1 {
		return r.fail(fmt.Errorf("invalid RDB version %q", p[5:9]))
	}
	if v > MaxVersion {
		return r.fail(fmt.Errorf("Can't handle RDB format version %d", v))
	}
	r.version = v
	return nil
}

// Parse reads the whole file and calls fn for every event. It checks the
// CRC64 trailer (RDB >= 5; eight zero bytes mean "not computed").
func (r *Reader) Parse(fn func(*Event) error) error {
	r.fn = fn
	if err := r.ReadHeader(); err != nil {
		return err
	}
	db := 0
	expire := int64(0)
	idle, freq := int64(-1), -1
	for {
		t, err := r.byte1()
		if err != nil {
			return r.fail(err)
		}
		switch t {
		case opEOF:
			if r.version >= 5 {
				want := r.crc
				p, err := r.next(8)
				if err != nil {
					return r.fail(err)
				}
				got := binary.LittleEndian.Uint64(p)
				if got != 0 && got != want {
					return r.fail(fmt.Errorf("%w: file says %016x, content is %016x", ErrChecksum, got, want))
				}
			}
			return nil
		case opSelectDB:
			n, err := r.length()
			if err != nil {
				return r.fail(err)
			}
			if n > 1<<16 {
				return r.fail(fmt.Errorf("database number %d out of range", n))
			}
			db = int(n)
			r.ev = Event{Type: EvSelectDB, DB: db}
			if err := r.emit(); err != nil {
				return err
			}
			continue
		case opResizeDB:
			a, err := r.length()
			if err != nil {
				return r.fail(err)
			}
			b, err := r.length()
			if err != nil {
				return r.fail(err)
			}
			r.ev = Event{Type: EvResizeDB, DB: db, Size: a, Expires: b}
			if err := r.emit(); err != nil {
				return err
			}
			continue
		case opSlotInfo:
			var v [3]uint64
			for i := range v {
				if v[i], err = r.length(); err != nil {
					return r.fail(err)
				}
			}
			r.ev = Event{Type: EvSlotInfo, Slot: v[0], Size: v[1], Expires: v[2]}
			if err := r.emit(); err != nil {
				return err
			}
			continue
		case opAux:
			k, err := r.readString()
			if err != nil {
				return r.fail(err)
			}
			v, err := r.readString()
			if err != nil {
				return r.fail(err)
			}
			r.ev = Event{Type: EvAux, Field: k, Value: v}
			if err := r.emit(); err != nil {
				return err
			}
			continue
		case opFunction2:
			code, err := r.readString()
			if err != nil {
				return r.fail(err)
			}
			r.ev = Event{Type: EvFunction, Value: code}
			if err := r.emit(); err != nil {
				return err
			}
			continue
		case opFunctionPreGA:
			return r.fail(errors.New("pre-release function format (Redis 7.0 RC) is not supported"))
		case opModuleAux:
			id, err := r.length()
			if err != nil {
				return r.fail(err)
			}
			return r.fail(fmt.Errorf("The RDB file contains AUX module data I can't load: no matching module '%s'", ModuleName(id)))
		case opExpireTimeMs:
			if expire, err = r.readMillis(); err != nil {
				return r.fail(err)
			}
			continue
		case opExpireTime:
			p, err := r.next(4)
			if err != nil {
				return r.fail(err)
			}
			expire = int64(int32(binary.LittleEndian.Uint32(p))) * 1000
			continue
		case opIdle:
			n, err := r.length()
			if err != nil {
				return r.fail(err)
			}
			idle = int64(n)
			continue
		case opFreq:
			c, err := r.byte1()
			if err != nil {
				return r.fail(err)
			}
			freq = int(c)
			continue
		}
		kind, ok := KindOf(t)
		if !ok {
			return r.fail(fmt.Errorf("unknown RDB value type %d", t))
		}
		key, err := r.readString()
		if err != nil {
			return r.fail(err)
		}
		r.ev = Event{Type: EvKey, DB: db, Key: key, Kind: kind, RDBType: t, ExpireAt: expire, Idle: idle, Freq: freq}
		if err := r.emit(); err != nil {
			return err
		}
		if err := r.readValue(t, db, key); err != nil {
			return r.fail(err)
		}
		r.ev = Event{Type: EvKeyEnd, DB: db, Key: key, Kind: kind, RDBType: t, ExpireAt: expire}
		if err := r.emit(); err != nil {
			return err
		}
		expire, idle, freq = 0, -1, -1
	}
}

// ModuleName decodes a module type id into its 9-character name.
func ModuleName(id uint64) string {
	const cset = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	var name [9]byte
	id >>= 10
	for j := 8; j >= 0; j-- {
		name[j] = cset[id&63]
		id >>= 6
	}
	return string(name[:])
}

type userErr struct{ error }

// call wraps a callback error so fail() does not add an offset to it.
func (r *Reader) call() error {
	if err := r.fn(&r.ev); err != nil {
		return userErr{err}
	}
	return nil
}

func (r *Reader) elem(t EventType, v []byte) error {
	r.ev.Type, r.ev.Value = t, v
	return r.call()
}

func (r *Reader) hashField(f, v []byte, exp int64) error {
	r.ev.Type, r.ev.Field, r.ev.Value, r.ev.FieldExpireAt = EvHashField, f, v, exp
	return r.call()
}

func (r *Reader) zmember(m []byte, s float64) error {
	if math.IsNaN(s) {
		return errors.New("zset score is NaN")
	}
	r.ev.Type, r.ev.Value, r.ev.Score = EvZMember, m, s
	return r.call()
}

// pairs calls fn with consecutive pairs from a blob walker; the first of a
// pair is copied because walkers reuse their integer scratch buffer.
func pairs(walk func(func([]byte) error) error, fn func(a, b []byte) error) error {
	var first []byte
	have := false
	err := walk(func(e []byte) error {
		if !have {
			first = append(first[:0], e...)
			have = true
			return nil
		}
		have = false
		return fn(first, e)
	})
	if err == nil && have {
		return errCorrupt
	}
	return err
}

func lp(b []byte) func(func([]byte) error) error {
	return func(fn func([]byte) error) error { return listpackEach(b, fn) }
}
func zl(b []byte) func(func([]byte) error) error {
	return func(fn func([]byte) error) error { return ziplistEach(b, fn) }
}

// readValue reads one value of on-disk type t and emits its elements.
func (r *Reader) readValue(t byte, db int, key []byte) error {
	r.ev = Event{DB: db, Key: key, RDBType: t}
	r.ev.Kind, _ = KindOf(t)
	switch t {
	case TypeString:
		v, err := r.readString()
		if err != nil {
			return err
		}
		return r.elem(EvString, v)
	case TypeList, TypeSet:
		n, err := r.length()
		if err != nil {
			return err
		}
		et := EvListElem
		if t == TypeSet {
			et = EvSetMember
		}
		for ; n > 0; n-- {
			v, err := r.readString()
			if err != nil {
				return err
			}
			if err := r.elem(et, v); err != nil {
				return err
			}
		}
		return nil
	case TypeZSet, TypeZSet2:
		n, err := r.length()
		if err != nil {
			return err
		}
		for ; n > 0; n-- {
			m, err := r.readString()
			if err != nil {
				return err
			}
			var s float64
			if t == TypeZSet {
				s, err = r.readDouble()
			} else {
				s, err = r.readBinaryDouble()
			}
			if err != nil {
				return err
			}
			if err := r.zmember(m, s); err != nil {
				return err
			}
		}
		return nil
	case TypeHash:
		n, err := r.length()
		if err != nil {
			return err
		}
		for ; n > 0; n-- {
			f, err := r.readString()
			if err != nil {
				return err
			}
			v, err := r.readString()
			if err != nil {
				return err
			}
			if err := r.hashField(f, v, 0); err != nil {
				return err
			}
		}
		return nil
	case TypeHashMetadata, TypeHashMetadataPreGA:
		var minExp int64
		if t == TypeHashMetadata {
			var err error
			if minExp, err = r.readMillis(); err != nil {
				return err
			}
		}
		n, err := r.length()
		if err != nil {
			return err
		}
		for ; n > 0; n-- {
			ttl, err := r.length()
			if err != nil {
				return err
			}
			exp := int64(ttl)
			if t == TypeHashMetadata && ttl != 0 {
				exp = int64(ttl) + minExp - 1
			}
			f, err := r.readString()
			if err != nil {
				return err
			}
			v, err := r.readString()
			if err != nil {
				return err
			}
			if err := r.hashField(f, v, exp); err != nil {
				return err
			}
		}
		return nil
	case TypeHashListpackEx, TypeHashListpackExPre:
		if t == TypeHashListpackEx {
			if _, err := r.readMillis(); err != nil {
				return err
			}
		}
		b, err := r.readString()
		if err != nil {
			return err
		}
		var f, v []byte
		i := 0
		err = listpackEach(b, func(e []byte) error {
			switch i % 3 {
			case 0:
				f = append(f[:0], e...)
			case 1:
				v = append(v[:0], e...)
			default:
				exp, perr := strconv.ParseInt(string(e), 10, 64)
				if perr != nil || exp < 0 {
					return errCorrupt
				}
				if err := r.hashField(f, v, exp); err != nil {
					return err
				}
			}
			i++
			return nil
		})
		if err == nil && i%3 != 0 {
			err = errCorrupt
		}
		return err
	case TypeHashZipmap, TypeHashZiplist, TypeHashListpack:
		b, err := r.readString()
		if err != nil {
			return err
		}
		walk := lp(b)
		if t == TypeHashZiplist {
			walk = zl(b)
		} else if t == TypeHashZipmap {
			walk = func(fn func([]byte) error) error { return zipmapEach(b, fn) }
		}
		return pairs(walk, func(f, v []byte) error { return r.hashField(f, v, 0) })
	case TypeZSetZiplist, TypeZSetListpack:
		b, err := r.readString()
		if err != nil {
			return err
		}
		walk := lp(b)
		if t == TypeZSetZiplist {
			walk = zl(b)
		}
		return pairs(walk, func(m, sc []byte) error {
			s, err := parseScore(sc)
			if err != nil {
				return err
			}
			return r.zmember(m, s)
		})
	case TypeListZiplist:
		b, err := r.readString()
		if err != nil {
			return err
		}
		return ziplistEach(b, func(e []byte) error { return r.elem(EvListElem, e) })
	case TypeSetIntset, TypeSetListpack:
		b, err := r.readString()
		if err != nil {
			return err
		}
		if t == TypeSetIntset {
			return intsetEach(b, func(e []byte) error { return r.elem(EvSetMember, e) })
		}
		return listpackEach(b, func(e []byte) error { return r.elem(EvSetMember, e) })
	case TypeListQuicklist, TypeListQuicklist2:
		n, err := r.length()
		if err != nil {
			return err
		}
		for ; n > 0; n-- {
			container := uint64(2)
			if t == TypeListQuicklist2 {
				if container, err = r.length(); err != nil {
					return err
				}
			}
			b, err := r.readString()
			if err != nil {
				return err
			}
			switch {
			case container == 1: // PLAIN node: one element
				err = r.elem(EvListElem, b)
			case t == TypeListQuicklist:
				err = ziplistEach(b, func(e []byte) error { return r.elem(EvListElem, e) })
			case container == 2:
				err = listpackEach(b, func(e []byte) error { return r.elem(EvListElem, e) })
			default:
				err = fmt.Errorf("unknown quicklist container %d", container)
			}
			if err != nil {
				return err
			}
		}
		return nil
	case TypeStreamListpacks, TypeStreamListpacks2, TypeStreamListpacks3:
		return r.readStream(t)
	case TypeModulePreGA, TypeModule2:
		id, err := r.length()
		if err != nil {
			return err
		}
		return fmt.Errorf("The RDB file contains module data I can't load: no matching module type '%s'", ModuleName(id))
	}
	return fmt.Errorf("unknown RDB value type %d", t)
}

func (r *Reader) readStreamID() (StreamID, error) {
	a, err := r.length()
	if err != nil {
		return StreamID{}, err
	}
	b, err := r.length()
	return StreamID{a, b}, err
}

func (r *Reader) readRawID() (StreamID, error) {
	p, err := r.next(16)
	if err != nil {
		return StreamID{}, err
	}
	return StreamID{binary.BigEndian.Uint64(p), binary.BigEndian.Uint64(p[8:])}, nil
}

func (r *Reader) readStream(t byte) error {
	nodes, err := r.length()
	if err != nil {
		return err
	}
	for ; nodes > 0; nodes-- {
		nk, err := r.readString()
		if err != nil {
			return err
		}
		if len(nk) != 16 {
			return errors.New("stream node key entry is not the size of a stream ID")
		}
		master := StreamID{binary.BigEndian.Uint64(nk), binary.BigEndian.Uint64(nk[8:])}
		b, err := r.readString()
		if err != nil {
			return err
		}
		if err := r.streamNode(master, b); err != nil {
			return err
		}
	}
	var m StreamMeta
	if m.Length, err = r.length(); err != nil {
		return err
	}
	if m.LastID, err = r.readStreamID(); err != nil {
		return err
	}
	v2 := t >= TypeStreamListpacks2
	if v2 {
		m.HasV2 = true
		if m.FirstID, err = r.readStreamID(); err != nil {
			return err
		}
		if m.MaxDeletedID, err = r.readStreamID(); err != nil {
			return err
		}
		if m.EntriesAdded, err = r.length(); err != nil {
			return err
		}
	}
	r.ev.Type, r.ev.Stream = EvStreamMeta, &m
	if err := r.call(); err != nil {
		return err
	}
	ngroups, err := r.length()
	if err != nil {
		return err
	}
	for ; ngroups > 0; ngroups-- {
		g := StreamGroup{EntriesRead: -1}
		if g.Name, err = r.readString(); err != nil {
			return err
		}
		if g.LastID, err = r.readStreamID(); err != nil {
			return err
		}
		if v2 {
			er, err := r.length()
			if err != nil {
				return err
			}
			g.EntriesRead = int64(er) // (uint64)-1 reads as -1: unknown
		}
		npel, err := r.length()
		if err != nil {
			return err
		}
		byID := map[StreamID]int{}
		for ; npel > 0; npel-- {
			var pe PendingEntry
			if pe.ID, err = r.readRawID(); err != nil {
				return err
			}
			if pe.DeliveryTime, err = r.readMillis(); err != nil {
				return err
			}
			if pe.DeliveryCount, err = r.length(); err != nil {
				return err
			}
			byID[pe.ID] = len(g.PEL)
			g.PEL = append(g.PEL, pe)
		}
		ncons, err := r.length()
		if err != nil {
			return err
		}
		var cons []StreamConsumer
		for ; ncons > 0; ncons-- {
			c := StreamConsumer{Group: g.Name, ActiveTime: -1}
			if c.Name, err = r.readString(); err != nil {
				return err
			}
			if c.SeenTime, err = r.readMillis(); err != nil {
				return err
			}
			if t >= TypeStreamListpacks3 {
				if c.ActiveTime, err = r.readMillis(); err != nil {
					return err
				}
			}
			np, err := r.length()
			if err != nil {
				return err
			}
			for ; np > 0; np-- {
				id, err := r.readRawID()
				if err != nil {
					return err
				}
				i, ok := byID[id]
				if !ok {
					return errors.New("consumer pending entry not found in the group's PEL")
				}
				g.PEL[i].Consumer = c.Name
				c.Pending = append(c.Pending, id)
			}
			cons = append(cons, c)
		}
		r.ev.Type, r.ev.Group = EvStreamGroup, &g
		if err := r.call(); err != nil {
			return err
		}
		for i := range cons {
			r.ev.Type, r.ev.Consumer = EvStreamConsumer, &cons[i]
			if err := r.call(); err != nil {
				return err
			}
		}
	}
	return nil
}

// streamNode decodes one stream listpack (master entry + entries).
func (r *Reader) streamNode(master StreamID, b []byte) error {
	var elems [][]byte
	// A node is bounded (stream-node-max-bytes), so it is decoded whole.
	if err := listpackEach(b, func(e []byte) error {
		elems = append(elems, append([]byte(nil), e...))
		return nil
	}); err != nil {
		return err
	}
	i := 0
	num := func() (int64, error) {
		if i >= len(elems) {
			return 0, errCorrupt
		}
		v, err := strconv.ParseInt(string(elems[i]), 10, 64)
		i++
		return v, err
	}
	count, err := num()
	if err != nil {
		return errCorrupt
	}
	deleted, err := num()
	if err != nil {
		return errCorrupt
	}
	nmf, err := num()
	if err != nil || nmf < 0 || int(nmf) > len(elems) {
		return errCorrupt
	}
	if i+int(nmf) > len(elems) {
		return errCorrupt
	}
	mfields := elems[i : i+int(nmf)]
	i += int(nmf)
	if _, err := num(); err != nil { // master terminator
		return errCorrupt
	}
	for n := count + deleted; n > 0; n-- {
		flags, err := num()
		if err != nil {
			return errCorrupt
		}
		msd, err := num()
		if err != nil {
			return errCorrupt
		}
		sqd, err := num()
		if err != nil {
			return errCorrupt
		}
		id := StreamID{master.Ms + uint64(msd), master.Seq + uint64(sqd)}
		var fields [][]byte
		if flags&2 != 0 { // same fields as the master entry
			if i+len(mfields) > len(elems) {
				return errCorrupt
			}
			for k, f := range mfields {
				fields = append(fields, f, elems[i+k])
			}
			i += len(mfields)
		} else {
			nf, err := num()
			if err != nil || nf < 0 || i+2*int(nf) > len(elems) {
				return errCorrupt
			}
			fields = elems[i : i+2*int(nf)]
			i += 2 * int(nf)
		}
		if _, err := num(); err != nil { // lp-count
			return errCorrupt
		}
		if flags&1 != 0 {
			continue
		}
		r.ev.Type, r.ev.ID, r.ev.Fields = EvStreamEntry, id, fields
		if err := r.call(); err != nil {
			return err
		}
	}
	if i != len(elems) {
		return errCorrupt
	}
	return nil
}
