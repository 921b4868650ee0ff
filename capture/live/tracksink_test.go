package live

import (
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/tcpviz/tcpviz/capture/decode"
	"github.com/tcpviz/tcpviz/capture/track"
)

func TestTrackSinkCountsWhatIsNotTCP(t *testing.T) {
	tr := track.New(track.Options{Source: "lo", Timelines: true})
	s, err := NewTrackSink(tr, decode.LinkEthernet, SinkOptions{})
	if err != nil {
		t.Fatal(err)
	}
	arp := make([]byte, 42)
	arp[12], arp[13] = 0x08, 0x06
	s.Packet(arp, gopacket.CaptureInfo{Timestamp: time.Now()})
	s.Packet(frame(t, false, 40000, 8000, false), gopacket.CaptureInfo{Timestamp: time.Now()})
	s.Packet([]byte{1, 2, 3}, gopacket.CaptureInfo{Timestamp: time.Now()})
	conns, st := s.Flush()
	if len(conns) != 1 || len(conns[0].Steps) != 1 || st.NonTCP != 1 || st.Malformed != 1 {
		t.Errorf("conns %d, stats %+v", len(conns), st)
	}
}

// BenchmarkTrackSinkPacket is the capture's per-packet path after the read:
// decode and track (summary mode), which must not allocate.
func BenchmarkTrackSinkPacket(b *testing.B) {
	tr := track.New(track.Options{Source: "lo"})
	s, err := NewTrackSink(tr, decode.LinkEthernet, SinkOptions{})
	if err != nil {
		b.Fatal(err)
	}
	fr := frame(b, false, 40000, 8000, false)
	ci := gopacket.CaptureInfo{Timestamp: time.Now()}
	s.Packet(fr, ci)
	b.ReportAllocs()
	for b.Loop() {
		s.Packet(fr, ci)
	}
}
