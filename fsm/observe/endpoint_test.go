package observe

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tcpviz/tcpviz/fsm"
)

// shuttle runs two real fsm.Endpoints back to back with an observer on the
// wire between them. The wire is one FIFO in send order; a segment is seen
// by the observer the moment it is delivered, as on loopback. After every
// delivery and timer the observer's states must equal the endpoints' true
// states, except where a side has sent segments the capture has not seen
// yet (see pending).
type shuttle struct {
	t    *testing.T
	now  time.Duration
	ep   [2]*fsm.Endpoint
	obs  Observer
	wire []inFlight
	// dropBefore names sends (numbered from 1) lost before the capture
	// point: neither seen nor delivered.
	dropBefore map[int]bool
	// dropAfter names sends seen by the observer and then lost: the case
	// where "seen means delivered" is wrong. Only the end is compared.
	dropAfter map[int]bool
	sent      int
	trace     []string
}

type inFlight struct {
	dir  fsm.Dir
	seg  fsm.Segment
	lost bool // lost after the capture point
}

func newShuttle(t *testing.T, client, server fsm.Config) *shuttle {
	return &shuttle{
		t:          t,
		ep:         [2]*fsm.Endpoint{fsm.NewEndpoint(client), fsm.NewEndpoint(server)},
		obs:        New(DefaultConfig(), false),
		dropBefore: map[int]bool{},
		dropAfter:  map[int]bool{},
	}
}

func (s *shuttle) emit(from fsm.Side, r fsm.Result) {
	for _, sg := range r.Out {
		s.sent++
		if s.dropBefore[s.sent] {
			s.trace = append(s.trace, fmt.Sprintf("%s lost before capture: %s", from, sg))
			continue
		}
		s.wire = append(s.wire, inFlight{fsm.DirFrom(from), sg, s.dropAfter[s.sent]})
	}
}

// call runs a user call on one side; it must succeed.
func (s *shuttle) call(side fsm.Side, name string, f func(e *fsm.Endpoint) (fsm.Result, error)) {
	s.t.Helper()
	r, err := f(s.ep[side])
	if err != nil {
		s.t.Fatalf("%s.%s: %v", side, name, err)
	}
	s.trace = append(s.trace, fmt.Sprintf("%s.%s: %s→%s", side, name, r.From, r.To))
	s.emit(side, r)
}

func (s *shuttle) listen(side fsm.Side) {
	s.call(side, "listen", func(e *fsm.Endpoint) (fsm.Result, error) { return e.Listen(s.now) })
}
func (s *shuttle) connect(side fsm.Side) {
	s.call(side, "connect", func(e *fsm.Endpoint) (fsm.Result, error) { return e.Connect(s.now) })
}
func (s *shuttle) send(side fsm.Side, data string) {
	s.call(side, "send", func(e *fsm.Endpoint) (fsm.Result, error) { return e.Send(s.now, []byte(data)) })
}
func (s *shuttle) close(side fsm.Side) {
	s.call(side, "close", func(e *fsm.Endpoint) (fsm.Result, error) { return e.Close(s.now) })
}
func (s *shuttle) shutdown(side fsm.Side) {
	s.call(side, "shutdown", func(e *fsm.Endpoint) (fsm.Result, error) { return e.Shutdown(s.now) })
}
func (s *shuttle) abort(side fsm.Side) {
	s.call(side, "abort", func(e *fsm.Endpoint) (fsm.Result, error) { return e.Abort(s.now) })
}
func (s *shuttle) recv(side fsm.Side) {
	s.t.Helper()
	_, r, err := s.ep[side].Receive(s.now, 0)
	if err != nil {
		s.t.Fatalf("%s.recv: %v", side, err)
	}
	s.emit(side, r)
}

// deliver takes the oldest segment off the wire: the observer sees it and
// its receiver processes it, at the same instant.
func (s *shuttle) deliver() bool {
	if len(s.wire) == 0 {
		return false
	}
	f := s.wire[0]
	s.wire = s.wire[1:]
	s.now += time.Millisecond
	s.expire()
	u := s.obs.Observe(s.now, f.dir, &f.seg)
	if f.lost {
		s.trace = append(s.trace, fmt.Sprintf("%s %s seen, then lost | observed %s/%s", f.dir, f.seg, u.States[0], u.States[1]))
		return true
	}
	to := f.dir.To()
	r := s.ep[to].Arrive(s.now, f.seg)
	s.trace = append(s.trace, fmt.Sprintf("%s %s | true %s/%s | observed %s/%s",
		f.dir, f.seg, s.ep[0].State(), s.ep[1].State(), u.States[0], u.States[1]))
	s.emit(to, r)
	s.compare()
	return true
}

// flush delivers until the wire is empty.
func (s *shuttle) flush() {
	s.t.Helper()
	for i := 0; s.deliver(); i++ {
		if i > 1000 {
			s.t.Fatal("the endpoints never fell silent")
		}
	}
}

// advance moves the clock by d, firing the endpoints' timers and the
// observer's expiries in time order and delivering what the timers send.
func (s *shuttle) advance(d time.Duration) {
	s.t.Helper()
	end := s.now + d
	for {
		next, ok := end, false
		for _, e := range s.ep {
			if at, armed := e.NextDeadline(); armed && at <= next {
				next, ok = at, true
			}
		}
		if at, armed := s.obs.NextExpiry(); armed && at <= next {
			next, ok = at, true
		}
		if !ok {
			break
		}
		s.now = next
		for side, e := range s.ep {
			for _, r := range e.Tick(s.now) {
				s.trace = append(s.trace, fmt.Sprintf("%s timer %s→%s", fsm.Side(side), r.From, r.To))
				s.emit(fsm.Side(side), r)
			}
		}
		s.expire()
		s.compare()
		s.flush()
	}
	s.now = end
}

func (s *shuttle) expire() {
	for {
		if _, ok := s.obs.Expire(s.now); !ok {
			return
		}
	}
}

// pending counts, per side, segments it sent that the capture has not seen.
func (s *shuttle) pending() [2]int {
	var n [2]int
	for _, f := range s.wire {
		n[f.dir.From()]++
	}
	return n
}

// unseen lists the (observed, true) pairs a side may show while segments it
// sent are still unseen: what it did (an application call, or its reaction
// to what it just received) shows only in those segments.
var unseen = map[[2]fsm.State]string{
	{fsm.Listen, fsm.SynReceived}:      "the SYN arrived; the SYN,ACK is unseen",
	{fsm.Listen, fsm.SynSent}:          "its own SYN is unseen (simultaneous open)",
	{fsm.Listen, fsm.Closed}:           "refused: its RST is unseen",
	{fsm.Closed, fsm.SynSent}:          "connect(): the SYN is unseen",
	{fsm.Established, fsm.FinWait1}:    "close(): the FIN is unseen",
	{fsm.CloseWait, fsm.LastAck}:       "close(): the FIN is unseen",
	{fsm.CloseWait, fsm.Closing}:       "its FIN crossed the peer's and is unseen",
	{fsm.Established, fsm.Closed}:      "abort(): the RST is unseen",
	{fsm.CloseWait, fsm.Closed}:        "abort(): the RST is unseen",
	{fsm.FinWait2, fsm.Closed}:         "abort(): the RST is unseen",
	{fsm.SynReceived, fsm.Established}: "simultaneous open: the SYN,ACK is unseen",
}

func (s *shuttle) compare() {
	s.t.Helper()
	if len(s.dropAfter) > 0 {
		return
	}
	obs := s.obs.States()
	pend := s.pending()
	for i := range obs {
		truth := s.ep[i].State()
		if obs[i] == truth {
			continue
		}
		if _, ok := unseen[[2]fsm.State{obs[i], truth}]; ok && pend[i] > 0 {
			continue
		}
		s.t.Fatalf("%s: observed %s, true %s (%d of its segments unseen)\ntrace:\n%s",
			fsm.Side(i), obs[i], truth, pend[i], strings.Join(s.trace, "\n"))
	}
}

// final checks that, with nothing in flight, the observer agrees exactly.
func (s *shuttle) final(client, server fsm.State) {
	s.t.Helper()
	truth := [2]fsm.State{s.ep[0].State(), s.ep[1].State()}
	if want := [2]fsm.State{client, server}; truth != want {
		s.t.Fatalf("endpoints ended %v, scenario expects %v\ntrace:\n%s", truth, want, strings.Join(s.trace, "\n"))
	}
	if obs := s.obs.States(); obs != truth {
		s.t.Fatalf("observer ended %v, endpoints %v\ntrace:\n%s", obs, truth, strings.Join(s.trace, "\n"))
	}
}

func TestObserverAgreesWithEndpoints(t *testing.T) {
	C, S := fsm.Client, fsm.Server
	open := func(s *shuttle) { s.listen(S); s.connect(C); s.flush() }
	exchange := func(s *shuttle) {
		s.send(C, "hello")
		s.flush()
		s.recv(S)
		s.send(S, "world")
		s.flush()
		s.recv(C)
		s.flush()
	}
	cases := []struct {
		name           string
		rfc            string
		client, server fsm.Config
		drop           []int
		run            func(s *shuttle)
		endC, endS     fsm.State // before TIME-WAIT expiry
	}{
		{name: "client closes first", rfc: "§3.6 Figure 12",
			run: func(s *shuttle) {
				open(s)
				exchange(s)
				s.close(C)
				s.flush()
				s.close(S)
				s.flush()
			},
			endC: fsm.TimeWait, endS: fsm.Closed},
		{name: "server closes first", rfc: "§3.6 Figure 12",
			run: func(s *shuttle) {
				open(s)
				exchange(s)
				s.close(S)
				s.flush()
				s.close(C)
				s.flush()
			},
			endC: fsm.Closed, endS: fsm.TimeWait},
		{name: "simultaneous close", rfc: "§3.6 Figure 13",
			run:  func(s *shuttle) { open(s); exchange(s); s.close(C); s.close(S); s.flush() },
			endC: fsm.TimeWait, endS: fsm.TimeWait},
		{name: "simultaneous open", rfc: "§3.5 Figure 8",
			run: func(s *shuttle) {
				s.connect(C)
				s.connect(S)
				s.flush()
				exchange(s)
				s.close(C)
				s.flush()
				s.close(S)
				s.flush()
			},
			endC: fsm.TimeWait, endS: fsm.Closed},
		{name: "half-close, data from CLOSE-WAIT", rfc: "§3.6",
			run: func(s *shuttle) {
				open(s)
				s.shutdown(C)
				s.flush()
				s.send(S, "more")
				s.flush()
				s.recv(C)
				s.send(S, "and more")
				s.flush()
				s.recv(C)
				s.close(S)
				s.flush()
				s.close(C)
				s.flush()
			},
			endC: fsm.TimeWait, endS: fsm.Closed},
		{name: "refused", rfc: "§3.10.7.1, §3.10.7.3",
			run:  func(s *shuttle) { s.connect(C); s.flush() },
			endC: fsm.Closed, endS: fsm.Closed},
		{name: "client aborts", rfc: "§3.10.7.4 second check",
			run:  func(s *shuttle) { open(s); exchange(s); s.abort(C); s.flush() },
			endC: fsm.Closed, endS: fsm.Closed},
		{name: "close with unread data sends RST", rfc: "RFC 2525 §2.17 (Linux)",
			run:  func(s *shuttle) { open(s); s.send(S, "unread"); s.flush(); s.close(C); s.flush() },
			endC: fsm.Closed, endS: fsm.Closed},
		{name: "server aborts in CLOSE-WAIT", rfc: "§3.10.7.4",
			run:  func(s *shuttle) { open(s); s.close(C); s.flush(); s.abort(S); s.flush() },
			endC: fsm.Closed, endS: fsm.Closed},
		{name: "data lost before the capture point is retransmitted", rfc: "§3.8.1",
			drop: []int{4}, // SYN, SYN,ACK, ACK, then the first data segment
			run: func(s *shuttle) {
				open(s)
				s.send(C, "lost")
				s.flush()
				s.advance(2 * time.Second)
				s.recv(S)
				s.close(C)
				s.flush()
				s.close(S)
				s.flush()
			},
			endC: fsm.TimeWait, endS: fsm.Closed},
		{name: "final ACK lost before the capture point", rfc: "§3.10.7.4 eighth check, TIME-WAIT",
			drop: []int{7}, // SYN, SYN,ACK, ACK, FIN, ACK, FIN, then the client's last ACK
			run: func(s *shuttle) {
				open(s)
				s.close(C)
				s.flush()
				s.close(S)
				s.flush()
				s.advance(2 * time.Second) // the server retransmits its FIN
			},
			endC: fsm.TimeWait, endS: fsm.Closed},
		{name: "sequence numbers wrap", rfc: "§3.4",
			client: fsm.DefaultConfig(0xFFFFFFFE), server: fsm.DefaultConfig(0xFFFFFFF0),
			run: func(s *shuttle) {
				open(s)
				exchange(s)
				s.close(C)
				s.flush()
				s.close(S)
				s.flush()
			},
			endC: fsm.TimeWait, endS: fsm.Closed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cc, sc := tc.client, tc.server
			if cc.Window == 0 {
				cc = fsm.DefaultConfig(1000)
			}
			if sc.Window == 0 {
				sc = fsm.DefaultConfig(5000)
			}
			s := newShuttle(t, cc, sc)
			for _, d := range tc.drop {
				s.dropBefore[d] = true
			}
			tc.run(s)
			s.final(tc.endC, tc.endS)
			s.advance(2 * time.Minute) // TIME-WAIT and every other timer run out
			s.final(fsm.Closed, fsm.Closed)
			if !s.obs.Done() {
				t.Errorf("Done() = false at the end")
			}
		})
	}
}

func TestObserverMarksLossPastTheCapturePoint(t *testing.T) {
	// The observer takes a segment seen for a segment delivered. When one is
	// lost after the capture point, the sender's retransmission shows it:
	// the observer converges, and says the side it misjudged is uncertain.
	C, S := fsm.Client, fsm.Server
	cases := []struct {
		name       string
		dropAfter  int
		run        func(s *shuttle)
		uncertain  fsm.Side
		endC, endS fsm.State
	}{
		{name: "client's FIN lost", dropAfter: 4, uncertain: S,
			run: func(s *shuttle) {
				s.close(C)
				s.flush()
				s.advance(2 * time.Second)
				s.close(S)
				s.flush()
			},
			endC: fsm.TimeWait, endS: fsm.Closed},
		{name: "client's last ACK lost", dropAfter: 7, uncertain: S,
			run: func(s *shuttle) {
				s.close(C)
				s.flush()
				s.close(S)
				s.flush()
				s.advance(2 * time.Second)
			},
			endC: fsm.TimeWait, endS: fsm.Closed},
		{name: "server's SYN,ACK lost", dropAfter: 2, uncertain: C,
			run:  func(s *shuttle) { s.advance(5 * time.Second) },
			endC: fsm.Established, endS: fsm.Established},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newShuttle(t, fsm.DefaultConfig(1000), fsm.DefaultConfig(5000))
			s.dropAfter[tc.dropAfter] = true
			s.listen(S)
			s.connect(C)
			s.flush()
			tc.run(s)
			s.final(tc.endC, tc.endS)
			if u := s.obs.Uncertain(); !strings.Contains(u[tc.uncertain], "lost") {
				t.Errorf("Uncertain()[%s] = %q, want the loss noted\ntrace:\n%s", tc.uncertain, u[tc.uncertain], strings.Join(s.trace, "\n"))
			}
		})
	}
}
