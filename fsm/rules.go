package fsm

// This file holds the receive rules that the endpoint machine (arrive.go,
// arrive_sync.go) and the passive observer (package observe) both apply: the
// endpoint to the segment it lives through, the observer to the segment it
// sees, with the receiver's variables as the capture shows them. They are
// pure functions of the segment and the receiver's variables, so the two
// cannot drift apart.

// SeqAcceptable is §3.10.7.4's first check, the four cases of segment
// acceptability, for a receiver expecting rcvNxt with window rcvWnd:
//
//	SEG.LEN  RCV.WND  test
//	0        0        SEG.SEQ = RCV.NXT
//	0        >0       RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND
//	>0       0        not acceptable
//	>0       >0       RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND
//	                  or RCV.NXT =< SEG.SEQ+SEG.LEN-1 < RCV.NXT+RCV.WND
//
// With a zero window, "special allowance should be made to accept valid
// ACKs, URGs, and RSTs": a segment at exactly RCV.NXT passes so that its
// ACK is processed (its text is then trimmed away).
//
// With linux, a segment that ends exactly at RCV.NXT (a resent FIN, say) is
// acceptable too: all of it is old, but it ends at rcv_wup, so Linux's
// tcp_sequence lets its ACK count. An old SYN goes the RFC's way (Linux would
// send the same ACK as a challenge).
func SeqAcceptable(seg Segment, rcvNxt Seq, rcvWnd uint32, linux bool) bool {
	n := seg.SegLen()
	if linux && n > 0 && seg.End() == rcvNxt && !seg.Flags.Has(SYN) {
		return true
	}
	switch {
	case n == 0 && rcvWnd == 0:
		return seg.Seq == rcvNxt
	case n == 0:
		return seg.Seq.InWindow(rcvNxt, rcvWnd)
	case rcvWnd == 0:
		return seg.Seq == rcvNxt
	default:
		return seg.Seq.InWindow(rcvNxt, rcvWnd) || seg.Seq.Add(n-1).InWindow(rcvNxt, rcvWnd)
	}
}

// AckAcceptable is the acceptable-ACK test, SND.UNA < SEG.ACK =< SND.NXT:
// the ACK acknowledges something sent and nothing beyond it. In SYN-SENT,
// where SND.UNA = ISS, it is §3.10.7.3's check that the ACK acknowledges
// the SYN ("If SEG.ACK =< ISS or SEG.ACK > SND.NXT, send a reset"); in
// SYN-RECEIVED it is the fifth check's condition for ESTABLISHED
// (§3.10.7.4).
func AckAcceptable(ack, sndUna, sndNxt Seq) bool {
	return sndUna.LessThan(ack) && ack.LessThanEq(sndNxt)
}

// RstVerdict is what a receiver does with a RST.
type RstVerdict uint8

// The verdicts of CheckRst and CheckRstSynSent.
const (
	RstDrop      RstVerdict = iota // not acceptable: dropped silently (a RST is never answered)
	RstChallenge                   // in the window but not exact: a challenge ACK, the state stays (RFC 5961 §3.2)
	RstAccept                      // acceptable: the connection is reset
)

// CheckRst validates a RST arriving in SYN-RECEIVED or a synchronized
// state st, for a receiver expecting rcvNxt with window rcvWnd (§3.5.3:
// "In all states except SYN-SENT, all reset (RST) segments are validated by
// checking their SEQ fields"; §3.10.7.4's first and second checks, which
// RFC 5961 §3.2 tightened): outside the window it is dropped; at exactly
// RCV.NXT it resets; elsewhere in the window it gets a challenge ACK, so a
// blind attacker must guess the exact number while the real peer, whose
// RST was legitimate, answers the challenge ACK with a RST that matches.
//
// With linux, two deviations of Linux's:
//   - after the peer's FIN (CLOSE-WAIT, CLOSING, LAST-ACK) a RST at
//     RCV.NXT−1, from a peer that did not count its FIN, is accepted too
//     (tcp_reset_check), even though it lies before the window;
//   - in TIME-WAIT a RST that is not at RCV.NXT is dropped without a
//     challenge ACK (tcp_timewait_state_process answers only an exact one).
func CheckRst(seg Segment, st State, rcvNxt Seq, rcvWnd uint32, linux bool) RstVerdict {
	if linux && seg.Seq == rcvNxt-1 && (st == CloseWait || st == LastAck || st == Closing) {
		return RstAccept
	}
	switch {
	case !SeqAcceptable(seg, rcvNxt, rcvWnd, linux):
		// "If the RST bit is set and the sequence number is outside the
		// current receive window, silently drop the segment."
		return RstDrop
	case seg.Seq == rcvNxt:
		// "If the RST bit is set and the sequence number exactly matches the
		// next expected sequence number (RCV.NXT), then TCP endpoints MUST
		// reset the connection in the manner prescribed below according to
		// the connection state."
		return RstAccept
	case linux && st == TimeWait:
		return RstDrop
	default:
		// "If the RST bit is set and the sequence number does not exactly
		// match the next expected sequence value, yet is within the current
		// receive window, TCP endpoints MUST send an acknowledgment
		// (challenge ACK)."
		return RstChallenge
	}
}

// CheckRstSynSent validates a RST arriving in SYN-SENT, where the receiver
// has sent its SYN at ISS and nothing past sndNxt: "In the SYN-SENT state
// (a RST received in response to an initial SYN), the RST is acceptable if
// the ACK field acknowledges the SYN" (§3.5.3, §3.10.7.3; RFC 5961 §3.2
// keeps this). A RST without ACK, or with an ACK of anything else, is
// dropped.
func CheckRstSynSent(seg Segment, iss, sndNxt Seq) RstVerdict {
	if seg.Flags.Has(ACK) && AckAcceptable(seg.Ack, iss, sndNxt) {
		return RstAccept
	}
	return RstDrop
}

// AfterAckOfFin is the state an ACK of the receiver's FIN moves st to
// (§3.10.7.4 fifth check), and whether st is one it moves:
//
//	FIN-WAIT-1 → FIN-WAIT-2  "if the FIN segment is now acknowledged, then enter FIN-WAIT-2"
//	CLOSING    → TIME-WAIT   "If the ACK acknowledges our FIN, then enter the TIME-WAIT state"
//	LAST-ACK   → CLOSED      "If our FIN is now acknowledged, delete the TCB, enter the CLOSED state"
//
// The reason is RcvAckOfFin in each case.
func AfterAckOfFin(st State) (State, bool) {
	switch st {
	case FinWait1:
		return FinWait2, true
	case Closing:
		return TimeWait, true
	case LastAck:
		return Closed, true
	}
	return st, false
}

// AfterFin is the state the peer's FIN moves the receiver to, from st, with
// the reason (§3.10.7.4 eighth check). before is the receiver's state
// before the segment: one that arrived in FIN-WAIT-1 and, by its ACK,
// moved it to FIN-WAIT-2 before its FIN was processed carried the FIN and
// the ACK of the receiver's FIN at once (Figure 5's FIN-WAIT-1 edge "rcv
// FIN, ACK of FIN"). States the FIN does not move give ReasonNone.
//
//	SYN-RECEIVED, ESTABLISHED → CLOSE-WAIT  "Enter the CLOSE-WAIT state."
//	FIN-WAIT-1 → CLOSING   our FIN is not acknowledged yet: the FINs crossed
//	FIN-WAIT-2 → TIME-WAIT "Enter the TIME-WAIT state. Start the time-wait timer"
//	TIME-WAIT  → TIME-WAIT "Remain in the TIME-WAIT state. Restart the 2 MSL time-wait timeout."
func AfterFin(st, before State) (State, Reason) {
	switch st {
	case SynReceived, Established:
		return CloseWait, RcvFin
	case FinWait1:
		return Closing, RcvFin
	case FinWait2:
		if before == FinWait1 {
			return TimeWait, RcvFinAckOfFin
		}
		return TimeWait, RcvFin
	case TimeWait:
		return TimeWait, RcvFinInTimeWait
	}
	return st, ReasonNone
}
