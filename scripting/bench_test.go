package scripting

import (
	"testing"

	"github.com/shaledb/shale/server"
)

func BenchmarkRunScriptIncr(b *testing.B) {
	e := New()
	defer e.Close()
	h := &fakeHost{reply: ":1\r\n"}
	s, _ := e.LoadScript([]byte("return redis.call('incr', KEYS[1])"))
	keys := [][]byte{[]byte("counter")}
	r := &server.Reply{Proto: 2}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		r.Buf = r.Buf[:0]
		h.calls = h.calls[:0]
		e.RunScript(&Run{Host: h}, s, keys, nil, r)
	}
}
