package engine

import (
	"math"
	"sort"
)

// Geo indexes live on sorted sets, exactly as in Redis 7.0: a member's
// score is its 52-bit interleaved geohash (26 bits of longitude in the even
// positions, 26 bits of latitude in the odd ones) over the Web-Mercator
// range (latitude -85.05112878..85.05112878). A radius or box search
// estimates a geohash precision from the search size, takes the cell of the
// centre and its 8 neighbours, drops the neighbours the bounding box cannot
// reach, and range-scans the score index once per remaining cell: a cell of
// precision s covers exactly the scores [bits << (52-2s), (bits+1) <<
// (52-2s)). Candidates are then filtered by the exact distance. The
// arithmetic below follows Redis's geohash.c/geohash_helper.c step by step
// (same operation order; explicit float64 conversions keep the compiler
// from fusing multiply-adds) so that boundary decisions and distances come
// out the same.

// Coordinate limits (EPSG:900913).
const (
	GeoLongMin = -180.0
	GeoLongMax = 180.0
	GeoLatMin  = -85.05112878
	GeoLatMax  = 85.05112878
	geoStepMax = 26

	geoEarthRadius = 6372797.560856
	geoMercatorMax = 20037726.37
	geoDegToRad    = math.Pi / 180.0
)

// GeoPoint is one search result.
type GeoPoint struct {
	Member []byte
	Lon    float64
	Lat    float64
	// Dist is in meters as found; the caller converts it to the unit.
	Dist  float64
	Score float64
}

// GeoShape is a search area: a circle of Radius or a Width x Height box
// (both in the unit whose size in meters is Conversion) centred on
// (Lon, Lat).
type GeoShape struct {
	Lon, Lat      float64
	Box           bool
	Radius        float64
	Width, Height float64
	Conversion    float64
}

type geoBits struct {
	bits uint64
	step uint8
}

func (h geoBits) zero() bool { return h.bits == 0 && h.step == 0 }

type geoRange struct{ min, max float64 }

type geoArea struct {
	lon, lat geoRange
}

var (
	geoLongRange = geoRange{GeoLongMin, GeoLongMax}
	geoLatRange  = geoRange{GeoLatMin, GeoLatMax}
)

func interleave64(xlo, ylo uint32) uint64 {
	x, y := uint64(xlo), uint64(ylo)
	x = (x | x<<16) & 0x0000FFFF0000FFFF
	y = (y | y<<16) & 0x0000FFFF0000FFFF
	x = (x | x<<8) & 0x00FF00FF00FF00FF
	y = (y | y<<8) & 0x00FF00FF00FF00FF
	x = (x | x<<4) & 0x0F0F0F0F0F0F0F0F
	y = (y | y<<4) & 0x0F0F0F0F0F0F0F0F
	x = (x | x<<2) & 0x3333333333333333
	y = (y | y<<2) & 0x3333333333333333
	x = (x | x<<1) & 0x5555555555555555
	y = (y | y<<1) & 0x5555555555555555
	return x | y<<1
}

func deinterleave64(v uint64) uint64 {
	x, y := v, v>>1
	x &= 0x5555555555555555
	y &= 0x5555555555555555
	x = (x | x>>1) & 0x3333333333333333
	y = (y | y>>1) & 0x3333333333333333
	x = (x | x>>2) & 0x0F0F0F0F0F0F0F0F
	y = (y | y>>2) & 0x0F0F0F0F0F0F0F0F
	x = (x | x>>4) & 0x00FF00FF00FF00FF
	y = (y | y>>4) & 0x00FF00FF00FF00FF
	x = (x | x>>8) & 0x0000FFFF0000FFFF
	y = (y | y>>8) & 0x0000FFFF0000FFFF
	x = (x | x>>16) & 0x00000000FFFFFFFF
	y = (y | y>>16) & 0x00000000FFFFFFFF
	return x | y<<32
}

// cUint32 is C's double -> uint32_t conversion for the values geohash
// produces (0 <= f < 2^32; x86-64 truncates through a 64-bit integer).
func cUint32(f float64) uint32 { return uint32(cInt64(f)) }

// cInt64 is x86-64's cvttsd2si: truncation, with NaN and out-of-range
// values giving the "integer indefinite" 1<<63.
func cInt64(f float64) int64 {
	if f != f || f >= 9223372036854775808.0 || f < -9223372036854775808.0 {
		return math.MinInt64
	}
	return int64(f)
}

// cUint64 is gcc's double -> uint64_t conversion on x86-64.
func cUint64(f float64) uint64 {
	if !(f >= 9223372036854775808.0) { // also NaN, like the unordered compare
		return uint64(cInt64(f))
	}
	return uint64(cInt64(f-9223372036854775808.0)) ^ (1 << 63)
}

func geoEncode(lonR, latR geoRange, lon, lat float64, step uint8) (geoBits, bool) {
	if step > 32 || step == 0 {
		return geoBits{}, false
	}
	if lon > GeoLongMax || lon < GeoLongMin || lat > GeoLatMax || lat < GeoLatMin {
		return geoBits{}, false
	}
	if lat < latR.min || lat > latR.max || lon < lonR.min || lon > lonR.max {
		return geoBits{step: step}, false
	}
	latOff := (lat - latR.min) / (latR.max - latR.min)
	lonOff := (lon - lonR.min) / (lonR.max - lonR.min)
	latOff *= float64(uint64(1) << step)
	lonOff *= float64(uint64(1) << step)
	return geoBits{bits: interleave64(cUint32(latOff), cUint32(lonOff)), step: step}, true
}

func geoDecode(lonR, latR geoRange, h geoBits) (geoArea, bool) {
	if h.zero() {
		return geoArea{}, false
	}
	sep := deinterleave64(h.bits)
	latScale := latR.max - latR.min
	lonScale := lonR.max - lonR.min
	ilat := uint32(sep)
	ilon := uint32(sep >> 32)
	div := float64(uint64(1) << h.step)
	var a geoArea
	a.lat.min = latR.min + float64((float64(ilat)*1.0/div)*latScale)
	a.lat.max = latR.min + float64((float64(ilat+1)*1.0/div)*latScale)
	a.lon.min = lonR.min + float64((float64(ilon)*1.0/div)*lonScale)
	a.lon.max = lonR.min + float64((float64(ilon+1)*1.0/div)*lonScale)
	return a, true
}

func (a *geoArea) center() (lon, lat float64) {
	lon = (a.lon.min + a.lon.max) / 2
	if lon > GeoLongMax {
		lon = GeoLongMax
	}
	if lon < GeoLongMin {
		lon = GeoLongMin
	}
	lat = (a.lat.min + a.lat.max) / 2
	if lat > GeoLatMax {
		lat = GeoLatMax
	}
	if lat < GeoLatMin {
		lat = GeoLatMin
	}
	return lon, lat
}

// GeoScore returns the sorted-set score GEOADD gives (lon, lat), which the
// caller has checked to be within the limits.
func GeoScore(lon, lat float64) float64 {
	h, _ := geoEncode(geoLongRange, geoLatRange, lon, lat, geoStepMax)
	return float64(h.bits << (52 - 2*uint(h.step)))
}

// GeoDecode returns the centre of the cell a geo score designates (what
// GEOPOS reports).
func GeoDecode(score float64) (lon, lat float64) {
	a, ok := geoDecode(geoLongRange, geoLatRange, geoBits{bits: cUint64(score), step: geoStepMax})
	if !ok {
		return 0, 0 // unreachable: step is never 0
	}
	return a.center()
}

const geoAlphabet = "0123456789bcdefghjkmnpqrstuvwxyz"

// GeoHashString returns GEOHASH's 11-character standard geohash of a geo
// score: the decoded position re-encoded over latitude -90..90.
func GeoHashString(dst []byte, score float64) []byte {
	lon, lat := GeoDecode(score)
	h, _ := geoEncode(geoRange{-180, 180}, geoRange{-90, 90}, lon, lat, 26)
	for i := 0; i < 11; i++ {
		idx := 0
		if i < 10 {
			idx = int(h.bits>>(52-uint((i+1)*5))) & 0x1f
		}
		dst = append(dst, geoAlphabet[idx])
	}
	return dst
}

// GeoDistance is Redis's haversine distance in meters.
func GeoDistance(lon1, lat1, lon2, lat2 float64) float64 {
	p1 := geoPt{lonR: lon1 * geoDegToRad, latR: lat1 * geoDegToRad}
	p2 := geoPt{lonR: lon2 * geoDegToRad, latR: lat2 * geoDegToRad}
	return geoDist(&p1, &p2)
}

// geoPt is a position in radians with its latitude's cosine computed at
// most once (searches reuse the centre's and the candidate's).
type geoPt struct {
	lonR, latR float64
	cos        float64
	hasCos     bool
}

func (p *geoPt) cosLat() float64 {
	if !p.hasCos {
		p.cos, p.hasCos = geoCos(p.latR), true
	}
	return p.cos
}

// geoDist is geohashGetDistance on positions in radians.
func geoDist(p1, p2 *geoPt) float64 {
	u := geoSin((p2.latR - p1.latR) / 2)
	v := geoSin((p2.lonR - p1.lonR) / 2)
	a := float64(u * u)
	if v != 0 { // otherwise the second term is a zero that changes nothing
		a += float64(float64(float64(p1.cosLat()*p2.cosLat())*v) * v)
	}
	return 2.0 * geoEarthRadius * geoAsin(math.Sqrt(a))
}

func geoMoveX(h *geoBits, d int) {
	x := h.bits & 0xaaaaaaaaaaaaaaaa
	y := h.bits & 0x5555555555555555
	zz := uint64(0x5555555555555555) >> (64 - 2*uint(h.step))
	if d > 0 {
		x = x + (zz + 1)
	} else {
		x = x | zz
		x = x - (zz + 1)
	}
	x &= uint64(0xaaaaaaaaaaaaaaaa) >> (64 - 2*uint(h.step))
	h.bits = x | y
}

func geoMoveY(h *geoBits, d int) {
	x := h.bits & 0xaaaaaaaaaaaaaaaa
	y := h.bits & 0x5555555555555555
	zz := uint64(0xaaaaaaaaaaaaaaaa) >> (64 - 2*uint(h.step))
	if d > 0 {
		y = y + (zz + 1)
	} else {
		y = y | zz
		y = y - (zz + 1)
	}
	y &= uint64(0x5555555555555555) >> (64 - 2*uint(h.step))
	h.bits = x | y
}

// Neighbour order of Redis's membersOfAllNeighbors: self, north, south,
// east, west, north-east, north-west, south-east, south-west.
const (
	nSelf = iota
	nNorth
	nSouth
	nEast
	nWest
	nNorthEast
	nNorthWest
	nSouthEast
	nSouthWest
)

func geoNeighbors(h geoBits) (n [9]geoBits) {
	for i := range n {
		n[i] = h
	}
	geoMoveX(&n[nEast], 1)
	geoMoveX(&n[nWest], -1)
	geoMoveY(&n[nSouth], -1)
	geoMoveY(&n[nNorth], 1)
	geoMoveX(&n[nNorthWest], -1)
	geoMoveY(&n[nNorthWest], 1)
	geoMoveX(&n[nNorthEast], 1)
	geoMoveY(&n[nNorthEast], 1)
	geoMoveX(&n[nSouthEast], 1)
	geoMoveY(&n[nSouthEast], -1)
	geoMoveX(&n[nSouthWest], -1)
	geoMoveY(&n[nSouthWest], -1)
	return n
}

func geoEstimateSteps(meters, lat float64) uint8 {
	if meters == 0 {
		return 26
	}
	step := 1
	for meters < geoMercatorMax {
		meters *= 2
		step++
	}
	step -= 2
	if lat > 66 || lat < -66 {
		step--
		if lat > 80 || lat < -80 {
			step--
		}
	}
	if step < 1 {
		step = 1
	}
	if step > 26 {
		step = 26
	}
	return uint8(step)
}

// bounds returns the search area's bounding box: min lon, min lat, max
// lon, max lat.
func (s *GeoShape) bounds() (minLon, minLat, maxLon, maxLat float64) {
	var height, width float64
	if s.Box {
		height = s.Conversion * (s.Height / 2)
		width = s.Conversion * (s.Width / 2)
	} else {
		height = s.Conversion * s.Radius
		width = s.Conversion * s.Radius
	}
	latDelta := (height / geoEarthRadius) / geoDegToRad
	lonDeltaTop := (width / geoEarthRadius / geoCos((s.Lat+latDelta)*geoDegToRad)) / geoDegToRad
	lonDeltaBottom := (width / geoEarthRadius / geoCos((s.Lat-latDelta)*geoDegToRad)) / geoDegToRad
	if s.Lat < 0 {
		minLon, maxLon = s.Lon-lonDeltaBottom, s.Lon+lonDeltaBottom
	} else {
		minLon, maxLon = s.Lon-lonDeltaTop, s.Lon+lonDeltaTop
	}
	return minLon, s.Lat - latDelta, maxLon, s.Lat + latDelta
}

// areas returns the 9 cells to scan (zero ones are skipped), as
// geohashCalculateAreasByShapeWGS84 does.
func (s *GeoShape) areas() [9]geoBits {
	minLon, minLat, maxLon, maxLat := s.bounds()
	var radius float64
	if s.Box {
		radius = math.Sqrt(float64((s.Width/2)*(s.Width/2)) + float64((s.Height/2)*(s.Height/2)))
	} else {
		radius = s.Radius
	}
	radius *= s.Conversion
	steps := geoEstimateSteps(radius, s.Lat)
	hash, _ := geoEncode(geoLongRange, geoLatRange, s.Lon, s.Lat, steps)
	n := geoNeighbors(hash)
	area, _ := geoDecode(geoLongRange, geoLatRange, hash)

	decrease := false
	north, _ := geoDecode(geoLongRange, geoLatRange, n[nNorth])
	south, _ := geoDecode(geoLongRange, geoLatRange, n[nSouth])
	east, _ := geoDecode(geoLongRange, geoLatRange, n[nEast])
	west, _ := geoDecode(geoLongRange, geoLatRange, n[nWest])
	if north.lat.max < maxLat {
		decrease = true
	}
	if south.lat.min > minLat {
		decrease = true
	}
	if east.lon.max < maxLon {
		decrease = true
	}
	if west.lon.min > minLon {
		decrease = true
	}
	if steps > 1 && decrease {
		steps--
		hash, _ = geoEncode(geoLongRange, geoLatRange, s.Lon, s.Lat, steps)
		n = geoNeighbors(hash)
		area, _ = geoDecode(geoLongRange, geoLatRange, hash)
	}
	if steps >= 2 {
		if area.lat.min < minLat {
			n[nSouth], n[nSouthWest], n[nSouthEast] = geoBits{}, geoBits{}, geoBits{}
		}
		if area.lat.max > maxLat {
			n[nNorth], n[nNorthEast], n[nNorthWest] = geoBits{}, geoBits{}, geoBits{}
		}
		if area.lon.min < minLon {
			n[nWest], n[nSouthWest], n[nNorthWest] = geoBits{}, geoBits{}, geoBits{}
		}
		if area.lon.max > maxLon {
			n[nEast], n[nSouthEast], n[nNorthEast] = geoBits{}, geoBits{}, geoBits{}
		}
	}
	return n
}

// within reports whether a member at (lon, lat) is inside the shape, and
// its distance from the centre in meters. c is the centre in radians.
func (s *GeoShape) within(c *geoPt, lon, lat float64) (float64, bool) {
	p := geoPt{lonR: lon * geoDegToRad, latR: lat * geoDegToRad}
	if !s.Box {
		d := geoDist(c, &p)
		return d, d <= s.Radius*s.Conversion
	}
	w, h := s.Width*s.Conversion, s.Height*s.Conversion
	// Redis: distance(lon,lat -> centre lon,lat), distance(lon,lat ->
	// lon,centre lat).
	q := geoPt{lonR: c.lonR, latR: p.latR, cos: p.cosLat(), hasCos: true}
	lonDist := geoDist(&p, &q)
	q = geoPt{lonR: p.lonR, latR: c.latR, cos: c.cos, hasCos: c.hasCos}
	latDist := geoDist(&p, &q)
	if lonDist > w/2 || latDist > h/2 {
		return 0, false
	}
	return geoDist(c, &p), true
}

// GeoSearch returns the members of the sorted set at key inside shape, in
// Redis's discovery order (cell by cell, score order within a cell). With
// limit > 0 (COUNT ... ANY) it stops once limit members were found. Each
// cell is one bounded walk over the score index: nothing outside the 9
// cells is read.
func (tx *Tx) GeoSearch(key []byte, shape *GeoShape, limit int) ([]GeoPoint, error) {
	z, err := tx.openZSet(key)
	if err != nil || !z.exists {
		return nil, err
	}
	cells := shape.areas()
	center := geoPt{lonR: shape.Lon * geoDegToRad, latR: shape.Lat * geoDegToRad}
	var out []GeoPoint
	var arena []byte
	var ends []int
	last := 0 // Redis's last_processed: 0 also means "none yet"
	for i, h := range cells {
		if h.zero() {
			continue
		}
		if last != 0 && h == cells[last] {
			continue // huge radii: adjacent neighbours can coincide
		}
		if len(out) > 0 && limit > 0 && len(out) >= limit {
			break
		}
		shift := 52 - 2*uint(h.step)
		r := ZScoreRange{Min: float64(h.bits << shift), Max: float64((h.bits + 1) << shift), MaxEx: true}
		err := z.scoreWalk(r, false, func(m []byte, sc float64) bool {
			lon, lat := GeoDecode(sc)
			if d, ok := shape.within(&center, lon, lat); ok {
				arena = append(arena, m...)
				ends = append(ends, len(arena))
				out = append(out, GeoPoint{Lon: lon, Lat: lat, Dist: d, Score: sc})
			}
			return !(len(out) > 0 && limit > 0 && len(out) >= limit)
		})
		if err != nil {
			return nil, err
		}
		last = i
	}
	start := 0
	for i, e := range ends {
		out[i].Member = arena[start:e:e]
		start = e
	}
	return out, nil
}

// GeoSort orders points by distance, ascending or (desc) descending, as
// Redis does: glibc's qsort (a stable merge sort) when every point is
// returned, Redis's partial quicksort (pqsort) when only the first count
// are, so that ties come out in Redis's order too.
func GeoSort(points []GeoPoint, desc bool, count int) {
	cmp := func(a, b *GeoPoint) int {
		c := 0
		if a.Dist > b.Dist {
			c = 1
		} else if a.Dist < b.Dist {
			c = -1
		}
		if desc {
			c = -c
		}
		return c
	}
	if count <= 0 || count >= len(points) {
		sort.SliceStable(points, func(i, j int) bool { return cmp(&points[i], &points[j]) < 0 })
		return
	}
	PartialSort(points, cmp, 0, count-1)
}
