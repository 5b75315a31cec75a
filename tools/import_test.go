package tools_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/shaledb/shale/rdb"
	"github.com/shaledb/shale/rdb/rdbtest"
	"github.com/shaledb/shale/server/servertest"
	"github.com/shaledb/shale/tools"
	"github.com/stretchr/testify/require"
)

// stripUnsupported removes what Shale (a Redis 7.0 server) does not hold:
// hash field TTLs (Redis 7.4).
func stripUnsupported(x *rdbtest.Expected) int {
	streams := 0
	for dbs, db := range x.Databases {
		keys := db.Keys[:0]
		for _, k := range db.Keys {
			k.FieldExpireMs = nil
			keys = append(keys, k)
		}
		db.Keys = keys
		x.Databases[dbs] = db
	}
	return streams
}

func TestToolsImportFixtures(t *testing.T) {
	dir := rdbtest.FixturesDir()
	if dir == "" {
		t.Skip("!!! ../shared/rdb-fixtures NOT FOUND: RDB import fixture tests skipped !!!")
	}
	for _, f := range rdbtest.Fixtures(dir) {
		// live: into a running server (RESTORE-like path, first-start
		// import); bulk: shale-rdb import's sorted-table ingestion.
		for _, mode := range []string{"live", "bulk"} {
			t.Run(filepath.Base(f)+"/"+mode, func(t *testing.T) { importFixture(t, f, mode == "bulk") })
		}
	}
}

func importFixture(t *testing.T, f string, bulk bool) {
	x, err := rdbtest.LoadExpected(f)
	require.NoError(t, err)
	var (
		s  *servertest.Server
		st *tools.ImportStats
	)
	if bulk {
		data := filepath.Join(t.TempDir(), "data")
		st, err = tools.ImportDir(f, data, 16, tools.ImportOptions{BulkMemory: 1 << 20})
		if err == nil {
			s = servertest.StartDir(t, data)
		} else {
			_, serr := os.Stat(data)
			require.True(t, os.IsNotExist(serr), "a failed import leaves no directory")
		}
	} else {
		s = servertest.Start(t)
		in, oerr := os.Open(f)
		require.NoError(t, oerr)
		defer in.Close()
		st, err = tools.Import(s.Srv.Engine, in, tools.ImportOptions{})
	}
	if x.Refused() {
		var re *rdb.Error
		require.ErrorAs(t, err, &re)
		t.Logf("refused: %v", err)
		return
	}
	require.NoError(t, err)
	streams := stripUnsupported(x)
	require.EqualValues(t, streams, st.Streams)
	var dbs []int
	for db := range x.Databases {
		n, _ := strconv.Atoi(db)
		dbs = append(dbs, n)
	}
	if len(dbs) == 0 {
		dbs = []int{0}
	}
	got, err := rdbtest.FromServer(context.Background(), s.Addr, dbs)
	require.NoError(t, err)
	if !bulk {
		// Function libraries are loaded by the server at its next
		// start: compare what the import stored.
		libs, err := tools.StoredFunctions(s.Srv.Engine)
		require.NoError(t, err)
		got.Functions = []string{}
		for _, l := range libs {
			got.Functions = append(got.Functions, string(l))
		}
	}
	require.Empty(t, rdbtest.Compare(x, got))
	// Redis's dataset digest of the file equals the imported data's.
	in, err := os.Open(f)
	require.NoError(t, err)
	defer in.Close()
	fileDigest, err := tools.DigestRDB(in, 0)
	require.NoError(t, err)
	shaleDigest, err := tools.Digest(s.Srv.Engine)
	require.NoError(t, err)
	require.Equal(t, fileDigest, shaleDigest)
	total := 0
	for _, db := range x.Databases {
		total += len(db.Keys)
	}
	require.EqualValues(t, total, st.TotalKeys())
	// DBSIZE comes from the key counters the import wrote.
	c := s.Client()
	for _, db := range dbs {
		n, err := servertest.Do(c, "SELECT", db)
		require.NoError(t, err, "%v", n)
		size, err := c.DBSize(context.Background()).Result()
		require.NoError(t, err)
		require.EqualValues(t, len(x.Databases[strconv.Itoa(db)].Keys), size, "db %d", db)
	}
}
