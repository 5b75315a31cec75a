package commands_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shaledb/shale/server/servertest"
	"github.com/stretchr/testify/require"
)

// Expected replies below were taken from redis-server 7.0.15 (run these
// tests with LZ_REDIS_ADDR=host:port to check them against a real Redis).

func geoSicily(t *testing.T, c *redis.Client) {
	t.Helper()
	lzDo(t, c, int64(3), "GEOADD", "Sicily", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania", "13.583333", "37.316667", "Agrigento")
}

func TestGeoAddPosHashDist(t *testing.T) {
	s := lzStart(t)
	c := s.Client()
	geoSicily(t, c)
	// A geo member's score is its 52-bit interleaved geohash.
	lzDo(t, c, "3479099956230698", "ZSCORE", "Sicily", "Palermo")
	lzDo(t, c, "3479447370796909", "ZSCORE", "Sicily", "Catania")
	lzDo(t, c, "3479030013248308", "ZSCORE", "Sicily", "Agrigento")
	lzDo(t, c, []any{
		[]any{"13.36138933897018433", "38.11555639549629859"},
		[]any{"15.08726745843887329", "37.50266842333162032"},
		nil,
		[]any{"13.5833314061164856", "37.31666804993816555"},
	}, "GEOPOS", "Sicily", "Palermo", "Catania", "nosuch", "Agrigento")
	lzDo(t, c, []any{"sqc8b49rny0", "sqdtr74hyu0", nil, "sq9sm1716e0"}, "GEOHASH", "Sicily", "Palermo", "Catania", "nosuch", "Agrigento")
	lzDo(t, c, []any{nil, nil}, "GEOPOS", "nokey", "a", "b")
	lzDo(t, c, []any{nil}, "GEOHASH", "nokey", "a")
	lzDo(t, c, []any{}, "GEOHASH", "Sicily")

	lzDo(t, c, "166274.1516", "GEODIST", "Sicily", "Palermo", "Catania")
	lzDo(t, c, "166274.1516", "GEODIST", "Sicily", "Palermo", "Catania", "M")
	lzDo(t, c, "166.2742", "GEODIST", "Sicily", "Palermo", "Catania", "km")
	lzDo(t, c, "103.3182", "GEODIST", "Sicily", "Palermo", "Catania", "mi")
	lzDo(t, c, "545518.8700", "GEODIST", "Sicily", "Palermo", "Catania", "ft")
	lzDo(t, c, "90.9778", "GEODIST", "Sicily", "Palermo", "Agrigento", "KM")
	lzDo(t, c, "0.0000", "GEODIST", "Sicily", "Palermo", "Palermo")
	lzNil(t, c, "GEODIST", "Sicily", "Palermo", "nosuch")
	lzNil(t, c, "GEODIST", "nokey", "a", "b")
	lzErr(t, c, "ERR unsupported unit provided. please use M, KM, FT, MI", "GEODIST", "Sicily", "Palermo", "Catania", "parsec")
	// The unit is checked before the key.
	lzErr(t, c, "ERR unsupported unit provided. please use M, KM, FT, MI", "GEODIST", "nokey", "a", "b", "yd")
	lzErr(t, c, "ERR syntax error", "GEODIST", "Sicily", "Palermo", "Catania", "km", "extra")
	lzErr(t, c, "ERR wrong number of arguments for 'geodist' command", "GEODIST", "Sicily", "Palermo")

	// NX / XX / CH, and the ZADD reply.
	lzDo(t, c, int64(0), "GEOADD", "Sicily", "13.361389", "38.115556", "Palermo")
	lzDo(t, c, int64(1), "GEOADD", "Sicily", "CH", "13.4", "38.1", "Palermo")
	lzDo(t, c, int64(0), "GEOADD", "Sicily", "NX", "13.361389", "38.115556", "Palermo")
	lzDo(t, c, int64(0), "GEOADD", "Sicily", "XX", "13.361389", "38.115556", "Palermo", "1", "1", "Nowhere")
	lzDo(t, c, "3479099956230698", "ZSCORE", "Sicily", "Palermo")
	lzNil(t, c, "ZSCORE", "Sicily", "Nowhere")
	lzDo(t, c, int64(2), "GEOADD", "Sicily", "nx", "ch", "1", "1", "Palermo", "2", "2", "Somewhere", "3", "3", "Elsewhere")
	lzDo(t, c, int64(5), "ZCARD", "Sicily")
	lzDo(t, c, int64(0), "GEOADD", "newkey", "XX", "1", "1", "a")
	lzDo(t, c, int64(0), "EXISTS", "newkey")

	// Errors, and nothing written by a failing GEOADD.
	lzErr(t, c, "ERR syntax error", "GEOADD", "k", "NX", "XX", "1", "1", "a")
	lzErr(t, c, "ERR syntax error", "GEOADD", "k", "1", "1", "a", "2")
	lzErr(t, c, "ERR syntax error", "GEOADD", "k", "CH", "CH", "CH")
	lzErr(t, c, "ERR value is not a valid float", "GEOADD", "k", "GT", "1", "1")
	lzErr(t, c, "ERR value is not a valid float", "GEOADD", "k", "1", "abc", "a")
	lzErr(t, c, "ERR invalid longitude,latitude pair 200.000000,100.000000", "GEOADD", "k", "1", "1", "a", "200", "100", "b")
	lzErr(t, c, "ERR invalid longitude,latitude pair 1.000000,85.051129", "GEOADD", "k", "1", "85.0511288", "a")
	lzErr(t, c, "ERR invalid longitude,latitude pair inf,1.000000", "GEOADD", "k", "inf", "1", "a")
	lzErr(t, c, "ERR wrong number of arguments for 'geoadd' command", "GEOADD", "k", "1", "1")
	lzDo(t, c, int64(0), "EXISTS", "k")

	// The limits themselves are valid.
	lzDo(t, c, int64(3), "GEOADD", "edge", "180", "85.05112878", "ne", "-180", "-85.05112878", "sw", "0", "0", "z")
	lzDo(t, c, []any{
		[]any{"180", "85.0511287799999991"}, // latitude offset 2^26 spills into bit 52
		[]any{"-179.99999731779098511", "-85.05112751263942528"},
		[]any{"0.00000268220901489", "0.00000126736058093"},
	}, "GEOPOS", "edge", "ne", "sw", "z")
	lzDo(t, c, []any{"bp05b5048p0", "00bh0hbj200", "s0000000000"}, "GEOHASH", "edge", "ne", "sw", "z")

	// Scores that are not geohashes still decode (as Redis does).
	lzDo(t, c, int64(2), "ZADD", "edge", "0.5", "frac", "-5", "neg")
	lzDo(t, c, []any{
		[]any{"180", "85.0511287799999991"},
		[]any{"-179.99999731779098511", "-85.05112751263942528"},
	}, "GEOPOS", "edge", "neg", "frac")

	// Wrong type.
	lzDo(t, c, "OK", "SET", "str", "x")
	for _, args := range [][]any{
		{"GEOADD", "str", "1", "1", "a"},
		{"GEOPOS", "str", "a"},
		{"GEOHASH", "str", "a"},
		{"GEODIST", "str", "a", "b"},
		{"GEORADIUS", "str", "1", "1", "1", "km"},
		{"GEORADIUS", "str", "1", "1", "1", "km", "bogus"}, // type first
		{"GEORADIUSBYMEMBER", "str", "a", "1", "km"},
		{"GEOSEARCH", "str", "FROMMEMBER", "a", "BYBOX", "1", "1", "km"},
		{"GEOSEARCHSTORE", "dst", "str", "FROMLONLAT", "1", "1", "BYRADIUS", "1", "km"},
	} {
		lzErr(t, c, lzWrongType, args...)
	}
	lzDo(t, c, "x", "GET", "str")
}

func TestGeoRadius(t *testing.T) {
	s := lzStart(t)
	c := s.Client()
	geoSicily(t, c)
	lzDo(t, c, []any{
		[]any{"Agrigento", "130.4235", int64(3479030013248308), []any{"13.5833314061164856", "37.31666804993816555"}},
		[]any{"Palermo", "190.4424", int64(3479099956230698), []any{"13.36138933897018433", "38.11555639549629859"}},
		[]any{"Catania", "56.4413", int64(3479447370796909), []any{"15.08726745843887329", "37.50266842333162032"}},
	}, "GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHCOORD", "WITHHASH", "WITHDIST")
	lzDo(t, c, []any{"Catania", "Agrigento", "Palermo"}, "GEORADIUS", "Sicily", "15", "37", "200", "km", "ASC")
	lzDo(t, c, []any{"Palermo", "Agrigento", "Catania"}, "GEORADIUS", "Sicily", "15", "37", "200", "km", "DESC")
	lzDo(t, c, []any{[]any{"Palermo", "190.4424"}, []any{"Agrigento", "130.4235"}}, "GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "2", "DESC", "WITHDIST")
	// COUNT alone sorts ascending; COUNT ANY takes the first found.
	lzDo(t, c, []any{"Catania"}, "GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "1")
	lzDo(t, c, []any{"Agrigento"}, "GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "1", "ANY")
	lzDo(t, c, []any{[]any{"Agrigento", "81.0416"}, []any{"Catania", "35.0711"}}, "GEORADIUS", "Sicily", "15", "37", "100", "mi", "WITHDIST")
	lzDo(t, c, []any{[]any{"Catania", "185174.7305"}}, "GEORADIUS", "Sicily", "15", "37", "200000", "ft", "WITHDIST")
	lzDo(t, c, []any{}, "GEORADIUS", "Sicily", "15", "37", "1", "m")
	lzDo(t, c, []any{}, "GEORADIUS", "nokey", "15", "37", "200", "km")
	lzDo(t, c, []any{[]any{"Agrigento", "0.0000"}, []any{"Palermo", "90.9778"}}, "GEORADIUSBYMEMBER", "Sicily", "Agrigento", "100", "km", "WITHDIST")
	lzDo(t, c, []any{"Agrigento", "Palermo"}, "GEORADIUSBYMEMBER_RO", "Sicily", "Agrigento", "100", "km")
	lzDo(t, c, []any{"Catania"}, "GEORADIUS_RO", "Sicily", "15", "37", "100", "km")

	// Errors, in Redis's order.
	lzErr(t, c, "ERR COUNT must be > 0", "GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "0")
	lzErr(t, c, "ERR COUNT must be > 0", "GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "-1")
	lzErr(t, c, "ERR value is not an integer or out of range", "GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "x")
	lzErr(t, c, "ERR syntax error", "GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT")
	lzErr(t, c, "ERR syntax error", "GEORADIUS", "Sicily", "15", "37", "200", "km", "bogus")
	lzErr(t, c, "ERR syntax error", "GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE")
	lzErr(t, c, "ERR the ANY argument requires COUNT argument", "GEORADIUS", "Sicily", "15", "37", "200", "km", "ANY")
	lzErr(t, c, "ERR invalid longitude,latitude pair 200.000000,100.000000", "GEORADIUS", "Sicily", "200", "100", "200", "km")
	lzErr(t, c, "ERR value is not a valid float", "GEORADIUS", "Sicily", "x", "37", "200", "km")
	lzErr(t, c, "ERR need numeric radius", "GEORADIUS", "Sicily", "15", "37", "x", "km")
	lzErr(t, c, "ERR radius cannot be negative", "GEORADIUS", "Sicily", "15", "37", "-1", "km")
	lzErr(t, c, "ERR unsupported unit provided. please use M, KM, FT, MI", "GEORADIUS", "Sicily", "15", "37", "1", "yd")
	lzErr(t, c, "ERR could not decode requested zset member", "GEORADIUSBYMEMBER", "Sicily", "nosuch", "100", "km")
	lzErr(t, c, "ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options", "GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE", "dst", "WITHDIST")
	lzErr(t, c, "ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options", "GEORADIUSBYMEMBER", "Sicily", "Palermo", "200", "km", "WITHCOORD", "STOREDIST", "dst")
	lzErr(t, c, "ERR syntax error", "GEORADIUS_RO", "Sicily", "15", "37", "200", "km", "STORE", "dst")
	lzErr(t, c, "ERR syntax error", "GEORADIUSBYMEMBER_RO", "Sicily", "Palermo", "200", "km", "STOREDIST", "dst")
	// A missing source skips the member and radius checks.
	lzDo(t, c, []any{}, "GEORADIUSBYMEMBER", "nokey", "nosuch", "x", "yd")
	lzErr(t, c, "ERR syntax error", "GEORADIUSBYMEMBER", "nokey", "nosuch", "x", "yd", "bogus")

	// Key positions as Redis 7.0's key specs give them.
	lzDo(t, c, []any{"g", "d1", "d2"}, "COMMAND", "GETKEYS", "GEORADIUS", "g", "1", "1", "1", "km", "STOREDIST", "d2", "STORE", "d1")
	lzDo(t, c, []any{"g"}, "COMMAND", "GETKEYS", "GEORADIUSBYMEMBER", "g", "store", "1", "km")
	lzDo(t, c, []any{"d", "g"}, "COMMAND", "GETKEYS", "GEOSEARCHSTORE", "d", "g", "FROMMEMBER", "m", "BYRADIUS", "1", "km")

	// STORE / STOREDIST.
	lzDo(t, c, int64(3), "GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE", "dst")
	lzDo(t, c, []any{"Agrigento", "3479030013248308", "Palermo", "3479099956230698", "Catania", "3479447370796909"}, "ZRANGE", "dst", "0", "-1", "WITHSCORES")
	lzDo(t, c, int64(2), "GEORADIUS", "Sicily", "15", "37", "200", "km", "STOREDIST", "dst", "COUNT", "2")
	lzDo(t, c, []any{"Catania", "56.441257870158204", "Agrigento", "130.42348706714702"}, "ZRANGE", "dst", "0", "-1", "WITHSCORES")
	lzDo(t, c, int64(1), "GEORADIUSBYMEMBER", "Sicily", "Catania", "10", "km", "STORE", "dst")
	lzDo(t, c, []any{"Catania", "3479447370796909"}, "ZRANGE", "dst", "0", "-1", "WITHSCORES")
	// No result (or no source) deletes the destination.
	lzDo(t, c, int64(0), "GEORADIUS", "Sicily", "15", "37", "1", "m", "STORE", "dst")
	lzDo(t, c, int64(0), "EXISTS", "dst")
	lzDo(t, c, "OK", "SET", "dst", "x")
	lzDo(t, c, int64(0), "GEORADIUS", "nokey", "15", "37", "1", "m", "STORE", "dst")
	lzDo(t, c, int64(0), "EXISTS", "dst")
	// The destination may be of any type, and may be the source.
	lzDo(t, c, "OK", "SET", "dst", "x")
	lzDo(t, c, int64(1), "GEORADIUS", "Sicily", "15", "37", "100", "km", "STORE", "dst")
	lzDo(t, c, "zset", "TYPE", "dst")
	lzDo(t, c, int64(1), "GEORADIUS", "Sicily", "15", "37", "100", "km", "STORE", "Sicily")
	lzDo(t, c, []any{"Catania"}, "ZRANGE", "Sicily", "0", "-1")
}

func TestGeoSearch(t *testing.T) {
	s := lzStart(t)
	c := s.Client()
	geoSicily(t, c)
	lzDo(t, c, []any{[]any{"Catania", "56.4413"}, []any{"Agrigento", "130.4235"}, []any{"Palermo", "190.4424"}},
		"GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "400", "400", "km", "ASC", "WITHDIST")
	lzDo(t, c, []any{}, "GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "100", "100", "km")
	lzDo(t, c, []any{"Catania"}, "GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "150", "150", "km")
	lzDo(t, c, []any{[]any{"Palermo", "0.0000"}, []any{"Agrigento", "90.9778"}, []any{"Catania", "166.2742"}},
		"GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "200", "km", "WITHDIST", "ASC")
	lzDo(t, c, []any{"Catania", "Agrigento"}, "GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "200", "km", "DESC", "COUNT", "2")
	lzDo(t, c, []any{}, "GEOSEARCH", "nokey", "FROMMEMBER", "nosuch", "BYRADIUS", "200", "km")

	for _, tc := range []struct {
		err  string
		args []any
	}{
		{"ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for GEOSEARCH", []any{"GEOSEARCH", "Sicily", "BYRADIUS", "200", "km", "ASC", "ASC"}},
		{"ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for geosearch", []any{"geosearch", "Sicily", "BYRADIUS", "200", "km", "ASC", "ASC"}},
		{"ERR exactly one of BYRADIUS and BYBOX can be specified for GEOSEARCH", []any{"GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "ASC", "ASC"}},
		{"ERR syntax error", []any{"GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "km"}},
		{"ERR syntax error", []any{"GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "km", "BYBOX", "1", "1", "km"}},
		{"ERR syntax error", []any{"GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "km", "STORE", "x"}},
		{"ERR syntax error", []any{"GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "km", "STOREDIST"}},
		{"ERR syntax error", []any{"GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "1", "1"}},
		{"ERR could not decode requested zset member", []any{"GEOSEARCH", "Sicily", "FROMMEMBER", "nosuch", "BYRADIUS", "1", "km"}},
		{"ERR height or width cannot be negative", []any{"GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "-1", "1", "km"}},
		{"ERR need numeric width", []any{"GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "w", "1", "km"}},
		{"ERR need numeric height", []any{"GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "1", "h", "km"}},
		{"ERR unsupported unit provided. please use M, KM, FT, MI", []any{"GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "1", "1", "yd"}},
		{"ERR invalid longitude,latitude pair -181.000000,0.000000", []any{"GEOSEARCH", "Sicily", "FROMLONLAT", "-181", "0", "BYBOX", "1", "1", "km"}},
		{"ERR the ANY argument requires COUNT argument", []any{"GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "km", "ANY"}},
		{"ERR COUNT must be > 0", []any{"GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "km", "COUNT", "0", "ANY"}},
		{"ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options", []any{"GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "km", "WITHHASH"}},
		{"ERR syntax error", []any{"GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "km", "STORE", "x"}},
		{"ERR exactly one of BYRADIUS and BYBOX can be specified for GEOSEARCHSTORE", []any{"GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", "15", "37", "STOREDIST", "ASC"}},
	} {
		lzErr(t, c, tc.err, tc.args...)
	}

	lzDo(t, c, int64(3), "GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "STOREDIST")
	lzDo(t, c, []any{"Catania", "56.441257870158204", "Agrigento", "130.42348706714702", "Palermo", "190.44242984775784"}, "ZRANGE", "dst", "0", "-1", "WITHSCORES")
	lzDo(t, c, int64(1), "GEOSEARCHSTORE", "dst", "Sicily", "FROMMEMBER", "Palermo", "BYBOX", "10", "10", "km")
	lzDo(t, c, []any{"Palermo", "3479099956230698"}, "ZRANGE", "dst", "0", "-1", "WITHSCORES")
	lzDo(t, c, int64(0), "GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km")
	lzDo(t, c, int64(0), "EXISTS", "dst")
	lzDo(t, c, int64(0), "GEOSEARCHSTORE", "dst", "nokey", "FROMMEMBER", "x", "BYRADIUS", "1", "km")
}

// TestGeoRESP3 checks the raw replies: coordinates are RESP3 doubles in
// Redis's human format, distances stay bulk strings, missing positions are
// nulls.
func TestGeoRESP3(t *testing.T) {
	s := lzStart(t)
	geoSicily(t, s.Client())
	out := lzRaw(t, s,
		[]string{"HELLO", "3"},
		[]string{"GEOPOS", "Sicily", "Palermo", "nosuch"},
		[]string{"GEOSEARCH", "Sicily", "FROMMEMBER", "Catania", "BYRADIUS", "100", "km", "WITHDIST", "WITHCOORD", "WITHHASH"},
		[]string{"GEODIST", "Sicily", "Palermo", "nosuch"},
		[]string{"GEOHASH", "Sicily", "nosuch"},
	)
	require.Equal(t, "*2\r\n*2\r\n,13.36138933897018433\r\n,38.11555639549629859\r\n_\r\n", out[1])
	require.Equal(t, "*1\r\n*4\r\n$7\r\nCatania\r\n$6\r\n0.0000\r\n:3479447370796909\r\n*2\r\n,15.08726745843887329\r\n,37.50266842333162032\r\n", out[2])
	require.Equal(t, "_\r\n", out[3])
	require.Equal(t, "*1\r\n_\r\n", out[4])
	out = lzRaw(t, s, []string{"GEOPOS", "Sicily", "nosuch"}, []string{"GEOHASH", "Sicily", "nosuch"})
	require.Equal(t, "*1\r\n*-1\r\n", out[0])
	require.Equal(t, "*1\r\n$-1\r\n", out[1])
}

// TestGeoNotify checks the keyspace events: GEOADD is a zadd, the stores
// raise georadiusstore / geosearchstore, an empty store deletes.
func TestGeoNotify(t *testing.T) {
	s := lzStart(t)
	c := s.Client()
	lzDo(t, c, "OK", "CONFIG", "SET", "notify-keyspace-events", "KEA")
	sub := s.Client().Subscribe(lzCtx, "__keyevent@0__:zadd", "__keyevent@0__:georadiusstore", "__keyevent@0__:geosearchstore", "__keyevent@0__:del")
	defer sub.Close()
	_, err := sub.Receive(lzCtx)
	require.NoError(t, err)
	geoSicily(t, c)
	lzDo(t, c, int64(0), "GEOADD", "Sicily", "13.361389", "38.115556", "Palermo") // no change, no event
	lzDo(t, c, int64(3), "GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE", "d1")
	lzDo(t, c, int64(3), "GEOSEARCHSTORE", "d2", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km")
	lzDo(t, c, int64(0), "GEOSEARCHSTORE", "d2", "Sicily", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km")
	var got []string
	ctx, cancel := context.WithTimeout(lzCtx, 5*time.Second)
	defer cancel()
	for len(got) < 4 {
		m, err := sub.ReceiveMessage(ctx)
		require.NoError(t, err)
		got = append(got, m.Channel+" "+m.Payload)
	}
	require.Equal(t, []string{
		"__keyevent@0__:zadd Sicily",
		"__keyevent@0__:georadiusstore d1",
		"__keyevent@0__:geosearchstore d2",
		"__keyevent@0__:del d2",
	}, got)
}

// startRealRedis starts redis-server on a free loopback port, or skips
// loudly.
func startRealRedis(t *testing.T) *redis.Client {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("!!! redis-server is not on PATH: geo results are NOT being compared with a real Redis 7.0 !!!")
	}
	for attempt := 0; attempt < 3; attempt++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", t.TempDir())
		require.NoError(t, cmd.Start())
		c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(port), Protocol: 2, DisableIdentity: true})
		for i := 0; i < 250; i++ {
			if c.Ping(lzCtx).Err() == nil {
				t.Cleanup(func() {
					c.Close()
					_ = cmd.Process.Kill()
					_ = cmd.Wait()
				})
				return c
			}
			time.Sleep(20 * time.Millisecond)
		}
		c.Close()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}
	t.Fatal("redis-server did not start")
	return nil
}

// geoLoad adds n random members to key on every client: half clustered
// around (clon, clat), half anywhere, some sharing positions (ties).
func geoLoad(t *testing.T, rnd *rand.Rand, n int, clon, clat float64, cs ...*redis.Client) {
	t.Helper()
	var batch []any
	flush := func() {
		for _, c := range cs {
			require.NoError(t, c.Do(lzCtx, append([]any{"GEOADD", "g"}, batch...)...).Err())
		}
		batch = batch[:0]
	}
	var lastLon, lastLat string
	for i := 0; i < n; i++ {
		var lon, lat float64
		if i%2 == 1 {
			lon = min(180, max(-180, clon+rnd.Float64()*6-3))
			lat = min(85, max(-85, clat+rnd.Float64()*6-3))
		} else {
			lon = rnd.Float64()*360 - 180
			lat = rnd.Float64()*170.1 - 85.05
		}
		slon, slat := fmt.Sprintf("%.6f", lon), fmt.Sprintf("%.6f", lat)
		if i%50 == 7 && lastLon != "" { // same place as the previous one
			slon, slat = lastLon, lastLat
		}
		lastLon, lastLat = slon, slat
		batch = append(batch, slon, slat, "m"+strconv.Itoa(i))
		if len(batch) >= 3*500 {
			flush()
		}
	}
	if len(batch) > 0 {
		flush()
	}
}

// TestGeoSearchMatchesRedis runs the same random searches on Shale and on
// a real Redis 7.0 holding the same few thousand members: same members,
// same order, same distances, hashes and coordinates, and the same
// STORE/STOREDIST contents.
func TestGeoSearchMatchesRedis(t *testing.T) {
	ref := startRealRedis(t)
	s := servertest.Start(t)
	c := s.Client()
	rnd := rand.New(rand.NewPCG(7, 11))
	clon, clat := 12.5, 41.9
	geoLoad(t, rnd, 4000, clon, clat, ref, c)
	units := []string{"m", "km", "mi", "ft"}
	conv := map[string]float64{"m": 1, "km": 1000, "mi": 1609.34, "ft": 0.3048}
	queries, nonEmpty := 0, 0
	for q := 0; q < 250; q++ {
		lon, lat := clon+rnd.Float64()*4-2, clat+rnd.Float64()*4-2
		if q%5 == 0 {
			lon, lat = rnd.Float64()*360-180, rnd.Float64()*170-85
		}
		unit := units[rnd.IntN(len(units))]
		r := []float64{1e3, 1e4, 5e4, 2e5, 1e6, 6e6}[rnd.IntN(6)] / conv[unit]
		var args []any
		if q%3 == 0 {
			args = []any{"GEORADIUS", "g", fmt.Sprintf("%.5f", lon), fmt.Sprintf("%.5f", lat), fmt.Sprintf("%.3f", r), unit}
		} else {
			args = []any{"GEOSEARCH", "g", "FROMLONLAT", fmt.Sprintf("%.5f", lon), fmt.Sprintf("%.5f", lat)}
			if q%2 == 0 {
				args = append(args, "BYRADIUS", fmt.Sprintf("%.3f", r), unit)
			} else {
				args = append(args, "BYBOX", fmt.Sprintf("%.3f", r*(0.5+rnd.Float64()*1.5)), fmt.Sprintf("%.3f", r*(0.5+rnd.Float64()*1.5)), unit)
			}
		}
		for _, opt := range []string{"WITHDIST", "WITHCOORD", "WITHHASH"} {
			if rnd.IntN(2) == 0 {
				args = append(args, opt)
			}
		}
		switch o := rnd.Float64(); {
		case o < 0.4:
			args = append(args, "ASC")
		case o < 0.6:
			args = append(args, "DESC")
		}
		if rnd.IntN(3) == 0 {
			args = append(args, "COUNT", strconv.Itoa(1+rnd.IntN(50)))
			if rnd.IntN(4) == 0 {
				args = append(args, "ANY")
			}
		}
		want, werr := ref.Do(lzCtx, args...).Result()
		got, gerr := c.Do(lzCtx, args...).Result()
		require.Equal(t, werr, gerr, "%v", args)
		require.Equal(t, want, got, "%v", args)
		queries++
		if l, ok := want.([]any); ok && len(l) > 0 {
			nonEmpty++
		}
	}
	require.Greater(t, nonEmpty, 100, "the searches should mostly find members")

	// Edges: the antimeridian, the poles, zero and infinite radii, huge
	// boxes, odd number syntax.
	for _, cl := range []*redis.Client{ref, c} {
		require.NoError(t, cl.Do(lzCtx, "GEOADD", "e", "180", "0", "a", "-180", "0", "b", "179.9999", "10", "c", "-179.9999", "-10", "d",
			"0", "85.05", "n", "0", "-85.05", "s", "0", "0", "z", "90", "45", "q").Err())
	}
	for _, args := range [][]any{
		{"GEOSEARCH", "e", "FROMLONLAT", "0", "0", "BYRADIUS", "inf", "km", "WITHDIST"},
		{"GEOSEARCH", "e", "FROMLONLAT", "0", "0", "BYRADIUS", "0", "km", "WITHDIST"},
		{"GEOSEARCH", "e", "FROMLONLAT", "180", "0", "BYRADIUS", "2000", "km", "WITHDIST", "ASC"},
		{"GEOSEARCH", "e", "FROMLONLAT", "-180", "0", "BYRADIUS", "2000", "km", "WITHDIST", "ASC"},
		{"GEOSEARCH", "e", "FROMLONLAT", "180", "0", "BYBOX", "4000", "4000", "km", "WITHDIST", "ASC"},
		{"GEOSEARCH", "e", "FROMLONLAT", "0", "85", "BYRADIUS", "500", "km", "WITHDIST", "ASC"},
		{"GEOSEARCH", "e", "FROMLONLAT", "0", "-85", "BYBOX", "1000", "1000", "km", "WITHDIST", "ASC"},
		{"GEOSEARCH", "e", "FROMLONLAT", "0", "0", "BYBOX", "0", "0", "km", "WITHDIST"},
		{"GEOSEARCH", "e", "FROMLONLAT", "0", "0", "BYBOX", "1e10", "1e10", "km", "WITHDIST", "ASC"},
		{"GEOSEARCH", "e", "FROMLONLAT", "0", "0", "BYRADIUS", "1e30", "m", "WITHDIST", "DESC"},
		{"GEOSEARCH", "e", "FROMLONLAT", "0", "0", "BYRADIUS", "20000", "km", "COUNT", "9223372036854775807"},
		{"GEOSEARCH", "e", "FROMLONLAT", "0", "0", "BYRADIUS", "20000", "km", "COUNT", "3", "ANY", "DESC", "WITHCOORD"},
		{"GEORADIUS", "e", "90", "45", "10000", "km", "WITHDIST", "COUNT", "4"},
		{"GEORADIUS", "e", "-0", "-0", "1", "m", "WITHDIST", "WITHCOORD"},
		{"GEORADIUSBYMEMBER", "e", "n", "100000", "km", "WITHDIST", "ASC"},
		{"GEOSEARCH", "e", "FROMMEMBER", "q", "BYBOX", "20000", "100", "km", "WITHDIST", "ASC"},
		{"GEOSEARCH", "e", "FROMMEMBER", "q", "BYBOX", "100", "20000", "km", "WITHDIST", "ASC"},
		{"GEOSEARCH", "e", "FROMLONLAT", "0x10", "0", "BYRADIUS", "1", "km"},
		{"GEOSEARCH", "e", "FROMLONLAT", "1e400", "0", "BYRADIUS", "1", "km"},
		{"GEOSEARCH", "e", "FROMLONLAT", " 1", "0", "BYRADIUS", "1", "km"},
		{"GEOADD", "e", "1", "-85.05112879", "x"},
		{"GEOADD", "e", "-180.0000001", "0", "x"},
		{"GEOADD", "e", "1.5e1", "0", "x"},
		{"GEOPOS", "e", "x", "a", "b", "n", "s"},
		{"GEOHASH", "e", "x", "a", "b", "n", "s"},
	} {
		want, werr := ref.Do(lzCtx, args...).Result()
		got, gerr := c.Do(lzCtx, args...).Result()
		require.Equal(t, werr, gerr, "%v", args)
		require.Equal(t, want, got, "%v", args)
	}

	// Ties: many members at one place, partial sorts (COUNT) included.
	for i := 0; i < 60; i++ {
		for _, cl := range []*redis.Client{ref, c} {
			require.NoError(t, cl.Do(lzCtx, "GEOADD", "ties", "10", "10", "t"+strconv.Itoa(i), "10.001", "10", "u"+strconv.Itoa(i)).Err())
		}
	}
	for _, args := range [][]any{
		{"GEOSEARCH", "ties", "FROMLONLAT", "10", "10", "BYRADIUS", "1", "km", "ASC"},
		{"GEOSEARCH", "ties", "FROMLONLAT", "10", "10", "BYRADIUS", "1", "km", "DESC"},
		{"GEOSEARCH", "ties", "FROMLONLAT", "10", "10", "BYRADIUS", "1", "km", "COUNT", "7"},
		{"GEOSEARCH", "ties", "FROMLONLAT", "10", "10", "BYRADIUS", "1", "km", "COUNT", "70", "DESC"},
		{"GEOSEARCH", "ties", "FROMLONLAT", "10.0004", "10", "BYRADIUS", "1", "km", "COUNT", "45", "WITHDIST"},
	} {
		want, err := ref.Do(lzCtx, args...).Result()
		require.NoError(t, err)
		got, err := c.Do(lzCtx, args...).Result()
		require.NoError(t, err)
		require.Equal(t, want, got, "%v", args)
	}

	// Stores: the stored geohashes are identical; stored distances are
	// compared as printed to 4 decimals (glibc's sin/cos/asin are not
	// always correctly rounded, Shale's are, so the 17th digit may differ
	// on rare members).
	for q := 0; q < 20; q++ {
		lon, lat := clon+rnd.Float64()*4-2, clat+rnd.Float64()*4-2
		base := []any{"g", "FROMLONLAT", fmt.Sprintf("%.5f", lon), fmt.Sprintf("%.5f", lat), "BYRADIUS", strconv.Itoa(10 + rnd.IntN(200)), "km", "COUNT", strconv.Itoa(1 + rnd.IntN(100))}
		for _, dist := range []bool{false, true} {
			args := append([]any{"GEOSEARCHSTORE", "dst"}, base...)
			if dist {
				args = append(args, "STOREDIST")
			}
			want, err := ref.Do(lzCtx, args...).Result()
			require.NoError(t, err)
			got, err := c.Do(lzCtx, args...).Result()
			require.NoError(t, err)
			require.Equal(t, want, got, "%v", args)
			wz, err := ref.ZRangeWithScores(lzCtx, "dst", 0, -1).Result()
			require.NoError(t, err)
			gz, err := c.ZRangeWithScores(lzCtx, "dst", 0, -1).Result()
			require.NoError(t, err)
			require.Equal(t, len(wz), len(gz))
			for i := range wz {
				require.Equal(t, wz[i].Member, gz[i].Member, "%v", args)
				if dist {
					require.Equal(t, fmt.Sprintf("%.4f", wz[i].Score), fmt.Sprintf("%.4f", gz[i].Score), "%v", args)
				} else {
					require.Equal(t, wz[i].Score, gz[i].Score, "%v", args)
				}
			}
		}
	}
	t.Logf("%d searches (%d non-empty) identical to redis-server", queries, nonEmpty)
}

// TestGeoKeyspaceStats checks that the read paths count keyspace hits and
// misses as Redis's lookupKeyRead does (a wrong type is a hit; GEODIST's
// unit error comes before the lookup; GEOADD counts nothing).
func TestGeoKeyspaceStats(t *testing.T) {
	s := lzStart(t)
	c := s.Client()
	geoSicily(t, c)
	lzDo(t, c, "OK", "SET", "str", "x")
	lzDo(t, c, "OK", "CONFIG", "RESETSTAT")
	lzDo(t, c, []any{nil}, "GEOPOS", "nokey", "a")
	lzDo(t, c, []any{[]any{"13.36138933897018433", "38.11555639549629859"}}, "GEOPOS", "Sicily", "Palermo")
	lzNil(t, c, "GEODIST", "nokey", "a", "b", "km")
	lzErr(t, c, "ERR unsupported unit provided. please use M, KM, FT, MI", "GEODIST", "Sicily", "a", "b", "yd")
	lzErr(t, c, lzWrongType, "GEOHASH", "str", "a")
	lzDo(t, c, []any{}, "GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "km")
	lzDo(t, c, []any{}, "GEORADIUS", "nokey", "15", "37", "1", "km")
	lzDo(t, c, int64(0), "GEOADD", "Sicily", "13.361389", "38.115556", "Palermo")
	info, err := c.Info(lzCtx, "stats").Result()
	require.NoError(t, err)
	require.Contains(t, info, "keyspace_hits:3\r\n")
	require.Contains(t, info, "keyspace_misses:3\r\n")
}
