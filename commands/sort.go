package commands

import (
	"bytes"
	"math"
	"sort"
	"strconv"

	"github.com/shaledb/shale/encoding"
	"github.com/shaledb/shale/engine"
)

// SORT and SORT_RO, as Redis 7.0's sort.c: the elements of a list, set or
// sorted set, ordered numerically or (ALPHA) by bytes, by themselves or by
// the values of keys named after them (BY pattern), projected through GET
// patterns, sliced by LIMIT, and returned or (SORT ... STORE) stored as a
// list.
//
// Locking: the BY and GET patterns name keys that are only known once the
// elements are read, so a call with a pattern that names keys (one holding
// '*', other than GET #) runs under the world lock (LockFor); any other
// call locks the sorted key and the STORE destination exclusively (SORT_RO
// included: it converts a sorted set's encoding, as Redis does). Inside
// MULTI/EXEC and scripts the world lock is already held.

func init() {
	cats := CatSet | CatSortedSet | CatList | CatSlow | CatDangerous
	const complexity = "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N)."
	Register(
		&Command{Name: "sort", Arity: -2, Flags: Write | DenyOOM, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: CatWrite | cats, Handler: sortCmd, Keys: sortKeys, KeyFlags: sortKeyFlags, LockFor: sortLockFor(false),
			Group: "generic", Summary: "Sort the elements in a list, set or sorted set", Since: "1.0.0", Complexity: complexity},
		&Command{Name: "sort_ro", Arity: -2, Flags: Readonly, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: CatRead | cats, Handler: sortRoCmd, Keys: sortRoKeys, LockFor: sortLockFor(true),
			Group: "generic", Summary: "Sort the elements in a list, set or sorted set. Read-only variant of SORT.", Since: "7.0.0", Complexity: complexity},
	)
}

// sortKeys is Redis's sortGetKeys: the sorted key, then the argument after
// the last STORE (skipping the arguments of LIMIT, GET and BY), for
// COMMAND GETKEYS and locking.
func sortKeys(args [][]byte) [][]byte {
	if len(args) < 2 {
		return nil
	}
	keys := [][]byte{args[1]}
	var store []byte
	for i := 2; i < len(args); i++ {
		switch {
		case EqualFold(args[i], "limit"):
			i += 2
		case EqualFold(args[i], "get"), EqualFold(args[i], "by"):
			i++
		case EqualFold(args[i], "store") && i+1 < len(args):
			store = args[i+1]
		}
	}
	if store != nil {
		keys = append(keys, store)
	}
	return keys
}

// sortKeyFlags gives the flags sortGetKeys gives: the sorted key is read,
// the STORE destination overwritten.
func sortKeyFlags(_ [][]byte, pos int) []string {
	if pos == 1 {
		return []string{"RO", "access"}
	}
	return []string{"OW", "update"}
}

// sortRoKeys: SORT_RO's only declared key is the sorted one.
func sortRoKeys(args [][]byte) [][]byte {
	if len(args) < 2 {
		return nil
	}
	return args[1:2]
}

// sortLockFor takes the world lock when the command may read keys named by
// a pattern, or write a STORE destination that the key extraction above
// does not name (its parsing differs from the command's in odd argument
// orders, as in Redis); the declared keys otherwise.
func sortLockFor(ro bool) func(args [][]byte) LockMode {
	return func(args [][]byte) LockMode {
		o, _ := parseSort(args, ro)
		if o == nil {
			return LockAuto // a syntax error: nothing is read
		}
		if o.byPattern() || o.getPatterns() {
			return LockWorld
		}
		if o.store != nil {
			keys := sortKeys(args)
			if len(keys) < 2 || !bytes.Equal(keys[1], o.store) {
				return LockWorld
			}
		}
		// SORT_RO too may write: the skiplist conversion of a sorted set.
		return LockExclusive
	}
}

type sortOpts struct {
	desc, alpha, dontsort bool
	start, count          int64
	by, store             []byte
	gets                  [][]byte
}

// byPattern reports whether BY names keys to look up.
func (o *sortOpts) byPattern() bool { return o.by != nil && !o.dontsort }

// getPatterns reports whether some GET pattern names keys.
func (o *sortOpts) getPatterns() bool {
	for _, g := range o.gets {
		if !patternIsHash(g) && bytes.IndexByte([]byte(CString(g)), '*') >= 0 {
			return true
		}
	}
	return false
}

// parseSort reads SORT's options as sortCommandGeneric does; on error it
// returns the error text.
func parseSort(args [][]byte, ro bool) (*sortOpts, string) {
	o := &sortOpts{count: -1}
	for j := 2; j < len(args); j++ {
		left := len(args) - j - 1
		a := args[j]
		switch {
		case EqualFold(a, "asc"):
			o.desc = false
		case EqualFold(a, "desc"):
			o.desc = true
		case EqualFold(a, "alpha"):
			o.alpha = true
		case EqualFold(a, "limit") && left >= 2:
			var ok bool
			if o.start, ok = ParseInt(args[j+1]); !ok {
				return nil, ErrNotInteger
			}
			if o.count, ok = ParseInt(args[j+2]); !ok {
				return nil, ErrNotInteger
			}
			j += 2
		case !ro && EqualFold(a, "store") && left >= 1:
			o.store = args[j+1]
			j++
		case EqualFold(a, "by") && left >= 1:
			o.by = args[j+1]
			// A pattern without '*' is constant: nothing to sort by. As
			// in Redis, a later BY does not undo it.
			if bytes.IndexByte([]byte(CString(o.by)), '*') < 0 {
				o.dontsort = true
			}
			j++
		case EqualFold(a, "get") && left >= 1:
			o.gets = append(o.gets, args[j+1])
			j++
		default:
			return nil, ErrSyntax
		}
	}
	return o, ""
}

// patternIsHash reports whether a GET pattern is "#" (as C sees it: up to
// a NUL).
func patternIsHash(p []byte) bool { return len(p) > 0 && p[0] == '#' && (len(p) == 1 || p[1] == 0) }

// sortLookup is Redis's lookupKeyByPattern: "#" gives the element itself;
// otherwise the first '*' is replaced by the element and the key read (a
// string), or with "->field" after the '*' the field of a hash. Missing
// keys, fields and keys of another type give nil.
func sortLookup(c *Ctx, pattern, elem []byte) ([]byte, bool) {
	tx := c.Tx
	if patternIsHash(pattern) {
		return elem, true
	}
	cpat := []byte(CString(pattern)) // strchr and strstr stop at a NUL
	p := bytes.IndexByte(cpat, '*')
	if p < 0 {
		return nil, false
	}
	fieldLen := 0
	var field []byte
	if f := bytes.Index(cpat[p+1:], []byte("->")); f >= 0 && p+1+f+2 < len(cpat) {
		f += p + 1
		fieldLen = len(pattern) - f - 2
		field = pattern[f+2:]
	}
	postLen := len(pattern) - (p + 1)
	if field != nil {
		postLen -= fieldLen + 2
	}
	key := make([]byte, 0, p+len(elem)+postLen)
	key = append(key, pattern[:p]...)
	key = append(key, elem...)
	key = append(key, pattern[p+1:p+1+postLen]...)
	m, ok, err := tx.Lookup(key)
	if err != nil {
		return nil, false
	}
	countKeyspaceLookup(c, ok) // lookupKeyRead
	if !ok {
		return nil, false
	}
	if field != nil {
		if m.Type != encoding.TypeHash {
			return nil, false
		}
		v, ok, err := tx.HashGet(key, field)
		if err != nil || !ok {
			return nil, false
		}
		return v, true
	}
	if m.Type != encoding.TypeString {
		return nil, false
	}
	v, ok, err := tx.GetString(key)
	if err != nil || !ok {
		return nil, false
	}
	return v, true
}

type sortItem struct {
	elem  []byte
	score float64
	cmp   []byte // the BY value for ALPHA sorting
	has   bool   // cmp is set (a BY key can be missing)
}

func sortCmd(c *Ctx)   { sortGeneric(c, false) }
func sortRoCmd(c *Ctx) { sortGeneric(c, true) }

func sortGeneric(c *Ctx, ro bool) {
	o, msg := parseSort(c.Args, ro)
	if o == nil {
		c.R.Error(msg)
		return
	}
	key := c.Args[1]
	m, exists, err := c.Tx.Lookup(key)
	if err != nil {
		c.Err(err)
		return
	}
	countKeyspaceLookup(c, exists)
	typ := encoding.TypeList // a missing key sorts as an empty list
	if exists {
		typ = m.Type
		if typ != encoding.TypeList && typ != encoding.TypeSet && typ != encoding.TypeZSet {
			c.R.Error(ErrWrongType)
			return
		}
	}
	if exists && typ == encoding.TypeZSet {
		// Redis converts a sorted set it sorts to a skiplist for good
		// (OBJECT ENCODING shows it), SORT_RO included.
		if err := c.Tx.ZSetToSkiplist(key); err != nil {
			c.Err(err)
			return
		}
	}
	sortby, dontsort, alpha := o.by, o.dontsort, o.alpha
	// A set has no order of its own: with nothing to sort by, a STORE or
	// a script gets it sorted (ALPHA) so that the result is reproducible.
	if dontsort && typ == encoding.TypeSet && (o.store != nil || c.Detached()) {
		dontsort, alpha, sortby = false, true, nil
	}

	var n int64
	switch {
	case !exists:
	case typ == encoding.TypeList:
		n, err = c.Tx.ListLen(key)
	case typ == encoding.TypeSet:
		n, err = c.Tx.SetCard(key)
	default:
		n, err = c.Tx.ZCard(key)
	}
	if err != nil {
		c.Err(err)
		return
	}
	start := min(max(o.start, 0), n)
	count := min(max(o.count, -1), n)
	end := n - 1
	if count >= 0 {
		end = start + count - 1
	}
	if start >= n {
		start, end = n-1, n-2
	}
	if end >= n {
		end = n - 1
	}

	var items []sortItem
	add := func(v []byte) { items = append(items, sortItem{elem: bytes.Clone(v)}) }
	switch {
	case !exists:
	case typ == encoding.TypeList && dontsort:
		// The list's own order (reversed by DESC), only the range asked.
		if end >= start {
			lo, hi := start, end
			if o.desc {
				lo, hi = n-1-end, n-1-start
			}
			err = c.Tx.ListRange(key, lo, hi, func(int64) {}, add)
			if o.desc {
				for i, j := 0, len(items)-1; i < j; i, j = i+1, j-1 {
					items[i], items[j] = items[j], items[i]
				}
			}
			end -= start
			start = 0
		}
	case typ == encoding.TypeList:
		err = c.Tx.ListRange(key, 0, -1, func(int64) {}, add)
	case typ == encoding.TypeSet:
		err = c.Tx.SetMembers(key, func(m []byte) error { add(m); return nil })
	case dontsort:
		// The sorted set's own order (by score), only the range asked.
		if end >= start {
			var zi []engine.ZItem
			zi, err = c.Tx.ZRangeByRank(key, start, end, o.desc)
			for _, it := range zi {
				add(it.Member)
			}
		}
		end -= start
		start = 0
	default:
		var zi []engine.ZItem
		zi, err = c.Tx.ZRangeByRank(key, 0, -1, false)
		for _, it := range zi {
			add(it.Member)
		}
	}
	if err != nil {
		c.Err(err)
		return
	}

	convErr := false
	if !dontsort {
		for i := range items {
			it := &items[i]
			by := it.elem
			if sortby != nil {
				v, ok := sortLookup(c, sortby, it.elem)
				if !ok {
					continue
				}
				by = v
			}
			if alpha {
				if sortby != nil {
					it.cmp, it.has = bytes.Clone(by), true
				}
			} else {
				f, ok := sortStrtod(by)
				it.score = f
				if !ok {
					convErr = true
				}
			}
		}
		cmp := sortCompare(alpha, sortby != nil, o.store != nil, o.desc)
		if sortby != nil && (start != 0 || end != int64(len(items))-1) {
			engine.PartialSort(items, cmp, int(start), int(end))
		} else {
			// glibc's qsort is a merge sort: stable.
			sort.SliceStable(items, func(i, j int) bool { return cmp(&items[i], &items[j]) < 0 })
		}
	}

	if convErr {
		c.R.Error("ERR One or more scores can't be converted into double")
		return
	}
	span := end - start + 1
	if span < 0 {
		span = 0
	}
	outLen := span
	if len(o.gets) > 0 {
		outLen = int64(len(o.gets)) * span
	}
	if o.store == nil {
		c.R.Array(int(outLen))
		for j := start; j <= end; j++ {
			elem := items[j].elem
			if len(o.gets) == 0 {
				c.R.Bulk(elem)
			}
			for _, g := range o.gets {
				if v, ok := sortLookup(c, g, elem); ok {
					c.R.Bulk(v)
				} else {
					c.R.Null()
				}
			}
		}
		return
	}

	vals := make([][]byte, 0, outLen)
	for j := start; j <= end; j++ {
		elem := items[j].elem
		if len(o.gets) == 0 {
			vals = append(vals, elem)
		}
		for _, g := range o.gets {
			v, _ := sortLookup(c, g, elem)
			if v == nil {
				v = []byte{}
			}
			vals = append(vals, v)
		}
	}
	if len(vals) > 0 {
		if _, err := c.Tx.Delete(o.store); err != nil {
			c.Err(err)
			return
		}
		if _, err := c.Tx.ListPush(o.store, vals, false, false); err != nil {
			c.Err(err)
			return
		}
		Notify(c, NotifyList, "sortstore", o.store)
	} else {
		deleted, err := c.Tx.Delete(o.store)
		if err != nil {
			c.Err(err)
			return
		}
		if deleted {
			Notify(c, NotifyGeneric, "del", o.store)
		}
	}
	c.R.Int(outLen)
}

// sortCompare is Redis's sortCompare. Numeric: by score, ties by the
// elements' bytes. ALPHA: by the BY values (a missing one first) or the
// elements; strcoll in the C/C.UTF-8 locales compares bytes up to the
// first NUL, while STORE compares whole strings.
func sortCompare(alpha, byPattern, store, desc bool) func(a, b *sortItem) int {
	return func(a, b *sortItem) int {
		var r int
		switch {
		case !alpha:
			switch {
			case a.score > b.score:
				r = 1
			case a.score < b.score:
				r = -1
			default:
				r = bytes.Compare(a.elem, b.elem)
			}
		case byPattern:
			switch {
			case !a.has || !b.has:
				if !a.has && !b.has {
					r = 0
				} else if !a.has {
					r = -1
				} else {
					r = 1
				}
			case store:
				r = bytes.Compare(a.cmp, b.cmp)
			default:
				r = collate(a.cmp, b.cmp)
			}
		case store:
			r = bytes.Compare(a.elem, b.elem)
		default:
			r = collate(a.elem, b.elem)
		}
		if desc {
			return -r
		}
		return r
	}
}

// collate is strcoll in the C and C.UTF-8 locales: strcmp, which stops at
// the first NUL.
func collate(a, b []byte) int {
	return bytes.Compare([]byte(CString(a)), []byte(CString(b)))
}

// sortStrtod converts a value to a score as SORT does: strtod over the
// value as a C string, which must be consumed whole; "" is 0, NaN and
// out-of-range values (ERANGE, overflow or underflow) are errors.
func sortStrtod(v []byte) (float64, bool) {
	s := CString(v)
	if s == "" {
		return 0, true
	}
	i := 0
	for i < len(s) && (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r')) {
		i++
	}
	s = s[i:]
	if s == "" {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] == '_' {
			return 0, false // Go's digit separators
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && isHexFloat(s) {
		f, err = strconv.ParseFloat(s+"p0", 64)
	}
	if err != nil || math.IsNaN(f) {
		return 0, false
	}
	if abs := math.Abs(f); abs != 0 && abs < 0x1p-1022 && !math.IsInf(f, 0) {
		return 0, false // subnormal: ERANGE
	}
	if f == 0 && nonZeroMantissa(s) {
		return 0, false // underflow to zero: ERANGE
	}
	return f, true
}
