package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestMedian(t *testing.T) {
	require.Equal(t, 0.0, median(nil))
	require.Equal(t, 5.0, median([]float64{5}))
	require.Equal(t, 2.0, median([]float64{3, 1, 2}))
	require.Equal(t, 2.5, median([]float64{4, 1, 3, 2}))
	xs := []float64{3, 1, 2}
	median(xs)
	require.Equal(t, []float64{3, 1, 2}, xs, "median must not reorder its input")
}

// Output captured from redis-benchmark 7.0.15 --csv -q.
func TestParseCSV(t *testing.T) {
	out := `"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
"MSET (10 keys)","68027.21","0.711","0.120","0.487","1.311","2.143","3.511"
`
	r := parseCSV(strings.NewReader(out))
	require.Empty(t, r.err)
	require.Equal(t, 68027.21, r.rps)
	require.Equal(t, 0.487, r.p50)

	// LRANGE tests print their LPUSH setup first: the last row counts.
	r = parseCSV(strings.NewReader(`"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
"LPUSH (needed to benchmark LRANGE)","58997.05","0.591","0.088","0.479","0.719","1.855","35.455"
"LRANGE_100 (first 100 elements)","50251.26","0.644","0.240","0.631","0.959","1.063","4.719"
`))
	require.Empty(t, r.err)
	require.Equal(t, 50251.26, r.rps)
	require.Equal(t, 0.631, r.p50)

	r = parseCSV(strings.NewReader(`"test","rps"` + "\n"))
	require.NotEmpty(t, r.err)
	r = parseCSV(strings.NewReader(`"unterminated`))
	require.NotEmpty(t, r.err)
}

func TestLastLine(t *testing.T) {
	stderr := "WARNING: Could not fetch server CONFIG\nError from server: ERR unknown command 'INCR'\n\n"
	require.Equal(t, "Error from server: ERR unknown command 'INCR'", lastLine(stderr))
	require.Equal(t, "", lastLine("WARNING: only a warning\n"))
}

func TestReport(t *testing.T) {
	o := options{tests: []string{"set", "incr"}, pipelines: []int{1}}
	rps := map[key][]float64{
		{"set", 1, "redis"}:  {100, 300, 200},
		{"set", 1, "shale"}:  {50, 150, 100},
		{"incr", 1, "redis"}: {10},
	}
	p50 := map[key][]float64{{"set", 1, "redis"}: {0.5}}
	errs := map[key]string{{"incr", 1, "shale"}: "Error from server: ERR unknown command 'INCR'"}
	var b bytes.Buffer
	report(&b, o, rps, p50, errs)
	out := b.String()
	require.Regexp(t, `SET\s+1\s+200\s+100\s+0\.50\s+0\.500ms\s+n/a`, out)
	require.Regexp(t, `INCR\s+1\s+10\s+n/a\s+n/a`, out)
	require.Contains(t, out, "shale incr -P 1: Error from server: ERR unknown command 'INCR'")
}
