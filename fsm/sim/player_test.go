package sim

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/tcpviz/tcpviz/fsm"
	"github.com/tcpviz/tcpviz/fsm/timeline"
)

// firstSend returns the step that sends the first segment from dir with
// payload (len > 0) or, for want != 0, with exactly those flags.
func firstSend(tl *timeline.Timeline, dir fsm.Dir, want fsm.Flags) int {
	for i, st := range tl.Steps {
		if st.Event == timeline.Send && st.Dir == dir && (want == 0 && st.Seg.Len > 0 || want != 0 && st.Seg.Flags == want) {
			return i
		}
	}
	return -1
}

// TestInjectDropRecomputesTheRest drops the client's "hello" in flight:
// the steps before stay as they were, the drop appears, and the client
// retransmits the data after its RTO.
func TestInjectDropRecomputesTheRest(t *testing.T) {
	s, err := Load("echo")
	if err != nil {
		t.Fatal(err)
	}
	old := s.Timeline()
	oldSteps := append([]timeline.Step(nil), old.Steps...)
	i := firstSend(old, fsm.C2S, 0)
	if i < 0 {
		t.Fatal("echo sends no data")
	}
	fl := s.InFlight(i)
	id := old.Steps[i].SegID
	found := false
	for _, f := range fl {
		if f.SegID == id {
			found = true
			if f.ArrivesAt != f.SentAt+10*time.Millisecond || f.Seg.Len != 5 {
				t.Errorf("in flight: %+v, want 5 bytes arriving 10 ms after sending", f)
			}
		}
	}
	if !found {
		t.Fatalf("segment %d not in flight after step %d: %+v", id, i, fl)
	}
	tl, err := s.Inject(i, id, timeline.FaultDrop)
	if err != nil {
		t.Fatal(err)
	}
	if tl != s.Timeline() {
		t.Error("Inject did not make the new timeline current")
	}
	if !reflect.DeepEqual(old.Steps, oldSteps) {
		t.Error("Inject changed the old timeline")
	}
	if !reflect.DeepEqual(tl.Steps[:i+1], old.Steps[:i+1]) {
		t.Error("Inject changed the steps up to the fault")
	}
	var dropped, resent bool
	for _, st := range tl.Steps[i+1:] {
		if st.Event == timeline.Drop && st.SegID == id {
			dropped = true
		}
		if st.Event == timeline.Send && st.Dir == fsm.C2S && st.Seg.Len == 5 && st.Analysis&timeline.Retransmission != 0 {
			resent = true
		}
	}
	if !dropped || !resent {
		t.Errorf("dropped %v, retransmitted %v: want both", dropped, resent)
	}
	if got := distinct(tl, fsm.Client); !reflect.DeepEqual(got, []fsm.State{cl, ss, es, fw1, fw2, tw, cl}) {
		t.Errorf("client states after the drop: %v", got)
	}
	checkTimeline(t, s)
}

// TestInjectDuplicateAndDelay: a duplicated segment arrives twice (the
// second marked), a held-back one is overtaken by the next.
func TestInjectDuplicateAndDelay(t *testing.T) {
	s, err := Load("echo")
	if err != nil {
		t.Fatal(err)
	}
	i := firstSend(s.Timeline(), fsm.C2S, 0)
	id := s.Timeline().Steps[i].SegID
	tl, err := s.Inject(i, id, timeline.FaultDuplicate)
	if err != nil {
		t.Fatal(err)
	}
	arrivals := 0
	for _, st := range tl.Steps {
		if st.Event == timeline.Arrive && st.SegID == id {
			arrivals++
			if arrivals == 2 && (st.Analysis&timeline.Duplicate == 0 || st.Why[fsm.Client] != fsm.LinkDuplicate) {
				t.Error("the copy is not marked Duplicate, or not explained by the link")
			}
		}
	}
	if arrivals != 2 {
		t.Errorf("duplicated segment arrived %d times, want 2", arrivals)
	}

	// A held-back segment arrives Hold late.
	s, _ = Load("echo")
	i = firstSend(s.Timeline(), fsm.C2S, 0)
	id = s.Timeline().Steps[i].SegID
	tl, err = s.Inject(i, id, timeline.FaultDelay)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range tl.Steps {
		if st.Event == timeline.Arrive && st.SegID == id {
			if st.T != s.Timeline().Steps[i].T+10*time.Millisecond+25*time.Millisecond || st.Why[fsm.Client] != fsm.LinkDelay {
				t.Errorf("held-back segment arrived at %v, why %v", st.T, st.Why)
			}
		}
	}
	checkTimeline(t, s)
}

// TestInjectErrors: a step that does not exist, a segment not in flight.
func TestInjectErrors(t *testing.T) {
	s, err := Load("echo")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Inject(-1, 1, timeline.FaultDrop); !errors.Is(err, ErrStep) {
		t.Errorf("Inject(-1) = %v, want ErrStep", err)
	}
	if _, err := s.Inject(0, 1, timeline.FaultDrop); !errors.Is(err, ErrNotInFlight) {
		t.Errorf("Inject(0, 1) = %v, want ErrNotInFlight", err)
	}
	if s.InFlight(10000) != nil {
		t.Error("InFlight past the end is not empty")
	}
}

// TestDropEverySynGivesUp: dropping the SYN and every retransmission of it
// ends, after the retry limit, in CLOSED (RFC 9293 §3.8.3, R2), and the
// scripted calls that can no longer run are left out.
func TestDropEverySynGivesUp(t *testing.T) {
	s, err := Load("echo")
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		tl := s.Timeline()
		j := -1
		for i, st := range tl.Steps {
			if st.Event == timeline.Send && st.Seg.Flags == fsm.SYN {
				if dropped(tl, st.SegID) {
					continue
				}
				j = i
				break
			}
		}
		if j < 0 {
			break
		}
		if _, err := s.Inject(j, tl.Steps[j].SegID, timeline.FaultDrop); err != nil {
			t.Fatal(err)
		}
	}
	tl := s.Timeline()
	last := tl.Steps[len(tl.Steps)-1]
	if last.States[fsm.Client] != fsm.Closed || last.Why[fsm.Client] != fsm.TimerGiveUp {
		t.Errorf("last step: %v %v, want the client giving up", last.States, last.Why)
	}
}

func dropped(tl *timeline.Timeline, id int) bool {
	for _, st := range tl.Steps {
		if st.Event == timeline.Drop && st.SegID == id {
			return true
		}
	}
	return false
}

// TestInteractive drives the default sequence of the echo session by hand
// and checks the states the kernel will be compared with.
func TestInteractive(t *testing.T) {
	s := New(DefaultConfig())
	do := func(side fsm.Side, c Call) {
		t.Helper()
		if err := s.Do(side, c); err != nil {
			t.Fatalf("%s.%s: %v", side, c, err)
		}
		s.Settle(time.Second)
	}
	expect := func(c, sv fsm.State) {
		t.Helper()
		if got := s.States(); got != [2]fsm.State{c, sv} {
			t.Fatalf("states %v, want %v/%v", got, c, sv)
		}
	}
	expect(cl, cl)
	do(server, Listen())
	expect(cl, li)
	do(client, Connect())
	expect(es, es)
	if err := s.Do(client, Connect()); !errors.Is(err, fsm.ErrConnectionExists) {
		t.Errorf("connect() twice = %v, want ErrConnectionExists", err)
	}
	do(server, Accept())
	do(client, Send("hello"))
	do(server, Recv())
	do(server, Echo())
	do(client, Recv())
	do(client, Close())
	expect(fw2, cw)
	do(server, Recv()) // end of file: no error
	do(server, Close())
	expect(tw, cl)
	s.Advance(59 * time.Second)
	expect(tw, cl)
	s.Advance(2 * time.Second)
	expect(cl, cl)
	tl := s.Timeline()
	var calls []string
	for _, st := range tl.Steps {
		if st.Event == timeline.App {
			calls = append(calls, st.Call)
		}
	}
	want := []string{"server.listen()", "client.connect()", "server.accept()", `client.send("hello")`, "server.recv()",
		`server.send("HELLO")`, "client.recv()", "client.close()", "server.recv()", "server.close()"}
	if !reflect.DeepEqual(calls, want) {
		t.Errorf("calls\n got %q\nwant %q", calls, want)
	}
}

// TestSettleLeavesLongTimers: Settle delivers what is in flight but does
// not fire TIME-WAIT's 60 s.
func TestSettleLeavesLongTimers(t *testing.T) {
	s := New(DefaultConfig())
	for _, c := range []struct {
		side fsm.Side
		call Call
	}{{server, Listen()}, {client, Connect()}, {client, Close()}, {server, Close()}} {
		if err := s.Do(c.side, c.call); err != nil {
			t.Fatal(err)
		}
		s.Settle(time.Minute)
	}
	if got := s.States(); got != [2]fsm.State{tw, cl} {
		t.Fatalf("states %v, want TIME-WAIT/CLOSED", got)
	}
	if s.Now() > time.Second {
		t.Errorf("Settle ran the clock to %v", s.Now())
	}
}

// TestHeldSegmentIsOvertaken: the client sends "a" then "b" at once; the
// link holds "a" back, so "b" arrives first (out of order) and the data
// still all reaches the server's application.
func TestHeldSegmentIsOvertaken(t *testing.T) {
	sc := Scenario{Name: "reorder", Setup: []Action{{Side: server, Call: Listen()}}, Script: []Action{
		{Side: client, Call: Connect()},
		{When: InState(client, fsm.Established), Side: client, Call: Send("a")},
		{Side: client, Call: Send("b")},
		{When: InState(server, fsm.Established), Side: server, Call: Accept()},
	}}
	s, err := Play(sc, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	i := firstSend(s.Timeline(), fsm.C2S, 0)
	a := s.Timeline().Steps[i].SegID
	tl, err := s.Inject(i+2, a, timeline.FaultDelay) // after "b" is sent too
	if err != nil {
		t.Fatal(err)
	}
	var order []int
	for _, st := range tl.Steps {
		if st.Event == timeline.Arrive && st.Dir == fsm.C2S && st.Seg.Len > 0 {
			order = append(order, st.SegID)
		}
	}
	if len(order) < 2 || order[0] == a {
		t.Errorf("data arrivals %v: want the held segment %d overtaken", order, a)
	}
	if got := s.Endpoint(server).Readable(); got != 2 {
		t.Errorf("the server has %d bytes to read, want 2", got)
	}
}
