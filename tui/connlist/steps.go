package connlist

import (
	"time"

	"github.com/tcpviz/tcpviz/fsm"
	"github.com/tcpviz/tcpviz/fsm/timeline"
)

// A capture's view keeps every step of every connection (they are what the
// user browses), a million for a large file, so the list stores them
// packed: a capture's step is its segment's numbers, the states, reasons
// and variables, without the fields only the simulator and the echo
// session fill (SegID, Call, Truth, Facts) and with the
// payload preview in one byte array per connection — 104 bytes a step
// where a timeline.Step takes 192. Only the opened connection is unpacked
// into a timeline (Model.Open). A connection with a step the packing cannot
// hold (a session's) keeps its steps as they are.

// packed is one capture step.
type packed struct {
	t          time.Duration
	seq, ack   fsm.Seq
	window     uint32
	length     uint32
	tcb        [2]fsm.TCB
	why        [2]fsm.Reason
	previewAt  uint32 // in steps.previews
	states     [2]fsm.State
	event      timeline.Event
	dir        fsm.Dir
	flags      fsm.Flags
	analysis   timeline.Analysis
	actor      fsm.Side
	hasTCB     bool
	previewLen uint8
}

// steps is a connection's steps: packed, or (full != nil) as given.
type steps struct {
	packed   []packed
	previews []byte
	full     []timeline.Step
}

// packable reports whether s survives packing unchanged.
func packable(s *timeline.Step) bool {
	return s.SegID == 0 && s.Call == "" && s.Truth == nil && len(s.Facts) == 0 && len(s.Seg.Payload) <= 255
}

func (st *steps) len() int {
	if st.full != nil {
		return len(st.full)
	}
	return len(st.packed)
}

// add appends new steps, growing by a quarter rather than doubling: the
// list holds a million steps, and a doubled array is a third empty on
// average.
func (st *steps) add(in []timeline.Step) {
	if st.full == nil {
		for i := range in {
			if !packable(&in[i]) {
				st.full = st.unpack(make([]timeline.Step, 0, len(st.packed)+len(in)))
				st.packed, st.previews = nil, nil
				break
			}
		}
	}
	if st.full != nil {
		st.full = append(st.full, in...)
		return
	}
	if n := len(st.packed) + len(in); n > cap(st.packed) {
		grown := make([]packed, len(st.packed), max(n, len(st.packed)*5/4))
		copy(grown, st.packed)
		st.packed = grown
	}
	for i := range in {
		s := &in[i]
		p := packed{
			t: s.T, seq: s.Seg.Seq, ack: s.Seg.Ack, window: s.Seg.Window, length: s.Seg.Len,
			tcb: s.TCB, why: s.Why, states: s.States, event: s.Event, dir: s.Dir, flags: s.Seg.Flags,
			analysis: s.Analysis, actor: s.Actor, hasTCB: s.HasTCB,
			previewAt: uint32(len(st.previews)), previewLen: uint8(len(s.Seg.Payload)),
		}
		st.previews = append(st.previews, s.Seg.Payload...)
		st.packed = append(st.packed, p)
	}
}

// last is the newest step's states.
func (st *steps) lastStates() ([2]fsm.State, bool) {
	if st.full != nil {
		if n := len(st.full); n > 0 {
			return st.full[n-1].States, true
		}
		return [2]fsm.State{}, false
	}
	if n := len(st.packed); n > 0 {
		return st.packed[n-1].states, true
	}
	return [2]fsm.State{}, false
}

// unpack appends the steps from len(out) on, as timeline steps.
func (st *steps) unpack(out []timeline.Step) []timeline.Step {
	if st.full != nil {
		return append(out, st.full[len(out):]...)
	}
	for i := len(out); i < len(st.packed); i++ {
		p := &st.packed[i]
		s := timeline.Step{
			T: p.t, Event: p.event, Dir: p.dir, Analysis: p.analysis, Actor: p.actor,
			Seg:    fsm.Segment{Seq: p.seq, Ack: p.ack, Flags: p.flags, Window: p.window, Len: p.length},
			States: p.states, Why: p.why, TCB: p.tcb, HasTCB: p.hasTCB,
		}
		if p.previewLen > 0 {
			end := p.previewAt + uint32(p.previewLen)
			s.Seg.Payload = st.previews[p.previewAt:end:end]
		}
		out = append(out, s)
	}
	return out
}
