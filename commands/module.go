package commands

import "strings"

// MODULE as a Redis 7.0 server with no module loaded answers it (Shale
// cannot load Redis modules): LIST is empty, LOAD/LOADEX/UNLOAD are
// refused as enable-module-command says and otherwise fail as a missing
// module does. Tools that call MODULE LIST on connect (RedisInsight,
// client libraries probing for RedisJSON/RediSearch) see a plain Redis.

func init() {
	Register(
		&Command{Name: "module", Arity: -2, Categories: CatSlow, Lock: LockNone, Group: "server", Summary: "A container for module commands", Since: "4.0.0", Complexity: "Depends on subcommand."},
		&Command{Name: "module|help", Arity: 2, Flags: Loading | Stale, Categories: CatSlow, Handler: moduleCmd, Lock: LockNone, Summary: "Show helpful text about the different subcommands", Since: "5.0.0", Complexity: "O(1)"},
		&Command{Name: "module|list", Arity: 2, Flags: Admin | NoScript, Categories: CatAdmin | CatSlow | CatDangerous, Handler: moduleCmd, Lock: LockNone, Tips: []string{"nondeterministic_output_order"}, Summary: "List all modules loaded by the server", Since: "4.0.0", Complexity: "O(N) where N is the number of loaded modules."},
		&Command{Name: "module|load", Arity: -3, Flags: Protected | Admin | NoScript | NoAsyncLoading, Categories: CatAdmin | CatSlow | CatDangerous, Handler: moduleCmd, Lock: LockNone, Summary: "Load a module", Since: "4.0.0", Complexity: "O(1)"},
		&Command{Name: "module|loadex", Arity: -3, Flags: Protected | Admin | NoScript | NoAsyncLoading, Categories: CatAdmin | CatSlow | CatDangerous, Handler: moduleCmd, Lock: LockNone, Summary: "Load a module with extended parameters", Since: "7.0.0", Complexity: "O(1)"},
		&Command{Name: "module|unload", Arity: 3, Flags: Protected | Admin | NoScript | NoAsyncLoading, Categories: CatAdmin | CatSlow | CatDangerous, Handler: moduleCmd, Lock: LockNone, Summary: "Unload a module", Since: "4.0.0", Complexity: "O(1)"},
	)
}

func moduleCmd(c *Ctx) {
	sub := strings.ToLower(string(c.Args[1]))
	switch sub {
	case "help":
		writeHelp(c, []string{
			"MODULE <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
			"LIST",
			"    Return a list of loaded modules.",
			"LOAD <path> [<arg> ...]",
			"    Load a module library from <path>, passing to it any optional arguments.",
			"LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]",
			"    Load a module library from <path>, while passing it module configurations and optional arguments.",
			"UNLOAD <name>",
			"    Unload a module.",
			"HELP",
			"    Prints this help.",
		})
		return
	case "list":
		c.R.Array(0)
		return
	}
	if !protectedAllowed(c, "enable-module-command") {
		c.R.Error(`ERR MODULE command not allowed. If the enable-module-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.`)
		return
	}
	if sub == "unload" {
		c.R.Error("ERR Error unloading module: no such module with that name")
		return
	}
	c.R.Error("ERR Error loading the extension. Please check the server logs.")
}
