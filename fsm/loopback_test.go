package fsm

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// pair connects two endpoints back to back through a lossless wire with no
// delay: every segment one emits is queued for the other and delivered, in
// order, by flush. It records what happened so tests can compare literal
// traces.
type pair struct {
	t     *testing.T
	now   time.Duration
	ep    [2]*Endpoint
	wire  [2][]Segment // segments on their way to side i
	trace []string
	drops map[int]bool // deliveries (numbered from 1) the wire loses
	sent  int
}

func newPair(t *testing.T, client, server Config) *pair {
	return &pair{t: t, ep: [2]*Endpoint{NewEndpoint(client), NewEndpoint(server)}, drops: map[int]bool{}}
}

// defaultPair is a client with ISS 1000 and a server with ISS 5000, both
// with the Linux defaults.
func defaultPair(t *testing.T) *pair {
	return newPair(t, DefaultConfig(1000), DefaultConfig(5000))
}

func (p *pair) c() *Endpoint { return p.ep[Client] }
func (p *pair) s() *Endpoint { return p.ep[Server] }

// emit queues a result's segments for the peer of side.
func (p *pair) emit(side Side, r Result) {
	for _, s := range r.Out {
		checkWellFormed(p.t, s)
		p.sent++
		if p.drops[p.sent] {
			p.trace = append(p.trace, fmt.Sprintf("%s drop %s", side, segBrief(s)))
			continue
		}
		p.wire[side.Peer()] = append(p.wire[side.Peer()], s)
	}
}

// call runs one user call on side and records it.
func (p *pair) call(side Side, name string, f func(e *Endpoint) (Result, error)) Result {
	p.t.Helper()
	r, err := f(p.ep[side])
	if err != nil {
		p.t.Fatalf("%s.%s: %v", side, name, err)
	}
	p.trace = append(p.trace, fmt.Sprintf("%s %s %s→%s %s", side, name, r.From, r.To, r.Reason))
	p.emit(side, r)
	return r
}

func (p *pair) listen(side Side) Result {
	return p.call(side, "listen", func(e *Endpoint) (Result, error) { return e.Listen(p.now) })
}
func (p *pair) connect(side Side) Result {
	return p.call(side, "connect", func(e *Endpoint) (Result, error) { return e.Connect(p.now) })
}
func (p *pair) send(side Side, data string) Result {
	return p.call(side, "send", func(e *Endpoint) (Result, error) { return e.Send(p.now, []byte(data)) })
}
func (p *pair) close(side Side) Result {
	return p.call(side, "close", func(e *Endpoint) (Result, error) { return e.Close(p.now) })
}
func (p *pair) shutdown(side Side) Result {
	return p.call(side, "shutdown", func(e *Endpoint) (Result, error) { return e.Shutdown(p.now) })
}
func (p *pair) abort(side Side) Result {
	return p.call(side, "abort", func(e *Endpoint) (Result, error) { return e.Abort(p.now) })
}
func (p *pair) recv(side Side) string {
	p.t.Helper()
	data, r, err := p.ep[side].Receive(p.now, 0)
	if err != nil {
		p.t.Fatalf("%s.recv: %v", side, err)
	}
	p.trace = append(p.trace, fmt.Sprintf("%s recv %q %s", side, data, r.Reason))
	p.emit(side, r)
	return string(data)
}

// step delivers the oldest segment in flight toward side; false if none.
func (p *pair) step(to Side) bool {
	if len(p.wire[to]) == 0 {
		return false
	}
	s := p.wire[to][0]
	p.wire[to] = p.wire[to][1:]
	r := p.ep[to].Arrive(p.now, s)
	p.trace = append(p.trace, fmt.Sprintf("%s rcv %s %s→%s %s", to, segBrief(s), r.From, r.To, r.Reason))
	p.emit(to, r)
	return true
}

// flush delivers everything in flight, alternating directions (client's
// inbox first), until the wire is empty.
func (p *pair) flush() {
	for i := 0; i < 1000; i++ {
		a := p.step(Client)
		b := p.step(Server)
		if !a && !b {
			return
		}
	}
	p.t.Fatal("flush: the endpoints never fell silent")
}

// advance moves the clock to now+d, firing both endpoints' timers in time
// order and delivering what they send at once.
func (p *pair) advance(d time.Duration) {
	end := p.now + d
	for {
		next, side, ok := end, Client, false
		for _, sd := range [...]Side{Client, Server} {
			if at, armed := p.ep[sd].NextDeadline(); armed && at <= next {
				if !ok || at < next {
					next, side, ok = at, sd, true
				}
			}
		}
		if !ok {
			break
		}
		p.now = next
		for _, r := range p.ep[side].Tick(p.now) {
			p.trace = append(p.trace, fmt.Sprintf("%s timer %s→%s %s", side, r.From, r.To, r.Reason))
			p.emit(side, r)
		}
		p.flush()
	}
	p.now = end
}

// states returns "CLIENT/SERVER".
func (p *pair) states() string { return p.c().State().String() + "/" + p.s().State().String() }

func (p *pair) wantStates(want string) {
	p.t.Helper()
	if got := p.states(); got != want {
		p.t.Fatalf("states = %s, want %s\ntrace:\n%s", got, want, strings.Join(p.trace, "\n"))
	}
}

// handshake opens the connection: server listens, client connects.
func (p *pair) handshake() {
	p.t.Helper()
	p.listen(Server)
	p.connect(Client)
	p.flush()
	p.wantStates("ESTABLISHED/ESTABLISHED")
}

// segBrief is "SYN,ACK 5000:5001 ack=1001 len=0" with absolute numbers.
func segBrief(s Segment) string {
	return fmt.Sprintf("%s %d ack=%d len=%d", s.Flags, uint32(s.Seq), uint32(s.Ack), s.Len)
}

// checkWellFormed fails t if an emitted segment is malformed: Len and
// payload disagree, an ACK field without the ACK flag, a SYN with ACK=0
// and no flag but something else, or a RST with data.
func checkWellFormed(t testing.TB, s Segment) {
	t.Helper()
	if err := wellFormed(s); err != nil {
		t.Fatalf("malformed segment %s: %v", s, err)
	}
}

func wellFormed(s Segment) error {
	switch {
	case int(s.Len) != len(s.Payload):
		return fmt.Errorf("len %d but %d payload bytes", s.Len, len(s.Payload))
	case !s.Flags.Has(ACK) && s.Ack != 0:
		return fmt.Errorf("ack field %d without the ACK flag", uint32(s.Ack))
	case s.Flags.Has(SYN) && s.Flags.Has(FIN), s.Flags.Has(SYN) && s.Flags.Has(RST):
		return fmt.Errorf("impossible flags %s", s.Flags)
	case s.Flags.Has(RST) && s.Len > 0:
		return fmt.Errorf("RST with data")
	case s.Flags.Has(RST) && s.Window != 0:
		return fmt.Errorf("RST with a window")
	case !s.Flags.Has(ACK) && !s.Flags.Has(SYN) && !s.Flags.Has(RST):
		return fmt.Errorf("no ACK flag on %s", s.Flags)
	case s.Flags.Has(SYN) && s.Len > 0:
		return fmt.Errorf("SYN with data")
	case s.Flags&(URG|ECE|CWR) != 0:
		return fmt.Errorf("unexpected flags %s", s.Flags)
	}
	return nil
}
