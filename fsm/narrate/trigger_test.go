package narrate

import (
	"testing"
	"time"

	"github.com/tcpviz/tcpviz/fsm"
	"github.com/tcpviz/tcpviz/fsm/timeline"
)

// recorder builds a timeline by driving two real endpoints, recording
// steps the way the simulator does: the event, then a Send step for each
// segment it emits; segments arrive when deliver is called.
type recorder struct {
	t    *testing.T
	tl   timeline.Timeline
	ep   [2]*fsm.Endpoint
	now  time.Duration
	wire []timeline.Step // sent, not yet arrived
}

func newRecorder(t *testing.T) *recorder {
	r := &recorder{t: t, ep: [2]*fsm.Endpoint{
		fsm.NewEndpoint(fsm.DefaultConfig(1000)), fsm.NewEndpoint(fsm.DefaultConfig(5000)),
	}}
	r.tl.ISN, r.tl.HasISN = [2]fsm.Seq{1000, 5000}, [2]bool{true, true}
	r.tl.Steps = append(r.tl.Steps, r.step(timeline.Init))
	return r
}

func (r *recorder) step(ev timeline.Event) timeline.Step {
	return timeline.Step{T: r.now, Event: ev, States: [2]fsm.State{r.ep[0].State(), r.ep[1].State()}}
}

// record appends the step for res on side, then its sends; it returns the
// index of the event step.
func (r *recorder) record(s timeline.Step, side fsm.Side, res fsm.Result) int {
	s.States = [2]fsm.State{r.ep[0].State(), r.ep[1].State()}
	s.Why[side] = res.Reason
	r.tl.Steps = append(r.tl.Steps, s)
	i := len(r.tl.Steps) - 1
	for _, seg := range res.Out {
		snd := r.step(timeline.Send)
		snd.Dir, snd.Seg = fsm.DirFrom(side), seg
		r.tl.Steps = append(r.tl.Steps, snd)
		r.wire = append(r.wire, snd)
	}
	return i
}

func (r *recorder) call(side fsm.Side, call string, f func(e *fsm.Endpoint) (fsm.Result, error)) int {
	res, err := f(r.ep[side])
	if err != nil {
		r.t.Fatalf("%s: %v", call, err)
	}
	s := r.step(timeline.App)
	s.Actor, s.Call = side, side.String()+"."+call
	return r.record(s, side, res)
}

// deliver makes the oldest segment in flight arrive, 1 ms later.
func (r *recorder) deliver() int {
	r.now += time.Millisecond
	in := r.wire[0]
	r.wire = r.wire[1:]
	to := in.Dir.To()
	res := r.ep[to].Arrive(r.now, in.Seg)
	s := r.step(timeline.Arrive)
	s.Dir, s.Seg = in.Dir, in.Seg
	return r.record(s, to, res)
}

func (r *recorder) tick(side fsm.Side, d time.Duration) int {
	r.now += d
	res := r.ep[side].Tick(r.now)
	if len(res) != 1 {
		r.t.Fatalf("tick: %d results", len(res))
	}
	s := r.step(timeline.Timer)
	s.Actor = side
	return r.record(s, side, res[0])
}

func TestTrigger(t *testing.T) {
	r := newRecorder(t)
	type want struct {
		i      int
		side   fsm.Side
		label  string
		reason string
	}
	var wants []want
	add := func(i int, side fsm.Side, label string) { wants = append(wants, want{i, side, label, ""}) }

	add(r.call(fsm.Server, "listen()", func(e *fsm.Endpoint) (fsm.Result, error) { return e.Listen(r.now) }), fsm.Server, "listen")
	i := r.call(fsm.Client, "connect()", func(e *fsm.Endpoint) (fsm.Result, error) { return e.Connect(r.now) })
	add(i, fsm.Client, "connect / snd SYN")
	add(i, fsm.Server, "")
	add(i+1, fsm.Client, "snd SYN")
	add(r.deliver(), fsm.Server, "rcv SYN / snd SYN,ACK")
	add(r.deliver(), fsm.Client, "rcv SYN,ACK / snd ACK")
	i = r.deliver()
	add(i, fsm.Server, "rcv ACK of SYN")
	add(i, fsm.Client, "")
	add(r.call(fsm.Client, `send("hello")`, func(e *fsm.Endpoint) (fsm.Result, error) { return e.Send(r.now, []byte("hello")) }), fsm.Client, "send / snd data")
	add(r.deliver(), fsm.Server, "rcv data / snd ACK")
	add(r.deliver(), fsm.Client, "rcv ACK")
	add(r.call(fsm.Server, "recv()", func(e *fsm.Endpoint) (fsm.Result, error) {
		_, res, err := e.Receive(r.now, 0)
		return res, err
	}), fsm.Server, "recv")
	add(r.call(fsm.Client, "close()", func(e *fsm.Endpoint) (fsm.Result, error) { return e.Close(r.now) }), fsm.Client, "close / snd FIN")
	add(r.deliver(), fsm.Server, "rcv FIN / snd ACK")
	add(r.deliver(), fsm.Client, "rcv ACK of FIN")
	add(r.call(fsm.Server, "close()", func(e *fsm.Endpoint) (fsm.Result, error) { return e.Close(r.now) }), fsm.Server, "close / snd FIN")
	add(r.deliver(), fsm.Client, "rcv FIN / snd ACK")
	add(r.deliver(), fsm.Server, "rcv ACK of FIN")
	add(r.tick(fsm.Client, time.Minute), fsm.Client, "timeout 2MSL")

	for _, w := range wants {
		if got := Trigger(&r.tl, w.i, w.side); got != w.label {
			t.Errorf("step %d (%s) %s: Trigger = %q, want %q", w.i, r.tl.Steps[w.i].Event, w.side, got, w.label)
		}
	}
	for i := range r.tl.Steps {
		for _, side := range []fsm.Side{fsm.Client, fsm.Server} {
			if got := Trigger(&r.tl, i, side); len([]rune(got)) > MaxTrigger {
				t.Errorf("step %d: %q is longer than %d", i, got, MaxTrigger)
			}
		}
		for _, lang := range []Lang{EN, ZH} {
			if note := Note(&r.tl, i, lang); note == "" {
				t.Errorf("step %d: empty note", i)
			}
		}
	}
	if got := Trigger(&r.tl, len(r.tl.Steps), fsm.Client); got != "" {
		t.Errorf("out of range: %q", got)
	}
}

func TestTriggerRetransmitAndReset(t *testing.T) {
	r := newRecorder(t)
	r.call(fsm.Client, "connect()", func(e *fsm.Endpoint) (fsm.Result, error) { return e.Connect(r.now) })
	r.wire = nil // the SYN is lost
	if got := Trigger(&r.tl, r.tick(fsm.Client, time.Second), fsm.Client); got != "timeout RTO / snd SYN" {
		t.Errorf("retransmission: %q", got)
	}
	if got := Trigger(&r.tl, r.deliver(), fsm.Server); got != "rcv SYN / snd RST" {
		t.Errorf("SYN to a closed port: %q", got)
	}
	if got := Trigger(&r.tl, r.deliver(), fsm.Client); got != "rcv RST" {
		t.Errorf("refused: %q", got)
	}
	if got := Note(&r.tl, len(r.tl.Steps)-1, EN); got == "" || got[0] != 'T' {
		t.Errorf("note %q", got)
	}
}
