package tui

import (
	"strings"
	"testing"

	"github.com/tcpviz/tcpviz/fsm"
	"github.com/tcpviz/tcpviz/fsm/narrate"
	"github.com/tcpviz/tcpviz/fsm/sim"
	"github.com/tcpviz/tcpviz/fsm/timeline"
	"github.com/tcpviz/tcpviz/internal/testenv"
)

func realSimOptions() SimOptions {
	var scs []Scenario
	for _, sc := range sim.Builtin() {
		scs = append(scs, Scenario{Name: sc.Name, Description: sc.Description})
	}
	return SimOptions{Lang: narrate.EN, Scenarios: scs, Initial: "echo",
		Load: func(name string) (timeline.Player, error) { return sim.Load(name) }}
}

// TestSimulatorEchoScenario renders the real simulator's echo scenario at
// both sizes after the handshake, and at its end.
func TestSimulatorEchoScenario(t *testing.T) {
	for _, sz := range sizes {
		t.Run(sz.name, func(t *testing.T) {
			m := sized(newSimModel(realSimOptions(), true), sz.w, sz.h)
			tl := m.step.Timeline()
			est := -1
			for i, s := range tl.Steps {
				if s.States == [2]fsm.State{fsm.Established, fsm.Established} {
					est = i
					break
				}
			}
			if est < 0 {
				t.Fatal("the echo scenario never has both sides ESTABLISHED")
			}
			m.step.GoTo(est)
			got := text(m)
			if strings.Count(got, "[ESTABLISHED]") != 2 {
				t.Errorf("both panels should light ESTABLISHED:\n%s", got)
			}
			testenv.Golden(t, "sim-echo-established-"+sz.name, got)
			m = keys(m, "G")
			got = text(m)
			if !strings.Contains(got, "[CLOSED]") {
				t.Errorf("the echo scenario ends CLOSED:\n%s", got)
			}
			testenv.Golden(t, "sim-echo-end-"+sz.name, got)
		})
	}
}

// TestDropOnTheSimulatorShowsTheRetransmission drops the real simulator's
// first SYN and steps on until the retransmitted SYN appears.
func TestDropOnTheSimulatorShowsTheRetransmission(t *testing.T) {
	m := sized(newSimModel(realSimOptions(), true), 160, 45)
	tl := m.step.Timeline()
	syn := -1
	for i, s := range tl.Steps {
		if s.Event == timeline.Send && s.Seg.Flags == fsm.SYN {
			syn = i
			break
		}
	}
	m.step.GoTo(syn)
	m = keys(m, "d")
	if !strings.Contains(m.step.Status(), "dropped c2s SYN") {
		t.Fatalf("d should drop the SYN, status %q", m.step.Status())
	}
	for range 5 {
		m = keys(m, "right")
		if strings.Contains(text(m), "↻ SYN") {
			return
		}
	}
	t.Errorf("no retransmitted SYN within 5 steps of the drop:\n%s", text(m))
}

// TestDropAsksWhichSegmentWhenSeveralAreInFlight finds a step of the real
// echo scenario with two segments in flight, presses d, picks the second.
func TestDropAsksWhichSegmentWhenSeveralAreInFlight(t *testing.T) {
	p, err := sim.Load("echo")
	if err != nil {
		t.Fatal(err)
	}
	at := -1
	for i := range p.Timeline().Len() {
		if len(p.InFlight(i)) >= 2 {
			at = i
			break
		}
	}
	if at < 0 {
		t.Fatal("the echo scenario never has two segments in flight")
	}
	second := p.InFlight(at)[1]
	m := sized(newSimModel(realSimOptions(), true), 160, 45)
	m.step.GoTo(at)
	m = keys(m, "d")
	if !m.step.Choosing() || !strings.Contains(text(m), "2) ") {
		t.Fatalf("d with two segments in flight should ask which:\n%s", text(m))
	}
	m = keys(m, "2")
	want := "dropped " + second.Dir.String() + " " + second.Seg.Flags.String()
	if !strings.Contains(m.step.Status(), want) {
		t.Errorf("choosing 2 should drop %s; status %q", want, m.step.Status())
	}
	m = keys(m, "d", "esc")
	if m.step.Choosing() || m.screen != screenStep {
		t.Error("esc should cancel the choice and stay in the view")
	}
}
