package echo

import (
	"time"

	"github.com/tcpviz/tcpviz/capture/kernel"
	"github.com/tcpviz/tcpviz/fsm"
	"github.com/tcpviz/tcpviz/fsm/timeline"
)

// The session records what it knows as typed facts (timeline.Fact);
// fsm/narrate words them, in English and Chinese.

// explain lists where the kernel's, the observed and the predicted states
// of a step disagree, and why where the cause is known. s.mu held.
func (s *Session) explain(c *conn, st *timeline.Step, unmatched []timeline.Step) []timeline.Fact {
	var facts []timeline.Fact
	for _, u := range unmatched {
		facts = append(facts, timeline.Fact{Kind: timeline.FactUnseen, Dir: u.Dir, Flags: u.Seg.Flags, Len: u.Seg.Len})
	}
	if st.Agree() {
		return facts
	}
	kind := timeline.FactDisagree
	if s.cap == nil {
		kind = timeline.FactDisagreeNoCap
	}
	for _, side := range []fsm.Side{fsm.Client, fsm.Server} {
		k, o, p := st.Truth.Kernel[side], st.States[side], st.Truth.Predicted[side]
		if k == o && o == p {
			continue
		}
		facts = append(facts, timeline.Fact{Kind: kind, Side: side})
		if why := cause(c, k, o, p, s.cap != nil); why != timeline.FactNone {
			facts = append(facts, timeline.Fact{Kind: why, Side: side})
		}
	}
	return facts
}

// cause names the known reason for a disagreement on one side: the kernel
// says k, the packets o, the simulator p.
func cause(c *conn, k, o, p fsm.State, captured bool) timeline.FactKind {
	switch {
	case captured && k != o && (o == fsm.Listen || o == fsm.SynReceived) && k == fsm.Closed && c.serverGone:
		return timeline.FactCauseRefusedOrClosed
	case k == fsm.Closed && p == fsm.TimeWait:
		return timeline.FactCauseKernelTWFirst
	case k == fsm.TimeWait && p == fsm.Closed:
		return timeline.FactCauseSimTWFirst
	case captured && k == o && k != p:
		return timeline.FactCauseSegmentPending
	case captured && k != o && o == p:
		return timeline.FactCauseKernelBehind
	}
	return timeline.FactNone
}

// segDisagreement says why the observer's states after a captured segment
// differ from the simulator's after its arrival.
func segDisagreement(st *timeline.Step) timeline.Fact {
	o, p := st.States, st.Truth.Predicted
	if st.Seg.Flags&flagsCompared == fsm.SYN && st.Dir == fsm.C2S && o[fsm.Server] == fsm.Listen && p[fsm.Server] == fsm.Closed {
		return timeline.Fact{Kind: timeline.FactListenAssumed}
	}
	to := st.Dir.To()
	if st.Seg.Len > 0 && p[to] == fsm.Closed && (o[to] == fsm.FinWait1 || o[to] == fsm.FinWait2) {
		return timeline.Fact{Kind: timeline.FactDataAfterClose, Side: to}
	}
	return timeline.Fact{Kind: timeline.FactSegDisagree}
}

// delayedAck notes a pure ACK that Linux held back (delayed ACK, RFC 9293
// §3.8.6.3, RFC 1122 §4.2.3.2): the simulator acknowledges at once.
func delayedAck(c *conn, st *timeline.Step) (timeline.Fact, bool) {
	if st.Seg.Flags != fsm.ACK || st.Seg.Len != 0 {
		return timeline.Fact{}, false
	}
	for i := len(c.tl.Steps) - 1; i >= 0; i-- {
		prev := &c.tl.Steps[i]
		if prev.Event != timeline.Observe {
			continue
		}
		if prev.Dir == st.Dir || prev.Seg.SegLen() == 0 {
			break
		}
		if gap := st.T - prev.T; gap >= 20*time.Millisecond {
			return timeline.Fact{Kind: timeline.FactDelayedACK, Dur: gap}, true
		}
		break
	}
	return timeline.Fact{}, false
}

// kernelOwnChanges are the states the kernel changed with no call or
// segment the session saw.
func kernelOwnChanges(from, to [2]fsm.State) []timeline.Fact {
	var facts []timeline.Fact
	for _, side := range []fsm.Side{fsm.Client, fsm.Server} {
		if from[side] != to[side] {
			facts = append(facts, timeline.Fact{Kind: timeline.FactKernelOwn, Side: side, From: from[side], To: to[side]})
		}
	}
	return facts
}

// tcpInfo is the tcp_info figures of both sockets, for the steps where
// they say something (after data moved).
func tcpInfo(info [2]kernel.Info) []timeline.Fact {
	var facts []timeline.Fact
	for _, side := range []fsm.Side{fsm.Client, fsm.Server} {
		if in := info[side]; in.Cwnd != 0 {
			facts = append(facts, timeline.Fact{Kind: timeline.FactTCPInfo, Side: side, Dur: in.RTT,
				N: int64(in.Cwnd), M: int64(in.TotalRetrans)})
		}
	}
	return facts
}
