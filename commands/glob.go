package commands

// GlobMatch reports whether s matches the glob pattern exactly as Redis
// 7.0's stringmatchlen does (KEYS, SCAN MATCH, PSUBSCRIBE, CONFIG GET, ...):
// '*' matches any sequence, '?' any single byte, "[abc]" one of a, b, c,
// "[^abc]" none of them, "[a-z]" a range (either order), and '\' makes the
// next byte literal (inside brackets too).
//
// Redis quirks are kept on purpose: an unterminated '[' consumes the rest of
// the pattern, a trailing '\' matches a literal backslash, bytes >= 0x80
// compare as signed chars in ranges, and nesting beyond 1000 '*' fails.
// Note that "*" alone does not match the empty string here (the callers
// short-circuit a bare "*" to match everything, as Redis does).
func GlobMatch(pattern, s []byte, nocase bool) bool {
	skip := false
	return globMatch(pattern, s, nocase, &skip, 0)
}

// at returns p[i], or 0 past the end: Redis reads the terminating NUL of
// its strings at those positions.
func at(p []byte, i int) byte {
	if i < len(p) {
		return p[i]
	}
	return 0
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}

func globMatch(pat, str []byte, nocase bool, skipLonger *bool, nesting int) bool {
	// Protection against abusive patterns.
	if nesting > 1000 {
		return false
	}
	p, s := 0, 0 // positions in pat and str
	plen, slen := len(pat), len(str)
	for plen > 0 && slen > 0 {
		switch at(pat, p) {
		case '*':
			for plen > 0 && at(pat, p+1) == '*' {
				p++
				plen--
			}
			if plen == 1 {
				return true
			}
			for slen > 0 {
				if globMatch(pat[p+1:p+plen], str[s:s+slen], nocase, skipLonger, nesting+1) {
					return true
				}
				if *skipLonger {
					return false
				}
				s++
				slen--
			}
			// No match for the rest of the pattern anywhere in the rest
			// of the string: earlier '*' need not try longer matches.
			*skipLonger = true
			return false
		case '?':
			s++
			slen--
		case '[':
			p++
			plen--
			not := at(pat, p) == '^'
			if not {
				p++
				plen--
			}
			match := false
			for {
				if at(pat, p) == '\\' && plen >= 2 {
					p++
					plen--
					if at(pat, p) == str[s] {
						match = true
					}
				} else if at(pat, p) == ']' {
					break
				} else if plen == 0 {
					p--
					plen++
					break
				} else if plen >= 3 && at(pat, p+1) == '-' {
					// C compares these as (signed) chars.
					start, end, c := int(int8(at(pat, p))), int(int8(at(pat, p+2))), int(int8(str[s]))
					if start > end {
						start, end = end, start
					}
					if nocase {
						start, end, c = lowerInt(start), lowerInt(end), lowerInt(c)
					}
					p += 2
					plen -= 2
					if c >= start && c <= end {
						match = true
					}
				} else if !nocase {
					if at(pat, p) == str[s] {
						match = true
					}
				} else if lower(at(pat, p)) == lower(str[s]) {
					match = true
				}
				p++
				plen--
			}
			if not {
				match = !match
			}
			if !match {
				return false
			}
			s++
			slen--
		case '\\':
			if plen >= 2 {
				p++
				plen--
			}
			fallthrough
		default:
			if !nocase {
				if at(pat, p) != str[s] {
					return false
				}
			} else if lower(at(pat, p)) != lower(str[s]) {
				return false
			}
			s++
			slen--
		}
		p++
		plen--
		if slen == 0 {
			for at(pat, p) == '*' && plen > 0 {
				p++
				plen--
			}
			break
		}
	}
	return plen == 0 && slen == 0
}

func lowerInt(c int) int {
	if c >= 'A' && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}

// globIsLiteral reports whether pattern has no glob metacharacters, so it
// matches exactly one string: itself.
func globIsLiteral(pattern []byte) bool {
	for _, c := range pattern {
		switch c {
		case '*', '?', '[', '\\':
			return false
		}
	}
	return true
}
