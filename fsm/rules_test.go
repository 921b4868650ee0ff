package fsm

import "testing"

// TestCheckRst: RST validation in a synchronized state (§3.5.3, §3.10.7.4
// first and second checks, RFC 5961 §3.2), with Linux's deviations.
func TestCheckRst(t *testing.T) {
	const nxt, wnd = Seq(1000), 100
	for _, c := range []struct {
		rfc   string
		st    State
		seq   Seq
		wnd   uint32
		linux bool
		want  RstVerdict
	}{
		{"RFC 5961 §3.2", Established, nxt, wnd, false, RstAccept},
		{"RFC 5961 §3.2", Established, nxt + 50, wnd, false, RstChallenge},
		{"RFC 5961 §3.2", Established, nxt + wnd, wnd, false, RstDrop},
		{"RFC 5961 §3.2", Established, nxt - 1, wnd, false, RstDrop},
		{"§3.10.7.4 zero window", Established, nxt, 0, false, RstAccept},
		{"§3.10.7.4 zero window", Established, nxt + 1, 0, false, RstDrop},
		{"§3.10.7.4 TIME-WAIT", TimeWait, nxt + 50, wnd, false, RstChallenge},
		{"Linux tcp_timewait_state_process", TimeWait, nxt + 50, wnd, true, RstDrop},
		{"Linux tcp_timewait_state_process", TimeWait, nxt, wnd, true, RstAccept},
		{"Linux tcp_reset_check", CloseWait, nxt - 1, wnd, true, RstAccept},
		{"Linux tcp_reset_check", LastAck, nxt - 1, wnd, true, RstAccept},
		{"Linux tcp_reset_check", Closing, nxt - 1, wnd, true, RstAccept},
		{"Linux tcp_reset_check: no FIN received", Established, nxt - 1, wnd, true, RstDrop},
		{"Linux tcp_reset_check: no FIN received", FinWait2, nxt - 1, wnd, true, RstDrop},
		{"RFC letter", CloseWait, nxt - 1, wnd, false, RstDrop},
	} {
		seg := Segment{Seq: c.seq, Flags: RST}
		if got := CheckRst(seg, c.st, nxt, c.wnd, c.linux); got != c.want {
			t.Errorf("%s: %s seq=%d wnd=%d linux=%v: %d, want %d", c.rfc, c.st, c.seq, c.wnd, c.linux, got, c.want)
		}
	}
}

// TestCheckRstSynSent: in SYN-SENT a RST is acceptable only if its ACK
// acknowledges the SYN (§3.5.3, §3.10.7.3).
func TestCheckRstSynSent(t *testing.T) {
	const iss = Seq(100)
	for _, c := range []struct {
		flags Flags
		ack   Seq
		want  RstVerdict
	}{
		{RST | ACK, iss + 1, RstAccept},
		{RST | ACK, iss, RstDrop},
		{RST | ACK, iss + 2, RstDrop},
		{RST, iss + 1, RstDrop},
	} {
		if got := CheckRstSynSent(Segment{Flags: c.flags, Ack: c.ack}, iss, iss+1); got != c.want {
			t.Errorf("%s ack=%d: %d, want %d", c.flags, c.ack, got, c.want)
		}
	}
}

// TestAckAcceptable: SND.UNA < SEG.ACK =< SND.NXT, across the wrap.
func TestAckAcceptable(t *testing.T) {
	for _, c := range []struct {
		ack, una, nxt Seq
		want          bool
	}{
		{101, 100, 101, true}, {100, 100, 101, false}, {102, 100, 101, false},
		{0, 1<<32 - 1, 1, true}, {1<<32 - 1, 1<<32 - 1, 1, false},
	} {
		if got := AckAcceptable(c.ack, c.una, c.nxt); got != c.want {
			t.Errorf("AckAcceptable(%d, %d, %d) = %v", c.ack, c.una, c.nxt, got)
		}
	}
}

// TestAfterFinAndAckOfFin: Figure 5's closing edges (§3.10.7.4 fifth and
// eighth checks).
func TestAfterFinAndAckOfFin(t *testing.T) {
	for _, c := range []struct {
		st, before, to State
		why            Reason
	}{
		{Established, Established, CloseWait, RcvFin},
		{SynReceived, SynReceived, CloseWait, RcvFin},
		{FinWait1, FinWait1, Closing, RcvFin},
		{FinWait2, FinWait2, TimeWait, RcvFin},
		{FinWait2, FinWait1, TimeWait, RcvFinAckOfFin},
		{TimeWait, TimeWait, TimeWait, RcvFinInTimeWait},
		{CloseWait, CloseWait, CloseWait, ReasonNone},
		{LastAck, LastAck, LastAck, ReasonNone},
	} {
		if to, why := AfterFin(c.st, c.before); to != c.to || why != c.why {
			t.Errorf("FIN in %s (was %s): %s (%s), want %s (%s)", c.st, c.before, to, why, c.to, c.why)
		}
	}
	for st, want := range map[State]State{FinWait1: FinWait2, Closing: TimeWait, LastAck: Closed} {
		if to, ok := AfterAckOfFin(st); !ok || to != want {
			t.Errorf("ACK of FIN in %s: %s %v, want %s", st, to, ok, want)
		}
	}
	for _, st := range []State{Established, CloseWait, FinWait2, TimeWait} {
		if to, ok := AfterAckOfFin(st); ok || to != st {
			t.Errorf("ACK of FIN in %s moves to %s", st, to)
		}
	}
}
