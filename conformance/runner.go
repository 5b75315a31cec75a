package conformance

import (
	"fmt"
	"sort"
)

// Status of a case or a command step.
type Status string

const (
	Passed  Status = "passed"
	Failed  Status = "failed"
	Skipped Status = "skipped"
)

// Counts tallies outcomes.
type Counts struct {
	Passed  int `json:"passed"`
	Failed  int `json:"failed"`
	Skipped int `json:"skipped"`
}

func (c *Counts) add(s Status) {
	switch s {
	case Passed:
		c.Passed++
	case Failed:
		c.Failed++
	default:
		c.Skipped++
	}
}

// Total is the number of outcomes counted.
func (c Counts) Total() int { return c.Passed + c.Failed + c.Skipped }

// Failure describes the first failing step of a case.
type Failure struct {
	Line      int      `json:"line"`
	Command   string   `json:"command"`
	Args      string   `json:"args"`
	Reason    string   `json:"reason"`
	Expected  []string `json:"expected,omitempty"`
	Got       []string `json:"got,omitempty"`
	Reference []string `json:"reference,omitempty"`
}

// CaseResult is one case's outcome.
type CaseResult struct {
	ID      string   `json:"id"`
	File    string   `json:"file"`
	Group   string   `json:"group"`
	Name    string   `json:"name,omitempty"`
	Line    int      `json:"line"`
	Status  Status   `json:"status"`
	Skip    string   `json:"skip_reason,omitempty"`
	Failure *Failure `json:"failure,omitempty"`
}

// Report is the outcome of a run or diff.
type Report struct {
	Mode      string             `json:"mode"`
	Target    string             `json:"target"`
	Reference string             `json:"reference,omitempty"`
	Totals    Counts             `json:"totals"`
	Groups    map[string]*Counts `json:"groups"`
	Commands  map[string]*Counts `json:"commands"`
	Cases     []CaseResult       `json:"cases"`
}

// NewReport starts an empty report.
func NewReport(mode, target, reference string) *Report {
	return &Report{Mode: mode, Target: target, Reference: reference, Groups: map[string]*Counts{}, Commands: map[string]*Counts{}}
}

func (r *Report) count(m map[string]*Counts, k string, s Status) {
	c := m[k]
	if c == nil {
		c = &Counts{}
		m[k] = c
	}
	c.add(s)
}

// AddCase adds a case outcome (RunCase and DiffCase count the commands).
func (r *Report) AddCase(cr CaseResult) {
	r.Cases = append(r.Cases, cr)
	r.Totals.add(cr.Status)
	r.count(r.Groups, cr.Group, cr.Status)
}

// Failed reports whether any case failed.
func (r *Report) Failed() bool { return r.Totals.Failed > 0 }

// FailedFiles returns the case files with at least one failing case.
func (r *Report) FailedFiles() []string {
	seen := map[string]bool{}
	var out []string
	for _, c := range r.Cases {
		if c.Status == Failed && !seen[c.File] {
			seen[c.File] = true
			out = append(out, c.File)
		}
	}
	sort.Strings(out)
	return out
}

// stepTracker counts each command op of a case once.
type stepTracker struct {
	r    *Report
	seen map[*Op]bool
}

func (s *stepTracker) mark(op *Op, st Status) {
	if s.seen[op] {
		return
	}
	s.seen[op] = true
	s.r.count(s.r.Commands, op.Name(), st)
}

func (s *stepTracker) rest(c *Case) {
	for _, op := range c.Ops {
		if op.Kind == OpCommand || op.Kind == OpSend {
			s.mark(op, Skipped)
		}
	}
}

func newResult(c *Case) CaseResult {
	return CaseResult{ID: c.ID(), File: c.File.Path, Group: c.Group(), Name: c.Name, Line: c.Line, Status: Passed}
}

// Run checks every case against its recorded expectations on t.
func Run(files []*File, t *Target) *Report {
	rep := NewReport("run", t.Addr, "")
	for _, f := range files {
		for _, c := range f.Cases {
			rep.AddCase(RunCase(c, t, rep))
		}
	}
	return rep
}

// RunCase runs one case; per-command counts go to rep (may be nil).
func RunCase(c *Case, t *Target, rep *Report) CaseResult {
	if rep == nil {
		rep = NewReport("run", t.Addr, "")
	}
	res := newResult(c)
	st := &stepTracker{r: rep, seen: map[*Op]bool{}}
	if c.Skip != "" {
		res.Status, res.Skip = Skipped, c.Skip
		st.rest(c)
		return res
	}
	err := t.ExecCase(c, func(op *Op, r Reply) bool {
		fail := func(reason string) bool {
			res.Status = Failed
			res.Failure = &Failure{Line: op.Line, Command: op.Name(), Args: JoinArgs(op.Args), Reason: reason, Got: r.Lines()}
			if op.Expect != nil {
				res.Failure.Expected = op.Expect.Lines()
			}
			st.mark(op, Failed)
			return false
		}
		if op.Expect == nil {
			return fail("no expected reply recorded (run `shale-conformance record`)")
		}
		if r.Err != nil {
			return fail("connection error: " + r.Err.Error())
		}
		if ok, why := op.Expect.Match(r.Value); !ok {
			return fail(why)
		}
		st.mark(op, Passed)
		return true
	})
	if err != nil {
		res.Status = Failed
		res.Failure = &Failure{Line: c.Line, Reason: "setup: " + err.Error()}
	}
	st.rest(c)
	return res
}

// capture runs c on t and returns every command's reply.
func capture(c *Case, t *Target) (map[*Op]Reply, []*Op, error) {
	got := map[*Op]Reply{}
	var order []*Op
	err := t.ExecCase(c, func(op *Op, r Reply) bool {
		got[op] = r
		order = append(order, op)
		return true
	})
	return got, order, err
}

// sameForCase decides whether two replies to op agree: both satisfy the
// recorded expectation (which may be a pattern), or they are equal under
// the command's comparison rule.
func sameForCase(op *Op, a, b Reply) bool {
	if a.Err != nil || b.Err != nil {
		return a.Err != nil && b.Err != nil
	}
	if op.Expect != nil {
		okA, _ := op.Expect.Match(a.Value)
		okB, _ := op.Expect.Match(b.Value)
		if okA && okB {
			return true
		}
		if !op.Expect.IsLiteral() && okA != okB {
			return false
		}
	}
	return SameReply(op.Args, a.Value, b.Value)
}

// Diff runs every case on the target and the reference and reports each
// case's first differing reply side by side.
func Diff(files []*File, target, reference *Target) *Report {
	rep := NewReport("diff", target.Addr, reference.Addr)
	for _, f := range files {
		for _, c := range f.Cases {
			rep.AddCase(DiffCase(c, target, reference, rep))
		}
	}
	return rep
}

// DiffCase compares one case on two servers.
func DiffCase(c *Case, target, reference *Target, rep *Report) CaseResult {
	res := newResult(c)
	st := &stepTracker{r: rep, seen: map[*Op]bool{}}
	if c.Skip != "" {
		res.Status, res.Skip = Skipped, c.Skip
		st.rest(c)
		return res
	}
	refGot, order, err := capture(c, reference)
	if err != nil {
		res.Status = Failed
		res.Failure = &Failure{Line: c.Line, Reason: "reference setup: " + err.Error()}
		st.rest(c)
		return res
	}
	tgtGot, _, err := capture(c, target)
	if err != nil {
		res.Status = Failed
		res.Failure = &Failure{Line: c.Line, Reason: "target setup: " + err.Error()}
		st.rest(c)
		return res
	}
	for _, op := range order {
		a, b := tgtGot[op], refGot[op]
		if _, ok := tgtGot[op]; !ok {
			a = Reply{Err: fmt.Errorf("no reply")}
		}
		if !sameForCase(op, a, b) {
			res.Status = Failed
			res.Failure = &Failure{Line: op.Line, Command: op.Name(), Args: JoinArgs(op.Args),
				Reason: "replies differ", Got: a.Lines(), Reference: b.Lines()}
			if op.Expect != nil {
				res.Failure.Expected = op.Expect.Lines()
			}
			st.mark(op, Failed)
			break
		}
		st.mark(op, Passed)
	}
	st.rest(c)
	return res
}
