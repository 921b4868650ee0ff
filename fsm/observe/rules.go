package observe

import (
	"time"

	"github.com/tcpviz/tcpviz/fsm"
	"github.com/tcpviz/tcpviz/fsm/timeline"
)

// Observe feeds one segment, seen at capture time t travelling in dir, and
// returns both sides' states after it. Feed every segment of the
// connection, in capture order, after calling Expire for t.
//
// A segment is read twice, as RFC 9293 §3.10.7 would have each endpoint
// read it. First for what it proves about its sender: that it sent a SYN,
// a SYN,ACK, a FIN or a RST, and that it had received what it acknowledges.
// Then as the receiver processes it, with the receiver's inferred state:
// the ACK field first (fifth check), the FIN last (eighth check). The
// receiver processes it the moment it is seen (see the package doc).
func (o *Observer) Observe(t time.Duration, dir fsm.Dir, seg *fsm.Segment) Update {
	x := dir.From()
	f := seg.Flags
	if f&(fsm.SYN|fsm.ACK|fsm.RST) == fsm.SYN {
		if s := &o.s[x]; s.state == fsm.Closed && s.has(bitISN) && seg.Seq != s.isn {
			// A side that lost its connection tries again with a new ISN.
			o.s[x] = side{state: fsm.Closed}
		}
	}
	var u Update
	if o.duplicate(t, dir, seg) {
		u.Analysis = timeline.Duplicate
		o.lastT = t
		u.States = o.States()
		return u
	}
	X := &o.s[x]
	gap := X.has(bitGap)
	// Old: the segment ends before the receiver's RCV.NXT as the capture
	// shows it (everything seen was delivered, up to a gap). Linux drops
	// such a segment unread (tcp_sequence: end_seq before rcv_wup, RCV.NXT
	// as of its last ACK) and repeats its ACK; so does RFC 9293 §3.10.7.4's
	// first check.
	old := false
	if X.has(bitNxt) {
		rcvNxt := X.nxt
		if gap {
			rcvNxt = X.gapLo
		}
		old = seg.End().LessThan(rcvNxt)
	}
	u.Analysis = o.analyze(t, dir, seg)
	if f.Has(fsm.RST) {
		o.onRst(t, x, seg, &u)
	} else {
		o.onSegment(t, x, seg, old, &u)
		if gap && !o.s[x].has(bitGap) {
			// seg filled the gap: the peer now has everything up to x's
			// held FIN, if any.
			o.releaseFin(t, x.Peer(), &u)
		}
	}
	o.record(t, dir, seg)
	u.States = o.States()
	return u
}

// set moves side s to st because of r.
func (o *Observer) set(u *Update, t time.Duration, s fsm.Side, st fsm.State, r fsm.Reason) {
	o.s[s].state = st
	u.Why[s] = r
	if st == fsm.TimeWait {
		o.s[s].deadline = t + o.timeWait
	}
}

// acksSyn reports whether ack acknowledges s's SYN and nothing beyond what
// s sent (fsm.AckAcceptable with SND.UNA = ISS, §3.10.7.3); with s's
// SND.NXT not seen, anything past its ISN.
func (s *side) acksSyn(ack fsm.Seq) bool {
	return s.has(bitISN) && fsm.AckAcceptable(ack, s.isn, s.sndNxt(ack))
}

// sndNxt is s's SND.NXT as the capture shows it, or orElse if nothing s
// sent was seen.
func (s *side) sndNxt(orElse fsm.Seq) fsm.Seq {
	if s.has(bitNxt) {
		return s.nxt
	}
	return orElse
}

// acksFin reports whether ack covers s's FIN.
func (s *side) acksFin(ack fsm.Seq) bool { return s.has(bitFin) && s.finSeq.LessThan(ack) }

// onSegment reads a segment without RST from side x.
func (o *Observer) onSegment(t time.Duration, x fsm.Side, seg *fsm.Segment, old bool, u *Update) {
	y := x.Peer()
	X := &o.s[x]
	prevY := o.s[y].state
	f := seg.Flags
	hasAck := f.Has(fsm.ACK)

	// What the segment proves about its sender.
	if hasAck {
		o.ackFillsGap(t, x, seg, u)
	}
	switch {
	case f.Has(fsm.SYN) && hasAck:
		o.sentSynAck(t, x, seg, u)
	case f.Has(fsm.SYN):
		o.sentSyn(t, x, seg, u)
	case X.state == fsm.Closed:
		X.bits |= bitAfterClosed
	case hasAck:
		o.ackProves(t, x, seg, u)
	}
	newFin := false
	if f.Has(fsm.FIN) {
		newFin = o.sentFin(t, x, seg, u)
	}

	// The receiver processes it, unless it is old: the ACK, then the FIN.
	if old {
		return
	}
	if hasAck {
		o.rcvAck(t, y, seg, u)
	}
	if f.Has(fsm.FIN) && !X.has(bitFinHeld) {
		o.rcvFin(t, y, prevY, newFin, u)
	}
}

// ackFillsGap reads x's ACK as what it is: x's RCV.NXT, the end of the
// peer's data x holds in order. Where the capture saw a gap in the peer's
// sequence space, an ACK into or past it proves x received that much (the
// capture missed it, not x). When x holds everything, it processes the
// peer's held FIN.
func (o *Observer) ackFillsGap(t time.Duration, x fsm.Side, seg *fsm.Segment, u *Update) {
	P := &o.s[x.Peer()]
	if !P.has(bitGap) || !P.has(bitNxt) {
		return
	}
	ack := seg.Ack
	switch {
	case !ack.LessThan(P.nxt):
		P.bits &^= bitGap | bitMoreGaps
		o.releaseFin(t, x, u)
	case !P.gapLo.LessThan(ack):
	case ack.LessThan(P.gapHi):
		P.gapLo = ack // part of the gap reached x uncaptured
	default:
		P.nextGap()
		switch {
		case !P.has(bitGap):
			// Past the only gap: everything seen since is in order at x.
			o.releaseFin(t, x, u)
		case P.gapLo.LessThan(ack) && ack.LessThan(P.gapHi):
			P.gapLo = ack
		case P.gapLo.LessThan(ack):
			// Past that one too, up to the FIN.
			P.bits &^= bitGap | bitMoreGaps
			o.releaseFin(t, x, u)
		}
	}
}

// seenEnd is the end of s's sequence space that can hold unseen data: its
// FIN if seen, else the end of everything seen.
func (s *side) seenEnd() fsm.Seq {
	if s.has(bitFin) {
		return s.finSeq
	}
	return s.nxt
}

// releaseFin: y now has everything before the peer's FIN, which it held
// back because of a gap; it processes the FIN.
func (o *Observer) releaseFin(t time.Duration, y fsm.Side, u *Update) {
	P := &o.s[y.Peer()]
	if !P.has(bitFinHeld) {
		return
	}
	P.bits &^= bitFinHeld
	o.rcvFin(t, y, o.s[y].state, true, u)
}

// sentSyn: x sent a SYN without ACK, an active open (RFC 9293 §3.5).
func (o *Observer) sentSyn(t time.Duration, x fsm.Side, seg *fsm.Segment, u *Update) {
	y := x.Peer()
	X, Y := &o.s[x], &o.s[y]
	switch X.state {
	case fsm.Closed, fsm.Listen:
		// A LISTEN side answers a SYN with SYN,ACK; one that sends a bare SYN
		// was CLOSED and did an active OPEN.
		X.isn = seg.Seq
		X.bits = X.bits&^bitPassive | bitISN
		o.set(u, t, x, fsm.SynSent, fsm.ObsSynSent)
		if Y.state == fsm.SynSent {
			// Simultaneous open (Figure 7): the peer's SYN, seen earlier and
			// not answered, was in flight when this one was sent, or x would
			// have answered it with SYN,ACK. The SYNs crossed: each arrives
			// in SYN-SENT and moves its receiver to SYN-RECEIVED (§3.10.7.3,
			// fourth check). By the time this SYN is seen both have arrived.
			o.set(u, t, x, fsm.SynReceived, fsm.RcvSynSimultaneous)
			o.set(u, t, y, fsm.SynReceived, fsm.RcvSynSimultaneous)
			Y.bits &^= bitPassive
		} else if Y.state == fsm.Listen && o.listens {
			// The server is known to listen: the SYN reaches a LISTEN
			// socket, which enters SYN-RECEIVED on it (§3.10.7.2).
			Y.bits |= bitPassive
			o.set(u, t, y, fsm.SynReceived, fsm.RcvSynInListen)
		}
	case fsm.SynSent, fsm.SynReceived:
		if seg.Seq == X.isn {
			u.Why[x] = fsm.ObsRetransmitted
		}
	default:
		if seg.Seq == X.isn && X.has(bitISN) {
			// The SYN was answered and the side moved on, yet it sends its
			// SYN again: the answer never reached it.
			u.Why[x] = fsm.ObsRetransmitted
			X.bits |= bitLoss
		} else {
			// RFC 5961 §4: a SYN in a synchronized state gets a challenge ACK.
			u.Why[y] = fsm.RcvSynChallenge
			X.bits |= bitSynIgnored
		}
	}
}

// sentSynAck: x sent a SYN,ACK, which proves it received the peer's SYN
// (its ACK field is that ISN + 1).
func (o *Observer) sentSynAck(t time.Duration, x fsm.Side, seg *fsm.Segment, u *Update) {
	y := x.Peer()
	X, Y := &o.s[x], &o.s[y]
	if !Y.has(bitISN) {
		// The peer's SYN was not captured; the SYN,ACK names it.
		neverSent := !Y.has(bitNxt)
		Y.isn = seg.Ack - 1
		Y.bits |= bitISN
		if neverSent {
			Y.nxt = seg.Ack
			Y.bits |= bitNxt
			if Y.state == fsm.Closed {
				o.set(u, t, y, fsm.SynSent, fsm.ObsSynSent)
			}
		}
	}
	switch X.state {
	case fsm.Closed, fsm.Listen:
		X.isn = seg.Seq
		X.bits |= bitISN | bitPassive
		o.set(u, t, x, fsm.SynReceived, fsm.ObsSynAckSent)
	case fsm.SynSent:
		// It had sent a bare SYN: the peer's SYN reached it in SYN-SENT
		// (simultaneous open, Figure 7 line 5).
		o.set(u, t, x, fsm.SynReceived, fsm.RcvSynSimultaneous)
	case fsm.SynReceived:
		if !X.has(bitISN) {
			// Its first SYN,ACK, after a SYN known to have reached it in
			// LISTEN (Config.Listening): the state is already right.
			X.isn = seg.Seq
			X.bits |= bitISN
			u.Why[x] = fsm.ObsSynAckSent
		} else if X.has(bitPassive) {
			u.Why[x] = fsm.ObsRetransmitted
		}
		// Otherwise this is Figure 7's SYN,ACK after a simultaneous open.
	default:
		if X.has(bitPassive) {
			// The server repeats its SYN,ACK after the handshake's ACK was
			// seen: that ACK did not reach it.
			u.Why[x] = fsm.ObsRetransmitted
			X.bits |= bitLoss
		}
		// Otherwise the crossing SYN,ACK of a simultaneous open (Figure 7
		// lines 6 and 7), sent while x was still SYN-RECEIVED.
	}
}

// ackProves: x sent a segment with ACK and without SYN. What it acknowledges
// it had received, even where the capture missed it.
func (o *Observer) ackProves(t time.Duration, x fsm.Side, seg *fsm.Segment, u *Update) {
	y := x.Peer()
	X, Y := &o.s[x], &o.s[y]
	switch X.state {
	case fsm.SynSent:
		// Only an ESTABLISHED side sends a plain ACK after its SYN: the
		// SYN,ACK was not captured.
		if !Y.has(bitISN) {
			Y.isn = seg.Ack - 1
			Y.bits |= bitISN
			if !Y.has(bitNxt) {
				Y.nxt, Y.bits = seg.Ack, Y.bits|bitNxt
			}
			if Y.state == fsm.Listen {
				Y.bits |= bitPassive
				o.set(u, t, y, fsm.SynReceived, fsm.ObsSynAckSent)
			}
		}
		if Y.acksSyn(seg.Ack) {
			o.set(u, t, x, fsm.Established, fsm.ObsAckProvesSyn)
		}
	case fsm.SynReceived:
		// Data or a FIN is sent only once synchronized: the ACK that
		// completed the handshake was not captured.
		if (seg.Len > 0 || seg.Flags.Has(fsm.FIN)) && Y.acksSyn(seg.Ack) {
			o.set(u, t, x, fsm.Established, fsm.ObsAckProvesSyn)
		}
	}
	if Y.acksFin(seg.Ack) {
		// It acknowledges the peer's FIN, so it received it, though the
		// observer had not let it (a FIN it could not yet have processed).
		if X.state == fsm.Established || X.state == fsm.FinWait2 {
			to, why := fsm.AfterFin(X.state, X.state)
			o.set(u, t, x, to, why)
		}
	}
}

// sentFin: x sent a FIN (§3.10.4 CLOSE). It reports whether the FIN is new
// rather than a repeat of one seen before.
func (o *Observer) sentFin(t time.Duration, x fsm.Side, seg *fsm.Segment, u *Update) bool {
	y := x.Peer()
	X, Y := &o.s[x], &o.s[y]
	fin := seg.Seq.Add(seg.Len)
	if X.has(bitFin) {
		if fin == X.finSeq {
			if u.Why[x] == fsm.ReasonNone {
				u.Why[x] = fsm.ObsRetransmitted
			}
			switch X.state {
			case fsm.FinWait2, fsm.TimeWait, fsm.Closed:
				// Its FIN was acknowledged, yet it sends it again: the
				// ACK never reached it.
				X.bits |= bitLoss
			default:
				// No ACK of the FIN yet: it may not have reached the peer.
				Y.bits |= bitLoss
			}
		}
		return false
	}
	X.finSeq = fin
	X.bits |= bitFin
	if u.Analysis&(timeline.Retransmission|timeline.OutOfOrder) != 0 {
		// The FIN's sequence number lies below what x was seen to send
		// after it: its first transmission was not captured, and its ACK
		// field is today's, not that of when x closed.
		X.bits |= bitFinUnseen
	}
	if X.has(bitGap) {
		// Sequence space before the FIN was never seen: the peer queues
		// the FIN out of order and processes it only once the gap is
		// filled (§3.10.7.4 eighth check; Linux's out-of-order queue).
		X.bits |= bitFinHeld
	}
	hasAck := seg.Flags.Has(fsm.ACK)
	acksPeerFin := hasAck && Y.acksFin(seg.Ack)
	switch X.state {
	case fsm.Established, fsm.SynReceived:
		if acksPeerFin {
			o.set(u, t, x, fsm.LastAck, fsm.ObsFinSentLastAck)
		} else {
			o.set(u, t, x, fsm.FinWait1, fsm.ObsFinSent)
		}
	case fsm.CloseWait:
		if acksPeerFin || !hasAck {
			o.set(u, t, x, fsm.LastAck, fsm.ObsFinSentLastAck)
		} else {
			// Every segment of a synchronized TCP acknowledges all it has
			// received (§3.10.7.4, Linux sets RCV.NXT in every ACK). A FIN
			// that does not cover the peer's FIN was sent before that FIN
			// arrived: x was ESTABLISHED, went to FIN-WAIT-1, and the
			// FINs crossed on the wire (simultaneous close, Figure 13). The
			// peer's FIN, seen earlier, has arrived by now: CLOSING.
			o.set(u, t, x, fsm.Closing, fsm.ObsFinsCrossed)
		}
	case fsm.Closed:
		X.bits |= bitAfterClosed
	}
	return true
}

// rcvAck: y processes the ACK field of a segment without RST (§3.10.7.3 for
// SYN-SENT, §3.10.7.4 fifth check otherwise).
func (o *Observer) rcvAck(t time.Duration, y fsm.Side, seg *fsm.Segment, u *Update) {
	Y := &o.s[y]
	ack := seg.Ack
	syn := seg.Flags.Has(fsm.SYN)
	switch Y.state {
	case fsm.SynSent:
		switch {
		case !Y.acksSyn(ack):
			// An unacceptable ACK: y answers with RST and stays SYN-SENT.
			Y.bits |= bitBadAck
			u.Why[y] = fsm.RcvBadAckSynSent
		case syn:
			o.set(u, t, y, fsm.Established, fsm.RcvSynAck)
		}
		// An acceptable ACK without SYN is dropped (§3.10.7.3, fifth part).
	case fsm.SynReceived:
		switch {
		case Y.acksSyn(ack):
			// With SYN too, Figure 7's SYN,ACK after a simultaneous open:
			// the SYN is the one y has, its ACK is what moves y.
			o.set(u, t, y, fsm.Established, fsm.RcvAckOfSyn)
		case Y.has(bitISN) && !syn:
			Y.bits |= bitBadAck
			u.Why[y] = fsm.RcvBadAckSynRcvd
		}
	default:
		if to, moves := fsm.AfterAckOfFin(Y.state); moves && Y.acksFin(ack) {
			o.set(u, t, y, to, fsm.RcvAckOfFin)
		}
	}
}

// rcvFin: y processes the FIN (§3.10.7.4 eighth check). prevY is y's state
// before this segment.
func (o *Observer) rcvFin(t time.Duration, y fsm.Side, prevY fsm.State, newFin bool, u *Update) {
	Y := &o.s[y]
	if !newFin {
		if Y.state == fsm.TimeWait {
			// §3.10.7.4: TIME-WAIT acknowledges a repeated FIN and restarts
			// the 2·MSL timer (Linux inet_twsk_reschedule).
			Y.deadline = t + o.timeWait
			u.Why[y] = fsm.RcvFinInTimeWait
		}
		return
	}
	switch Y.state {
	case fsm.Established, fsm.FinWait1, fsm.FinWait2:
		// In FIN-WAIT-1 the FIN does not acknowledge y's FIN (or rcvAck
		// would have moved y on): the FINs crossed.
		to, why := fsm.AfterFin(Y.state, prevY)
		o.set(u, t, y, to, why)
	}
}

// onRst reads a segment with RST from side x: is it acceptable to the
// receiver (fsm.CheckRstSynSent in SYN-SENT, fsm.CheckRst otherwise), and
// what does sending it say about x.
func (o *Observer) onRst(t time.Duration, x fsm.Side, seg *fsm.Segment, u *Update) {
	y := x.Peer()
	senderCloses := true
	switch o.s[y].state {
	case fsm.SynSent:
		var refused bool
		senderCloses, refused = o.rstInSynSent(t, y, seg, u)
		if refused {
			return
		}
	case fsm.Listen:
		u.Why[y] = fsm.RcvRstInListen // §3.10.7.2: a RST in LISTEN is ignored
	case fsm.Closed:
	default:
		senderCloses = o.rstSynchronized(t, y, seg, u)
	}
	if senderCloses {
		o.rstSent(t, x, u)
	}
}

// rstInSynSent: y in SYN-SENT receives a RST, acceptable only if it
// acknowledges y's SYN (§3.10.7.3). It reports whether the RST says its
// sender closed, and whether it refused the connection outright (the sender
// then is known CLOSED all along).
func (o *Observer) rstInSynSent(t time.Duration, y fsm.Side, seg *fsm.Segment, u *Update) (senderCloses, refused bool) {
	x := y.Peer()
	Y := &o.s[y]
	// With y's SYN not captured, the RST is taken to answer it.
	acceptable := seg.Flags.Has(fsm.ACK) && !Y.has(bitISN)
	if Y.has(bitISN) {
		acceptable = fsm.CheckRstSynSent(*seg, Y.isn, Y.sndNxt(Y.isn.Add(1))) == fsm.RstAccept
	}
	if !acceptable {
		u.Why[y] = fsm.RcvRstIgnored
		return false, false
	}
	o.set(u, t, y, fsm.Closed, fsm.RcvRstRefused)
	if X := &o.s[x]; X.state == fsm.Listen || X.state == fsm.Closed {
		// A LISTEN socket answers a SYN with SYN,ACK; a RST means no one
		// was listening: x was CLOSED all along.
		o.set(u, t, x, fsm.Closed, fsm.ObsRefused)
		return true, true
	}
	return true, false
}

// rstSynchronized: y in SYN-RECEIVED or a synchronized state receives a
// RST, checked as Linux checks it (fsm.CheckRst) against y's RCV.NXT and
// window as the capture shows them. It reports whether the RST says its
// sender closed.
func (o *Observer) rstSynchronized(t time.Duration, y fsm.Side, seg *fsm.Segment, u *Update) bool {
	x := y.Peer()
	X, Y := &o.s[x], &o.s[y]
	if !X.has(bitNxt) {
		Y.bits |= bitUnverified
		o.acceptRst(t, y, u)
		return true
	}
	rcvNxt := X.nxt
	if X.has(bitGap) {
		rcvNxt = X.gapLo // y has nothing beyond the gap in order
	}
	wnd := max(Y.win, 1<<16) // the scale may be unknown: never narrower than unscaled
	switch fsm.CheckRst(*seg, Y.state, rcvNxt, wnd, true) {
	case fsm.RstAccept:
		o.acceptRst(t, y, u)
	case fsm.RstChallenge:
		u.Why[y] = fsm.RcvRstChallenge
	case fsm.RstDrop:
		u.Why[y] = fsm.RcvRstIgnored
		if !seg.Seq.LessThan(rcvNxt) || rcvNxt.Sub(seg.Seq) > wnd {
			// Far outside the window: forged, or from an earlier
			// connection. It proves nothing about x either.
			Y.bits |= bitRstIgnored
			X.bits |= bitRstIgnored
			return false
		}
		// Behind RCV.NXT by less than a window: a real RST that crossed
		// x's last data or FIN. A stack answering a segment with RST takes
		// its sequence number from that segment's ACK field (§3.10.7.1,
		// Linux tcp_v4_send_reset), which lags what x has sent since. y
		// drops it as old; x has closed.
	}
	return true
}

// acceptRst applies an acceptable RST to y (§3.10.7.4 second check).
func (o *Observer) acceptRst(t time.Duration, y fsm.Side, u *Update) {
	Y := &o.s[y]
	if Y.state == fsm.SynReceived && Y.has(bitPassive) {
		o.set(u, t, y, fsm.Listen, fsm.RcvRstToListen)
		return
	}
	// In TIME-WAIT, Linux with tcp_rfc1337 = 0 ends TIME-WAIT early.
	o.set(u, t, y, fsm.Closed, fsm.RcvRst)
}

// rstSent: x sent a RST that says it closed, unless it answers an
// unacceptable ACK, which leaves x's state as it was.
func (o *Observer) rstSent(t time.Duration, x fsm.Side, u *Update) {
	X := &o.s[x]
	if X.state == fsm.Closed {
		return
	}
	if X.has(bitBadAck) && (X.state == fsm.SynSent || X.state == fsm.SynReceived) {
		X.bits &^= bitBadAck
		return
	}
	o.set(u, t, x, fsm.Closed, fsm.ObsRstSent)
}
