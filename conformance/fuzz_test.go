package conformance_test

import (
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/shaledb/shale/conformance"
	"github.com/shaledb/shale/conformance/fakeredis"
	"github.com/stretchr/testify/require"
)

// vocabCases gives the fuzzer the fake's commands.
const vocabCases = `
=== vocabulary
> SET k v
> GET k
> APPEND k v
> STRLEN k
> INCR n
> DEL k
> EXISTS k
> PING
`

// strlenBug answers STRLEN wrongly for values of 4 bytes or more.
func strlenBug(args []string, r conformance.Value) conformance.Value {
	if strings.EqualFold(args[0], "strlen") && r.Kind == conformance.KindInt && r.Int >= 4 {
		r.Int++
	}
	return r
}

func vocabFiles(t *testing.T) []*conformance.File {
	f, err := conformance.ParseFile("fuzz/vocab.case", vocabCases)
	require.NoError(t, err)
	return []*conformance.File{f}
}

// checkShrunk asserts a fuzz result found the planted STRLEN difference,
// shrank it to a handful of commands, and printed a case file that passes
// on the reference and fails on the target.
func checkShrunk(t *testing.T, res *conformance.FuzzResult, target, reference *conformance.Target) {
	t.Helper()
	require.NotNil(t, res.Diff, "the fuzzer missed the planted difference in %d commands", res.Ops)
	d := res.Diff
	require.True(t, d.Reproduced)
	require.LessOrEqual(t, len(d.Reproducer), 4, "reproducer: %v", d.Reproducer)
	last := d.Reproducer[len(d.Reproducer)-1]
	require.Equal(t, "strlen", conformance.CommandName(last))
	require.Equal(t, "strlen", conformance.CommandName(strings.Fields(d.Args)))
	require.NotEqual(t, d.LastTarget, d.LastReference)

	var sb strings.Builder
	res.WriteText(&sb)
	out := sb.String()
	t.Logf("fuzz report:\n%s", out)
	require.Contains(t, out, "DIFF at command")
	require.Contains(t, out, "STRLEN")
	require.Contains(t, out, d.LastReference[0])
	require.Contains(t, out, d.LastTarget[0])

	// The printed case file is ready to use.
	f, err := conformance.ParseFile("fuzz/found.case", d.Case)
	require.NoError(t, err)
	require.Len(t, f.Cases, 1)
	rep := conformance.Run([]*conformance.File{f}, reference)
	require.False(t, rep.Failed(), "reproducer fails on the reference:\n%s", d.Case)
	rep = conformance.Run([]*conformance.File{f}, target)
	require.True(t, rep.Failed(), "reproducer passes on the target:\n%s", d.Case)
	require.Equal(t, "strlen", rep.Cases[0].Failure.Command)
}

// TestFuzzShrinksPlantedDifference needs no Redis: a correct fake and a
// fake with one wrong reply.
func TestFuzzShrinksPlantedDifference(t *testing.T) {
	good := fakeredis.Start(t, nil)
	bad := fakeredis.Start(t, strlenBug)
	target := &conformance.Target{Addr: bad.Addr, Timeout: 5 * time.Second}
	reference := &conformance.Target{Addr: good.Addr, Timeout: 5 * time.Second}
	res, err := conformance.Fuzz(&conformance.FuzzConfig{Target: target, Reference: reference, Seed: 7, Ops: 3000, Files: vocabFiles(t)})
	require.NoError(t, err)
	checkShrunk(t, res, target, reference)
	require.Greater(t, res.Diff.Original, len(res.Diff.Reproducer))
}

// TestFuzzIdenticalServers finds nothing when there is nothing to find.
func TestFuzzIdenticalServers(t *testing.T) {
	a := fakeredis.Start(t, nil)
	b := fakeredis.Start(t, nil)
	res, err := conformance.Fuzz(&conformance.FuzzConfig{Target: &conformance.Target{Addr: a.Addr},
		Reference: &conformance.Target{Addr: b.Addr}, Seed: 3, Ops: 1500, Files: vocabFiles(t)})
	require.NoError(t, err)
	require.Nil(t, res.Diff)
	require.Equal(t, 1500, res.Ops)
	require.Greater(t, res.Commands["strlen"], 50)
}

// TestFuzzRealRedisAgainstBrokenProxy: a real Redis as reference, and a
// second real Redis behind a proxy that answers STRLEN wrongly, fuzzed
// with the commands of every recorded case.
func TestFuzzRealRedisAgainstBrokenProxy(t *testing.T) {
	ref := startRedis(t)
	other := startRedis(t)
	proxy := fakeredis.Proxy(t, other, strlenBug)
	target := &conformance.Target{Addr: proxy.Addr, Timeout: 5 * time.Second}
	reference := &conformance.Target{Addr: ref, Timeout: 5 * time.Second}
	files := loadCases(t)
	res, err := conformance.Fuzz(&conformance.FuzzConfig{Target: target, Reference: reference, Seed: 11, Ops: 5000, Files: files})
	require.NoError(t, err)
	checkShrunk(t, res, target, reference)

	// run and diff name the command and both replies too.
	strlen := conformance.Filter(files, []string{"strings/strlen.case"})
	require.NotEmpty(t, strlen)
	rep := conformance.Run(strlen, target)
	require.True(t, rep.Failed())
	var sb strings.Builder
	rep.WriteText(&sb, true)
	require.Contains(t, sb.String(), "> STRLEN k")
	require.Contains(t, sb.String(), "expected :5, got :6")
	rep = conformance.Diff(strlen, target, reference)
	require.True(t, rep.Failed())
	sb.Reset()
	rep.WriteText(&sb, true)
	require.Contains(t, sb.String(), "DIFF strings/strlen.case")
	require.Regexp(t, `:5 +\| :6`, sb.String())
}

// TestFuzzRealRedisTwice: two real Redis servers never differ under the
// fuzzer's normalization (no false alarms from unordered or varying
// replies).
func TestFuzzRealRedisTwice(t *testing.T) {
	a := startRedis(t)
	b := startRedis(t)
	files := loadCases(t)
	for _, seed := range []int64{1, 2} {
		res, err := conformance.Fuzz(&conformance.FuzzConfig{Target: &conformance.Target{Addr: a}, Reference: &conformance.Target{Addr: b},
			Seed: seed, Ops: 3000, Files: files})
		require.NoError(t, err)
		if res.Diff != nil {
			var sb strings.Builder
			res.WriteText(&sb)
			t.Fatalf("false difference between two Redis servers:\n%s", sb.String())
		}
		require.Greater(t, len(res.Commands), 40)
	}
}

// TestDiffRealRedisTwice: diff of Redis against Redis is clean.
func TestDiffRealRedisTwice(t *testing.T) {
	a := startRedis(t)
	b := startRedis(t)
	rep := conformance.Diff(loadCases(t), &conformance.Target{Addr: a}, &conformance.Target{Addr: b})
	var sb strings.Builder
	rep.WriteText(&sb, false)
	require.False(t, rep.Failed(), sb.String())
	require.Greater(t, rep.Totals.Passed, 100)
}

func TestDDMin(t *testing.T) {
	seq := make([]int, 200)
	for i := range seq {
		seq[i] = i
	}
	calls := 0
	// Fails when it holds 17, 42 and 150 (in order).
	test := func(s []int) bool {
		calls++
		want := []int{17, 42, 150}
		j := 0
		for _, x := range s {
			if j < len(want) && x == want[j] {
				j++
			}
		}
		return j == len(want)
	}
	require.Equal(t, []int{17, 42, 150}, conformance.DDMin(seq, test))
	require.Less(t, calls, 400)
	require.Equal(t, []int{5}, conformance.DDMin([]int{5}, func([]int) bool { return true }))
}

func TestVocabularyGenerate(t *testing.T) {
	good := fakeredis.Start(t, nil)
	voc, err := conformance.BuildVocabulary(vocabFiles(t), &conformance.Target{Addr: good.Addr})
	require.NoError(t, err)
	require.Equal(t, []string{"append", "del", "exists", "get", "incr", "ping", "set", "strlen"}, voc.Names())
	r := rand.New(rand.NewSource(1))
	keys := map[string]int{}
	invalid := 0
	for i := 0; i < 2000; i++ {
		args := voc.Generate(r)
		require.NotEmpty(t, args)
		switch strings.ToLower(args[0]) {
		case "get", "strlen", "incr":
			if len(args) == 2 {
				keys[args[1]]++
			} else {
				invalid++
			}
		case "nosuchcmd":
			invalid++
		}
	}
	// Keys come from the small pool, so commands collide (a few are
	// replaced by junk on purpose).
	total, pool := 0, 0
	for k, n := range keys {
		total += n
		if k == "a" || k == "b" || k == "c" || k == "d" {
			pool += n
			require.Greater(t, n, 50, k)
		}
	}
	require.Greater(t, pool*100/total, 90)
	require.Greater(t, invalid, 10, "the fuzzer must also send invalid commands")
}

// TestFuzzSkipUnknown: commands the target does not implement are listed
// and left out, and the fuzzer goes on to find the real difference.
func TestFuzzSkipUnknown(t *testing.T) {
	good := fakeredis.Start(t, nil)
	bad := fakeredis.Start(t, func(args []string, r conformance.Value) conformance.Value {
		if strings.EqualFold(args[0], "incr") {
			return conformance.Value{Kind: conformance.KindError, Str: "ERR unknown command '" + args[0] + "', with args beginning with: "}
		}
		return strlenBug(args, r)
	})
	target := &conformance.Target{Addr: bad.Addr}
	reference := &conformance.Target{Addr: good.Addr}
	cfg := &conformance.FuzzConfig{Target: target, Reference: reference, Seed: 7, Ops: 3000, Files: vocabFiles(t)}
	res, err := conformance.Fuzz(cfg)
	require.NoError(t, err)
	require.NotNil(t, res.Diff)
	require.Contains(t, res.Diff.Args, "INCR", "without SkipUnknown the missing command is the difference")

	cfg.SkipUnknown = true
	res, err = conformance.Fuzz(cfg)
	require.NoError(t, err)
	require.Equal(t, []string{"incr"}, res.Unimplemented)
	checkShrunk(t, res, target, reference)
	var sb strings.Builder
	res.WriteText(&sb)
	require.Contains(t, sb.String(), "not implemented by the target (left out): incr")
}
