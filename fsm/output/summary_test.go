package output

import (
	"bytes"
	"net/netip"
	"testing"
	"time"

	"github.com/tcpviz/tcpviz/fsm"
	"github.com/tcpviz/tcpviz/fsm/sim"
	"github.com/tcpviz/tcpviz/fsm/timeline"
)

// TestSummaryOfEcho totals the echo scenario: 11 segments, "hello" one
// way and "HELLO" the other, from the first SYN (0 ms) to the last ACK (80 ms), both
// ends CLOSED at the end.
func TestSummaryOfEcho(t *testing.T) {
	s, err := sim.Load("echo")
	if err != nil {
		t.Fatal(err)
	}
	got := SummaryOf(s.Timeline())
	want := Summary{
		Conn:   timeline.Conn{Client: netip.MustParseAddrPort("127.0.0.1:49152"), Server: netip.MustParseAddrPort("127.0.0.1:8000")},
		Client: fsm.Closed, Server: fsm.Closed, Segments: 11, BytesC2S: 5, BytesS2C: 5,
		First: 0, Last: 80 * time.Millisecond,
	}
	if got != want {
		t.Errorf("summary\n got %+v\nwant %+v", got, want)
	}
}

// TestSummaryJSON: the spec's fields, in its order, IPv6 in brackets.
func TestSummaryJSON(t *testing.T) {
	var buf bytes.Buffer
	w := NewSummaryWriter(&buf)
	err := w.Write(Summary{
		Conn:   timeline.Conn{Client: netip.MustParseAddrPort("[::1]:40000"), Server: netip.MustParseAddrPort("[::1]:8000")},
		Client: fsm.TimeWait, Server: fsm.Closed, Segments: 3, BytesC2S: 10, BytesS2C: 20,
		First: 1500 * time.Microsecond, Last: 2 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	want := `{"conn":"[::1]:40000-[::1]:8000","client":"TIME-WAIT","server":"CLOSED","segments":3,"bytes_c2s":10,"bytes_s2c":20,"first_ms":1.5,"last_ms":2000}` + "\n"
	if buf.String() != want {
		t.Errorf("got  %s\nwant %s", buf.String(), want)
	}
}
