package echo

import (
	"bytes"
	"context"
	"net/netip"
	"sync"
	"time"

	"github.com/google/gopacket"
	"github.com/tcpviz/tcpviz/capture/decode"
	"github.com/tcpviz/tcpviz/capture/filter"
	"github.com/tcpviz/tcpviz/capture/live"
	"github.com/tcpviz/tcpviz/fsm"
)

// captured is one segment the loopback capture saw, copied out of the
// capture's buffer.
type captured struct {
	at       time.Time
	src, dst netip.AddrPort
	seg      fsm.Segment
	wscale   int8 // the window scale option, -1 if none (decode.Packet.WScale)
}

// capturer runs the loopback capture for the session's port and keeps what
// it sees until the session takes it.
type capturer struct {
	h    *live.Handle
	dec  *decode.Decoder
	pkt  decode.Packet
	done chan struct{}

	mu   sync.Mutex
	segs []captured
	n    int // segments captured in all
	err  error
}

// startCapture opens a capture on lo for TCP port port. It fails with an
// error wrapping live.ErrNotPermitted without root or CAP_NET_RAW.
func startCapture(ctx context.Context, port uint16) (*capturer, error) {
	h, err := live.Open(live.Config{Interface: "lo", Filter: filter.Port(port)})
	if err != nil {
		return nil, err
	}
	dec, err := decode.New(decode.LinkEthernet)
	if err != nil {
		return nil, err
	}
	c := &capturer{h: h, dec: dec, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		err := h.Run(ctx, c.packet, nil)
		c.mu.Lock()
		c.err = err
		c.mu.Unlock()
	}()
	return c, nil
}

func (c *capturer) packet(data []byte, ci gopacket.CaptureInfo) {
	if c.dec.Decode(data, &c.pkt) != decode.TCP {
		return
	}
	seg := c.pkt.Seg
	seg.Payload = bytes.Clone(seg.Payload)
	c.mu.Lock()
	c.segs = append(c.segs, captured{at: ci.Timestamp, src: c.pkt.Src, dst: c.pkt.Dst, seg: seg, wscale: c.pkt.WScale})
	c.n++
	c.mu.Unlock()
}

// take returns what was captured since the last take, in capture order.
func (c *capturer) take() []captured {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.segs
	c.segs = nil
	return s
}

// count returns the number of segments captured so far.
func (c *capturer) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// quiet waits until no segment has arrived for quietFor (at least min after
// it was called, at most max): the segments a call caused, and the ACKs
// they drew (Linux delays an ACK by up to 40 ms), have then been seen.
func (c *capturer) quiet(minWait, quietFor, maxWait time.Duration) {
	start := time.Now()
	last, lastAt := c.count(), start
	for {
		time.Sleep(5 * time.Millisecond)
		now := time.Now()
		if n := c.count(); n != last {
			last, lastAt = n, now
		}
		if now.Sub(start) >= maxWait || (now.Sub(start) >= minWait && now.Sub(lastAt) >= quietFor) {
			return
		}
	}
}
