package commands

// Key specs of the string commands as Redis 7.0.15 reports them in COMMAND
// INFO (the generic derivation cannot tell OW from RW, insert from update).
func init() {
	specs := map[string]string{
		"append": "RW insert", "decr": "RW access update", "decrby": "RW access update",
		"get": "RO access", "getdel": "RW access delete", "getrange": "RO access",
		"getset": "RW access update", "incr": "RW access update", "incrby": "RW access update",
		"incrbyfloat": "RW access update", "lcs": "RO access", "mget": "RO access",
		"mset": "OW update", "msetnx": "OW insert", "psetex": "OW update", "setex": "OW update",
		"setnx": "OW insert", "setrange": "RW update", "strlen": "RO", "substr": "RO access",
	}
	for name, flags := range specs {
		cmd := registry.cmds[name]
		if cmd == nil || cmd.KeySpecs != nil {
			continue
		}
		last := 0
		if cmd.LastKey < 0 {
			last = cmd.LastKey
		} else if cmd.LastKey > cmd.FirstKey {
			last = cmd.LastKey - cmd.FirstKey
		}
		cmd.KeySpecs = []KeySpec{RangeSpec(flags, cmd.FirstKey, last, max(cmd.Step, 1))}
	}
	// Command tips (cluster routing hints) Redis 7.0.15 reports.
	for name, tips := range map[string][]string{
		"mget":   {"request_policy:multi_shard"},
		"mset":   {"request_policy:multi_shard", "response_policy:all_succeeded"},
		"msetnx": {"request_policy:multi_shard", "response_policy:agg_min"},
	} {
		if cmd := registry.cmds[name]; cmd != nil && cmd.Tips == nil {
			cmd.Tips = tips
		}
	}
	if cmd := registry.cmds["getex"]; cmd != nil && cmd.KeySpecs == nil {
		s := RangeSpec("RW access update", 1, 0, 1)
		s.Notes = "RW and UPDATE because it changes the TTL"
		cmd.KeySpecs = []KeySpec{s}
	}
}
