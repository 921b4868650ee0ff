package sim

import (
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tcpviz/tcpviz/fsm"
	"github.com/tcpviz/tcpviz/fsm/timeline"
)

// Shorthands for the scripts of the tests.
const (
	client = fsm.Client
	server = fsm.Server
)

// S is shorthand for the state sequences below.
type S = fsm.State

const (
	cl  = fsm.Closed
	li  = fsm.Listen
	ss  = fsm.SynSent
	sr  = fsm.SynReceived
	es  = fsm.Established
	fw1 = fsm.FinWait1
	fw2 = fsm.FinWait2
	cw  = fsm.CloseWait
	clg = fsm.Closing
	la  = fsm.LastAck
	tw  = fsm.TimeWait
)

// distinct returns the states side passes through in tl, each run of
// equal states once.
func distinct(tl *timeline.Timeline, side fsm.Side) []fsm.State {
	var out []fsm.State
	for _, s := range tl.Steps {
		if n := len(out); n == 0 || out[n-1] != s.States[side] {
			out = append(out, s.States[side])
		}
	}
	return out
}

// reasons returns every reason in tl, per side.
func reasons(tl *timeline.Timeline, side fsm.Side) []fsm.Reason {
	var out []fsm.Reason
	for _, s := range tl.Steps {
		if s.Why[side] != fsm.ReasonNone {
			out = append(out, s.Why[side])
		}
	}
	return out
}

// TestScenarioStateSequences checks every built-in scenario against the
// state diagram of RFC 9293 (Figure 5) and the event rules of §3.10: the
// states each endpoint passes through, and the rules that must fire.
func TestScenarioStateSequences(t *testing.T) {
	activeClose := []S{cl, ss, es, fw1, fw2, tw, cl} // §3.6 case 1, the side that closes first
	passiveClose := []S{li, sr, es, cw, la, cl}      // §3.6 case 2, the side that learns of the close
	tests := []struct {
		name         string
		rfc          string
		client       []S
		server       []S
		clientMust   []fsm.Reason
		serverMust   []fsm.Reason
		lastClientAt time.Duration // when the last state change happens, 0 = not checked
	}{
		{
			name: "echo", rfc: "§3.5 Figure 6 (three-way handshake), §3.6 Figure 12 (normal close), §3.10.8 TIME-WAIT 2·MSL",
			client: activeClose, server: passiveClose,
			clientMust: []fsm.Reason{fsm.AppActiveOpen, fsm.RcvSynAck, fsm.AppSend, fsm.AppReceive, fsm.AppClose, fsm.RcvAckOfFin, fsm.RcvFin, fsm.TimerTimeWait},
			serverMust: []fsm.Reason{fsm.RcvSynInListen, fsm.RcvAckOfSyn, fsm.AppAccept, fsm.RcvData, fsm.RcvFin, fsm.AppClose, fsm.RcvAckOfFin},
		},
		{
			name: "server-close", rfc: "§3.6 Figure 12 with the roles swapped",
			client: []S{cl, ss, es, cw, la, cl}, server: []S{li, sr, es, fw1, fw2, tw, cl},
			serverMust: []fsm.Reason{fsm.AppClose, fsm.RcvAckOfFin, fsm.RcvFin, fsm.TimerTimeWait},
		},
		{
			name: "simultaneous-open", rfc: "§3.5 Figure 7: SYN-SENT → SYN-RECEIVED → ESTABLISHED on both sides",
			client: []S{cl, ss, sr, es, fw1, fw2, tw, cl}, server: []S{cl, ss, sr, es, cw, la, cl},
			clientMust: []fsm.Reason{fsm.RcvSynSimultaneous},
			serverMust: []fsm.Reason{fsm.RcvSynSimultaneous},
		},
		{
			name: "simultaneous-close", rfc: "§3.6 Figure 13: FIN-WAIT-1 → CLOSING → TIME-WAIT on both sides",
			client: []S{cl, ss, es, fw1, clg, tw, cl}, server: []S{li, sr, es, fw1, clg, tw, cl},
			clientMust: []fsm.Reason{fsm.RcvFin, fsm.RcvAckOfFin, fsm.TimerTimeWait},
			serverMust: []fsm.Reason{fsm.RcvFin, fsm.RcvAckOfFin, fsm.TimerTimeWait},
		},
		{
			name: "refused", rfc: "§3.10.7.1 (CLOSED answers with RST) and §3.10.7.3 (acceptable RST in SYN-SENT)",
			client: []S{cl, ss, cl}, server: []S{cl},
			clientMust: []fsm.Reason{fsm.RcvRstRefused},
			serverMust: []fsm.Reason{fsm.RcvInClosed},
		},
		{
			name: "abort", rfc: "§3.10.5 ABORT and §3.10.7.4 (acceptable RST in ESTABLISHED)",
			client: []S{cl, ss, es, cl}, server: []S{li, sr, es, cl},
			clientMust: []fsm.Reason{fsm.AppAbort},
			serverMust: []fsm.Reason{fsm.RcvRst},
		},
		{
			name: "half-close", rfc: "§3.6: data still flows toward the side in FIN-WAIT-2 until the peer closes",
			client: activeClose, server: passiveClose,
			clientMust: []fsm.Reason{fsm.AppShutdown, fsm.RcvData, fsm.RcvFin},
			serverMust: []fsm.Reason{fsm.RcvFin, fsm.AppSend, fsm.AppClose},
		},
		{
			name: "lost-syn", rfc: "§3.8.1 and RFC 6298: the SYN is retransmitted after the 1 s initial RTO",
			client: activeClose, server: passiveClose,
			clientMust: []fsm.Reason{fsm.TimerRetransmit},
		},
		{
			name: "lost-synack", rfc: "§3.8.1: SYN-RECEIVED retransmits its SYN,ACK",
			client: activeClose, server: passiveClose,
			serverMust: []fsm.Reason{fsm.TimerRetransmit},
		},
		{
			name: "lost-fin", rfc: "§3.10.4, §3.8.1: the FIN is retransmitted; FIN-WAIT-1 lasts until it is acknowledged",
			client: activeClose, server: passiveClose,
			clientMust: []fsm.Reason{fsm.TimerRetransmit, fsm.RcvAckOfFin},
		},
		{
			name: "unread-rst", rfc: "RFC 2525 §2.17: close() with unread data sends RST; §3.10.7.4 RST in ESTABLISHED",
			client: []S{cl, ss, es, cl}, server: []S{li, sr, es, cl},
			clientMust: []fsm.Reason{fsm.RcvRst},
			serverMust: []fsm.Reason{fsm.AppCloseUnread},
		},
		{
			name: "half-open", rfc: "§3.5.1 Figure 10: a segment to a host that lost its state meets RST",
			client: []S{cl, ss, es, cl}, server: []S{li, sr, es, cl},
			clientMust: []fsm.Reason{fsm.RcvRst},
			serverMust: []fsm.Reason{fsm.AppRestart, fsm.RcvInClosed},
		},
	}
	if len(tests) != len(builtin) {
		t.Errorf("%d scenarios tested, %d built in", len(tests), len(builtin))
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Load(tt.name)
			if err != nil {
				t.Fatal(err)
			}
			tl := s.Timeline()
			if got := distinct(tl, fsm.Client); !slices.Equal(got, tt.client) {
				t.Errorf("%s: client states\n got %v\nwant %v", tt.rfc, got, tt.client)
			}
			if got := distinct(tl, fsm.Server); !slices.Equal(got, tt.server) {
				t.Errorf("%s: server states\n got %v\nwant %v", tt.rfc, got, tt.server)
			}
			for side, must := range [2][]fsm.Reason{tt.clientMust, tt.serverMust} {
				got := reasons(tl, fsm.Side(side))
				for _, r := range must {
					if !slices.Contains(got, r) {
						t.Errorf("%s: the %s never fired reason %d; fired %v", tt.rfc, fsm.Side(side), r, got)
					}
				}
			}
			checkTimeline(t, s)
		})
	}
}

// checkTimeline checks what holds for every timeline the simulator writes.
func checkTimeline(t *testing.T, s *Sim) {
	t.Helper()
	tl := s.Timeline()
	if tl.Steps[0].Event != timeline.Init {
		t.Errorf("step 0 is %v, want init", tl.Steps[0].Event)
	}
	sent := map[int]fsm.Segment{}
	done := map[int]int{}
	for i, st := range tl.Steps {
		if i > 0 && st.T < tl.Steps[i-1].T {
			t.Errorf("step %d: time goes back, %v after %v", i, st.T, tl.Steps[i-1].T)
		}
		if !st.HasTCB {
			t.Errorf("step %d: no TCB", i)
		}
		if snap := s.snaps[i]; st.Event != timeline.Timer && (snap.eps[0].State() != st.States[0] || snap.eps[1].State() != st.States[1]) {
			t.Errorf("step %d: snapshot states %v/%v, step says %v", i, snap.eps[0].State(), snap.eps[1].State(), st.States)
		}
		switch st.Event {
		case timeline.Send:
			if _, dup := sent[st.SegID]; dup || st.SegID == 0 {
				t.Errorf("step %d: segment id %d reused or zero", i, st.SegID)
			}
			sent[st.SegID] = st.Seg
		case timeline.Arrive, timeline.Drop:
			seg, ok := sent[st.SegID]
			if !ok {
				t.Errorf("step %d: %v of segment %d never sent", i, st.Event, st.SegID)
			} else if !reflect.DeepEqual(seg, st.Seg) {
				t.Errorf("step %d: segment %d changed on the way: %v, sent %v", i, st.SegID, st.Seg, seg)
			}
			if st.Analysis&timeline.Duplicate == 0 {
				done[st.SegID]++
			}
		case timeline.App:
			if st.Call == "" {
				t.Errorf("step %d: app step without a call", i)
			}
		}
	}
	for id := range sent {
		if done[id] != 1 {
			t.Errorf("segment %d arrived or was dropped %d times, want 1", id, done[id])
		}
	}
	if got := s.InFlight(len(tl.Steps) - 1); len(got) != 0 {
		t.Errorf("%d segments still in flight at the end", len(got))
	}
}

// TestScenariosAreDeterministic plays every scenario twice: the same
// timeline both times.
func TestScenariosAreDeterministic(t *testing.T) {
	for _, name := range Names() {
		a, err := Load(name)
		if err != nil {
			t.Fatal(err)
		}
		b, err := Load(name)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(a.Timeline(), b.Timeline()) {
			t.Errorf("%s: two runs differ", name)
		}
	}
}

// TestEchoTimes checks the virtual clock against the 10 ms link and Linux's
// 60 s TIME-WAIT: the handshake's SYN arrives at 10 ms, and the client
// leaves TIME-WAIT exactly 60 s after entering it.
func TestEchoTimes(t *testing.T) {
	s, err := Load("echo")
	if err != nil {
		t.Fatal(err)
	}
	tl := s.Timeline()
	want := []struct {
		ev     timeline.Event
		call   string
		states [2]fsm.State
		t      time.Duration
	}{
		{timeline.Init, "", [2]fsm.State{cl, li}, 0},
		{timeline.App, "client.connect()", [2]fsm.State{ss, li}, 0},
		{timeline.Send, "", [2]fsm.State{ss, li}, 0},
		{timeline.Arrive, "", [2]fsm.State{ss, sr}, 10 * time.Millisecond},
	}
	for i, w := range want {
		st := tl.Steps[i]
		if st.Event != w.ev || st.Call != w.call || st.States != w.states || st.T != w.t {
			t.Errorf("step %d = %v %q %v at %v, want %v %q %v at %v", i, st.Event, st.Call, st.States, st.T, w.ev, w.call, w.states, w.t)
		}
	}
	if s := tl.Steps[2]; s.Seg.Flags != fsm.SYN || s.Seg.Seq != 1000 || s.Dir != fsm.C2S {
		t.Errorf("step 2 sends %v %v, want the client's SYN seq=1000", s.Dir, s.Seg)
	}
	var entered time.Duration = -1
	for _, st := range tl.Steps {
		if entered < 0 && st.States[fsm.Client] == tw {
			entered = st.T
		}
	}
	last := tl.Steps[len(tl.Steps)-1]
	if last.Event != timeline.Timer || last.Why[fsm.Client] != fsm.TimerTimeWait || last.T-entered != 60*time.Second {
		t.Errorf("last step %v %v at %v; TIME-WAIT entered at %v: want the 60 s TIME-WAIT timer", last.Event, last.Why, last.T, entered)
	}
	if !tl.HasISN[0] || !tl.HasISN[1] || tl.ISN != [2]fsm.Seq{1000, 5000} {
		t.Errorf("ISN %v %v, want 1000 and 5000", tl.ISN, tl.HasISN)
	}
}

// TestRetransmissionsAreMarked: a segment repeating sequence space already
// sent is marked as Wireshark would mark it; nothing else is.
func TestRetransmissionsAreMarked(t *testing.T) {
	for _, tt := range []struct {
		name  string
		flags fsm.Flags
	}{{"echo", 0}, {"lost-syn", fsm.SYN}, {"lost-fin", fsm.FIN | fsm.ACK}, {"lost-synack", fsm.SYN | fsm.ACK}} {
		s, err := Load(tt.name)
		if err != nil {
			t.Fatal(err)
		}
		var marked []fsm.Flags
		for _, st := range s.Timeline().Steps {
			if st.Event == timeline.Send && st.Analysis&timeline.Retransmission != 0 {
				marked = append(marked, st.Seg.Flags)
			}
		}
		if tt.flags == 0 && len(marked) > 0 {
			t.Errorf("%s: retransmissions %v, want none", tt.name, marked)
		}
		if tt.flags != 0 && !slices.Contains(marked, tt.flags) {
			t.Errorf("%s: retransmissions %v, want one of %v", tt.name, marked, tt.flags)
		}
	}
}

// TestUnknownScenario: the error names the valid ones.
func TestUnknownScenario(t *testing.T) {
	_, err := Load("nope")
	if err == nil || !strings.Contains(err.Error(), "echo") {
		t.Fatalf("Load(nope) = %v, want an error listing echo", err)
	}
}

// TestReadmeListsEveryScenario keeps the README's scenario table complete.
func TestReadmeListsEveryScenario(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range Names() {
		if !strings.Contains(string(readme), "| `"+name+"`") {
			t.Errorf("README.md's scenario table lacks %s", name)
		}
	}
}
