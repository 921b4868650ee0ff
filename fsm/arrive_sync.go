package fsm

import (
	"slices"
	"time"
)

// This file holds SEGMENT ARRIVES for SYN-RECEIVED and the synchronized
// states (§3.10.7.4), in the RFC's order of checks: sequence number, RST,
// SYN, ACK, URG, text, FIN. Each check is one method; arrival carries what
// the earlier ones decided.

// arrival is the running outcome of one segment's processing.
type arrival struct {
	r       *Result
	needAck bool // an ACK must go out (unless a data segment carries it)
}

// note records why the segment mattered, unless a weightier rule (one that
// changed the state, or data) has already said so.
func (a *arrival) note(reason Reason) {
	switch a.r.Reason {
	case ReasonNone, RcvAck, RcvDupAck, RcvWindowUpdate:
		a.r.Reason = reason
	}
}

// arriveSynchronized handles SYN-RECEIVED, ESTABLISHED, FIN-WAIT-1,
// FIN-WAIT-2, CLOSE-WAIT, CLOSING, LAST-ACK and TIME-WAIT.
func (e *Endpoint) arriveSynchronized(now time.Duration, seg Segment) Result {
	r := e.result()
	if e.expectedRepeat(now, &seg, &r) {
		return r
	}
	// First and second checks for a RST: its sequence number decides
	// between reset, challenge ACK and drop (CheckRst).
	if seg.Flags.Has(RST) {
		e.checkRst(seg, &r)
		return r
	}
	if !e.checkSeq(seg, &r) || !e.checkSyn(seg, &r) {
		return r
	}
	// Fifth check: ACK. "If the ACK bit is off, drop the segment and return."
	if !seg.Flags.Has(ACK) {
		r.Reason = RcvIgnored
		return r
	}
	a := arrival{r: &r}
	if !e.processAck(now, seg, &a) {
		r.To = e.state
		return r
	}
	if seg.SegLen() > 0 && seg.End() == e.tcb.RcvNxt {
		// All of it was received before (LinuxSeqChecks let its ACK count):
		// a retransmission, answered with an ACK like any other.
		a.note(RcvDuplicate)
	}
	e.trimToWindow(&seg, &a)
	e.processText(now, seg, &a)
	e.finish(now, &a)
	return r
}

// expectedRepeat handles the repeats a state is there to answer, before
// the ordered checks would misread them. It reports whether the segment is
// done with; otherwise it may have rewritten seg for the checks.
func (e *Endpoint) expectedRepeat(now time.Duration, seg *Segment, r *Result) bool {
	ctl := seg.Flags & (SYN | ACK | RST | FIN)
	switch {
	case e.state == TimeWait && ctl&(SYN|RST) == 0 && ctl&FIN != 0 && seg.End() == e.tcb.RcvNxt:
		// §3.10.7.4 eighth check, TIME-WAIT: "The only thing that can
		// arrive in this state is a retransmission of the remote FIN.
		// Acknowledge it, and restart the 2 MSL timeout." The peer resends
		// it because our last ACK was lost; TIME-WAIT is there for this.
		r.Reason = RcvFinInTimeWait
		r.Out = append(r.Out, e.ackSeg())
		e.tw.set(now + e.cfg.TimeWait)
		return true
	case e.state == SynReceived && ctl == SYN && seg.Seq == e.tcb.IRS:
		// The peer resent its SYN: our SYN,ACK was lost or is late. Linux
		// (tcp_check_req) answers with the SYN,ACK again rather than the
		// bare ACK of the first check, which the peer in SYN-SENT would
		// drop.
		r.Reason = RcvDuplicate
		r.Out = append(r.Out, e.seg(SYN|ACK, e.tcb.ISS, nil))
		return true
	case e.state == SynReceived && ctl&(SYN|ACK|RST) == SYN|ACK && seg.Seq == e.tcb.IRS:
		// Simultaneous open (Figure 7, line 6): the peer's SYN,ACK repeats
		// the SYN we already have; its ACK is what matters. Take the SYN
		// as already received and go on with the ACK, as Linux does.
		seg.Flags &^= SYN
		seg.Seq = seg.Seq.Add(1)
	}
	return false
}

// checkRst is the first and second checks for a RST (§3.10.7.4, RFC 5961
// §3.2, Linux's deviations under LinuxSeqChecks; see CheckRst).
func (e *Endpoint) checkRst(seg Segment, r *Result) {
	switch CheckRst(seg, e.state, e.tcb.RcvNxt, e.rcvWnd(), e.cfg.LinuxSeqChecks) {
	case RstDrop:
		r.Reason = RcvRstIgnored // "If the RST bit is set, drop the segment and return."
	case RstChallenge:
		r.Reason = RcvRstChallenge
		r.Out = append(r.Out, e.ackSeg())
	case RstAccept:
		e.acceptReset(r)
	}
}

// acceptReset applies an acceptable RST (§3.10.7.4 second check).
func (e *Endpoint) acceptReset(r *Result) {
	switch {
	case e.state == SynReceived && e.passive:
		// "If this connection was initiated with a passive OPEN, then
		// return this connection to the LISTEN state and return."
		e.toListen()
		r.Reason = RcvRstToListen
	case e.state == SynReceived:
		// "If this connection was initiated with an active OPEN, then
		// the connection was refused."
		e.toClosed()
		r.Reason = RcvRstRefused
	default:
		e.toClosed()
		r.Reason = RcvRst
	}
	r.To = e.state
}

// checkSeq is the first check for a segment without RST (SeqAcceptable):
// "If an incoming segment is not acceptable, an acknowledgment should be
// sent in reply (unless the RST bit is set ...)". It reports whether
// processing goes on.
func (e *Endpoint) checkSeq(seg Segment, r *Result) bool {
	if SeqAcceptable(seg, e.tcb.RcvNxt, e.rcvWnd(), e.cfg.LinuxSeqChecks) {
		return true
	}
	r.Reason = RcvUnacceptable
	if seg.SegLen() > 0 && seg.End().LessThanEq(e.tcb.RcvNxt) {
		r.Reason = RcvDuplicate // all of it was received before: the ACK got lost
	}
	r.Out = append(r.Out, e.ackSeg())
	return false
}

// checkSyn is the fourth check: a SYN in the window. RFC 5961 §4 replaces
// RFC 793's reset with a challenge ACK, whatever the sequence number; a
// SYN-RECEIVED that came from a passive OPEN goes back to LISTEN. It reports
// whether processing goes on.
func (e *Endpoint) checkSyn(seg Segment, r *Result) bool {
	if !seg.Flags.Has(SYN) {
		return true
	}
	if e.state == SynReceived && e.passive {
		e.toListen()
		r.To, r.Reason = Listen, RcvSynToListen
		return false
	}
	r.Reason = RcvSynChallenge
	r.Out = append(r.Out, e.ackSeg())
	return false
}

// trimToWindow cuts what lies outside [RCV.NXT, RCV.NXT+RCV.WND): the part
// already received at the front, what the window cannot hold at the end
// (the FIN first, since it comes last). Anything cut is worth an ACK.
func (e *Endpoint) trimToWindow(seg *Segment, a *arrival) {
	nxt := e.tcb.RcvNxt
	if seg.Seq.LessThan(nxt) {
		a.needAck = true
		d := nxt.Sub(seg.Seq)
		if seg.Flags.Has(SYN) {
			seg.Flags &^= SYN
			seg.Seq = seg.Seq.Add(1)
			d--
		}
		cut := min(d, seg.Len)
		seg.Seq = seg.Seq.Add(cut)
		seg.Len -= cut
		seg.Payload = cutFront(seg.Payload, cut)
		if d > cut && seg.Flags.Has(FIN) { // the FIN itself is old
			seg.Flags &^= FIN
			seg.Seq = seg.Seq.Add(1)
		}
	}
	limit := nxt.Add(e.rcvWnd())
	if limit.LessThan(seg.End()) {
		a.needAck = true
		excess := seg.End().Sub(limit)
		if seg.Flags.Has(FIN) {
			seg.Flags &^= FIN
			excess--
		}
		excess = min(excess, seg.Len)
		seg.Len -= excess
		if uint32(len(seg.Payload)) > seg.Len {
			seg.Payload = seg.Payload[:seg.Len]
		}
	}
}

func cutFront(p []byte, n uint32) []byte {
	if uint32(len(p)) <= n {
		return nil
	}
	return p[n:]
}

// processAck is the fifth check: the ACK field. It reports whether
// processing goes on to the text and the FIN.
func (e *Endpoint) processAck(now time.Duration, seg Segment, a *arrival) bool {
	r := a.r
	if e.state == SynReceived {
		// "If SND.UNA < SEG.ACK =< SND.NXT, then enter ESTABLISHED state and
		// continue processing"; otherwise "form a reset segment
		// <SEQ=SEG.ACK><CTL=RST> and send it."
		if !AckAcceptable(seg.Ack, e.tcb.SndUna, e.tcb.SndNxt) {
			r.Reason = RcvBadAckSynRcvd
			r.Out = append(r.Out, rstSeg(seg.Ack, 0, false))
			return false
		}
		e.state = Established
		e.tcb.SndWnd, e.wl1, e.wl2 = seg.Window, seg.Seq, seg.Ack
		r.To, r.Reason = Established, RcvAckOfSyn
	}

	una := e.tcb.SndUna
	switch {
	case e.tcb.SndNxt.LessThan(seg.Ack):
		// "If the ACK acks something not yet sent (SEG.ACK > SND.NXT), then
		// send an ACK, drop the segment, and return."
		a.note(RcvAckFuture)
		r.Out = append(r.Out, e.ackSeg())
		return false
	case una.LessThan(seg.Ack):
		e.tcb.SndUna = seg.Ack
		e.ackRtxq()
		e.armRtx(now, true)
		a.note(RcvAck)
	default:
		// "If the ACK is a duplicate (SEG.ACK =< SND.UNA), it can be ignored."
		a.note(RcvDupAck)
	}
	// Window update, guarded by SND.WL1/WL2 against old segments.
	if !seg.Ack.LessThan(una) && (e.wl1.LessThan(seg.Seq) || (e.wl1 == seg.Seq && e.wl2.LessThanEq(seg.Ack))) {
		if e.tcb.SndWnd != seg.Window && seg.Ack == una && seg.SegLen() == 0 {
			a.note(RcvWindowUpdate)
		}
		e.tcb.SndWnd, e.wl1, e.wl2 = seg.Window, seg.Seq, seg.Ack
	}

	return e.ackOfFin(now, r)
}

// ackOfFin moves FIN-WAIT-1, CLOSING and LAST-ACK on once the ACK covers
// our FIN (§3.10.7.4 fifth check, AfterAckOfFin). It reports whether
// processing goes on: not in CLOSED, where the TCB is gone. In CLOSING the
// segment's text and FIN, if any, are ignored by the later checks; going on
// lets queued data and the FIN go out if the ACK opened the window.
func (e *Endpoint) ackOfFin(now time.Duration, r *Result) bool {
	to, moves := AfterAckOfFin(e.state)
	if !moves || !e.finAcked() {
		return true
	}
	e.enter(now, to)
	r.To, r.Reason = to, RcvAckOfFin
	return to != Closed
}

// enter moves to st with what entering it takes: timers started or
// stopped, the TCB deleted in CLOSED.
func (e *Endpoint) enter(now time.Duration, st State) {
	switch st {
	case FinWait2:
		e.toFinWait2(now)
	case TimeWait:
		e.toTimeWait(now) // in TIME-WAIT already: the 2·MSL timer restarts
	case Closed:
		e.toClosed()
	default:
		e.state = st
	}
}

// processText is the sixth to eighth checks: URG (ignored: urgent data is
// obsolete, RFC 6093), the segment text, and the FIN.
func (e *Endpoint) processText(now time.Duration, seg Segment, a *arrival) {
	r := a.r
	if seg.SegLen() == 0 {
		return
	}
	if e.tcb.RcvNxt.LessThan(seg.Seq) {
		// In the window but beyond RCV.NXT: a segment before it is missing.
		// "Segments with higher beginning sequence numbers may be held for
		// later processing" (§3.10.7.4): it is kept aside (text and FIN)
		// until the gap is filled, and a duplicate ACK tells the sender
		// where the gap starts, as Linux does at once for out-of-order data.
		if e.state.CanReceive() {
			e.holdOutOfOrder(seg)
		}
		a.note(RcvOutOfOrder)
		a.needAck = true
		return
	}
	defer e.drainOutOfOrder(now, a)

	// Seventh check: segment text.
	if seg.Len > 0 {
		switch e.state {
		case Established, FinWait1, FinWait2:
			if e.userClosed && e.cfg.RSTOnDataAfterClose && e.state != Established {
				// Linux (RFC 1122 §4.2.2.13): nobody can read this data
				// any more, so the peer is told with a RST, <SEQ=SEG.ACK>.
				e.toClosed()
				r.Out = append(r.Out, rstSeg(seg.Ack, 0, false))
				r.To, r.Reason = Closed, RcvDataAfterClose
				a.needAck = false
				return
			}
			e.rcvBuf = appendPayload(e.rcvBuf, seg)
			e.tcb.RcvNxt = e.tcb.RcvNxt.Add(seg.Len)
			a.needAck = true
			a.note(RcvData)
		default:
			// CLOSE-WAIT, CLOSING, LAST-ACK, TIME-WAIT: "This should not
			// occur since a FIN has been received from the remote side.
			// Ignore the segment text." (The FIN with it is a duplicate too.)
			a.note(RcvIgnored)
			return
		}
	}

	// Eighth check: FIN. It occupies one sequence number (§3.4), so
	// RCV.NXT moves past it and the ACK acknowledges it like a byte of data.
	if !seg.Flags.Has(FIN) {
		return
	}
	e.tcb.RcvNxt = e.tcb.RcvNxt.Add(1)
	e.peerFin = true
	a.needAck = true
	if to, why := AfterFin(e.state, r.From); why != ReasonNone {
		e.enter(now, to)
		r.Reason = why
	}
	r.To = e.state
}

// maxOutOfOrder bounds the segments held beyond a gap.
const maxOutOfOrder = 64

// holdOutOfOrder keeps a segment that lies beyond a gap, with its own copy
// of the payload, unless the queue is full or already has it.
func (e *Endpoint) holdOutOfOrder(seg Segment) {
	if len(e.ooo) >= maxOutOfOrder {
		return
	}
	for _, h := range e.ooo {
		if h.Seq == seg.Seq && h.SegLen() >= seg.SegLen() {
			return
		}
	}
	seg.Payload = appendPayload(nil, seg)
	e.ooo = append(slices.Clip(e.ooo), seg)
}

// drainOutOfOrder processes the held segments the data just received has
// made contiguous, in sequence order, each as if it had just arrived: its
// text is taken and its FIN processed. It runs after the in-order segment
// (processText defers it), so a held FIN moves the state as a FIN would.
func (e *Endpoint) drainOutOfOrder(now time.Duration, a *arrival) {
	for len(e.ooo) > 0 && e.state.CanReceive() && !e.peerFin {
		i := slices.IndexFunc(e.ooo, func(h Segment) bool { return h.Seq.LessThanEq(e.tcb.RcvNxt) })
		if i < 0 {
			return
		}
		h := e.ooo[i]
		e.ooo = slices.Delete(slices.Clone(e.ooo), i, i+1)
		if h.End().LessThanEq(e.tcb.RcvNxt) {
			continue // wholly covered by what has arrived since
		}
		var scratch arrival
		e.trimToWindow(&h, &scratch)
		e.processText(now, h, a)
	}
	if !e.state.CanReceive() || e.peerFin {
		e.ooo = nil
	}
}

// appendPayload appends a segment's text to buf: SEG.LEN octets, from the
// payload as far as it goes (zeros where a segment claims more than it
// carries; nothing on the wire does that, but a caller could).
func appendPayload(buf []byte, seg Segment) []byte {
	n := min(uint32(len(seg.Payload)), seg.Len)
	buf = append(buf, seg.Payload[:n]...)
	for ; n < seg.Len; n++ {
		buf = append(buf, 0)
	}
	return buf
}

// finish sends what the segment made possible (data the peer's window now
// admits, a queued FIN) and the ACK it calls for, which a data segment
// going out anyway carries instead.
func (e *Endpoint) finish(now time.Duration, a *arrival) {
	before := len(a.r.Out)
	e.output(now, a.r)
	if a.needAck && len(a.r.Out) == before && e.state != Closed {
		a.r.Out = append(a.r.Out, e.ackSeg())
	}
	a.r.To = e.state
}
