package sim

import (
	"errors"
	"fmt"
	"strings"

	"github.com/tcpviz/tcpviz/fsm"
	"github.com/tcpviz/tcpviz/fsm/timeline"
)

// Scenario is a scripted simulation: calls made before the timeline starts
// (Setup, whose result the Init step shows), the script proper, and faults
// the link applies.
type Scenario struct {
	Name        string
	Description string // one line
	Setup       []Action
	Script      []Action
	Faults      []LinkFault
	Configure   func(*Config) // optional changes to the configuration
	Text        string        // the file it was parsed from, if any

	src *source // where its lines are in that file
}

// Play runs a scenario to its end on cfg (cfg.Source is set to "scenario
// NAME", and the variant if any) and returns the simulation, which implements timeline.Player.
func Play(sc Scenario, cfg Config) (*Sim, error) {
	if sc.Configure != nil {
		sc.Configure(&cfg)
	}
	cfg.Source = "scenario " + sc.Name
	if cfg.Variant != "" {
		cfg.Source += " (" + cfg.Variant + ")"
	}
	s := newSim(cfg, sc.Script, sc.Faults)
	var src source // no places for a scenario written in Go
	if sc.src != nil {
		src = *sc.src
	}
	var calls []string
	for i, a := range sc.Setup {
		if err := s.setup(a); err != nil {
			return nil, sc.fail(at(src.setup, i), fmt.Errorf("setup %s: %w", a, err))
		}
		calls = append(calls, a.Call.Label(a.Side, nil))
	}
	var facts []timeline.Fact
	if len(calls) > 0 {
		facts = []timeline.Fact{{Kind: timeline.FactSetup, Text: strings.Join(calls, ", ")}}
	}
	s.init(facts)
	if err := s.RunAll(); err != nil {
		i := s.st.pc // the call waiting
		if !errors.Is(err, ErrStalled) && !errors.Is(err, ErrRunaway) {
			i-- // the call that failed
		}
		return nil, sc.fail(at(src.script, i), err)
	}
	for i, lf := range sc.Faults {
		if n := s.st.matched[i]; n < lf.Nth {
			return nil, sc.fail(at(src.faults, i), fmt.Errorf("%w: the link never sees %s (%d such segment%s in the whole run)",
				ErrNoSegment, strings.TrimPrefix(lf.String(), lf.Fault.String()+" "), n, plural(n)))
		}
	}
	s.lenient = true
	return s, nil
}

// ErrNoSegment says a scenario's fault names a segment the run never sends.
var ErrNoSegment = errors.New("fault never applies")

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// fail says which scenario, and which line of its file, err comes from.
func (sc Scenario) fail(at *pos, err error) error {
	switch {
	case sc.src == nil:
		return fmt.Errorf("scenario %s: %w", sc.Name, err)
	case at == nil: // the whole run, no one line
		return &FileError{File: sc.src.file, Msg: err.Error(), err: err}
	}
	return &FileError{File: sc.src.file, Line: at.line, Col: at.col, Msg: err.Error(), err: err}
}

// at returns the place of the i'th line of a list, or nil.
func at(list []pos, i int) *pos {
	if i >= 0 && i < len(list) {
		return &list[i]
	}
	return nil
}

// setup makes a call before the Init step; it must send nothing.
func (s *Sim) setup(a Action) error {
	ep := s.st.eps[a.Side]
	var (
		res fsm.Result
		err error
	)
	switch a.Call.Op {
	case OpListen:
		res, err = ep.Listen(0)
	default:
		return fmt.Errorf("only listen() can be a setup call")
	}
	if err == nil && len(res.Out) > 0 {
		err = fmt.Errorf("it sent %d segments", len(res.Out))
	}
	return err
}

var _ timeline.Player = (*Sim)(nil)

// InFlight lists the segments on the link after step (sent, neither
// arrived nor dropped yet), in the order they will arrive.
func (s *Sim) InFlight(step int) []timeline.InFlight {
	if step < 0 || step >= len(s.snaps) {
		return nil
	}
	q := s.snaps[step].queue
	out := make([]timeline.InFlight, len(q))
	for i, f := range q {
		out[i] = timeline.InFlight{SegID: f.id, Dir: f.dir, Seg: f.seg, SentAt: f.sent, ArrivesAt: f.at}
	}
	return out
}

// Inject applies a fault to segment segID, in flight after step, and
// recomputes the rest of the timeline from that step's snapshot. Steps up
// to and including step are unchanged. The new timeline replaces the
// current one; the old one is left as it was.
func (s *Sim) Inject(step, segID int, fault timeline.Fault) (*timeline.Timeline, error) {
	if step < 0 || step >= len(s.snaps) {
		return nil, fmt.Errorf("%w: %d (the timeline has %d)", ErrStep, step, len(s.snaps))
	}
	st := s.snaps[step].clone()
	found := -1
	for i := range st.queue {
		if st.queue[i].id == segID { // the first copy, if the link duplicated it
			found = i
			break
		}
	}
	if found < 0 {
		return nil, fmt.Errorf("%w: segment %d after step %d", ErrNotInFlight, segID, step)
	}
	f := st.queue[found]
	st.queue = append(st.queue[:found], st.queue[found+1:]...)
	s.st = st
	s.applyFault(&f, Fault(fault), 0)
	s.enqueue(f)

	old := s.tl
	tl := *old
	tl.Steps = append(make([]timeline.Step, 0, len(old.Steps)+8), old.Steps[:step+1]...)
	tl.ISN, tl.HasISN = [2]fsm.Seq{}, [2]bool{}
	for i := range tl.Steps {
		p := &tl.Steps[i]
		if p.Event == timeline.Send && p.Seg.Flags.Has(fsm.SYN) && !tl.HasISN[p.Dir.From()] {
			tl.ISN[p.Dir.From()], tl.HasISN[p.Dir.From()] = p.Seg.Seq, true
		}
	}
	s.tl = &tl
	s.snaps = s.snaps[: step+1 : step+1]
	if err := s.RunAll(); err != nil {
		return nil, err
	}
	return s.tl, nil
}
