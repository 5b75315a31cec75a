package commands

import "testing"

// ParseFloat accepts what Redis's strtod-based parsing accepts (checked
// against redis-server 7.0.15 with ZADD/INCRBYFLOAT-style arguments).
func TestParseFloatLikeRedis(t *testing.T) {
	ok := map[string]float64{"1": 1, "-1.5": -1.5, "1e3": 1000, "inf": 0, "-inf": 0, "+inf": 0, ".5": 0.5, "0": 0, "0.0": 0, "-0": 0, "1e-300": 1e-300, "0x10": 16, "-0x1.8": -1.5}
	for s, want := range ok {
		f, good := ParseFloat([]byte(s))
		if !good {
			t.Errorf("%q refused", s)
		}
		if want != 0 && f != want {
			t.Errorf("%q = %v, want %v", s, f, want)
		}
	}
	for _, s := range []string{"", " 1", "1 ", "abc", "nan", "1e400", "-1e400", "1e-400", "1_000", "\t1"} {
		if _, good := ParseFloat([]byte(s)); good {
			t.Errorf("%q accepted", s)
		}
	}
}

func TestParseIntLikeRedis(t *testing.T) {
	for _, s := range []string{"0", "-1", "9223372036854775807", "-9223372036854775808"} {
		if _, ok := ParseInt([]byte(s)); !ok {
			t.Errorf("%q refused", s)
		}
	}
	for _, s := range []string{"", "+1", "01", "-0", " 1", "9223372036854775808", "1.0", "-"} {
		if _, ok := ParseInt([]byte(s)); ok {
			t.Errorf("%q accepted", s)
		}
	}
}
