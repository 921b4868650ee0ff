package sim

import (
	"strings"
	"testing"
	"time"

	"github.com/tcpviz/tcpviz/fsm"
	"github.com/tcpviz/tcpviz/fsm/timeline"
)

// longScenario is the echo handshake followed by n round trips of 100
// bytes each way, then the close: a timeline of thousands of steps.
func longScenario(n int) Scenario {
	echo, _ := Lookup("echo")
	script := []Action{echo.Script[0], echo.Script[2]} // connect, accept
	msg := strings.Repeat("x", 100)
	for range n {
		script = append(script,
			Action{When: All(InState(client, fsm.Established), Quiet()), Side: client, Call: Send(msg)},
			Action{When: Readable(server), Side: server, Call: Recv()},
			Action{Side: server, Call: Echo()},
			Action{When: Readable(client), Side: client, Call: Recv()},
		)
	}
	script = append(script, echo.Script[len(echo.Script)-3:]...) // the client closes first
	return Scenario{Name: "long", Setup: echo.Setup, Script: script}
}

// stepsFor returns a long scenario of at least n steps, played.
func stepsFor(tb testing.TB, n int) *Sim {
	tb.Helper()
	for k := n / 16; ; k *= 2 {
		s, err := Play(longScenario(k), DefaultConfig())
		if err != nil {
			tb.Fatal(err)
		}
		if s.Timeline().Len() >= n {
			return s
		}
	}
}

// BenchmarkSimulationPerStep reports what one step of simulation costs:
// the endpoint's processing, the event queue, the step and its snapshot.
func BenchmarkSimulationPerStep(b *testing.B) {
	sc := longScenario(500)
	steps := 0
	b.ReportAllocs()
	for b.Loop() {
		s, err := Play(sc, DefaultConfig())
		if err != nil {
			b.Fatal(err)
		}
		steps += s.Timeline().Len()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(steps), "ns/step")
}

// BenchmarkStepForwardBack10k walks a 10,000-step timeline forward and
// back the way the view does: the step by index and the segments in
// flight from its snapshot.
func BenchmarkStepForwardBack10k(b *testing.B) {
	s := stepsFor(b, 10000)
	n := s.Timeline().Len()
	i, dir := 0, 1
	b.ResetTimer()
	for b.Loop() {
		st := &s.Timeline().Steps[i]
		_ = st.States
		_ = s.InFlight(i)
		if i+dir < 0 || i+dir >= n {
			dir = -dir
		}
		i += dir
	}
}

// TestSteppingAtTenThousandStepsIsUnderAMillisecond is the bound,
// checked loosely (the benchmark gives the figure): a full walk forward
// and back over 10,000 steps, averaged.
func TestSteppingAtTenThousandStepsIsUnderAMillisecond(t *testing.T) {
	s := stepsFor(t, 10000)
	n := s.Timeline().Len()
	start := time.Now()
	for i := 0; i < n; i++ {
		_ = s.Timeline().Steps[i]
		_ = s.InFlight(i)
	}
	for i := n - 1; i >= 0; i-- {
		_ = s.Timeline().Steps[i]
		_ = s.InFlight(i)
	}
	if per := time.Since(start) / time.Duration(2*n); per > time.Millisecond {
		t.Errorf("a step took %v on average over %d steps", per, n)
	}
}

// BenchmarkInjectMid10k drops a segment in flight half way through a
// 10,000-step timeline: the cost of recomputing the rest from the
// snapshot, which the view pays when the user presses d.
func BenchmarkInjectMid10k(b *testing.B) {
	base := stepsFor(b, 10000)
	mid := base.Timeline().Len() / 2
	for base.InFlight(mid) == nil {
		mid++
	}
	id := base.InFlight(mid)[0].SegID
	for b.Loop() {
		b.StopTimer()
		s := stepsFor(b, 10000)
		b.StartTimer()
		if _, err := s.Inject(mid, id, timeline.FaultDrop); err != nil {
			b.Fatal(err)
		}
	}
}
