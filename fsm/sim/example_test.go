package sim_test

import (
	"fmt"
	"time"

	"github.com/tcpviz/tcpviz/fsm"
	"github.com/tcpviz/tcpviz/fsm/sim"
	"github.com/tcpviz/tcpviz/fsm/timeline"
)

// The echo session's prediction: make each call, let the link settle,
// read both states.
func ExampleNew() {
	s := sim.New(sim.DefaultConfig())
	calls := []struct {
		side fsm.Side
		call sim.Call
	}{
		{fsm.Server, sim.Listen()},
		{fsm.Client, sim.Connect()},
		{fsm.Client, sim.Send("hello")},
		{fsm.Server, sim.Recv()},
		{fsm.Server, sim.Echo()},
		{fsm.Client, sim.Recv()},
		{fsm.Client, sim.Close()},
		{fsm.Server, sim.Close()},
	}
	for _, c := range calls {
		if err := s.Do(c.side, c.call); err != nil {
			fmt.Println(err)
			return
		}
		call := lastCall(s.Timeline()) // as made, e.g. server.send("HELLO")
		s.Settle(time.Second)
		st := s.States()
		fmt.Printf("%-22s %-12s %s\n", call, st[fsm.Client], st[fsm.Server])
	}
	s.Advance(time.Minute)
	fmt.Println("a minute later:", s.States()[fsm.Client])
	if err := s.Do(fsm.Client, sim.Send("again")); err != nil {
		fmt.Println(err)
	}
	// Output:
	// server.listen()        CLOSED       LISTEN
	// client.connect()       ESTABLISHED  ESTABLISHED
	// client.send("hello")   ESTABLISHED  ESTABLISHED
	// server.recv()          ESTABLISHED  ESTABLISHED
	// server.send("HELLO")   ESTABLISHED  ESTABLISHED
	// client.recv()          ESTABLISHED  ESTABLISHED
	// client.close()         FIN-WAIT-2   CLOSE-WAIT
	// server.close()         TIME-WAIT    CLOSED
	// a minute later: CLOSED
	// client.send("again"): connection does not exist
}

// lastCall returns the call of the timeline's last App step.
func lastCall(tl *timeline.Timeline) string {
	for i := tl.Len() - 1; i >= 0; i-- {
		if tl.Steps[i].Event == timeline.App {
			return tl.Steps[i].Call
		}
	}
	return ""
}

// A scenario plays to its end; the view then steps through its timeline
// and can drop a segment in flight, which recomputes what follows.
func ExamplePlay() {
	sc, _ := sim.Lookup("echo")
	s, err := sim.Play(sc, sim.DefaultConfig())
	if err != nil {
		fmt.Println(err)
		return
	}
	tl := s.Timeline()
	fmt.Println(tl.Source, "has", tl.Len(), "steps")

	// Drop the first segment in flight after step 2 (the SYN).
	fl := s.InFlight(2)
	tl, err = s.Inject(2, fl[0].SegID, timeline.FaultDrop)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, st := range tl.Steps[3:6] {
		fmt.Println(st.T, st.Event, st.Seg.Flags, st.Analysis&timeline.Retransmission != 0)
	}
	// Output:
	// scenario echo has 33 steps
	// 10ms drop SYN false
	// 1s timer none false
	// 1s send SYN true
}
