package conformance

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
)

// WriteJSON writes v as indented JSON.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// SideBySide renders two blocks of lines in two columns.
func SideBySide(leftTitle string, left []string, rightTitle string, right []string, indent string) string {
	width := len(leftTitle)
	for _, l := range left {
		if len(l) > width {
			width = len(l)
		}
	}
	if width > 60 {
		width = 60
	}
	var b strings.Builder
	row := func(l, r string) {
		if len(l) > width {
			l = l[:width-3] + "..."
		}
		fmt.Fprintf(&b, "%s%-*s | %s\n", indent, width, l, r)
	}
	row(leftTitle, rightTitle)
	row(strings.Repeat("-", width), strings.Repeat("-", len(rightTitle)))
	n := len(left)
	if len(right) > n {
		n = len(right)
	}
	const maxRows = 60 // huge replies (COMMAND INFO) would drown the report
	if n > maxRows {
		defer func() {
			fmt.Fprintf(&b, "%s... %d more lines (--json has them all)\n", indent, n-maxRows)
		}()
		n = maxRows
	}
	for i := 0; i < n; i++ {
		var l, r string
		if i < len(left) {
			l = left[i]
		}
		if i < len(right) {
			r = right[i]
		}
		row(l, r)
	}
	return b.String()
}

// WriteFailure writes one failure readably.
func WriteFailure(w io.Writer, mode string, c CaseResult) {
	f := c.Failure
	word := "FAIL"
	if mode == "diff" {
		word = "DIFF"
	}
	fmt.Fprintf(w, "%s %s (line %d)\n", word, c.ID, f.Line)
	if f.Args != "" {
		fmt.Fprintf(w, "  > %s\n", f.Args)
	}
	if f.Reference != nil {
		fmt.Fprint(w, SideBySide("reference", f.Reference, "target", f.Got, "  "))
	} else if f.Expected != nil {
		fmt.Fprint(w, SideBySide("expected", f.Expected, "got", f.Got, "  "))
	}
	fmt.Fprintf(w, "  %s\n\n", f.Reason)
}

func writeCounts(w io.Writer, title string, m map[string]*Counts) {
	keys := make([]string, 0, len(m))
	width := len(title)
	for k := range m {
		keys = append(keys, k)
		if len(k) > width {
			width = len(k)
		}
	}
	sort.Strings(keys)
	fmt.Fprintf(w, "%-*s %7s %7s %7s\n", width, title, "passed", "failed", "skipped")
	for _, k := range keys {
		c := m[k]
		mark := ""
		if c.Failed > 0 {
			mark = "  <-"
		}
		fmt.Fprintf(w, "%-*s %7d %7d %7d%s\n", width, k, c.Passed, c.Failed, c.Skipped, mark)
	}
}

// WriteText writes failures, then per-group and per-command tables, then
// the totals. perCommand=false leaves out the command table.
func (r *Report) WriteText(w io.Writer, perCommand bool) {
	for _, c := range r.Cases {
		if c.Status == Failed && c.Failure != nil {
			WriteFailure(w, r.Mode, c)
		}
	}
	writeCounts(w, "group (cases)", r.Groups)
	if perCommand {
		fmt.Fprintln(w)
		writeCounts(w, "command (steps)", r.Commands)
	}
	fmt.Fprintln(w)
	target := r.Target
	if r.Reference != "" {
		target += " vs reference " + r.Reference
	}
	fmt.Fprintf(w, "%s %s: %d cases, %d passed, %d failed, %d skipped\n", r.Mode, target, r.Totals.Total(), r.Totals.Passed, r.Totals.Failed, r.Totals.Skipped)
}
