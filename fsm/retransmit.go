package fsm

import "time"

// This file holds the sending half: cutting queued data into segments
// within the peer's window, the FIN that follows it, and the retransmission
// queue of what is sent and not yet acknowledged.

// output sends what may be sent now: queued data within the peer's window
// (SND.UNA + SND.WND - SND.NXT), in segments of up to MSS octets with PSH
// on the one that empties the queue, then the FIN once the queue is empty.
// Data goes out only in synchronized states (§3.10.2: queued in SYN-SENT
// and SYN-RECEIVED). Every segment goes on the retransmission queue.
func (e *Endpoint) output(now time.Duration, r *Result) {
	if !e.state.Synchronized() || e.state == TimeWait {
		return
	}
	for len(e.sendBuf) > 0 {
		usable := e.usableWindow()
		if usable == 0 {
			break
		}
		n := min(uint32(len(e.sendBuf)), e.cfg.MSS, usable)
		payload := e.sendBuf[:n:n]
		e.sendBuf = e.sendBuf[n:]
		flags := ACK
		if len(e.sendBuf) == 0 {
			e.sendBuf = nil
			flags |= PSH
		}
		s := e.seg(flags, e.tcb.SndNxt, payload)
		e.tcb.SndNxt = e.tcb.SndNxt.Add(n)
		e.rtxq = append(e.rtxq, s)
		r.Out = append(r.Out, s)
	}
	// The FIN gets a segment of its own once the data before it is out. It
	// occupies one sequence number (§3.4) so that it can be acknowledged and
	// retransmitted like data. Linux sends it regardless of the peer's
	// window.
	if e.finQueued && !e.finSent && len(e.sendBuf) == 0 {
		fin := e.seg(FIN|ACK, e.tcb.SndNxt, nil)
		e.tcb.SndNxt = e.tcb.SndNxt.Add(1)
		e.finSent = true
		e.rtxq = append(e.rtxq, fin)
		r.Out = append(r.Out, fin)
	}
	e.armRtx(now, false)
}

// usableWindow is how many new octets the peer's window admits now.
func (e *Endpoint) usableWindow() uint32 {
	inFlight := e.tcb.SndNxt.Sub(e.tcb.SndUna)
	if inFlight >= e.tcb.SndWnd {
		return 0
	}
	return e.tcb.SndWnd - inFlight
}

// ackRtxq drops from the retransmission queue what SND.UNA now covers,
// trimming a segment acknowledged only in part so that a retransmission
// resends only what is missing.
func (e *Endpoint) ackRtxq() {
	una := e.tcb.SndUna
	for len(e.rtxq) > 0 {
		s := e.rtxq[0]
		if s.End().LessThanEq(una) {
			e.rtxq = e.rtxq[1:]
			continue
		}
		if s.Seq.LessThan(una) {
			d := una.Sub(s.Seq)
			if s.Flags.Has(SYN) {
				s.Flags &^= SYN
				s.Seq = s.Seq.Add(1)
				d--
			}
			if d > s.Len { // cannot happen: End() > una
				d = s.Len
			}
			s.Seq = s.Seq.Add(d)
			s.Len -= d
			if s.Payload != nil {
				s.Payload = s.Payload[d:]
			}
			if s.Len == 0 {
				s.Payload = nil
			}
			e.rtxq[0] = s
		}
		break
	}
	if len(e.rtxq) == 0 {
		e.rtxq = nil
	}
}

// retransmit resends the oldest unacknowledged segment with the current
// acknowledgment and window; a SYN gains the ACK flag once the peer's SYN
// is known (SYN,ACK from SYN-RECEIVED).
func (e *Endpoint) retransmit() Segment {
	s := e.rtxq[0]
	flags := s.Flags
	if e.state != SynSent {
		flags |= ACK
	}
	out := e.seg(flags, s.Seq, s.Payload)
	out.Len = s.Len
	return out
}
