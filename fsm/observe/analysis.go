package observe

import (
	"time"

	"github.com/tcpviz/tcpviz/fsm"
	"github.com/tcpviz/tcpviz/fsm/timeline"
)

// duplicate reports whether seg is an exact copy of the segment seen just
// before it, in the same direction and within dupWindow: the link or the
// capture delivered it twice. A copy carries nothing new, so the observer
// draws no conclusion from it. Pure ACKs are left to DupAck, as Wireshark
// does, since a receiver legitimately repeats them.
func (o *Observer) duplicate(t time.Duration, dir fsm.Dir, seg *fsm.Segment) bool {
	if !o.seen || dir != o.lastDir || t < o.lastT || t-o.lastT > dupWindow || seg.SegLen() == 0 ||
		seg.Flags.Has(fsm.RST) || seg.Seq != o.lastSeq || seg.Flags != o.lastFlg || seg.Len != o.lastLen {
		return false
	}
	// The previous segment had the same flags, so no RST: its ACK and
	// window are its sender's lastAck and win.
	x := &o.s[dir.From()]
	return seg.Window == x.win && (!seg.Flags.Has(fsm.ACK) || seg.Ack == x.lastAck)
}

// analyze flags seg as Wireshark's tcp.analysis would and advances what the
// sender is known to have sent. It runs before the state rules, which read
// the sender's nxt as including seg.
//
//   - LostSegment: seg starts beyond the end of everything its sender was seen
//     to send ("previous segment not captured"); the skipped space is
//     remembered as a gap.
//   - OutOfOrder: seg carries sequence space below that end which was never
//     seen (it fills part of the gap), and comes within oooWindow of the
//     segment that advanced the end: it was overtaken on the way, not resent.
//   - Retransmission: seg carries sequence space (data, SYN or FIN) below
//     that end, and is not out of order: a gap filled later was resent.
//     A one-octet segment just below the end is a keep-alive probe, not a
//     retransmission.
//   - DupAck: a pure ACK repeating its sender's previous acknowledgment and
//     non-zero window, at its sender's next sequence number.
//   - ZeroWindow: a zero window on a segment without SYN, FIN or RST.
//
// RSTs are not analysed: their sequence number proves nothing about what was
// sent.
func (o *Observer) analyze(t time.Duration, dir fsm.Dir, seg *fsm.Segment) timeline.Analysis {
	f := seg.Flags
	if f.Has(fsm.RST) {
		return 0
	}
	x := &o.s[dir.From()]
	var a timeline.Analysis
	ctl := f&(fsm.SYN|fsm.FIN) != 0
	if seg.Window == 0 && !ctl {
		a |= timeline.ZeroWindow
	}
	sl := seg.SegLen()
	end := seg.End()
	now := micros(t)
	if !x.has(bitNxt) {
		x.nxt, x.nxtAt = end, now
		x.bits |= bitNxt
		return a
	}
	if f.Has(fsm.ACK) && seg.Len == 0 && !ctl && seg.Window != 0 && seg.Seq == x.nxt &&
		x.bits&(bitAck|bitWin) == bitAck|bitWin &&
		seg.Ack == x.lastAck && seg.Window == x.win {
		a |= timeline.DupAck
	}
	switch {
	case x.nxt.LessThan(seg.Seq):
		a |= timeline.LostSegment
		switch {
		case !x.has(bitGap):
			// The lowest gap is remembered whole: where the receiver's
			// in-order data (its RCV.NXT) stops.
			x.gapLo, x.gapHi = x.nxt, seg.Seq
			x.bits |= bitGap
		case !x.has(bitMoreGaps):
			// Of the gaps above it only where the next one starts: where
			// RCV.NXT stops once the lowest is filled. Space filled in
			// them counts as retransmitted.
			x.gap2 = x.nxt
			x.bits |= bitMoreGaps
		}
	case sl > 0 && seg.Seq.LessThan(x.nxt):
		switch {
		case seg.Len == 1 && !ctl && seg.Seq.Add(1) == x.nxt:
			// Keep-alive (Wireshark's rule): one octet below the end.
		case x.has(bitGap) && seg.Seq.InRange(x.gapLo, x.gapHi):
			if now-x.nxtAt < uint32(oooWindow/time.Microsecond) {
				a |= timeline.OutOfOrder
			} else {
				a |= timeline.Retransmission
			}
			x.fillGap(seg.Seq, end)
		default:
			a |= timeline.Retransmission
		}
	}
	if x.nxt.LessThan(end) {
		x.nxt, x.nxtAt = end, now
	}
	return a
}

// oooWindow is Wireshark's out-of-order threshold when it has no RTT
// estimate: space below the highest sequence number that arrives sooner
// than this after the segment that set it was overtaken, not retransmitted
// (a retransmission waits for three duplicate ACKs or a timer).
const oooWindow = 3 * time.Millisecond

// micros is capture time in microseconds, modulo 2^32 (71 minutes): enough
// to compare intervals of a few milliseconds in 4 bytes.
func micros(t time.Duration) uint32 { return uint32(t / time.Microsecond) }

// fillGap shrinks the gap by [seq, end), which starts inside it. One gap is
// remembered; space filled in its middle leaves its upper part unmarked.
func (s *side) fillGap(seq, end fsm.Seq) {
	if seq == s.gapLo {
		if end.LessThan(s.gapHi) {
			s.gapLo = end
		} else {
			s.gapLo = s.gapHi
		}
	} else {
		s.gapHi = seq
	}
	if s.gapLo == s.gapHi {
		s.nextGap()
	}
}

// nextGap forgets the lowest gap, which was filled: the next one, if any,
// becomes the lowest, with an end not known (at most the FIN, if seen).
func (s *side) nextGap() {
	if !s.has(bitMoreGaps) {
		s.bits &^= bitGap
		return
	}
	s.gapLo, s.gapHi = s.gap2, s.seenEnd()
	s.bits = s.bits&^bitMoreGaps | bitGap
}

// record remembers seg as its sender's last segment and the connection's
// previous one.
func (o *Observer) record(t time.Duration, dir fsm.Dir, seg *fsm.Segment) {
	o.seen = true
	o.lastT, o.lastDir = t, dir
	o.lastSeq, o.lastFlg, o.lastLen = seg.Seq, seg.Flags, seg.Len
	if seg.Flags.Has(fsm.RST) {
		return
	}
	x := &o.s[dir.From()]
	x.win = seg.Window
	x.bits |= bitWin
	if seg.Flags.Has(fsm.ACK) {
		x.lastAck = seg.Ack
		x.bits |= bitAck
	}
}
