package live

import (
	"github.com/google/gopacket"
	"github.com/tcpviz/tcpviz/capture/decode"
	"github.com/tcpviz/tcpviz/capture/track"
	"github.com/tcpviz/tcpviz/fsm/timeline"
)

// SinkOptions tune a TrackSink.
type SinkOptions struct {
	// Match, if set, keeps only the segments it accepts (a --filter
	// checked again in Go).
	Match func(*decode.Packet) bool
	// Quiet makes Flush return no connections, only counters: for an
	// output that takes its steps from the tracker as they happen (text,
	// JSON), so that nothing waits for a Delta nobody asks for.
	Quiet bool
	// OnFlush, if set, is called at every Flush, on the capture goroutine
	// (every StreamOptions.Interval while the consumer keeps up): a
	// streaming output writes out what it has buffered there.
	OnFlush func()
}

// TrackSink feeds a connection tracker with what a capture reads: the Sink
// of `tcpviz live`. Frames are decoded without allocating; segments Match
// rejects are not tracked.
type TrackSink struct {
	tr    *track.Tracker
	dec   *decode.Decoder
	pkt   decode.Packet
	opts  SinkOptions
	stats timeline.Stats
}

// NewTrackSink returns a Sink that decodes frames of link type lt into tr.
func NewTrackSink(tr *track.Tracker, lt decode.LinkType, opts SinkOptions) (*TrackSink, error) {
	dec, err := decode.New(lt)
	if err != nil {
		return nil, err
	}
	return &TrackSink{tr: tr, dec: dec, opts: opts}, nil
}

// Packet decodes one frame and tracks its segment.
func (s *TrackSink) Packet(data []byte, ci gopacket.CaptureInfo) {
	switch s.dec.Decode(data, &s.pkt) {
	case decode.TCP:
		if s.opts.Match == nil || s.opts.Match(&s.pkt) {
			s.tr.Add(ci.Timestamp.UnixNano(), &s.pkt)
		}
	case decode.NotTCP:
		s.stats.NonTCP++
	default:
		s.stats.Malformed++
	}
}

// Flush returns the tracker's news since the last Flush (none if Quiet).
func (s *TrackSink) Flush() ([]timeline.ConnDelta, timeline.Stats) {
	if s.opts.OnFlush != nil {
		s.opts.OnFlush()
	}
	if s.opts.Quiet {
		return nil, s.stats
	}
	return s.tr.Delta(), s.stats
}
