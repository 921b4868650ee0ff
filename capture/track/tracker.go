package track

import (
	"math/bits"
	"time"

	"github.com/tcpviz/tcpviz/capture/decode"
	"github.com/tcpviz/tcpviz/fsm"
	"github.com/tcpviz/tcpviz/fsm/observe"
	"github.com/tcpviz/tcpviz/fsm/timeline"
)

// Options configure a Tracker.
type Options struct {
	Source    string         // the capture's name, for the timelines' Source
	Timelines bool           // keep every step (the view, text and JSON output); otherwise totals only
	Preview   int            // payload bytes copied into each step (Timelines only); 0 keeps none
	Observe   observe.Config // the observers' parameters (TIME-WAIT length)

	// OnStep, if set (Timelines only), is called for every step appended,
	// in the order steps happen across all connections: each segment in
	// capture order, a TIME-WAIT expiry when the capture's clock passes it.
	OnStep func(c *Conn, tl *timeline.Timeline, i int)

	// Stream (Timelines mode, with OnStep) drops each connection's steps
	// once OnStep has seen them, all but the last (which the next step's
	// narration compares with): memory stays bounded however long the
	// capture. Step i of a trimmed timeline is number c.StepNumber(i) in
	// the connection's history. Not for use with Delta.
	Stream bool

	// HandOff (Timelines mode) makes Delta hand each step over for good:
	// the tracker keeps only steps not yet delivered, since the view keeps
	// its own copies; Timeline(c) then holds just those. Memory is the
	// view's alone, not twice over.
	HandOff bool
}

// Conn is one tracked connection. Its fields are the Tracker's; read them
// through the methods.
type Conn struct {
	key      key
	obs      observe.Observer
	first    time.Duration
	last     time.Duration
	bytes    [2]uint64 // payload bytes, indexed by fsm.Dir
	segments uint32
	id       uint32
	sent     uint32 // steps already handed out in a batch
	flags    timeline.ConnFlags
	clientLo bool // the client is key.lo
	wscale   decode.WindowScale
	dirty    bool   // has steps not yet in a batch
	base     uint32 // Stream, HandOff: steps dropped from the front of the timeline
}

// StepNumber is the number, in the connection's whole history, of step i of
// its timeline as the tracker now holds it (they differ with Stream and
// HandOff).
func (c *Conn) StepNumber(i int) int { return int(c.base) + i }

// ID is the connection's number: 0, 1, … in order of first segment. A
// reused 4-tuple gets a new ID.
func (c *Conn) ID() int { return int(c.id) }

// Endpoints returns the client and server endpoints.
func (c *Conn) Endpoints() timeline.Conn {
	return timeline.Conn{Client: c.key.addrPort(c.clientLo), Server: c.key.addrPort(!c.clientLo)}
}

// States returns both sides' states as last inferred.
func (c *Conn) States() [2]fsm.State { return c.obs.States() }

// Uncertain says per side why its final state cannot be known for sure.
func (c *Conn) Uncertain() [2]string { return c.obs.Uncertain() }

// Done reports whether both sides have reached CLOSED or TIME-WAIT (or
// the server never left LISTEN): the connection's states are final but
// for a TIME-WAIT expiry or a stray late segment.
func (c *Conn) Done() bool { return c.obs.Done() }

// Segments is the number of segments seen.
func (c *Conn) Segments() int { return int(c.segments) }

// Bytes is the payload bytes seen in direction d.
func (c *Conn) Bytes(d fsm.Dir) uint64 { return c.bytes[d] }

// First and Last are the capture times (since the capture's first packet)
// of the connection's first and last segments.
func (c *Conn) First() time.Duration { return c.first }

// Last: see First.
func (c *Conn) Last() time.Duration { return c.last }

// Flags are the marks the connection list shows (reset, retransmission,
// mid-stream, refused).
func (c *Conn) Flags() timeline.ConnFlags { return c.flags }

// MidStream reports whether the capture joined the connection after its
// handshake.
func (c *Conn) MidStream() bool { return c.flags&timeline.ConnMidStream != 0 }

// chunkBits sizes the blocks connections are stored in: blocks never move,
// so a *Conn stays valid for the tracker's life and growing never copies.
const chunkBits = 10

// Tracker is a capture's connection table. It is not safe for concurrent use.
type Tracker struct {
	opts    Options
	chunks  [][]Conn
	n       uint32
	table   table
	expiry  expiries
	tls     []*timeline.Timeline // Timelines mode: per connection
	dirty   []uint32
	arena   []byte // payload previews
	origin  int64  // capture time of the first packet, ns since the epoch
	started bool
	now     time.Duration
	getConn func(i uint32) *Conn
}

// New returns an empty tracker.
func New(opts Options) *Tracker {
	t := &Tracker{opts: opts}
	if t.opts.Observe.TimeWait <= 0 {
		t.opts.Observe = observe.DefaultConfig()
	}
	t.getConn = t.conn
	return t
}

// Len is the number of connections seen.
func (t *Tracker) Len() int { return int(t.n) }

// Conn returns connection i (its ID); the pointer stays valid (and the
// same) for the tracker's life.
func (t *Tracker) Conn(i int) *Conn { return t.conn(uint32(i)) }

func (t *Tracker) conn(i uint32) *Conn {
	if i >= 1<<chunkBits {
		j := i - 1<<chunkBits
		return &t.chunks[firstFull+j>>chunkBits][j&(1<<chunkBits-1)]
	}
	if i < 8 {
		return &t.chunks[0][i]
	}
	b := bits.Len32(i >> 3) // block b ≥ 1 holds [8<<(b-1), 8<<b)
	return &t.chunks[b][i-8<<(b-1)]
}

// firstFull is the index of the first block of 1<<chunkBits connections:
// the growing blocks before it hold 8+8+16+…+512 = 1024.
const firstFull = chunkBits - 2

// Timeline returns connection c's timeline (Timelines mode), or nil.
func (t *Tracker) Timeline(c *Conn) *timeline.Timeline {
	if !t.opts.Timelines {
		return nil
	}
	return t.tls[c.id]
}

// Now is the capture time of the last packet added, since the first.
func (t *Tracker) Now() time.Duration { return t.now }

// Add tracks one decoded TCP segment captured at ts (nanoseconds since the
// Unix epoch). p.Seg.Payload is copied (a preview) only in Timelines mode.
func (t *Tracker) Add(ts int64, p *decode.Packet) {
	if !t.started {
		t.origin, t.started = ts, true
	}
	now := time.Duration(ts - t.origin)
	t.now = now
	t.expireDue(now)

	k, srcIsLo := makeKey(p.Src, p.Dst)
	slot, h := t.table.find(&k, t.getConn)
	var c *Conn
	flags := p.Seg.Flags
	if *slot != 0 {
		c = t.conn(index(*slot))
		t.expireConn(c, now)
		if flags&(fsm.SYN|fsm.ACK|fsm.RST) == fsm.SYN && c.obs.Done() {
			// Port reuse: a new SYN after the old connection ended. A side
			// still in TIME-WAIT gives the 4-tuple up to the new one.
			if u, ok := c.obs.EndTimeWait(); ok {
				t.appendTimer(c, now, u)
			}
			c = t.newConn(&k, srcIsLo, flags, now)
			*slot = slotOf(c.id, h)
		}
	} else {
		c = t.newConn(&k, srcIsLo, flags, now)
		t.table.insert(slot, c.id, h, t.getConn)
	}

	dir := fsm.S2C
	if srcIsLo == c.clientLo {
		dir = fsm.C2S
	}
	seg := p.Seg
	seg.Window = c.wscale.Scale(dir.From(), &seg, p.WScale)
	if !t.opts.Timelines {
		seg.Payload = nil
	}

	before, hadBefore := c.obs.NextExpiry()
	u := c.obs.Observe(now, dir, &seg)
	c.segments++
	c.bytes[dir] += uint64(seg.Len)
	c.last = now
	if flags.Has(fsm.RST) {
		c.flags |= timeline.ConnReset
	}
	if u.Analysis&timeline.Retransmission != 0 {
		c.flags |= timeline.ConnRetransmission
	}
	if u.Why[0] == fsm.RcvRstRefused || u.Why[1] == fsm.ObsRefused || u.Why[0] == fsm.ObsRefused || u.Why[1] == fsm.RcvRstRefused {
		c.flags |= timeline.ConnRefused
	}
	if after, ok := c.obs.NextExpiry(); ok && (!hadBefore || after != before) {
		t.expiry.push(expiry{at: after, idx: c.id})
	}
	if t.opts.Timelines {
		seg.Payload = t.preview(seg.Payload)
		t.appendStep(c, timeline.Step{
			T: now, Event: timeline.Observe, Dir: dir, Seg: seg, Analysis: u.Analysis,
			States: u.States, Why: u.Why,
		})
	}
}

func (t *Tracker) newConn(k *key, srcIsLo bool, flags fsm.Flags, now time.Duration) *Conn {
	id := t.n
	if len(t.chunks) == 0 || len(t.chunks[len(t.chunks)-1]) == cap(t.chunks[len(t.chunks)-1]) {
		// Blocks of 8, 8, 16, … 512 connections, then of 1024: a capture
		// of a few connections costs little, and no block ever moves.
		size := 1 << chunkBits
		if id < 1<<chunkBits {
			size = max(8, int(id))
		}
		t.chunks = append(t.chunks, make([]Conn, 0, size))
	}
	last := &t.chunks[len(t.chunks)-1]
	*last = append(*last, Conn{key: *k, id: id, first: now, wscale: decode.NewWindowScale()})
	t.n++
	c := t.conn(id)
	// The client sent the first SYN; a SYN,ACK's receiver is the client; a
	// connection joined mid-stream takes the higher port as the client, as
	// the timeline spec says (ephemeral ports are the high ones).
	switch {
	case flags&(fsm.SYN|fsm.ACK) == fsm.SYN:
		c.clientLo = srcIsLo
	case flags&(fsm.SYN|fsm.ACK) == fsm.SYN|fsm.ACK:
		c.clientLo = !srcIsLo
	default:
		c.flags |= timeline.ConnMidStream
		c.clientLo = k.loPort > k.hiPort
	}
	c.obs = observe.New(t.opts.Observe, c.MidStream())
	if t.opts.Timelines {
		tl := &timeline.Timeline{Source: t.opts.Source, Conn: c.Endpoints(), MidStream: c.MidStream()}
		t.tls = append(t.tls, tl)
	}
	return c
}

// expireDue fires the TIME-WAIT expiries that capture time now has passed,
// across all connections, in deadline order.
func (t *Tracker) expireDue(now time.Duration) {
	for len(t.expiry) > 0 && t.expiry[0].at <= now {
		e := t.expiry.pop()
		c := t.conn(e.idx)
		if at, ok := c.obs.NextExpiry(); ok && at == e.at {
			t.expireConn(c, at)
		}
	}
}

// expireConn fires c's expiries due by now, each a Timer step at its
// deadline, and queues its next deadline if another side is still in
// TIME-WAIT.
func (t *Tracker) expireConn(c *Conn, now time.Duration) {
	fired := false
	for {
		at, ok := c.obs.NextExpiry()
		if !ok || at > now {
			break
		}
		u, ok := c.obs.Expire(at)
		if !ok {
			break
		}
		fired = true
		t.appendTimer(c, at, u)
	}
	if at, ok := c.obs.NextExpiry(); fired && ok {
		t.expiry.push(expiry{at: at, idx: c.id})
	}
}

// Finish fires the expiries that the capture's clock passed by its last
// packet. (Deadlines after the end are not reached: the capture does not
// show them, and the states stay TIME-WAIT.)
func (t *Tracker) Finish() { t.expireDue(t.now) }

// appendTimer records an inferred state change with no segment: the side
// whose reason it is acts.
func (t *Tracker) appendTimer(c *Conn, at time.Duration, u observe.Update) {
	if !t.opts.Timelines {
		return
	}
	actor := fsm.Client
	if u.Why[fsm.Client] == fsm.ReasonNone {
		actor = fsm.Server
	}
	t.appendStep(c, timeline.Step{T: at, Event: timeline.Timer, Actor: actor, States: u.States, Why: u.Why})
}

func (t *Tracker) appendStep(c *Conn, s timeline.Step) {
	tl := t.tls[c.id]
	s.TCB, s.HasTCB = c.obs.TCB(), true
	tl.ISN, tl.HasISN = c.obs.ISN()
	tl.Steps = append(tl.Steps, s)
	if !c.dirty {
		c.dirty = true
		t.dirty = append(t.dirty, c.id)
	}
	if t.opts.OnStep != nil {
		t.opts.OnStep(c, tl, len(tl.Steps)-1)
		if t.opts.Stream {
			t.Release(c)
		}
	}
}

// Release drops connection c's steps, all but the last (which the next
// step's narration compares with), once its consumer has written them:
// text output does so when a connection is Done. Step i of the trimmed
// timeline is then number c.StepNumber(i). Not for use with Delta.
func (t *Tracker) Release(c *Conn) {
	tl := t.tls[c.id]
	n := len(tl.Steps)
	if n <= 1 {
		return
	}
	c.base += uint32(n - 1)
	if cap(tl.Steps) > 2 {
		// A whole ladder's array: let it go, keeping a small one.
		tl.Steps = append(make([]timeline.Step, 0, 1), tl.Steps[n-1])
		return
	}
	tl.Steps[0] = tl.Steps[n-1]
	clear(tl.Steps[1:n]) // drop the previews they point to
	tl.Steps = tl.Steps[:1]
}

// preview copies up to Options.Preview bytes of a payload into the
// tracker's arena (one allocation per 64 KiB, not one per segment).
func (t *Tracker) preview(p []byte) []byte {
	n := min(len(p), t.opts.Preview)
	if n == 0 {
		return nil
	}
	if len(t.arena)+n > cap(t.arena) {
		t.arena = make([]byte, 0, 64<<10)
	}
	start := len(t.arena)
	t.arena = append(t.arena, p[:n]...)
	return t.arena[start:len(t.arena):len(t.arena)]
}

// Delta returns what changed since the last call: one ConnDelta per
// connection with new steps (Timelines mode) — or, in summary mode, nothing.
// The Steps slices share the tracker's arrays but are capped, so the view
// may append to them without touching the tracker's.
func (t *Tracker) Delta() []timeline.ConnDelta {
	if len(t.dirty) == 0 {
		return nil
	}
	out := make([]timeline.ConnDelta, 0, len(t.dirty))
	for _, id := range t.dirty {
		c := t.conn(id)
		tl := t.tls[id]
		n := uint32(len(tl.Steps))
		hdr := *tl
		hdr.Steps = nil
		out = append(out, timeline.ConnDelta{
			ID: int(id), Header: hdr, Steps: tl.Steps[c.sent:n:n],
			Segments: int(c.segments), BytesC2S: c.bytes[fsm.C2S], BytesS2C: c.bytes[fsm.S2C],
			First: c.first, Last: c.last, Flags: c.flags,
		})
		c.sent, c.dirty = n, false
		if t.opts.HandOff {
			// The view keeps its own copies: forget these steps (the
			// delta's slice keeps their array alive while it needs it).
			tl.Steps = nil
			c.sent = 0
			c.base += n
		}
	}
	t.dirty = t.dirty[:0]
	return out
}
