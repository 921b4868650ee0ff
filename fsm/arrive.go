package fsm

import "time"

// This file holds SEGMENT ARRIVES (§3.10.7) for the states that are not yet
// synchronized: CLOSED, LISTEN and SYN-SENT, one handler each, and the
// dispatch. The synchronized states and SYN-RECEIVED share the ordered
// checks of §3.10.7.4 in arrive_sync.go.

// Arrive processes one segment arriving for this connection, in any state,
// and returns what it did and the segments to send in reply. It never fails:
// a segment the rules reject is dropped (Reason says which rule) and, where
// the RFC says so, answered with an ACK or a RST.
//
// ACKs are sent at once, never delayed (Linux sends the ACK of a FIN at
// once; for data a delayed ACK would only make the simulation harder to
// follow and its timeline depend on one more timer).
func (e *Endpoint) Arrive(now time.Duration, seg Segment) Result {
	switch e.state {
	case Closed:
		return e.arriveClosed(seg)
	case Listen:
		return e.arriveListen(now, seg)
	case SynSent:
		return e.arriveSynSent(now, seg)
	default:
		return e.arriveSynchronized(now, seg)
	}
}

// arriveClosed is §3.10.7.1: all data is discarded; a RST is dropped, any
// other segment is answered with a RST that the sender will find
// acceptable: <SEQ=SEG.ACK><CTL=RST> if the segment had ACK set, else
// <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
func (e *Endpoint) arriveClosed(seg Segment) Result {
	r := e.result()
	switch {
	case seg.Flags.Has(RST):
		r.Reason = RcvRstIgnored
	case seg.Flags.Has(ACK):
		r.Reason = RcvInClosed
		r.Out = append(r.Out, rstSeg(seg.Ack, 0, false))
	default:
		r.Reason = RcvInClosed
		r.Out = append(r.Out, rstSeg(0, seg.Seq.Add(seg.SegLen()), true))
	}
	return r
}

// arriveListen is §3.10.7.2: a RST is ignored, an ACK answered with
// <SEQ=SEG.ACK><CTL=RST> (nothing here could have been acknowledged), and a
// SYN starts a connection: IRS and RCV.NXT from it, <SEQ=ISS><ACK=RCV.NXT>
// <CTL=SYN,ACK> sent, → SYN-RECEIVED. Data or FIN riding on the SYN is not
// kept (Linux without TCP Fast Open drops it; the peer resends it).
func (e *Endpoint) arriveListen(now time.Duration, seg Segment) Result {
	r := e.result()
	switch {
	case seg.Flags.Has(RST):
		r.Reason = RcvRstInListen
	case seg.Flags.Has(ACK):
		r.Reason = RcvAckInListen
		r.Out = append(r.Out, rstSeg(seg.Ack, 0, false))
	case seg.Flags.Has(SYN):
		iss := e.cfg.ISS
		e.tcb = TCB{
			ISS: iss, IRS: seg.Seq, SndUna: iss, SndNxt: iss.Add(1),
			SndWnd: seg.Window, RcvNxt: seg.Seq.Add(1),
		}
		e.wl1, e.wl2 = seg.Seq, iss
		e.passive = true
		e.state = SynReceived
		// The queue holds the SYN; retransmit() adds ACK to it.
		e.rtxq = append(e.rtxq[:0:0], Segment{Seq: iss, Flags: SYN})
		r.Out = append(r.Out, e.seg(SYN|ACK, iss, nil))
		r.To, r.Reason = SynReceived, RcvSynInListen
		e.armRtx(now, true)
	default:
		r.Reason = RcvIgnored
	}
	return r
}

// arriveSynSent is §3.10.7.3: check the ACK (it must acknowledge our SYN,
// else RST), then the RST (refused, if its ACK was acceptable), then the
// SYN: with an acceptable ACK the connection is ESTABLISHED and an ACK goes
// out; without one it is a simultaneous open, → SYN-RECEIVED, answered
// with <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>, our original ISS.
func (e *Endpoint) arriveSynSent(now time.Duration, seg Segment) Result {
	r := e.result()
	iss, nxt := e.tcb.ISS, e.tcb.SndNxt
	if seg.Flags.Has(ACK) && !AckAcceptable(seg.Ack, iss, nxt) {
		// "If SEG.ACK =< ISS or SEG.ACK > SND.NXT, send a reset (unless the
		// RST bit is set, if so drop the segment and return)."
		if seg.Flags.Has(RST) {
			r.Reason = RcvRstIgnored
			return r
		}
		r.Reason = RcvBadAckSynSent
		r.Out = append(r.Out, rstSeg(seg.Ack, 0, false))
		return r
	}
	ackOK := seg.Flags.Has(ACK) // and acceptable, or it was answered above
	if seg.Flags.Has(RST) {
		// §3.5.3, RFC 5961 §3.2: in SYN-SENT a RST is acceptable only if it
		// acknowledges our SYN; otherwise drop it.
		if CheckRstSynSent(seg, iss, nxt) != RstAccept {
			r.Reason = RcvRstIgnored
			return r
		}
		e.toClosed()
		r.To, r.Reason = Closed, RcvRstRefused
		return r
	}
	if !seg.Flags.Has(SYN) {
		r.Reason = RcvIgnored
		return r
	}
	e.tcb.IRS = seg.Seq
	e.tcb.RcvNxt = seg.Seq.Add(1)
	e.tcb.SndWnd = seg.Window
	e.wl1, e.wl2 = seg.Seq, seg.Ack
	if !ackOK {
		// Simultaneous open (§3.5, Figure 7): both sides sent a SYN. Answer
		// with a SYN,ACK that repeats our original ISS; the SYN stays on the
		// retransmission queue and is resent as SYN,ACK from now on.
		e.state = SynReceived
		r.Out = append(r.Out, e.seg(SYN|ACK, e.tcb.ISS, nil))
		r.To, r.Reason = SynReceived, RcvSynSimultaneous
		return r
	}
	e.tcb.SndUna = seg.Ack
	e.ackRtxq()
	e.state = Established
	r.To, r.Reason = Established, RcvSynAck
	e.armRtx(now, true)
	// "If there are other controls or text in the segment, then continue
	// processing at the sixth step under Section 3.10.7.4": data or a FIN
	// riding on the SYN,ACK is taken after the SYN.
	rest := seg
	rest.Flags &^= SYN | ACK
	rest.Seq = seg.Seq.Add(1)
	st := arrival{r: &r, needAck: true}
	e.trimToWindow(&rest, &st)
	e.processText(now, rest, &st)
	e.finish(now, &st)
	return r
}
