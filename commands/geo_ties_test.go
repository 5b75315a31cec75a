package commands_test

import (
	"context"
	"fmt"
	"math/rand"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/shaledb/shale/server/servertest"
	"github.com/stretchr/testify/require"
)

// GEOSEARCH ... COUNT orders members at equal distances as Redis 7.0's
// partial quicksort does (a port with an insertion-sort fallback Redis
// lacks ordered some ties differently).
func TestGeoSearchCountTiesMatchRedis(t *testing.T) {
	ctx := context.Background()
	rc := dumpRealRedis(t)
	s := servertest.Start(t)
	sc := redis.NewClient(&redis.Options{Addr: s.Addr, Protocol: 2})
	defer sc.Close()
	rng := rand.New(rand.NewSource(1))
	queries := 0
	for round := 0; round < 120; round++ {
		n, k := 2+rng.Intn(59), 1+rng.Intn(5)
		locs := make([][2]float64, k)
		for i := range locs {
			locs[i] = [2]float64{15 + rng.Float64(), 37 + rng.Float64()}
		}
		for _, c := range []*redis.Client{rc, sc} {
			require.NoError(t, c.Del(ctx, "g").Err())
			for i := 0; i < n; i++ {
				l := locs[i%k]
				require.NoError(t, c.GeoAdd(ctx, "g", &redis.GeoLocation{Longitude: l[0], Latitude: l[1], Name: fmt.Sprintf("m%d", i)}).Err())
			}
		}
		for q := 0; q < 6; q++ {
			args := []any{"GEOSEARCH", "g", "FROMLONLAT", 15.5, 37.5, "BYRADIUS", 500, "km", []string{"ASC", "DESC"}[rng.Intn(2)], "COUNT", 1 + rng.Intn(n)}
			if rng.Intn(2) == 0 {
				args = append(args, "WITHDIST")
			}
			want, err := rc.Do(ctx, args...).Result()
			require.NoError(t, err)
			got, err := sc.Do(ctx, args...).Result()
			require.NoError(t, err)
			require.Equal(t, want, got, "round %d: %v", round, args)
			queries++
		}
	}
	t.Logf("%d queries equal", queries)
}
