package live

import (
	"github.com/google/gopacket"
	"github.com/tcpviz/tcpviz/capture/decode"
	"github.com/tcpviz/tcpviz/capture/track"
	"github.com/tcpviz/tcpviz/fsm/timeline"
)

// TrackSink feeds a connection tracker with what a capture reads: the Sink
// of `tcpviz live`. Frames are decoded without allocating; segments Match
// rejects (a --filter checked again in Go) are not tracked.
type TrackSink struct {
	tr    *track.Tracker
	dec   *decode.Decoder
	pkt   decode.Packet
	match func(*decode.Packet) bool
	stats timeline.Stats
}

// NewTrackSink returns a Sink that decodes frames of link type lt into tr.
// match may be nil.
func NewTrackSink(tr *track.Tracker, lt decode.LinkType, match func(*decode.Packet) bool) (*TrackSink, error) {
	dec, err := decode.New(lt)
	if err != nil {
		return nil, err
	}
	return &TrackSink{tr: tr, dec: dec, match: match}, nil
}

// Packet decodes one frame and tracks its segment.
func (s *TrackSink) Packet(data []byte, ci gopacket.CaptureInfo) {
	switch s.dec.Decode(data, &s.pkt) {
	case decode.TCP:
		if s.match == nil || s.match(&s.pkt) {
			s.tr.Add(ci.Timestamp.UnixNano(), &s.pkt)
		}
	case decode.NotTCP:
		s.stats.NonTCP++
	default:
		s.stats.Malformed++
	}
}

// Flush returns the tracker's news since the last Flush.
func (s *TrackSink) Flush() ([]timeline.ConnDelta, timeline.Stats) {
	return s.tr.Delta(), s.stats
}
