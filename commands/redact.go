package commands

import "strings"

// Secrets in command lines are shown as "(redacted)" in MONITOR and the
// slow log, as Redis 7.0's redactClientCommandArgument does: AUTH's
// arguments, HELLO's AUTH user and password, MIGRATE's AUTH/AUTH2
// credentials and the values of sensitive CONFIG SET parameters.

var redactedArg = []byte("(redacted)")

// sensitiveConfig are the parameters Redis 7.0 marks SENSITIVE_CONFIG.
var sensitiveConfig = map[string]bool{"requirepass": true, "masterauth": true, "masteruser": true}

// redactArgs returns args, or a copy with its secrets replaced.
func redactArgs(args [][]byte) [][]byte {
	if len(args) < 2 {
		return args
	}
	var secret []int
	name := args[0]
	switch {
	case EqualFold(name, "auth"):
		for i := 1; i < len(args); i++ {
			secret = append(secret, i)
		}
	case EqualFold(name, "hello"):
		for j := 2; j < len(args); j++ {
			if EqualFold(args[j], "auth") && j+2 < len(args) {
				secret = append(secret, j+1, j+2)
				j += 2
			} else if EqualFold(args[j], "setname") {
				j++
			}
		}
	case EqualFold(name, "migrate"):
		for j := 6; j < len(args); j++ {
			switch {
			case EqualFold(args[j], "auth") && j+1 < len(args):
				secret = append(secret, j+1)
				j++
			case EqualFold(args[j], "auth2") && j+2 < len(args):
				secret = append(secret, j+1, j+2)
				j += 2
			case EqualFold(args[j], "keys"):
				j = len(args) // the rest are key names
			}
		}
	case EqualFold(name, "config") && len(args) >= 4 && EqualFold(args[1], "set"):
		for j := 2; j+1 < len(args); j += 2 {
			if sensitiveConfig[strings.ToLower(string(args[j]))] {
				secret = append(secret, j+1)
			}
		}
	}
	if len(secret) == 0 {
		return args
	}
	out := append([][]byte(nil), args...)
	for _, i := range secret {
		out[i] = redactedArg
	}
	return out
}
