package lab

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tcpviz/tcpviz/capture/decode"
	"github.com/tcpviz/tcpviz/fsm"
)

// DefaultLatency is the wire's one-way delay when the Config leaves it 0.
const DefaultLatency = 10 * time.Millisecond

// poolSize is how many packets the wire can have in flight and held at
// once. A reader that finds no free buffer waits, and its TUN's own queue
// (txqueuelen) holds what the kernel sends meanwhile.
const poolSize = 1024

// ErrNotHeld is returned for a packet ID the wire does not hold.
var ErrNotHeld = errors.New("the wire holds no such packet")

// WireConfig says how the wire treats packets.
type WireConfig struct {
	// Latency is each packet's one-way delay: 0 means DefaultLatency, a
	// negative value none.
	Latency time.Duration
	// Hold starts the wire in hold mode: every segment waits for Deliver,
	// Drop or Duplicate (SetHold changes the mode).
	Hold bool
	// Decide, if set, gives each segment's verdict as it is read (a
	// scenario's faults). It runs on the reader's goroutine and must not
	// keep p. Hold mode holds what Decide passes.
	Decide func(p *Packet) Verdict
	// OnEvent, if set, is told of every packet sent, delivered or dropped,
	// one event at a time, in the order they happened. It must be quick
	// (the wire waits for it) and must not call the wire.
	OnEvent func(Event)
}

// slot is one packet buffer of the wire's fixed pool.
type slot struct {
	buf [maxPacket]byte
	pkt Packet
	due time.Duration
}

// Wire carries packets between the two TUN devices. It allocates nothing
// per packet: buffers come from a fixed pool, decoders and timers are made
// once per direction.
type Wire struct {
	cfg     WireConfig
	latency time.Duration
	start   time.Time
	tun     [2]*os.File // indexed by fsm.Side
	free    chan *slot
	queue   [2]chan *slot // per direction, in order of reading
	nextID  atomic.Uint64
	hold    atomic.Bool

	mu   sync.Mutex
	held []*slot

	evMu sync.Mutex

	quit chan struct{}
	wg   sync.WaitGroup
}

// newWire starts carrying packets between client and server, two TUN
// files; the wire owns them from now on.
func newWire(cfg WireConfig, start time.Time, client, server *os.File) *Wire {
	w := &Wire{cfg: cfg, latency: cfg.Latency, start: start, tun: [2]*os.File{client, server},
		free: make(chan *slot, poolSize), quit: make(chan struct{}), held: make([]*slot, 0, poolSize)}
	if w.latency == 0 {
		w.latency = DefaultLatency
	}
	if w.latency < 0 {
		w.latency = 0
	}
	w.hold.Store(cfg.Hold)
	for range poolSize {
		w.free <- new(slot)
	}
	for _, d := range []fsm.Dir{fsm.C2S, fsm.S2C} {
		w.queue[d] = make(chan *slot, poolSize)
		w.wg.Add(2)
		go w.read(d)
		go w.deliver(d)
	}
	return w
}

func (w *Wire) now() time.Duration { return time.Since(w.start) }

func (w *Wire) emit(k EventKind, p *Packet) {
	w.evMu.Lock()
	defer w.evMu.Unlock()
	w.emitLocked(k, p)
}

func (w *Wire) emitLocked(k EventKind, p *Packet) {
	if w.cfg.OnEvent != nil {
		w.cfg.OnEvent(Event{Kind: k, At: w.now(), Packet: *p})
	}
}

// read takes each packet d's sender writes into its TUN.
func (w *Wire) read(d fsm.Dir) {
	defer w.wg.Done()
	dec, _ := decode.New(decode.LinkRaw)
	tun := w.tun[d.From()]
	for {
		var s *slot
		select {
		case s = <-w.free:
		case <-w.quit:
			return
		}
		n, err := tun.Read(s.buf[:])
		if err != nil {
			return // closed
		}
		w.fill(s, dec, d, n)
		w.emit(Sent, &s.pkt)
		w.judge(s, dec)
	}
}

// fill decodes the n bytes in s's buffer into its packet.
func (w *Wire) fill(s *slot, dec *decode.Decoder, d fsm.Dir, n int) {
	p := &s.pkt
	p.ID = w.nextID.Add(1)
	p.Dir = d
	p.Data = s.buf[:n]
	p.Kind = dec.Decode(p.Data, &p.TCP)
	p.Sent = w.now()
	s.due = p.Sent + w.latency
}

// judge does what the verdict on a freshly read packet says.
func (w *Wire) judge(s *slot, dec *decode.Decoder) {
	v := Pass
	if s.pkt.Kind == decode.TCP {
		if w.cfg.Decide != nil {
			v = w.cfg.Decide(&s.pkt)
		}
		if v == Pass && w.hold.Load() {
			v = Hold
		}
	}
	switch v {
	case Drop:
		w.emit(Dropped, &s.pkt)
		w.free <- s
	case Hold:
		w.mu.Lock()
		w.held = append(w.held, s)
		w.mu.Unlock()
	case Duplicate:
		w.queue[s.pkt.Dir] <- s
		if c := w.copyOf(s, dec); c != nil {
			w.queue[s.pkt.Dir] <- c
		}
	default:
		w.queue[s.pkt.Dir] <- s
	}
}

// copyOf returns a copy of s in a free slot, with its own ID, or nil when
// the wire is closing.
func (w *Wire) copyOf(s *slot, dec *decode.Decoder) *slot {
	var c *slot
	select {
	case c = <-w.free:
	case <-w.quit:
		return nil
	}
	n := copy(c.buf[:], s.pkt.Data)
	w.fill(c, dec, s.pkt.Dir, n)
	c.pkt.Sent, c.due = s.pkt.Sent, s.due
	return c
}

// deliver writes d's packets into the receiver's TUN, each when it is due.
func (w *Wire) deliver(d fsm.Dir) {
	defer w.wg.Done()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		var s *slot
		select {
		case s = <-w.queue[d]:
		case <-w.quit:
			return
		}
		if wait := s.due - w.now(); wait > 0 {
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-w.quit:
				return
			}
		}
		w.write(s)
		w.free <- s
	}
}

// write puts s's packet into its receiver's TUN. The receiving kernel
// may answer before Write returns (the packet is processed on the way in),
// so the event lock is held across the write: the answer's Sent event
// cannot come before this Delivered one.
func (w *Wire) write(s *slot) {
	w.evMu.Lock()
	defer w.evMu.Unlock()
	kind := Delivered
	if _, err := w.tun[s.pkt.Dir.To()].Write(s.pkt.Data); err != nil {
		kind = Dropped // the receiver's TUN is closing: the wire lost it
	}
	w.emitLocked(kind, &s.pkt)
}

// Held describes a segment the wire holds.
type Held struct {
	ID   uint64
	Dir  fsm.Dir
	TCP  decode.Packet // without its payload (Len says how long it is)
	Sent time.Duration
}

// Held returns the segments the wire holds, oldest first.
func (w *Wire) Held() []Held {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]Held, len(w.held))
	for i, s := range w.held {
		out[i] = Held{ID: s.pkt.ID, Dir: s.pkt.Dir, TCP: s.pkt.TCP, Sent: s.pkt.Sent}
		out[i].TCP.Seg.Payload = nil
	}
	return out
}

// take removes the held packet id, or returns ErrNotHeld; i is where it was.
func (w *Wire) take(id uint64) (s *slot, i int, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i, s := range w.held {
		if s.pkt.ID == id {
			w.held = append(w.held[:i], w.held[i+1:]...)
			return s, i, nil
		}
	}
	return nil, 0, fmt.Errorf("packet %d: %w", id, ErrNotHeld)
}

// Deliver writes the held packet id into its receiver's TUN now, whatever
// else is held (deliver a later one first to reorder).
func (w *Wire) Deliver(id uint64) error {
	s, _, err := w.take(id)
	if err != nil {
		return err
	}
	w.write(s)
	w.free <- s
	return nil
}

// Drop discards the held packet id.
func (w *Wire) Drop(id uint64) error {
	s, _, err := w.take(id)
	if err != nil {
		return err
	}
	w.emit(Dropped, &s.pkt)
	w.free <- s
	return nil
}

// Duplicate delivers a copy of the held packet id now and keeps holding
// the packet itself, where it was.
func (w *Wire) Duplicate(id uint64) error {
	s, i, err := w.take(id)
	if err != nil {
		return err
	}
	w.write(s)
	w.mu.Lock()
	w.held = append(w.held, nil)
	copy(w.held[i+1:], w.held[i:])
	w.held[i] = s
	w.mu.Unlock()
	return nil
}

// SetHold turns hold mode on or off. Turning it off delivers what is held,
// oldest first.
func (w *Wire) SetHold(on bool) {
	w.hold.Store(on)
	if on {
		return
	}
	w.mu.Lock()
	held := w.held
	w.held = make([]*slot, 0, poolSize)
	w.mu.Unlock()
	for _, s := range held {
		w.write(s)
		w.free <- s
	}
}

// close stops the wire: the TUN files are closed (the readers wake), held
// and queued packets are discarded.
func (w *Wire) close() {
	close(w.quit)
	for _, f := range w.tun {
		f.Close()
	}
	w.wg.Wait()
}
