package conformance

import "strings"

// Rule says how two servers' replies to one command are compared when the
// command's reply order or content is not fully determined by Redis.
type Rule int

const (
	RuleExact          Rule = iota
	RuleUnordered           // element order unspecified (SMEMBERS, KEYS)
	RuleUnorderedPairs      // pair order unspecified (HGETALL, CONFIG GET)
	RuleShape               // content varies (TIME, RANDOMKEY): same type and size
	RuleTTL                 // remaining time in seconds: +-1
	RulePTTL                // remaining time in ms: +-1000
)

// rules lists commands whose replies are not byte-for-byte reproducible
// between two servers holding the same data.
var rules = map[string]Rule{
	"smembers": RuleUnordered, "sinter": RuleUnordered, "sunion": RuleUnordered,
	"sdiff": RuleUnordered, "keys": RuleUnordered, "hkeys": RuleUnordered,
	"hvals": RuleUnordered, "smismember": RuleExact,
	"hgetall": RuleUnorderedPairs, "config|get": RuleUnorderedPairs,
	"xinfo|stream": RuleShape,

	"time": RuleShape, "randomkey": RuleShape, "srandmember": RuleShape,
	"hrandfield": RuleShape, "zrandmember": RuleShape, "spop": RuleShape,
	"info": RuleShape, "client|id": RuleShape, "client|list": RuleShape,
	"client|info": RuleShape, "hello": RuleShape, "lastsave": RuleShape,
	"scan": RuleShape, "sscan": RuleShape, "hscan": RuleShape, "zscan": RuleShape,
	"object|idletime": RuleShape, "memory|usage": RuleShape, "command": RuleShape,
	"command|docs": RuleShape, "command|list": RuleUnordered, "debug|object": RuleShape,
	"memory|stats": RuleShape, "slowlog|get": RuleShape, "latency|latest": RuleShape,
	"role": RuleShape,

	"ttl": RuleTTL, "expiretime": RuleTTL, "pttl": RulePTTL, "pexpiretime": RulePTTL,
}

// RuleFor returns the comparison rule for a command line.
func RuleFor(args []string) Rule {
	name := CommandName(args)
	if name == "command|info" && len(args) == 2 {
		// Every command, in the order of Redis's (randomly seeded) dict.
		return RuleShape
	}
	if r, ok := rules[name]; ok {
		return r
	}
	return RuleExact
}

// OrderForRecord is the ordering record uses for a new expectation of the
// command (unordered markers for commands with unspecified order).
func OrderForRecord(args []string) Order {
	switch RuleFor(args) {
	case RuleUnordered:
		return Unordered
	case RuleUnorderedPairs:
		return UnorderedPairs
	}
	return Ordered
}

// SameReply compares two servers' replies to the same command under the
// command's rule. Errors are compared exactly: their text is part of the
// specification.
func SameReply(args []string, a, b Value) bool {
	a, b = Canonical(a), Canonical(b)
	if a.Kind == KindError || b.Kind == KindError {
		return a.Equal(b)
	}
	switch RuleFor(args) {
	case RuleUnordered:
		if a.Kind == KindArray && b.Kind == KindArray {
			sortUnits(a.Elems, 1)
			sortUnits(b.Elems, 1)
		}
	case RuleUnorderedPairs:
		if CommandName(args) == "config|get" {
			a, b = dropInstanceParams(a), dropInstanceParams(b)
		}
		if a.Kind == KindArray && b.Kind == KindArray {
			sortUnits(a.Elems, 2)
			sortUnits(b.Elems, 2)
		}
	case RuleShape:
		return a.Kind == b.Kind && a.Len() == b.Len()
	case RuleTTL, RulePTTL:
		if a.Kind == KindInt && b.Kind == KindInt && a.Int >= 0 && b.Int >= 0 {
			tol := int64(1)
			if RuleFor(args) == RulePTTL {
				tol = 1000
			}
			d := a.Int - b.Int
			return d <= tol && d >= -tol
		}
	}
	return a.Equal(b)
}

// nondeterministicCmd reports commands whose effect on the data is random
// (the fuzzer leaves them out: they would make the two servers diverge).
func nondeterministicCmd(name string) bool {
	switch strings.ToLower(name) {
	case "spop":
		return true
	case "sort", "sort_ro":
		// BY with a constant pattern returns a hash-table set in its
		// own (per-process, seeded) order, and ALPHA ties under BY keep
		// it: two servers legitimately differ, also in what STORE keeps.
		return true
	}
	return false
}

// instanceParams differ between any two servers (where they listen, where
// they keep files): CONFIG GET comparisons leave them out.
var instanceParams = map[string]bool{
	"port": true, "dir": true, "pidfile": true, "logfile": true, "unixsocket": true,
	"tls-port": true, "bind": true, "cluster-config-file": true, "tls-cluster": true,
}

// dropInstanceParams removes instance-specific pairs from a CONFIG GET
// reply (flat RESP2 array or RESP3 map).
func dropInstanceParams(v Value) Value {
	if (v.Kind != KindArray && v.Kind != KindMap) || len(v.Elems)%2 != 0 {
		return v
	}
	out := v
	out.Elems = nil
	for i := 0; i < len(v.Elems); i += 2 {
		if !instanceParams[strings.ToLower(v.Elems[i].Str)] {
			out.Elems = append(out.Elems, v.Elems[i], v.Elems[i+1])
		}
	}
	return out
}
