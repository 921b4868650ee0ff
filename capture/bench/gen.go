package bench

import (
	"fmt"
	"io"
	"net/netip"
	"time"

	"github.com/tcpviz/tcpviz/capture/synth"
	"github.com/tcpviz/tcpviz/fsm"
)

// PacketsPerConn is how many packets Generate writes per connection.
const PacketsPerConn = 10

// group is how many connections run at once: their packets interleave, as
// on a busy server, rather than one connection after another.
const group = 1000

// groupGap separates groups' starts; 100 groups span 70 s of capture time,
// so the first groups' TIME-WAIT (60 s) expires while the capture is read.
const groupGap = 700 * time.Millisecond

// Generate writes a pcap (Ethernet/IPv4/TCP) of conns connections to w:
// each a SYN, SYN,ACK, ACK, 100 bytes up, ACK, 200 bytes down, ACK, then the
// client's FIN, the server's FIN,ACK and the last ACK. It returns the number
// of packets written.
func Generate(w io.Writer, conns int) (int, error) {
	sw, err := synth.NewWriter(w)
	if err != nil {
		return 0, err
	}
	server := netip.AddrPortFrom(netip.AddrFrom4([4]byte{192, 168, 0, 1}), 80)
	base := time.Unix(1_700_000_000, 0)
	n := 0
	for g := 0; g*group < conns; g++ {
		lo, hi := g*group, min((g+1)*group, conns)
		start := base.Add(time.Duration(g) * groupGap)
		for step := 0; step < PacketsPerConn; step++ {
			for i := lo; i < hi; i++ {
				client := clientOf(i)
				c := fsm.Seq(uint32(i) * 2654435761)
				s := c ^ 0x5a5a5a5a
				ts := start.Add(time.Duration(step)*time.Millisecond + time.Duration(i-lo)*500*time.Nanosecond)
				src, dst, seg := client, server, fsm.Segment{Window: 64240}
				switch step {
				case 0:
					seg.Seq, seg.Flags = c, fsm.SYN
				case 1:
					src, dst, seg.Seq, seg.Ack, seg.Flags = server, client, s, c+1, fsm.SYN|fsm.ACK
				case 2:
					seg.Seq, seg.Ack, seg.Flags = c+1, s+1, fsm.ACK
				case 3:
					seg.Seq, seg.Ack, seg.Flags, seg.Len = c+1, s+1, fsm.PSH|fsm.ACK, 100
				case 4:
					src, dst, seg.Seq, seg.Ack, seg.Flags = server, client, s+1, c+101, fsm.ACK
				case 5:
					src, dst, seg.Seq, seg.Ack, seg.Flags, seg.Len = server, client, s+1, c+101, fsm.PSH|fsm.ACK, 200
				case 6:
					seg.Seq, seg.Ack, seg.Flags = c+101, s+201, fsm.ACK
				case 7:
					seg.Seq, seg.Ack, seg.Flags = c+101, s+201, fsm.FIN|fsm.ACK
				case 8:
					src, dst, seg.Seq, seg.Ack, seg.Flags = server, client, s+201, c+102, fsm.FIN|fsm.ACK
				case 9:
					seg.Seq, seg.Ack, seg.Flags = c+102, s+202, fsm.ACK
				}
				if err := sw.WriteSegment(ts, src, dst, seg); err != nil {
					return n, fmt.Errorf("write packet %d: %w", n, err)
				}
				n++
			}
		}
	}
	return n, sw.Flush()
}

// clientOf is connection i's client endpoint: a distinct 4-tuple for each
// of up to 16 million connections.
func clientOf(i int) netip.AddrPort {
	a := netip.AddrFrom4([4]byte{10, byte(1 + i>>16), byte(i >> 8), byte(i)})
	return netip.AddrPortFrom(a, uint16(1024+(i*7)%60000))
}
