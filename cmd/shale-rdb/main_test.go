package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/shaledb/shale/rdb/rdbtest"
	"github.com/stretchr/testify/require"
)

func TestShaleRDBImportExportVerify(t *testing.T) {
	fx := rdbtest.FixturesDir()
	if fx == "" {
		t.Skip("!!! ../shared/rdb-fixtures NOT FOUND: shale-rdb tests skipped !!!")
	}
	src := filepath.Join(fx, "redis-7.0.15-all-types.rdb")
	tmp := t.TempDir()
	data := filepath.Join(tmp, "data")

	var out, errb bytes.Buffer
	require.NoError(t, runVerify([]string{src}, &out))
	require.Contains(t, out.String(), "RDB version 10")
	require.Contains(t, out.String(), "db15: keys=1")
	require.Contains(t, out.String(), "function libraries: 2")
	require.Regexp(t, `\ndigest [0-9a-f]{40} \(DEBUG DIGEST once loaded\)\n`, out.String())

	out.Reset()
	require.NoError(t, runImport([]string{src, "--dir", data}, &out, &errb))
	require.Contains(t, out.String(), "imported 86 keys")
	require.Contains(t, out.String(), "  stream  5")

	// A second import into the now non-empty directory is refused.
	require.ErrorContains(t, runImport([]string{src, "--dir", data, "--quiet"}, &out, &errb), "not empty")

	out.Reset()
	dump := filepath.Join(tmp, "out.rdb")
	require.NoError(t, runExport([]string{"--dir", data, "-o", dump}, &out))
	require.Contains(t, out.String(), "exported 86 keys")
	require.Contains(t, out.String(), "function libraries: 2")
	out.Reset()
	require.NoError(t, runVerify([]string{dump}, &out))
	require.Contains(t, out.String(), "RDB version 10")
	if chk, err := exec.LookPath("redis-check-rdb"); err == nil {
		b, err := exec.Command(chk, dump).CombinedOutput()
		require.NoError(t, err, "%s", b)
	}
}

func TestShaleRDBImportCorruptLeavesNothing(t *testing.T) {
	fx := rdbtest.FixturesDir()
	if fx == "" {
		t.Skip("!!! ../shared/rdb-fixtures NOT FOUND: shale-rdb tests skipped !!!")
	}
	tmp := t.TempDir()
	data := filepath.Join(tmp, "data")
	var out, errb bytes.Buffer
	err := runImport([]string{filepath.Join(fx, "redis-test-assets", "corrupt_ziplist.rdb"), "--dir", data, "--quiet"}, &out, &errb)
	require.ErrorContains(t, err, "ziplist integrity check failed (at byte offset 494)")
	_, serr := os.Stat(data)
	require.True(t, os.IsNotExist(serr))
	ents, _ := os.ReadDir(tmp)
	require.Empty(t, ents, "no temporary directory left behind")

	// Truncated file: error with an offset, nothing left behind either.
	b, err := os.ReadFile(filepath.Join(fx, "redis-7.0.15-all-types.rdb"))
	require.NoError(t, err)
	cut := filepath.Join(tmp, "cut.rdb")
	require.NoError(t, os.WriteFile(cut, b[:len(b)/2], 0o644))
	err = runImport([]string{cut, "--dir", data, "--quiet"}, &out, &errb)
	require.ErrorContains(t, err, "unexpected EOF (at byte offset")
	_, serr = os.Stat(data)
	require.True(t, os.IsNotExist(serr))
	require.ErrorContains(t, runVerify([]string{cut}, &out), "unexpected EOF")
}

// export compresses by default; --no-compress and --no-checksum write what
// rdbcompression no / rdbchecksum no would, and every variant verifies.
func TestShaleRDBExportCompressionFlags(t *testing.T) {
	fx := rdbtest.FixturesDir()
	if fx == "" {
		t.Skip("!!! ../shared/rdb-fixtures NOT FOUND: shale-rdb tests skipped !!!")
	}
	tmp := t.TempDir()
	data := filepath.Join(tmp, "data")
	var out, errb bytes.Buffer
	require.NoError(t, runImport([]string{filepath.Join(fx, "redis-7.0.15-all-types.rdb"), "--dir", data, "--quiet"}, &out, &errb))
	size := map[string]int64{}
	for name, flags := range map[string][]string{"default": nil, "plain": {"--no-compress"}, "nocrc": {"--no-checksum"}} {
		path := filepath.Join(tmp, name+".rdb")
		require.NoError(t, runExport(append([]string{"--dir", data, "-o", path}, flags...), &out))
		fi, err := os.Stat(path)
		require.NoError(t, err)
		size[name] = fi.Size()
		out.Reset()
		require.NoError(t, runVerify([]string{path}, &out), name)
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		if name == "nocrc" {
			require.Equal(t, make([]byte, 8), b[len(b)-8:])
		} else {
			require.NotEqual(t, make([]byte, 8), b[len(b)-8:])
		}
	}
	require.Less(t, size["default"], size["plain"], "the fixture has compressible strings")
}
