package commands

import (
	"errors"

	"github.com/shaledb/shale/encoding"
	"github.com/shaledb/shale/engine"
)

// Bitmap commands: bit operations on strings (engine/bitmap.go stores big
// bitmaps as fragments; these handlers parse and reply as Redis 7.0).

func init() {
	const (
		wSlow = CatWrite | CatBitmap | CatSlow
		rSlow = CatRead | CatBitmap | CatSlow
		rFast = CatRead | CatBitmap | CatFast
	)
	Register(
		&Command{Name: "setbit", Arity: 4, Flags: Write | DenyOOM, FirstKey: 1, LastKey: 1, Step: 1, Categories: wSlow, Handler: setbitCmd, Group: "bitmap", Summary: "Sets or clears the bit at offset in the string value stored at key", Since: "2.2.0", Complexity: "O(1)",
			KeySpecs: []KeySpec{RangeSpec("RW access update", 1, 0, 1)}},
		&Command{Name: "getbit", Arity: 3, Flags: Readonly | Fast, FirstKey: 1, LastKey: 1, Step: 1, Categories: rFast, Handler: getbitCmd, Group: "bitmap", Summary: "Returns the bit value at offset in the string value stored at key", Since: "2.2.0", Complexity: "O(1)",
			KeySpecs: []KeySpec{RangeSpec("RO access", 1, 0, 1)}},
		&Command{Name: "bitcount", Arity: -2, Flags: Readonly, FirstKey: 1, LastKey: 1, Step: 1, Categories: rSlow, Handler: bitcountCmd, Group: "bitmap", Summary: "Count set bits in a string", Since: "2.6.0", Complexity: "O(N)",
			KeySpecs: []KeySpec{RangeSpec("RO access", 1, 0, 1)}},
		&Command{Name: "bitpos", Arity: -3, Flags: Readonly, FirstKey: 1, LastKey: 1, Step: 1, Categories: rSlow, Handler: bitposCmd, Group: "bitmap", Summary: "Find first bit set or clear in a string", Since: "2.8.7", Complexity: "O(N)",
			KeySpecs: []KeySpec{RangeSpec("RO access", 1, 0, 1)}},
		&Command{Name: "bitop", Arity: -4, Flags: Write | DenyOOM, FirstKey: 2, LastKey: -1, Step: 1, Categories: wSlow, Handler: bitopCmd, Group: "bitmap", Summary: "Perform bitwise operations between strings", Since: "2.6.0", Complexity: "O(N)",
			KeySpecs: []KeySpec{RangeSpec("OW update", 2, 0, 1), RangeSpec("RO access", 3, -1, 1)}},
		&Command{Name: "bitfield", Arity: -2, Flags: Write | DenyOOM, FirstKey: 1, LastKey: 1, Step: 1, Categories: wSlow, Handler: bitfieldCmd, Group: "bitmap", Summary: "Perform arbitrary bitfield integer operations on strings", Since: "3.2.0", Complexity: "O(1) for each subcommand specified",
			KeySpecs: []KeySpec{{Notes: "This command allows both access and modification of the key", Flags: []string{"RW", "access", "update", "variable_flags"}, Index: 1, Find: FindRange, KeyStep: 1}}},
		&Command{Name: "bitfield_ro", Arity: -2, Flags: Readonly | Fast, FirstKey: 1, LastKey: 1, Step: 1, Categories: rFast, Handler: bitfieldRoCmd, Group: "bitmap", Summary: "Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD", Since: "6.0.0", Complexity: "O(1) for each subcommand specified",
			KeySpecs: []KeySpec{RangeSpec("RO access", 1, 0, 1)}},
	)
}

// cstr cuts an argument at its first NUL byte: Redis compares these
// keywords with strcasecmp and parses bitfield widths with strlen, so
// "bit\x00x" is BIT there.
func cstr(b []byte) []byte {
	for i, c := range b {
		if c == 0 {
			return b[:i]
		}
	}
	return b
}

const (
	errBitOffset    = "ERR bit offset is not an integer or out of range"
	errBitValue     = "ERR bit is not an integer or out of range"
	errBitfieldType = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."
)

// bitOffsetArg is Redis's getBitOffsetFromArgument: with hash set, "#n"
// means n*bits. The offset must address a byte below proto-max-bulk-len.
func bitOffsetArg(c *Ctx, a []byte, hash bool, bits int) (uint64, bool) {
	usehash := hash && bits > 0 && len(a) > 0 && a[0] == '#'
	if usehash {
		a = a[1:]
	}
	v, ok := ParseInt(a)
	if usehash {
		v *= int64(bits) // wraps like Redis's long long multiply
	}
	if !ok || v < 0 || v>>3 >= c.Srv.Config.Int("proto-max-bulk-len") {
		c.R.Error(errBitOffset)
		return 0, false
	}
	return uint64(v), true
}

// bitmapLookup opens key for a read command, counting the lookup; a
// wrong-typed key or a storage error is replied.
func bitmapLookup(c *Ctx, key []byte) (*engine.Bitmap, bool) {
	b, err := c.Tx.OpenBitmap(key)
	if err == nil || errors.Is(err, engine.ErrWrongType) {
		countKeyspaceLookup(c, err != nil || b.Exists())
	}
	if err != nil {
		c.Err(err)
		return nil, false
	}
	return b, true
}

func setbitCmd(c *Ctx) {
	off, ok := bitOffsetArg(c, c.Args[2], false, 0)
	if !ok {
		return
	}
	on, ok := ParseInt(c.Args[3])
	if !ok || on&^1 != 0 {
		c.R.Error(errBitValue)
		return
	}
	b, err := c.Tx.OpenBitmap(c.Args[1])
	if err != nil {
		c.Err(err)
		return
	}
	// As in Redis 7.0, a bit that already holds the value in a string
	// that need not grow is no write and no event.
	dirty := !b.Exists() || int64(off>>3) >= b.Len()
	old, err := b.GetBit(off)
	if err == nil && (dirty || old != int(on)) {
		if _, err = b.SetBit(off, int(on)); err == nil {
			err = b.Flush()
		}
		if err == nil {
			Notify(c, NotifyString, "setbit", c.Args[1])
		}
	}
	if err != nil {
		c.Err(err)
		return
	}
	c.R.Int(int64(old))
}

func getbitCmd(c *Ctx) {
	off, ok := bitOffsetArg(c, c.Args[2], false, 0)
	if !ok {
		return
	}
	b, ok := bitmapLookup(c, c.Args[1])
	if !ok {
		return
	}
	v, err := b.GetBit(off)
	if err != nil {
		c.Err(err)
		return
	}
	c.R.Int(int64(v))
}

// bitRange converts BITCOUNT/BITPOS start/end (bytes or bits, negative from
// the end) into a byte range with edge masks, as Redis does.
func bitRange(start, end, strlen int64, isBit bool) (int64, int64, byte, byte) {
	totlen := strlen
	if isBit {
		totlen <<= 3
	}
	if start < 0 {
		start += totlen
	}
	if end < 0 {
		end += totlen
	}
	start, end = max(start, 0), max(end, 0)
	if end >= totlen {
		end = totlen - 1
	}
	var first, last byte
	if isBit && start <= end {
		first = ^byte((1 << (8 - start&7)) - 1)
		last = byte((1 << (7 - end&7)) - 1)
		start >>= 3
		end >>= 3
	}
	return start, end, first, last
}

func bitcountCmd(c *Ctx) {
	b, ok := bitmapLookup(c, c.Args[1])
	if !ok {
		return
	}
	if !b.Exists() {
		c.R.Int(0)
		return
	}
	var start, end int64
	var first, last byte
	switch len(c.Args) {
	case 4, 5:
		if start, ok = c.ParseIntArg(c.Args[2]); !ok {
			return
		}
		if end, ok = c.ParseIntArg(c.Args[3]); !ok {
			return
		}
		if start < 0 && end < 0 && start > end {
			c.R.Int(0)
			return
		}
		isBit := false
		if len(c.Args) == 5 {
			switch {
			case EqualFold(cstr(c.Args[4]), "bit"):
				isBit = true
			case EqualFold(cstr(c.Args[4]), "byte"):
			default:
				c.R.Error(ErrSyntax)
				return
			}
		}
		start, end, first, last = bitRange(start, end, b.Len(), isBit)
	case 2:
		start, end = 0, b.Len()-1
	default:
		c.R.Error(ErrSyntax)
		return
	}
	if start > end {
		c.R.Int(0)
		return
	}
	n, err := b.PopCount(start, end, first, last)
	if err != nil {
		c.Err(err)
		return
	}
	c.R.Int(n)
}

func bitposCmd(c *Ctx) {
	bit, ok := ParseInt(c.Args[2])
	if !ok {
		c.R.Error(ErrNotInteger)
		return
	}
	if bit != 0 && bit != 1 {
		c.R.Error("ERR The bit argument must be 1 or 0.")
		return
	}
	b, ok := bitmapLookup(c, c.Args[1])
	if !ok {
		return
	}
	if !b.Exists() {
		if bit == 1 {
			c.R.Int(-1)
		} else {
			c.R.Int(0)
		}
		return
	}
	strlen := b.Len()
	var start, end int64
	var first, last byte
	endGiven := false
	switch n := len(c.Args); n {
	case 4, 5, 6:
		if start, ok = c.ParseIntArg(c.Args[3]); !ok {
			return
		}
		isBit := false
		if n == 6 {
			switch {
			case EqualFold(cstr(c.Args[5]), "bit"):
				isBit = true
			case EqualFold(cstr(c.Args[5]), "byte"):
			default:
				c.R.Error(ErrSyntax)
				return
			}
		}
		if n >= 5 {
			if end, ok = c.ParseIntArg(c.Args[4]); !ok {
				return
			}
			endGiven = true
		} else if isBit {
			end = strlen<<3 + 7
		} else {
			end = strlen - 1
		}
		start, end, first, last = bitRange(start, end, strlen, isBit)
	case 3:
		start, end = 0, strlen-1
	default:
		c.R.Error(ErrSyntax)
		return
	}
	if start > end {
		c.R.Int(-1)
		return
	}
	pos, rstart, bytes, err := bitposScan(b, int(bit), start, end, first, last)
	if err != nil {
		c.Err(err)
		return
	}
	// With an explicit end, the bits right of the range are not zero
	// padding: not finding a 0 inside the range is -1.
	if endGiven && bit == 0 && pos == bytes<<3 {
		c.R.Int(-1)
		return
	}
	if pos != -1 {
		pos += rstart << 3
	}
	c.R.Int(pos)
}

// bitposScan is the search part of Redis's bitposCommand over bytes
// [start, end] with edge masks. It returns the position found relative to
// the returned start (-1: no 1 found; bytes<<3: no 0 found) and the byte
// count it is relative to.
func bitposScan(b *engine.Bitmap, bit int, start, end int64, first, last byte) (pos, rstart, bytes int64, err error) {
	bytes = end - start + 1
	mask := func(c, m byte) byte {
		if bit == 1 {
			return c &^ m
		}
		return c | m
	}
	if first != 0 {
		c, err := b.Byte(start)
		if err != nil {
			return 0, 0, 0, err
		}
		t := mask(c, first)
		if last != 0 && bytes == 1 {
			t = mask(t, last)
		}
		pos = engine.FirstBitInByte(t, bit)
		if bytes == 1 || (pos != -1 && pos != 8) {
			return pos, start, bytes, nil
		}
		start++
		bytes--
	}
	cur := bytes
	if last != 0 {
		cur--
	}
	if cur > 0 {
		if pos, err = b.FirstBit(start, cur, bit); err != nil {
			return 0, 0, 0, err
		}
		if bytes == cur || (pos != -1 && pos != cur<<3) {
			return pos, start, bytes, nil
		}
		start += cur
		bytes -= cur
	}
	c, err := b.Byte(end)
	if err != nil {
		return 0, 0, 0, err
	}
	return engine.FirstBitInByte(mask(c, last), bit), start, bytes, nil
}

func bitopCmd(c *Ctx) {
	var op int
	switch name := cstr(c.Args[1]); {
	case EqualFold(name, "and"):
		op = engine.BitAnd
	case EqualFold(name, "or"):
		op = engine.BitOr
	case EqualFold(name, "xor"):
		op = engine.BitXor
	case EqualFold(name, "not"):
		op = engine.BitNot
	default:
		c.R.Error(ErrSyntax)
		return
	}
	if op == engine.BitNot && len(c.Args) != 4 {
		c.R.Error("ERR BITOP NOT must be called with a single source key.")
		return
	}
	dst := c.Args[2]
	for _, k := range c.Args[3:] { // Redis reads the sources with lookupKeyRead
		m, ok, err := c.Tx.Lookup(k)
		if err != nil {
			break
		}
		countKeyspaceLookup(c, ok)
		if ok && m.Type != encoding.TypeString {
			break
		}
	}
	existed, err := c.Tx.Exists(dst)
	if err != nil {
		c.Err(err)
		return
	}
	n, err := c.Tx.BitOp(op, dst, c.Args[3:])
	if err != nil {
		c.Err(err)
		return
	}
	if n > 0 {
		Notify(c, NotifyString, "set", dst)
	} else if existed {
		Notify(c, NotifyGeneric, "del", dst)
	}
	c.R.Int(n)
}

type bitfieldOp struct {
	op     int // 0 get, 1 set, 2 incrby
	offset uint64
	value  int64
	bits   int
	signed bool
	ow     int
}

func bitfieldCmd(c *Ctx)   { bitfieldGeneric(c, false) }
func bitfieldRoCmd(c *Ctx) { bitfieldGeneric(c, true) }

// bitfieldType parses "i<n>" (1..64) or "u<n>" (1..63).
func bitfieldType(c *Ctx, a []byte) (bool, int, bool) {
	if len(a) == 0 || (a[0] != 'i' && a[0] != 'u') {
		c.R.Error(errBitfieldType)
		return false, 0, false
	}
	signed := a[0] == 'i'
	n, ok := ParseInt(cstr(a[1:]))
	if !ok || n < 1 || (signed && n > 64) || (!signed && n > 63) {
		c.R.Error(errBitfieldType)
		return false, 0, false
	}
	return signed, int(n), true
}

func bitfieldGeneric(c *Ctx, ro bool) {
	var ops []bitfieldOp
	ow := engine.OverflowWrap
	readonly := true
	var highest uint64 // last bit written
	args := c.Args
	for j := 2; j < len(args); j++ {
		rem := len(args) - j - 1
		sub := cstr(args[j])
		var op int
		switch {
		case EqualFold(sub, "get") && rem >= 2:
			op = 0
		case EqualFold(sub, "set") && rem >= 3:
			op = 1
		case EqualFold(sub, "incrby") && rem >= 3:
			op = 2
		case EqualFold(sub, "overflow") && rem >= 1:
			j++
			switch t := cstr(args[j]); {
			case EqualFold(t, "wrap"):
				ow = engine.OverflowWrap
			case EqualFold(t, "sat"):
				ow = engine.OverflowSat
			case EqualFold(t, "fail"):
				ow = engine.OverflowFail
			default:
				c.R.Error("ERR Invalid OVERFLOW type specified")
				return
			}
			continue
		default:
			c.R.Error(ErrSyntax)
			return
		}
		signed, nbits, ok := bitfieldType(c, args[j+1])
		if !ok {
			return
		}
		off, ok := bitOffsetArg(c, args[j+2], true, nbits)
		if !ok {
			return
		}
		var v int64
		if op != 0 {
			readonly = false
			highest = max(highest, off+uint64(nbits)-1)
			if v, ok = c.ParseIntArg(args[j+3]); !ok {
				return
			}
		}
		ops = append(ops, bitfieldOp{op: op, offset: off, value: v, bits: nbits, signed: signed, ow: ow})
		if op == 0 {
			j += 2
		} else {
			j += 3
		}
	}
	key := args[1]
	var b *engine.Bitmap
	dirty := false // the key is created or grown
	if readonly {
		var ok bool
		if b, ok = bitmapLookup(c, key); !ok {
			return
		}
	} else {
		if ro {
			c.R.Error("ERR BITFIELD_RO only supports the GET subcommand")
			return
		}
		var err error
		if b, err = c.Tx.OpenBitmap(key); err != nil {
			c.Err(err)
			return
		}
		// The key is created or zero padded up to the last bit written
		// before any operation runs, as in Redis (even if all FAIL).
		dirty = !b.Exists() || int64(highest>>3) >= b.Len()
		if err = b.EnsureLen(int64(highest>>3) + 1); err != nil {
			c.Err(err)
			return
		}
	}
	mark := len(c.R.Buf)
	c.R.Array(len(ops))
	changes := 0
	for _, o := range ops {
		if o.op == 0 {
			v, err := b.FieldGet(o.offset, o.bits, o.signed)
			if err != nil {
				c.replyErrAt(mark, err)
				return
			}
			c.R.Int(v)
			continue
		}
		v, ok, changed, err := b.FieldSetOrIncr(o.offset, o.bits, o.signed, o.op == 2, o.value, o.ow)
		if err != nil {
			c.replyErrAt(mark, err)
			return
		}
		if ok {
			c.R.Int(v)
		} else {
			c.R.Null()
		}
		// Redis 7.0 counts a write as a change only if the key was
		// created or grown, or the field's value changed.
		if ok && (dirty || changed) {
			changes++
		}
	}
	if !readonly && (dirty || changes > 0) {
		if err := b.Flush(); err != nil {
			c.replyErrAt(mark, err)
			return
		}
	}
	if changes > 0 {
		Notify(c, NotifyString, "setbit", key)
	}
}
