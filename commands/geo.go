package commands

import (
	"bytes"
	"errors"
	"math"
	"strconv"

	"github.com/shaledb/shale/engine"
	"github.com/shaledb/shale/server"
)

// Geo commands. A geo index is a sorted set whose scores are 52-bit
// geohashes (engine/geo.go holds the geohash arithmetic and the search);
// this file parses arguments in the order Redis 7.0's georadiusGeneric
// does, so that the first error reported is the same, and formats replies
// (distances as %.4f, coordinates as Redis's "human" long double).

func init() {
	const wcat = CatWrite | CatGeo | CatSlow
	const rcat = CatRead | CatGeo | CatSlow
	const radiusCx = "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index."
	const searchCx = "O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around the shape provided as the filter and M is the number of items inside the shape"
	k := func(c *Command, first, last int) *Command {
		c.FirstKey, c.LastKey, c.Step, c.Group = first, last, 1, "geo"
		return c
	}
	Register(
		k(&Command{Name: "geoadd", Arity: -5, Flags: Write | DenyOOM, Categories: wcat, Handler: geoaddCmd, Summary: "Add one or more geospatial items in the geospatial index represented using a sorted set", Since: "3.2.0", Complexity: "O(log(N)) for each item added, where N is the number of elements in the sorted set."}, 1, 1),
		k(&Command{Name: "geodist", Arity: -4, Flags: Readonly, Categories: rcat, Handler: geodistCmd, Summary: "Returns the distance between two members of a geospatial index", Since: "3.2.0", Complexity: "O(log(N))"}, 1, 1),
		k(&Command{Name: "geohash", Arity: -2, Flags: Readonly, Categories: rcat, Handler: geohashCmd, Summary: "Returns members of a geospatial index as standard geohash strings", Since: "3.2.0", Complexity: "O(log(N)) for each member requested, where N is the number of elements in the sorted set."}, 1, 1),
		k(&Command{Name: "geopos", Arity: -2, Flags: Readonly, Categories: rcat, Handler: geoposCmd, Summary: "Returns longitude and latitude of members of a geospatial index", Since: "3.2.0", Complexity: "O(N) where N is the number of members requested."}, 1, 1),
		k(&Command{Name: "georadius", Arity: -6, Flags: Write | DenyOOM, Categories: wcat, Handler: georadiusCmd, Keys: georadiusKeys, KeySpecs: geoRadiusSpecs(6), Summary: "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a point", Since: "3.2.0", Complexity: radiusCx}, 1, 1),
		k(&Command{Name: "georadius_ro", Arity: -6, Flags: Readonly, Categories: rcat, Handler: georadiusroCmd, Summary: "A read-only variant for GEORADIUS", Since: "3.2.10", Complexity: radiusCx}, 1, 1),
		k(&Command{Name: "georadiusbymember", Arity: -5, Flags: Write | DenyOOM, Categories: wcat, Handler: georadiusbymemberCmd, Keys: georadiusbymemberKeys, KeySpecs: geoRadiusSpecs(5), Summary: "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a member", Since: "3.2.0", Complexity: radiusCx}, 1, 1),
		k(&Command{Name: "georadiusbymember_ro", Arity: -5, Flags: Readonly, Categories: rcat, Handler: georadiusbymemberroCmd, Summary: "A read-only variant for GEORADIUSBYMEMBER", Since: "3.2.10", Complexity: radiusCx}, 1, 1),
		k(&Command{Name: "geosearch", Arity: -7, Flags: Readonly, Categories: rcat, Handler: geosearchCmd, Summary: "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle.", Since: "6.2.0", Complexity: searchCx}, 1, 1),
		k(&Command{Name: "geosearchstore", Arity: -8, Flags: Write | DenyOOM, Categories: wcat, Handler: geosearchstoreCmd, KeySpecs: []KeySpec{RangeSpec("OW update", 1, 0, 1), RangeSpec("RO access", 2, 0, 1)}, Summary: "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle, and store the result in another key.", Since: "6.2.0", Complexity: searchCx}, 1, 2),
	)
}

// geoRadiusSpecs are GEORADIUS(BYMEMBER)'s key specs: the source, and the
// keys after STORE and STOREDIST searched from argument from.
func geoRadiusSpecs(from int) []KeySpec {
	return []KeySpec{
		RangeSpec("RO access", 1, 0, 1),
		KeywordSpec("OW update", "STORE", from, 0, 1),
		KeywordSpec("OW update", "STOREDIST", from, 0, 1),
	}
}

// georadiusKeys / georadiusbymemberKeys extract the source and the
// STORE / STOREDIST destinations, as Redis 7.0's key specs find them (the
// first STORE key, then the first STOREDIST key, searching from the first
// option); any later ones follow, since the last one given is the one
// written and must be locked too.
func georadiusKeys(args [][]byte) [][]byte         { return geoStoreKeys(args, 6) }
func georadiusbymemberKeys(args [][]byte) [][]byte { return geoStoreKeys(args, 5) }

func geoStoreKeys(args [][]byte, from int) [][]byte {
	if len(args) < 2 {
		return nil
	}
	keys := args[1:2:2]
	var extra [][]byte
	for _, kw := range [2]string{"store", "storedist"} {
		first := true
		for i := from; i+1 < len(args); i++ {
			if EqualFold(args[i], kw) {
				if first {
					keys = append(keys, args[i+1])
					first = false
				} else {
					extra = append(extra, args[i+1])
				}
			}
		}
	}
	return append(keys, extra...)
}

// ---------------------------------------------------------------------------
// Argument helpers (Redis's extract*OrReply).

// geoFloat parses a double as getDoubleFromObjectOrReply does; msg is the
// error text (ErrNotFloat when empty).
func geoFloat(c *Ctx, b []byte, msg string) (float64, bool) {
	f, ok := ParseFloat(b)
	if !ok && len(b) > 0 && b[0] > ' ' && bytes.ContainsAny(b, "xX") {
		// strtod reads hex floats without a binary exponent ("0x10").
		if g, hex := strtod(b); hex && !math.IsInf(g, 0) {
			f, ok = g, true
		}
	}
	if !ok {
		if msg == "" {
			msg = ErrNotFloat
		}
		c.R.Error(msg)
	}
	return f, ok
}

// appendCFloat is C's %f (inf/-inf spelled as glibc does).
func appendCFloat(dst []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	}
	return strconv.AppendFloat(dst, f, 'f', 6, 64)
}

// geoLonLat parses "longitude latitude" and checks the limits.
func geoLonLat(c *Ctx, args [][]byte) (lon, lat float64, ok bool) {
	if lon, ok = geoFloat(c, args[0], ""); !ok {
		return
	}
	if lat, ok = geoFloat(c, args[1], ""); !ok {
		return
	}
	if lon < engine.GeoLongMin || lon > engine.GeoLongMax || lat < engine.GeoLatMin || lat > engine.GeoLatMax {
		msg := []byte("ERR invalid longitude,latitude pair ")
		msg = appendCFloat(msg, lon)
		msg = append(msg, ',')
		msg = appendCFloat(msg, lat)
		c.R.Error(string(msg))
		return 0, 0, false
	}
	return lon, lat, true
}

// geoUnit returns the size of unit in meters.
func geoUnit(c *Ctx, unit []byte) (float64, bool) {
	switch {
	case EqualFold(unit, "m"):
		return 1, true
	case EqualFold(unit, "km"):
		return 1000, true
	case EqualFold(unit, "ft"):
		return 0.3048, true
	case EqualFold(unit, "mi"):
		return 1609.34, true
	}
	c.R.Error("ERR unsupported unit provided. please use M, KM, FT, MI")
	return 0, false
}

// geoRadiusArg parses "radius unit" into shape.
func geoRadiusArg(c *Ctx, args [][]byte, shape *engine.GeoShape) bool {
	d, ok := geoFloat(c, args[0], "ERR need numeric radius")
	if !ok {
		return false
	}
	if d < 0 {
		c.R.Error("ERR radius cannot be negative")
		return false
	}
	shape.Radius = d
	conv, ok := geoUnit(c, args[1])
	if !ok {
		return false
	}
	shape.Conversion = conv
	return true
}

// geoBoxArg parses "width height unit" into shape.
func geoBoxArg(c *Ctx, args [][]byte, shape *engine.GeoShape) bool {
	w, ok := geoFloat(c, args[0], "ERR need numeric width")
	if !ok {
		return false
	}
	h, ok := geoFloat(c, args[1], "ERR need numeric height")
	if !ok {
		return false
	}
	if h < 0 || w < 0 {
		c.R.Error("ERR height or width cannot be negative")
		return false
	}
	shape.Width, shape.Height = w, h
	conv, ok := geoUnit(c, args[2])
	if !ok {
		return false
	}
	shape.Conversion = conv
	return true
}

// geoMemberPos sets the shape's centre to member's position.
func geoMemberPos(c *Ctx, key, member []byte, shape *engine.GeoShape) (bool, error) {
	s, ok, err := c.Tx.ZScore(key, member)
	if err != nil {
		return false, err
	}
	if !ok {
		c.R.Error("ERR could not decode requested zset member")
		return false, nil
	}
	shape.Lon, shape.Lat = engine.GeoDecode(s)
	return true, nil
}

// geoLookup looks the source up as Redis's lookupKeyRead does, counting a
// keyspace hit or miss (a key of another type is a hit, then WRONGTYPE).
func geoLookup(c *Ctx, key []byte) (exists bool, err error) {
	n, err := c.Tx.ZCard(key)
	switch {
	case err == nil && n > 0, errors.Is(err, engine.ErrWrongType):
		c.hit()
	case err == nil:
		c.miss()
	}
	return n > 0, err
}

// appendHumanDouble is Redis's ld2string(LD_STR_HUMAN) of a double:
// "%.17Lf" without trailing zeros (and without a bare point).
func appendHumanDouble(dst []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	}
	start := len(dst)
	dst = strconv.AppendFloat(dst, f, 'f', 17, 64)
	i := len(dst)
	for i > start && dst[i-1] == '0' {
		i--
	}
	if i > start && dst[i-1] == '.' {
		i--
	}
	dst = dst[:i]
	if string(dst[start:]) == "-0" {
		dst = append(dst[:start], '0')
	}
	return dst
}

// replyHumanDouble is addReplyHumanLongDouble: a bulk string in RESP2, a
// double in RESP3, both in the human format.
func replyHumanDouble(r *server.Reply, f float64) {
	var tmp [48]byte
	b := appendHumanDouble(tmp[:0], f)
	if r.Proto == 3 {
		r.Buf = append(r.Buf, ',')
		r.Buf = append(r.Buf, b...)
		r.Buf = append(r.Buf, '\r', '\n')
		return
	}
	r.Bulk(b)
}

// replyDistance is addReplyDoubleDistance: "%.4f" as a bulk string.
func replyDistance(r *server.Reply, d float64) {
	var tmp [48]byte
	r.Bulk(strconv.AppendFloat(tmp[:0], d, 'f', 4, 64))
}

// ---------------------------------------------------------------------------
// GEOADD, GEODIST, GEOHASH, GEOPOS.

// geoaddCmd implements GEOADD key [NX|XX] [CH] lon lat member ...
func geoaddCmd(c *Ctx) {
	args := c.Args
	var f engine.ZAddFlags
	ch := false
	i := 2
	for ; i < len(args); i++ {
		switch {
		case EqualFold(args[i], "nx"):
			f.NX = true
		case EqualFold(args[i], "xx"):
			f.XX = true
		case EqualFold(args[i], "ch"):
			ch = true
		default:
			goto done
		}
	}
done:
	if (len(args)-i)%3 != 0 || (f.NX && f.XX) {
		c.R.Error(ErrSyntax)
		return
	}
	n := (len(args) - i) / 3
	if n == 0 {
		c.R.Error(ErrSyntax) // ZADD with no pairs
		return
	}
	items := make([]engine.ZItem, 0, n)
	for j := i; j < len(args); j += 3 {
		lon, lat, ok := geoLonLat(c, args[j:j+2])
		if !ok {
			return
		}
		items = append(items, engine.ZItem{Score: engine.GeoScore(lon, lat), Member: args[j+2]})
	}
	res, err := c.Tx.ZAdd(args[1], items, f)
	if err != nil {
		lzFail(c, err)
		return
	}
	if ch {
		c.R.Int(res.Added + res.Updated)
	} else {
		c.R.Int(res.Added)
	}
	if res.Added+res.Updated > 0 { // GEOADD runs ZADD in Redis
		Notify(c, NotifyZSet, "zadd", args[1])
	}
}

// geodistCmd implements GEODIST key member1 member2 [unit].
func geodistCmd(c *Ctx) {
	conv := 1.0
	if len(c.Args) == 5 {
		var ok bool
		if conv, ok = geoUnit(c, c.Args[4]); !ok {
			return
		}
	} else if len(c.Args) > 5 {
		c.R.Error(ErrSyntax)
		return
	}
	if _, err := geoLookup(c, c.Args[1]); err != nil {
		c.Err(err)
		return
	}
	sc, err := c.Tx.ZMScore(c.Args[1], c.Args[2:4])
	if err != nil {
		c.Err(err)
		return
	}
	if math.IsNaN(sc[0]) || math.IsNaN(sc[1]) { // missing key or member
		c.R.Null()
		return
	}
	lon1, lat1 := engine.GeoDecode(sc[0])
	lon2, lat2 := engine.GeoDecode(sc[1])
	replyDistance(c.R, engine.GeoDistance(lon1, lat1, lon2, lat2)/conv)
}

// geohashCmd implements GEOHASH key [member ...].
func geohashCmd(c *Ctx) {
	if _, err := geoLookup(c, c.Args[1]); err != nil {
		c.Err(err)
		return
	}
	sc, err := c.Tx.ZMScore(c.Args[1], c.Args[2:])
	if err != nil {
		c.Err(err)
		return
	}
	c.R.Array(len(sc))
	var buf [11]byte
	for _, s := range sc {
		if math.IsNaN(s) {
			c.R.Null()
			continue
		}
		c.R.Bulk(engine.GeoHashString(buf[:0], s))
	}
}

// geoposCmd implements GEOPOS key [member ...].
func geoposCmd(c *Ctx) {
	if _, err := geoLookup(c, c.Args[1]); err != nil {
		c.Err(err)
		return
	}
	sc, err := c.Tx.ZMScore(c.Args[1], c.Args[2:])
	if err != nil {
		c.Err(err)
		return
	}
	c.R.Array(len(sc))
	for _, s := range sc {
		if math.IsNaN(s) {
			c.R.NullArray()
			continue
		}
		lon, lat := engine.GeoDecode(s)
		c.R.Array(2)
		replyHumanDouble(c.R, lon)
		replyHumanDouble(c.R, lat)
	}
}

// ---------------------------------------------------------------------------
// GEORADIUS*, GEOSEARCH, GEOSEARCHSTORE.

const (
	geoByCoords    = 1 << iota // search around coordinates
	geoByMember                // search around a member
	geoNoStore                 // STORE/STOREDIST refused (the _RO variants)
	geoSearchCmd               // GEOSEARCH syntax
	geoSearchStore             // GEOSEARCHSTORE
)

func georadiusCmd(c *Ctx)           { georadiusGeneric(c, 1, geoByCoords) }
func georadiusroCmd(c *Ctx)         { georadiusGeneric(c, 1, geoByCoords|geoNoStore) }
func georadiusbymemberCmd(c *Ctx)   { georadiusGeneric(c, 1, geoByMember) }
func georadiusbymemberroCmd(c *Ctx) { georadiusGeneric(c, 1, geoByMember|geoNoStore) }
func geosearchCmd(c *Ctx)           { georadiusGeneric(c, 1, geoSearchCmd) }
func geosearchstoreCmd(c *Ctx)      { georadiusGeneric(c, 2, geoSearchCmd|geoSearchStore) }

const (
	geoSortNone = iota
	geoSortAsc
	geoSortDesc
)

// georadiusGeneric follows Redis 7.0's function of the same name.
func georadiusGeneric(c *Ctx, srcIdx int, flags int) {
	args := c.Args
	src := args[srcIdx]
	exists, err := geoLookup(c, src) // the type check comes first
	if err != nil {
		c.Err(err)
		return
	}

	var storeKey []byte
	storeDist := false
	var shape engine.GeoShape
	var base int
	switch {
	case flags&geoByCoords != 0:
		base = 6
		lon, lat, ok := geoLonLat(c, args[2:4])
		if !ok {
			return
		}
		shape.Lon, shape.Lat = lon, lat
		if !geoRadiusArg(c, args[4:6], &shape) {
			return
		}
	case flags&geoByMember != 0 && !exists:
		// No source: parse the options anyway, to pick the right reply.
		base = 5
	case flags&geoByMember != 0:
		base = 5
		ok, err := geoMemberPos(c, src, args[2], &shape)
		if err != nil {
			c.Err(err)
			return
		}
		if !ok || !geoRadiusArg(c, args[3:5], &shape) {
			return
		}
	default:
		base = 2
		if flags&geoSearchStore != 0 {
			base = 3
			storeKey = args[1]
		}
	}

	withDist, withHash, withCoord := false, false, false
	fromMember, fromLoc, byRadius, byBox := false, false, false, false
	sortDir := geoSortNone
	anyOpt := false
	var count int64
	rem := len(args) - base
	for i := 0; i < rem; i++ {
		a := args[base+i]
		switch {
		case EqualFold(a, "withdist"):
			withDist = true
		case EqualFold(a, "withhash"):
			withHash = true
		case EqualFold(a, "withcoord"):
			withCoord = true
		case EqualFold(a, "any"):
			anyOpt = true
		case EqualFold(a, "asc"):
			sortDir = geoSortAsc
		case EqualFold(a, "desc"):
			sortDir = geoSortDesc
		case EqualFold(a, "count") && i+1 < rem:
			n, ok := ParseInt(args[base+i+1])
			if !ok {
				c.R.Error(ErrNotInteger)
				return
			}
			if n <= 0 {
				c.R.Error("ERR COUNT must be > 0")
				return
			}
			count = n
			i++
		case EqualFold(a, "store") && i+1 < rem && flags&(geoNoStore|geoSearchCmd) == 0:
			storeKey, storeDist = args[base+i+1], false
			i++
		case EqualFold(a, "storedist") && i+1 < rem && flags&(geoNoStore|geoSearchCmd) == 0:
			storeKey, storeDist = args[base+i+1], true
			i++
		case EqualFold(a, "storedist") && flags&geoSearchCmd != 0 && flags&geoSearchStore != 0:
			storeDist = true
		case EqualFold(a, "frommember") && i+1 < rem && flags&geoSearchCmd != 0 && !fromLoc:
			if exists {
				ok, err := geoMemberPos(c, src, args[base+i+1], &shape)
				if err != nil {
					c.Err(err)
					return
				}
				if !ok {
					return
				}
			}
			fromMember = true
			i++
		case EqualFold(a, "fromlonlat") && i+2 < rem && flags&geoSearchCmd != 0 && !fromMember:
			lon, lat, ok := geoLonLat(c, args[base+i+1:base+i+3])
			if !ok {
				return
			}
			shape.Lon, shape.Lat = lon, lat
			fromLoc = true
			i += 2
		case EqualFold(a, "byradius") && i+2 < rem && flags&geoSearchCmd != 0 && !byBox:
			if !geoRadiusArg(c, args[base+i+1:base+i+3], &shape) {
				return
			}
			shape.Box = false
			byRadius = true
			i += 2
		case EqualFold(a, "bybox") && i+3 < rem && flags&geoSearchCmd != 0 && !byRadius:
			if !geoBoxArg(c, args[base+i+1:base+i+4], &shape) {
				return
			}
			shape.Box = true
			byBox = true
			i += 3
		default:
			c.R.Error(ErrSyntax)
			return
		}
	}

	if storeKey != nil && (withDist || withHash || withCoord) {
		if flags&geoSearchStore != 0 {
			c.R.Error("ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options")
		} else {
			c.R.Error("ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options")
		}
		return
	}
	if flags&geoSearchCmd != 0 && !(fromMember || fromLoc) {
		c.R.Error("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for " + string(args[0]))
		return
	}
	if flags&geoSearchCmd != 0 && !(byRadius || byBox) {
		c.R.Error("ERR exactly one of BYRADIUS and BYBOX can be specified for " + string(args[0]))
		return
	}
	if anyOpt && count == 0 {
		c.R.Error("ERR the ANY argument requires COUNT argument")
		return
	}

	if !exists {
		if storeKey == nil {
			c.R.Array(0)
			return
		}
		existed, err := c.Tx.Delete(storeKey)
		if err != nil {
			lzFail(c, err)
			return
		}
		c.R.Int(0)
		if existed {
			Notify(c, NotifyGeneric, "del", storeKey)
		}
		return
	}

	// COUNT without an order means the nearest ones (not with ANY).
	if count != 0 && sortDir == geoSortNone && !anyOpt {
		sortDir = geoSortAsc
	}
	limit := 0
	if anyOpt {
		limit = int(count)
	}
	points, err := c.Tx.GeoSearch(src, &shape, limit)
	if err != nil {
		c.Err(err)
		return
	}
	if len(points) == 0 && storeKey == nil {
		c.R.Array(0)
		return
	}
	returned := len(points)
	if count != 0 && int64(returned) > count {
		returned = int(count)
	}
	if sortDir != geoSortNone {
		partial := 0
		if returned != len(points) {
			partial = returned
		}
		engine.GeoSort(points, sortDir == geoSortDesc, partial)
	}
	points = points[:returned]
	for i := range points {
		points[i].Dist /= shape.Conversion
	}

	if storeKey == nil {
		opts := 0
		for _, on := range [3]bool{withDist, withHash, withCoord} {
			if on {
				opts++
			}
		}
		c.R.Array(returned)
		for i := range points {
			p := &points[i]
			if opts > 0 {
				c.R.Array(opts + 1)
			}
			c.R.Bulk(p.Member)
			if withDist {
				replyDistance(c.R, p.Dist)
			}
			if withHash {
				c.R.Int(geoHashInt(p.Score))
			}
			if withCoord {
				c.R.Array(2)
				replyHumanDouble(c.R, p.Lon)
				replyHumanDouble(c.R, p.Lat)
			}
		}
		return
	}

	// Store the results as a sorted set (scores: geohash or distance).
	items := make([]engine.ZItem, 0, returned)
	var seen map[string]struct{}
	if returned > 1 {
		seen = make(map[string]struct{}, returned)
	}
	for i := range points {
		p := &points[i]
		if seen != nil {
			if _, dup := seen[string(p.Member)]; dup {
				continue
			}
			seen[string(p.Member)] = struct{}{}
		}
		s := p.Score
		if storeDist {
			s = p.Dist
		}
		items = append(items, engine.ZItem{Member: p.Member, Score: s})
	}
	existed := false
	if len(items) == 0 {
		existed, err = c.Tx.Delete(storeKey)
	} else {
		_, err = c.Tx.ZStore(storeKey, items)
	}
	if err != nil {
		lzFail(c, err)
		return
	}
	c.R.Int(int64(returned))
	switch {
	case returned > 0 && flags&geoSearchCmd != 0:
		Notify(c, NotifyZSet, "geosearchstore", storeKey)
	case returned > 0:
		Notify(c, NotifyZSet, "georadiusstore", storeKey)
	case existed:
		Notify(c, NotifyGeneric, "del", storeKey)
	}
}

// geoHashInt is WITHHASH's integer: C's (long long) of the score.
func geoHashInt(score float64) int64 {
	if score != score || score >= 9223372036854775808.0 || score < -9223372036854775808.0 {
		return math.MinInt64
	}
	return int64(score)
}
