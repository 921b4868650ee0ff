package fsm

import "fmt"

// Segment is what the state machine sees of a TCP segment: the header fields
// RFC 9293's event processing reads, and the payload. Captures may keep only
// a prefix of the payload (or none); Len is always the real payload length.
type Segment struct {
	Seq     Seq
	Ack     Seq
	Flags   Flags
	Window  uint32 // the window field, already scaled where the scale is known
	Len     uint32 // payload octets (SEG.LEN less SYN and FIN)
	Payload []byte // the payload, or a prefix of it; nil when not kept
}

// SegLen is SEG.LEN of RFC 9293 §3.4: the payload plus one for SYN and one
// for FIN, each of which occupies a sequence number.
func (s Segment) SegLen() uint32 {
	n := s.Len
	if s.Flags.Has(SYN) {
		n++
	}
	if s.Flags.Has(FIN) {
		n++
	}
	return n
}

// End is the sequence number after the last one the segment occupies.
func (s Segment) End() Seq { return s.Seq.Add(s.SegLen()) }

// String is a one-line summary in tcpdump's spirit: "SYN,ACK seq=… ack=… len=…".
func (s Segment) String() string {
	str := fmt.Sprintf("%s seq=%d", s.Flags, uint32(s.Seq))
	if s.Flags.Has(ACK) {
		str += fmt.Sprintf(" ack=%d", uint32(s.Ack))
	}
	return str + fmt.Sprintf(" win=%d len=%d", s.Window, s.Len)
}
