package lab

import (
	"time"

	"github.com/tcpviz/tcpviz/capture/decode"
	"github.com/tcpviz/tcpviz/fsm"
)

// EventKind is what happened to a packet on the wire.
type EventKind uint8

// The wire's events.
const (
	Sent      EventKind = iota // read from the sender's TUN: the sender's kernel sent it
	Delivered                  // written into the receiver's TUN: its kernel has it
	Dropped                    // the wire discarded it
)

// String names the event as the timeline spec names its counterpart:
// "send", "arrive", "drop".
func (k EventKind) String() string {
	switch k {
	case Sent:
		return "send"
	case Delivered:
		return "arrive"
	case Dropped:
		return "drop"
	}
	return "EventKind(?)"
}

// Packet is one IP packet on the wire.
type Packet struct {
	ID  uint64  // the wire's number for it, from 1, in the order packets were read; a duplicate gets its own
	Dir fsm.Dir // C2S: read from the client's TUN
	// Kind says whether TCP holds a segment (decode.TCP) or the packet is
	// something else (IPv6 neighbour discovery, …), which the wire passes on
	// after the latency and never holds.
	Kind decode.Kind
	TCP  decode.Packet
	Sent time.Duration // when it was read, since the lab began
	Data []byte        // the raw IP packet
}

// Event is one thing that happened to a packet. Its Packet's Data and
// TCP.Seg.Payload are views into the wire's buffers, valid only during the
// OnEvent call: copy what you keep.
type Event struct {
	Kind   EventKind
	At     time.Duration // since the lab began
	Packet Packet
}

// Verdict is what the wire does with a segment it has just read.
type Verdict uint8

// The verdicts.
const (
	Pass      Verdict = iota // deliver after the latency
	Drop                     // discard it
	Duplicate                // deliver it twice, after the latency
	Hold                     // keep it until Deliver, Drop or Duplicate says otherwise
)
