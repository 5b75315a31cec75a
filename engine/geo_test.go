package engine

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"
)

// Values below come from redis-server 7.0.15 (GEOADD then ZSCORE, GEOPOS,
// GEOHASH, GEODIST).
func TestGeoEncodeDecode(t *testing.T) {
	require.Equal(t, float64(3479099956230698), GeoScore(13.361389, 38.115556))
	require.Equal(t, float64(3479447370796909), GeoScore(15.087269, 37.502669))
	lon, lat := GeoDecode(3479099956230698)
	require.Equal(t, "13.36138933897018433", fmt.Sprintf("%.17f", lon))
	require.Equal(t, "38.11555639549629859", fmt.Sprintf("%.17f", lat))
	require.Equal(t, "sqc8b49rny0", string(GeoHashString(nil, 3479099956230698)))
	require.Equal(t, "sqdtr74hyu0", string(GeoHashString(nil, 3479447370796909)))
	lon2, lat2 := GeoDecode(3479447370796909)
	require.Equal(t, "166274.1516", fmt.Sprintf("%.4f", GeoDistance(lon, lat, lon2, lat2)))
	// The top corner: the latitude offset reaches 2^26 and spills into
	// bit 52 (Redis decodes it back to 180, 85.0511287799999991).
	lon, lat = GeoDecode(GeoScore(180, GeoLatMax))
	require.Equal(t, "180.00000000000000000", fmt.Sprintf("%.17f", lon))
	require.Equal(t, "85.05112877999999910", fmt.Sprintf("%.17f", lat))
	// Scores that are no geohash: C's double -> uint64 conversion.
	lon, lat = GeoDecode(-5)
	require.Equal(t, 180.0, lon)
	require.Equal(t, "85.05112877999999910", fmt.Sprintf("%.17f", lat))
}

// TestGeoMathCorrectlyRounded checks sin/cos/asin against correctly
// rounded values (computed with 200-bit arithmetic).
func TestGeoMathCorrectlyRounded(t *testing.T) {
	for _, v := range [][5]float64{
		{0x1.92b96a023af34p-1, 0x1.6a7685d909227p-1, 0x1.699d2655faa5ep-1, 0x1.7bcb8116f23eep-1, 0x1.abe4f13fb46a0p-1},
		{0x1.e3a527c09a7fcp+0, 0x1.e642404bdade9p-1, -0x1.409a1279f121ep-2, 0x1.e288d7f5db50cp-1, 0x1.3ad9ba8ebef7fp+0},
		{0x1.890cc152560a0p+0, 0x1.ffadaba6b783ap-1, 0x1.224eedc018061p-5, 0x1.d83afb61ec2c4p-1, 0x1.2c8eda57a8b42p+0},
		{-0x1.81d6c3438c60fp+1, -0x1.03db52942ecb9p-3, -0x1.fbdca1f73f578p-1, 0x1.dccc2f63529c2p-2, 0x1.eff650e791daep-2},
		{0x1.6b32a47fe72a6p+1, 0x1.32a1661b9679dp-2, -0x1.e8819f3013dfcp-1, 0x1.4c46648351904p-1, 0x1.6997bdf873bc6p-1},
		{0x1.486aed4342f6ap+1, 0x1.16ccbafa7bc35p-1, -0x1.ad6f7278d5782p-1, 0x1.cfb10ebe5bb28p-4, 0x1.d0b013b2d954dp-4},
	} {
		require.Equal(t, v[1], geoSin(v[0]), "sin %x", v[0])
		require.Equal(t, v[2], geoCos(v[0]), "cos %x", v[0])
		require.Equal(t, v[4], geoAsin(v[3]), "asin %x", v[3])
	}
	require.Equal(t, 0.0, geoSin(0))
	require.Equal(t, 1.0, geoCos(0))
	require.Equal(t, math.Pi/2, geoAsin(1))
	require.True(t, math.IsNaN(geoAsin(1.0000000000000002)))
	// Against Go's math (within an ulp or two) over a wide sample.
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20000; i++ {
		x := r.Float64()*7 - 3.5
		require.InDelta(t, math.Sin(x), geoSin(x), 4e-16)
		require.InDelta(t, math.Cos(x), geoCos(x), 4e-16)
		a := r.Float64()
		require.InEpsilon(t, math.Asin(a), geoAsin(a), 1e-15)
	}
}

// TestGeoPQSort checks Redis's partial quicksort: the first k are the k
// smallest in order, and nothing is lost; a full sort is stable.
func TestGeoPQSort(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for round := 0; round < 300; round++ {
		n := 1 + r.IntN(200)
		pts := make([]GeoPoint, n)
		for i := range pts {
			pts[i] = GeoPoint{Dist: float64(r.IntN(40)), Member: []byte(fmt.Sprint(i))}
		}
		ref := append([]GeoPoint(nil), pts...)
		desc := r.IntN(2) == 0
		sort.SliceStable(ref, func(i, j int) bool {
			if desc {
				return ref[i].Dist > ref[j].Dist
			}
			return ref[i].Dist < ref[j].Dist
		})
		k := 1 + r.IntN(n)
		got := append([]GeoPoint(nil), pts...)
		GeoSort(got, desc, k)
		for i := 0; i < k; i++ {
			require.Equal(t, ref[i].Dist, got[i].Dist, "n=%d k=%d i=%d", n, k, i)
		}
		seen := map[string]bool{}
		for _, p := range got {
			seen[string(p.Member)] = true
		}
		require.Len(t, seen, n)
		full := append([]GeoPoint(nil), pts...)
		GeoSort(full, desc, 0)
		require.Equal(t, ref, full)
	}
}

// TestGeoSearchEngine searches a sorted set through the engine: the
// members within the radius, with their distances, and only those; ANY
// stops at the limit; a missing key gives nothing.
func TestGeoSearchEngine(t *testing.T) {
	e := openLZEngine(t)
	r := rand.New(rand.NewPCG(5, 6))
	type pos struct{ lon, lat float64 }
	all := map[string]pos{}
	var items []ZItem
	for i := 0; i < 3000; i++ {
		p := pos{10 + r.Float64()*2, 45 + r.Float64()*2}
		m := fmt.Sprintf("m%d", i)
		all[m] = p
		items = append(items, ZItem{Member: []byte(m), Score: GeoScore(p.lon, p.lat)})
	}
	lzRun(t, e, func(tx *Tx) error { _, err := tx.ZAdd([]byte("g"), items, ZAddFlags{}); return err })
	shape := &GeoShape{Lon: 11, Lat: 46, Radius: 30, Conversion: 1000}
	var got []GeoPoint
	lzRun(t, e, func(tx *Tx) error {
		var err error
		got, err = tx.GeoSearch([]byte("g"), shape, 0)
		return err
	})
	want := 0
	for _, p := range all {
		dlon, dlat := GeoDecode(GeoScore(p.lon, p.lat))
		if GeoDistance(11, 46, dlon, dlat) <= 30000 {
			want++
		}
	}
	require.Greater(t, want, 50)
	require.Len(t, got, want)
	seen := map[string]bool{}
	for _, p := range got {
		require.False(t, seen[string(p.Member)], "duplicate %s", p.Member)
		seen[string(p.Member)] = true
		require.LessOrEqual(t, p.Dist, 30000.0)
		lon, lat := GeoDecode(p.Score)
		require.Equal(t, lon, p.Lon)
		require.Equal(t, lat, p.Lat)
	}
	lzRun(t, e, func(tx *Tx) error {
		var err error
		got, err = tx.GeoSearch([]byte("g"), shape, 5)
		return err
	})
	require.Len(t, got, 5)
	lzRun(t, e, func(tx *Tx) error {
		var err error
		got, err = tx.GeoSearch([]byte("nokey"), shape, 0)
		return err
	})
	require.Empty(t, got)
}
