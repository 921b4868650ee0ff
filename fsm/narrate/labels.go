package narrate

import (
	"strconv"
	"time"

	"github.com/tcpviz/tcpviz/fsm"
	"github.com/tcpviz/tcpviz/fsm/timeline"
)

// The labels every output shares: the text ladder, the view's ladder, its
// header and the connection list write a segment, a timer and a time the
// same way.

// SegmentLabel is the text on a segment's arrow: flags, seq, ack (only with
// ACK) and len (only when the segment carries data), relative to the ISNs
// where they are known unless absolute, e.g. "SYN,ACK seq=0 ack=1".
func SegmentLabel(tl *timeline.Timeline, s *timeline.Step, absolute bool) string {
	seq, ack := uint32(s.Seg.Seq), uint32(s.Seg.Ack)
	if !absolute {
		if v, ok := tl.RelSeq(s); ok {
			seq = v
		}
		if v, ok := tl.RelAck(s); ok {
			ack = v
		}
	}
	b := make([]byte, 0, 48)
	b = append(b, s.Seg.Flags.String()...)
	b = append(b, " seq="...)
	b = strconv.AppendUint(b, uint64(seq), 10)
	if s.Seg.Flags.Has(fsm.ACK) {
		b = append(b, " ack="...)
		b = strconv.AppendUint(b, uint64(ack), 10)
	}
	if s.Seg.Len > 0 {
		b = append(b, " len="...)
		b = strconv.AppendUint(b, uint64(s.Seg.Len), 10)
	}
	return string(b)
}

// TimerLabel names a timer by what it did, in Figure 5's words where it has
// them: "timeout 2MSL", "timeout RTO", "persist".
func TimerLabel(why fsm.Reason) string {
	switch why {
	case fsm.TimerTimeWait:
		return "timeout 2MSL"
	case fsm.TimerRetransmit:
		return "timeout RTO"
	case fsm.TimerGiveUp:
		return "give up"
	case fsm.TimerFinWait2:
		return "timeout FIN-WAIT-2"
	case fsm.TimerPersist:
		return "persist"
	}
	return "timeout"
}

// FormatT is a time since the timeline began, compact and to the
// microsecond (loopback events are microseconds apart): "0", "12µs",
// "10.25ms", "1.250s", "1m1.130s".
func FormatT(d time.Duration) string {
	switch {
	case d == 0:
		return "0"
	case d < time.Millisecond:
		return strconv.FormatInt(d.Microseconds(), 10) + "µs"
	case d < time.Second:
		return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', -1, 64) + "ms"
	case d < time.Minute:
		return strconv.FormatFloat(d.Seconds(), 'f', 3, 64) + "s"
	}
	m := d / time.Minute
	return strconv.FormatInt(int64(m), 10) + "m" + strconv.FormatFloat((d-m*time.Minute).Seconds(), 'f', 3, 64) + "s"
}
