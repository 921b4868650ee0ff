package observe

import (
	"fmt"
	"os"
	"strconv"
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
	// lostFlags are the flags of segments a side sent that were lost
	// before the capture point since the observer last agreed with it: a
	// FIN lost there hides FIN-WAIT-1 until the FIN is resent.
	lostFlags [2]fsm.Flags
	// ctlLost marks a side whose SYN, FIN or RST was lost before the
	// capture point. A RST is never resent: what it did is invisible. A
	// lost bare SYN of a simultaneous open makes the SYN,ACK that follows
	// look like a passive open (a RST then returns it to LISTEN, not
	// CLOSED). A FIN is resent, but
	// when data or ACKs from the side followed the lost one, the resent FIN
	// carries a newer ACK field, and CLOSING cannot be told from LAST-ACK.
	// Such a side is checked at the end only, where the observer must be
	// right or say in Uncertain that it cannot know.
	ctlLost [2]bool
	anyLost bool // a segment was lost before the capture point
	// endOnly compares only when the wire is quiet (endCheck): with many
	// random losses before the capture point, the single gap the observer
	// remembers (see analyze) may misplace RCV.NXT for a while.
	endOnly bool
	blind   bool // the capture has not started yet (mid-stream joins)
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
			s.anyLost = true
			s.lostFlags[from] |= sg.Flags
			s.ctlLost[from] = s.ctlLost[from] || sg.Flags&(fsm.SYN|fsm.FIN|fsm.RST) != 0
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
	if s.blind {
		// The capture has not started: deliver without seeing.
		r := s.ep[f.dir.To()].Arrive(s.now, f.seg)
		s.trace = append(s.trace, fmt.Sprintf("%s %s | true %s/%s | not captured", f.dir, f.seg, s.ep[0].State(), s.ep[1].State()))
		s.emit(f.dir.To(), r)
		return true
	}
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

// pending returns, per side, the number and the flags of the segments it
// sent that the capture has not seen yet.
func (s *shuttle) pending() (n [2]int, flags [2]fsm.Flags) {
	for _, f := range s.wire {
		n[f.dir.From()]++
		flags[f.dir.From()] |= f.seg.Flags
	}
	return n, flags
}

// reveals names, per true state, the control bit of the segment that shows
// a side entered it. While a side has such a segment on the wire, unseen,
// the observer cannot know the state yet: an application call (close,
// abort) or the side's reaction to what it just received (a SYN answered
// with SYN,ACK or RST, a FIN crossing the peer's) shows only in that
// segment.
var reveals = [fsm.NumStates]fsm.Flags{
	fsm.Closed:      fsm.RST,           // abort, close with unread data, data after close, refused
	fsm.SynSent:     fsm.SYN,           // connect
	fsm.SynReceived: fsm.SYN,           // SYN,ACK, or a crossing SYN
	fsm.Established: fsm.SYN,           // simultaneous open: its SYN,ACK
	fsm.FinWait1:    fsm.FIN,           // close
	fsm.LastAck:     fsm.FIN,           // close in CLOSE-WAIT
	fsm.Closing:     fsm.FIN | fsm.ACK, // a FIN crossing the peer's; or a held FIN (below)
	// A FIN that followed a gap is held until the side's ACK shows it has
	// the data before it: that ACK reveals CLOSE-WAIT or TIME-WAIT.
	fsm.CloseWait: fsm.ACK,
	fsm.TimeWait:  fsm.ACK,
}

// twSkew reports whether side i's TIME-WAIT ends within a second of the
// observer's: where the observer inferred TIME-WAIT one segment late (or
// early), its 2·MSL runs out that much later (or earlier).
func (s *shuttle) twSkew(obs, truth fsm.State, i int) bool {
	const skew = time.Second
	switch {
	case obs == fsm.TimeWait && truth == fsm.Closed:
		at, _ := s.obs.NextExpiry()
		return at-s.now <= skew
	case obs == fsm.Closed && truth == fsm.TimeWait:
		at, _ := s.ep[i].NextDeadline()
		return at-s.now <= skew
	}
	return false
}

func (s *shuttle) compare() {
	s.t.Helper()
	if len(s.dropAfter) > 0 || s.ctlLost[0] || s.ctlLost[1] || s.endOnly {
		return // see endCheck
	}
	obs := s.obs.States()
	n, flags := s.pending()
	for i := range obs {
		truth := s.ep[i].State()
		if obs[i] == truth {
			s.lostFlags[i] = 0
			continue
		}
		if r := reveals[truth]; r != 0 && (flags[i]|s.lostFlags[i])&r != 0 {
			continue
		}
		if s.twSkew(obs[i], truth, i) {
			continue
		}
		if obs[i] == fsm.FinWait2 && truth == fsm.Closed {
			continue // the FIN-WAIT-2 timeout (Linux tcp_fin_timeout) sends nothing; see Uncertain
		}
		s.t.Fatalf("%s: observed %s, true %s (%d of its segments unseen, flags %s)\ntrace:\n%s",
			fsm.Side(i), obs[i], truth, n[i], flags[i], strings.Join(s.trace, "\n"))
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
		{name: "simultaneous open", rfc: "§3.5 Figure 7",
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

// try runs a user call that may be refused in the current state.
func (s *shuttle) try(side fsm.Side, name string, f func(e *fsm.Endpoint) (fsm.Result, error)) {
	r, err := f(s.ep[side])
	if err != nil {
		return
	}
	s.trace = append(s.trace, fmt.Sprintf("%s.%s: %s→%s", side, name, r.From, r.To))
	s.emit(side, r)
}

func TestObserverAgreesWithEndpointsRandom(t *testing.T) {
	// Random application calls on both sides, with segments delivered one
	// at a time in between, so that data, FINs and RSTs cross on the wire.
	// After every delivery the observer must agree with the endpoints (up to
	// what unseen segments hide), and exactly once the wire is quiet.
	seeds := 3000
	if n, err := strconv.Atoi(os.Getenv("TCPVIZ_SEEDS")); err == nil {
		seeds = n // a longer hunt: TCPVIZ_SEEDS=400000
	}
	if testing.Short() {
		seeds = 300
	}
	for seed := 1; seed <= seeds; seed++ {
		rng := uint64(seed) * 0x9E3779B97F4A7C15
		next := func(n int) int {
			rng ^= rng << 13
			rng ^= rng >> 7
			rng ^= rng << 17
			return int(rng % uint64(n))
		}
		s := newShuttle(t, fsm.DefaultConfig(fsm.Seq(next(1<<30))*4), fsm.DefaultConfig(fsm.Seq(next(1<<30))*4))
		lossy := seed%3 == 0
		s.endOnly = lossy && seed%2 == 0
		if lossy {
			// Now and then a segment is lost before the capture point:
			// neither seen nor delivered, so timers resend it.
			for n := 1; n < 200; n++ {
				if next(8) == 0 {
					s.dropBefore[n] = true
				}
			}
		}
		switch seed % 5 {
		case 1:
			// Simultaneous open (Figure 7).
			s.connect(fsm.Client)
			s.connect(fsm.Server)
		case 2:
			// The capture joins mid-stream, once both sides are ESTABLISHED
			// and some data has flowed.
			s.blind = true
			s.listen(fsm.Server)
			s.connect(fsm.Client)
			s.flush()
			s.send(fsm.Client, "before")
			s.send(fsm.Server, "the capture")
			s.flush()
			s.blind = false
			s.obs = New(DefaultConfig(), true)
			// What was lost just before the join leaves no trace the
			// observer can read (no ISN, no sequence space seen yet).
			s.endOnly = s.endOnly || lossy
		default:
			s.listen(fsm.Server)
			s.connect(fsm.Client)
		}
		for i := 0; i < 40; i++ {
			side := fsm.Side(next(2))
			k := next(20)
			if k < 12 && !s.ep[side].State().Synchronized() {
				// A socket API call needs a connected socket (send on a
				// listening socket is not a thing on Linux).
				k = 12
			}
			switch {
			case k < 6:
				s.try(side, "send", func(e *fsm.Endpoint) (fsm.Result, error) { return e.Send(s.now, []byte("data")) })
			case k < 8:
				s.try(side, "recv", func(e *fsm.Endpoint) (fsm.Result, error) {
					_, r, err := e.Receive(s.now, 0)
					return r, err
				})
			case k < 10:
				s.try(side, "close", func(e *fsm.Endpoint) (fsm.Result, error) { return e.Close(s.now) })
			case k < 11:
				s.try(side, "shutdown", func(e *fsm.Endpoint) (fsm.Result, error) { return e.Shutdown(s.now) })
			case k < 12 && next(4) == 0 && s.ep[side].State().CanReceive() || s.ep[side].State() == fsm.CloseWait:
				// ABORT sends a RST only where it has something to say
				// (§3.10.5); in CLOSING, LAST-ACK and TIME-WAIT it deletes
				// the TCB silently, which no capture can see.
				s.try(side, "abort", func(e *fsm.Endpoint) (fsm.Result, error) { return e.Abort(s.now) })
			case k < 17:
				s.deliver()
			case k < 19 || !lossy:
				s.flush()
			default:
				s.flush()
				s.advance(time.Duration(1+next(3000)) * time.Millisecond)
			}
			if t.Failed() {
				t.Fatalf("seed %d", seed)
			}
		}
		s.flush()
		if lossy {
			s.advance(10 * time.Second)
		}
		for _, side := range []fsm.Side{fsm.Client, fsm.Server} {
			s.try(side, "recv", func(e *fsm.Endpoint) (fsm.Result, error) {
				_, r, err := e.Receive(s.now, 0)
				return r, err
			})
			s.try(side, "close", func(e *fsm.Endpoint) (fsm.Result, error) { return e.Close(s.now) })
		}
		s.flush()
		s.endCheck(seed, "at the end")
		s.advance(5 * time.Minute)
		s.endCheck(seed, "after the timers")
	}
}

// endCheck: with nothing in flight the observer must agree with the
// endpoints, or, where data or ACKs were lost before the capture point, say
// in Uncertain that it cannot know. A lost SYN, FIN or RST exempts the seed.
func (s *shuttle) endCheck(seed int, when string) {
	s.t.Helper()
	if !s.obs.seen {
		return // every segment was lost before the capture point
	}
	truth := [2]fsm.State{s.ep[0].State(), s.ep[1].State()}
	obs, unc := s.obs.States(), s.obs.Uncertain()
	for i := range obs {
		if obs[i] == truth[i] {
			continue
		}
		if s.ctlLost[0] || s.ctlLost[1] {
			// A SYN, FIN or RST lost before the capture point can leave no
			// trace at all: a resent FIN that acknowledges the peer's FIN
			// looks like LAST-ACK, though it was first sent in FIN-WAIT-1.
			continue
		}
		if unc[i] != "" && (s.anyLost || obs[i] == fsm.FinWait2 && truth[i] == fsm.Closed) {
			continue
		}
		s.t.Fatalf("seed %d, %s: observer %v, endpoints %v, uncertain %q\ntrace:\n%s",
			seed, when, obs, truth, unc, strings.Join(s.trace, "\n"))
	}
}
