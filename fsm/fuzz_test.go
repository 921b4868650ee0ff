package fsm

import (
	"bytes"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"
)

// fuzzStarts are the states a fuzz run may start in, by their setups.
var fuzzStarts = func() []string {
	var names []string
	for name := range setups {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}()

// fuzzOps reads the fuzzer's bytes as a script.
type fuzzOps struct{ b []byte }

func (f *fuzzOps) byte() byte {
	if len(f.b) == 0 {
		return 0
	}
	c := f.b[0]
	f.b = f.b[1:]
	return c
}

func (f *fuzzOps) u16() uint16 { return uint16(f.byte())<<8 | uint16(f.byte()) }

// segment builds a segment near what the endpoint expects, so the fuzzer
// reaches the interesting checks: sequence and acknowledgment numbers are
// offsets from RCV.NXT and SND.UNA, sometimes far (wrapping) ones.
func (f *fuzzOps) segment(e *Endpoint) Segment {
	tcb := e.TCB()
	flags := Flags(f.byte())
	seqOff := int32(int16(f.u16()))
	if f.byte()&0x80 != 0 {
		seqOff <<= 16
	}
	ackOff := int32(int8(f.byte()))
	n := int(f.byte() % 40)
	payload := bytes.Repeat([]byte{'d'}, n)
	s := Segment{
		Seq:     tcb.RcvNxt + Seq(seqOff),
		Ack:     tcb.SndUna + Seq(ackOff),
		Flags:   flags,
		Window:  uint32(f.u16()),
		Len:     uint32(n),
		Payload: payload,
	}
	switch f.byte() % 8 {
	case 0:
		s.Len += uint32(f.byte()) // claims more than it carries
	case 1:
		s.Payload = nil
	}
	return s
}

// step applies one scripted event and returns what it sent.
func (f *fuzzOps) step(e *Endpoint, now *time.Duration) (string, []Result) {
	switch op := f.byte() % 12; op {
	case 0, 1, 2, 3, 4:
		s := f.segment(e)
		return "arrive " + s.String(), []Result{e.Arrive(*now, s)}
	case 5:
		*now += time.Duration(f.u16()) * 10 * time.Millisecond
		return "tick", e.Tick(*now)
	case 6:
		r, _ := e.Send(*now, bytes.Repeat([]byte{'s'}, int(f.byte())*8))
		return "send", []Result{r}
	case 7:
		_, r, _ := e.Receive(*now, int(f.byte()))
		return "recv", []Result{r}
	case 8:
		var r Result
		switch f.byte() % 5 {
		case 0:
			r, _ = e.Close(*now)
		case 1:
			r, _ = e.Shutdown(*now)
		case 2:
			r, _ = e.Abort(*now)
		case 3:
			r, _ = e.Listen(*now)
		case 4:
			r, _ = e.Connect(*now)
		}
		return "call", []Result{r}
	case 9:
		return "restart", []Result{e.Restart()}
	default:
		if at, ok := e.NextDeadline(); ok {
			*now = max(*now, at)
		}
		return "tick-next", e.Tick(*now)
	}
}

// FuzzEndpointArrive feeds random segments, user calls and timer ticks to
// an endpoint starting in each state. The endpoint must never panic, stay
// in one of the eleven states with SND.UNA =< SND.NXT and a consistent
// retransmission queue, emit only well-formed segments, report a Result
// whose From/To match what happened, and behave identically to its Clone.
func FuzzEndpointArrive(f *testing.F) {
	f.Add(byte(0), []byte{0, 0x02, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0})
	f.Add(byte(5), []byte{0, 0x10, 0, 0, 0, 1, 5, 0x03, 0xe8, 0, 5, 0, 0, 10})
	f.Add(byte(7), []byte{0, 0x11, 0, 0, 0, 1, 0, 0x03, 0xe8, 0, 8, 4, 10, 10, 10})
	f.Add(byte(3), []byte{0, 0x04, 0, 0, 0, 0, 0, 0, 0, 0, 6, 200, 0, 10, 10, 10, 10, 10, 10, 10})
	f.Add(byte(9), []byte{8, 0, 0, 0x11, 0, 0, 0, 1, 0, 0x03, 0xe8, 0, 10, 10})
	f.Fuzz(func(t *testing.T, start byte, script []byte) {
		x := setupEndpoint(t, fuzzStarts[int(start)%len(fuzzStarts)])
		e, now := x.e, x.now
		ops := &fuzzOps{b: script}
		for i := 0; len(ops.b) > 0 && i < 200; i++ {
			before := e.State()
			var twin *Endpoint
			var twinOps fuzzOps
			if i%3 == 0 {
				twin, twinOps = e.Clone(), *ops
			}
			twinNow := now
			what, rs := ops.step(e, &now)
			for _, r := range rs {
				if r.From != before {
					t.Fatalf("%s: Result.From %s, endpoint was %s", what, r.From, before)
				}
				if !r.To.Valid() {
					t.Fatalf("%s: Result.To invalid", what)
				}
				for _, s := range r.Out {
					if err := wellFormed(s); err != nil {
						t.Fatalf("%s: sent malformed %s: %v", what, s, err)
					}
				}
				before = r.To
			}
			if before != e.State() {
				t.Fatalf("%s: last Result.To %s, endpoint is %s", what, before, e.State())
			}
			checkInvariants(t, e)
			if twin != nil {
				_, trs := twinOps.step(twin, &twinNow)
				if !reflect.DeepEqual(fmt.Sprint(rs), fmt.Sprint(trs)) || twin.State() != e.State() || twin.TCB() != e.TCB() {
					t.Fatalf("%s: the clone diverged:\n%v\n%v", what, rs, trs)
				}
			}
		}
	})
}

// BenchmarkExchange measures one whole connection between two endpoints:
// handshake, "hello"/"HELLO", close from both sides and TIME-WAIT expiry —
// about 10 segments — including the cost of a Clone of each endpoint per
// event, as the simulator takes.
func BenchmarkExchange(b *testing.B) {
	hello, upper := []byte("hello"), []byte("HELLO")
	b.ReportAllocs()
	for b.Loop() {
		c, s := NewEndpoint(DefaultConfig(1000)), NewEndpoint(DefaultConfig(5000))
		var now time.Duration
		type hop struct {
			to  *Endpoint
			seg Segment
		}
		var queue []hop
		deliver := func(from, to *Endpoint, r Result) {
			for _, o := range r.Out {
				queue = append(queue, hop{to, o})
			}
			for len(queue) > 0 {
				h := queue[0]
				queue = queue[1:]
				_ = h.to.Clone()
				back := c
				if h.to == c {
					back = s
				}
				for _, o := range h.to.Arrive(now, h.seg).Out {
					queue = append(queue, hop{back, o})
				}
			}
		}
		s.Listen(now) // a passive open sends nothing
		r, _ := c.Connect(now)
		deliver(c, s, r)
		r, _ = c.Send(now, hello)
		deliver(c, s, r)
		s.Receive(now, 0)
		r, _ = s.Send(now, upper)
		deliver(s, c, r)
		c.Receive(now, 0)
		r, _ = c.Close(now)
		deliver(c, s, r)
		r, _ = s.Close(now)
		deliver(s, c, r)
		now += time.Minute
		c.Tick(now)
		if c.State() != Closed || s.State() != Closed {
			b.Fatalf("states %s/%s", c.State(), s.State())
		}
	}
}
