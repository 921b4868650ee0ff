package live

import (
	"context"
	"time"

	"github.com/google/gopacket"
	"github.com/tcpviz/tcpviz/fsm/timeline"
)

// Sink turns captured packets into timeline news: a connection tracker.
// Stream calls its methods on the capture goroutine only, in this order:
// Packet for every packet read (data is valid only during the call), and
// Flush whenever the consumer has room for a batch, to take the news since
// the last Flush. A Sink accumulates while the consumer is slow.
type Sink interface {
	Packet(data []byte, ci gopacket.CaptureInfo)
	// Flush returns the connections that changed since the last Flush and
	// the sink's own counters (Malformed, NonTCP); Stream fills in Packets
	// and Dropped.
	Flush() ([]timeline.ConnDelta, timeline.Stats)
}

// StreamOptions tune Stream.
type StreamOptions struct {
	// Interval is the least time between two batches: the view's refresh
	// rate whatever the packet rate. 0 means 100 ms.
	Interval time.Duration
	// Pcap, when not nil, receives every packet read; Stream closes it
	// (flushed and complete) when the capture ends.
	Pcap *PcapFile
}

// Stream runs the capture on a goroutine of its own until ctx ends and
// returns the batches it makes. The reader never waits for the consumer: a
// batch is made only when the channel has room, so a slow view gets fewer,
// bigger batches. The last batch has Done set (and Err, if the capture
// failed); the channel is closed after it. The consumer must read until the
// channel is closed.
func Stream(ctx context.Context, h *Handle, sink Sink, opts StreamOptions) <-chan timeline.Batch {
	interval := opts.Interval
	if interval <= 0 {
		interval = 100 * time.Millisecond
	}
	ch := make(chan timeline.Batch, 1)
	go func() {
		defer close(ch)
		var last time.Time
		var pcapErr error
		batch := func(done bool) timeline.Batch {
			conns, st := sink.Flush()
			s := h.Stats()
			st.Packets, st.Dropped = s.Received, s.Dropped
			return timeline.Batch{Conns: conns, Progress: -1, Stats: st, Done: done}
		}
		err := h.Run(ctx, func(data []byte, ci gopacket.CaptureInfo) {
			if opts.Pcap != nil && pcapErr == nil {
				pcapErr = opts.Pcap.WritePacket(ci, data)
			}
			sink.Packet(data, ci)
		}, func(now time.Time) {
			// Only this goroutine sends, so room now means the send
			// cannot block.
			if now.Sub(last) >= interval && len(ch) < cap(ch) {
				ch <- batch(false)
				last = now
			}
		})
		if opts.Pcap != nil {
			if cerr := opts.Pcap.Close(); pcapErr == nil {
				pcapErr = cerr
			}
		}
		final := batch(true)
		final.Err = err
		if final.Err == nil && pcapErr != nil {
			final.Err = pcapErr
		}
		ch <- final
	}()
	return ch
}
