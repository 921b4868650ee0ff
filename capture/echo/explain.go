package echo

import (
	"fmt"
	"strings"
	"time"

	"github.com/tcpviz/tcpviz/fsm"
	"github.com/tcpviz/tcpviz/fsm/timeline"
)

// explain says where the kernel's, the observed and the predicted states
// of a step disagree, and why where the cause is known. s.mu held.
func (s *Session) explain(c *conn, st *timeline.Step, unmatched []timeline.Step) string {
	var parts []string
	for _, u := range unmatched {
		parts = append(parts, fmt.Sprintf("The simulator predicted a %s %s segment the capture did not see%s.",
			u.Dir, u.Seg.Flags, whyUnseen(u)))
	}
	if st.Agree() {
		return strings.Join(parts, " ")
	}
	for _, side := range []fsm.Side{fsm.Client, fsm.Server} {
		k, o, p := st.Kernel[side], st.States[side], st.Predicted[side]
		if k == o && o == p {
			continue
		}
		var what string
		switch {
		case s.cap == nil || k == o:
			what = fmt.Sprintf("the kernel says the %s is %s, the simulator predicts %s", side, k, p)
		case o == p:
			what = fmt.Sprintf("the kernel says the %s is %s, the packets and the simulator say %s", side, k, o)
		case k == p:
			what = fmt.Sprintf("the packets say the %s is %s, the kernel and the simulator %s", side, o, k)
		default:
			what = fmt.Sprintf("the kernel says the %s is %s, the packets %s, the simulator %s", side, k, o, p)
		}
		parts = append(parts, "Disagreement: "+what+"."+cause(c, side, k, o, p, s.cap != nil))
	}
	return strings.Join(parts, " ")
}

// whyUnseen explains a predicted segment Linux did not send, where known.
func whyUnseen(u timeline.Step) string {
	if u.Seg.Flags == fsm.ACK && u.Seg.Len == 0 {
		return " (Linux sends no pure window update after a small read: tcp_cleanup_rbuf only announces a window that grew a lot)"
	}
	return ""
}

// cause names the known reason for a disagreement on one side.
func cause(c *conn, side fsm.Side, k, o, p fsm.State, captured bool) string {
	switch {
	case captured && k != o && (o == fsm.Listen || o == fsm.SynReceived) && k == fsm.Closed && c.serverGone:
		return " A passive observer cannot tell a closed port from a listener that refused: RST answers the SYN either way."
	case k == fsm.Closed && p == fsm.TimeWait:
		return " The kernel's TIME-WAIT has ended (60 s) before the simulator's."
	case k == fsm.TimeWait && p == fsm.Closed:
		return " The simulator's TIME-WAIT has ended before the kernel's."
	case captured && k == o && k != p:
		return " The kernel and the packets are behind the simulator: a segment (often a delayed ACK) has not gone out yet."
	case captured && k != o && o == p:
		return " The kernel may not have processed the last segment yet, or the capture missed one."
	}
	return ""
}

// segDisagreement explains why the observer's states after a captured
// segment differ from the simulator's after its arrival.
func segDisagreement(st *timeline.Step, c *conn) string {
	o, p := st.States, st.Predicted
	if st.Seg.Flags&flagsCompared == fsm.SYN && st.Dir == fsm.C2S && o[fsm.Server] == fsm.Listen {
		if p[fsm.Server] == fsm.Closed {
			return "A passive observer assumes the server LISTENs until it answers; the simulator knows nothing listens, so the SYN will be refused."
		}
	}
	to := st.Dir.To()
	if st.Seg.Len > 0 && p[to] == fsm.Closed && (o[to] == fsm.FinWait1 || o[to] == fsm.FinWait2) {
		return fmt.Sprintf("Data reached the %s after its application closed: nothing can ever read it, so Linux (and the simulator) abort the connection with RST (RFC 2525 §2.17; Linux counts TCPAbortOnData). The packets show it only when the RST follows.", to)
	}
	return fmt.Sprintf("Disagreement: the packets say %s/%s, the simulator predicts %s/%s.", o[fsm.Client], o[fsm.Server], p[fsm.Client], p[fsm.Server])
}

// delayedAck notes a pure ACK that Linux held back (delayed ACK, RFC 9293
// §3.8.6.3, RFC 1122 §4.2.3.2): the simulator acknowledges at once.
func delayedAck(c *conn, st *timeline.Step) string {
	if st.Seg.Flags != fsm.ACK || st.Seg.Len != 0 || len(c.tl.Steps) == 0 {
		return ""
	}
	for i := len(c.tl.Steps) - 1; i >= 0; i-- {
		prev := &c.tl.Steps[i]
		if prev.Event != timeline.Observe {
			continue
		}
		if prev.Dir == st.Dir || prev.Seg.SegLen() == 0 {
			return ""
		}
		if gap := st.T - prev.T; gap >= 20*time.Millisecond {
			return fmt.Sprintf("Linux held this ACK back %d ms (delayed ACK, RFC 9293 §3.8.6.3; Linux waits at least 40 ms once out of quick-ACK mode). The simulator ACKs at once; the states end the same.", gap.Milliseconds())
		}
		return ""
	}
	return ""
}
