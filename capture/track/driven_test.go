package track

import (
	"testing"
	"time"

	"github.com/tcpviz/tcpviz/fsm"
	"github.com/tcpviz/tcpviz/fsm/observe"
	"github.com/tcpviz/tcpviz/fsm/timeline"
)

func TestStartAtCountsTimeFromTheSourcesStart(t *testing.T) {
	tr := New(Options{Timelines: true})
	tr.StartAt(100 * ms)
	tr.Add(150*ms, pkt(cli, srv, fsm.SYN, 1, 0, 0))
	if got := tr.Timeline(tr.Conn(0)).Steps[0].T; got != 50*time.Millisecond {
		t.Errorf("first step at %v, want 50ms after StartAt", got)
	}
}

// The client closes first: it is in TIME-WAIT from the server's FIN (4 ms),
// and 2·MSL (1 s here) later, with no packet, AdvanceTo ends it.
func TestAdvanceToFiresTimeWaitWithoutAPacket(t *testing.T) {
	var steps []timeline.Step
	tr := New(Options{Timelines: true, Observe: observe.Config{TimeWait: time.Second}, Stream: true,
		OnStep: func(c *Conn, tl *timeline.Timeline, i int) { steps = append(steps, tl.Steps[i]) }})
	tr.StartAt(0)
	ps := append(handshake(cli, srv, 100, 500),
		pkt(cli, srv, fsm.FIN|fsm.ACK, 101, 501, 0),
		pkt(srv, cli, fsm.FIN|fsm.ACK, 501, 102, 0),
		pkt(cli, srv, fsm.ACK, 102, 502, 0))
	feed(tr, 0, ps...)
	tr.AdvanceTo(500 * ms)
	if n := len(steps); n != len(ps) {
		t.Fatalf("%d steps before 2·MSL has passed, want %d", n, len(ps))
	}
	tr.AdvanceTo(2000 * ms)
	last := steps[len(steps)-1]
	if last.Event != timeline.Timer || last.T != 1004*time.Millisecond || last.Why[fsm.Client] != fsm.TimerTimeWait ||
		last.States != [2]fsm.State{fsm.Closed, fsm.Closed} {
		t.Errorf("after 2·MSL: %v at %v, why %v, states %v", last.Event, last.T, last.Why, last.States)
	}
}

// A source that called listen() itself knows a SYN reaches a LISTEN
// socket: the server is SYN-RECEIVED at once (RFC 9293 §3.10.7.2).
func TestSetListeningReachesTheObservers(t *testing.T) {
	for _, listening := range []bool{false, true} {
		tr := New(Options{})
		tr.SetListening(listening)
		tr.Add(0, pkt(cli, srv, fsm.SYN, 1, 0, 0))
		want := fsm.Listen
		if listening {
			want = fsm.SynReceived
		}
		if got := tr.Conn(0).States()[fsm.Server]; got != want {
			t.Errorf("listening %v: the server is %v after the SYN, want %v", listening, got, want)
		}
	}
}
