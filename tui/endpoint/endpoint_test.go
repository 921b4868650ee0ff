package endpoint

import (
	"os"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/tcpviz/tcpviz/fsm"
	"github.com/tcpviz/tcpviz/fsm/timeline"
	"github.com/tcpviz/tcpviz/internal/testenv"
	"github.com/tcpviz/tcpviz/tui/index"
	"github.com/tcpviz/tcpviz/tui/internal/fixture"
	"github.com/tcpviz/tcpviz/tui/styles"
)

func TestMain(m *testing.M) {
	os.Exit(m.Run())
}

// The panel's inner sizes in the 100x30 and 160x45 layouts.
var sizes = []struct {
	name string
	w, h int
}{{"28x22", 28, 22}, {"38x36", 38, 36}}

func TestPanelShowsStateTransitionVariablesAndCalls(t *testing.T) {
	cases := []struct {
		name  string
		tl    *timeline.Timeline
		side  fsm.Side
		step  int
		abs   bool
		wants []string
	}{
		{"client-syn-ack", fixture.Echo(), fsm.Client, 6, false, []string{"[ESTABLISHED]", "(SYN-SENT)", "SYN-SENT → ESTABLISHED", "rcv SYN,ACK", "connect()"}},
		{"server-close-wait-absolute", fixture.Echo(), fsm.Server, 17, true, []string{"[CLOSE-WAIT]", "rcv FIN / snd ACK", "SND.NXT 5001", "accept()"}},
		{"session-kernel-disagrees", fixture.Session(), fsm.Client, 5, false, []string{"kernel    ESTABLISHED ≠", "predicted SYN-SENT"}},
		{"capture-no-variables", fixture.NoVariables(fixture.Capture()), fsm.Server, 3, false, []string{"variables: no segment yet", "(none yet)"}},
	}
	for _, c := range cases {
		for _, sz := range sizes {
			t.Run(c.name+"/"+sz.name, func(t *testing.T) {
				m := New(c.side, styles.New(true, true))
				m.SetTimeline(c.tl, index.New(c.tl))
				m.SetSize(sz.w, sz.h)
				m.SetStep(c.step)
				m.SetAbsolute(c.abs)
				got := ansi.Strip(m.View())
				if n := strings.Count(got, "\n") + 1; n != sz.h {
					t.Errorf("%d lines, want %d", n, sz.h)
				}
				for _, w := range c.wants {
					if !strings.Contains(got, w) {
						t.Errorf("lacks %q:\n%s", w, got)
					}
				}
				testenv.Golden(t, c.name+"-"+sz.name, got)
			})
		}
	}
}

// TestActiveOpenRailLitOnConnect checks the edge CLOSED → SYN-SENT, which
// skips LISTEN: drawn as a rail, lit in the transition's style when the
// client has just connected, dim otherwise.
func TestActiveOpenRailLitOnConnect(t *testing.T) {
	st := styles.New(true, false)
	lit := st.Transition.Render("│")
	tl := fixture.Echo()
	connect := -1
	for i := 1; i < len(tl.Steps); i++ {
		if tl.Steps[i-1].States[fsm.Client] == fsm.Closed && tl.Steps[i].States[fsm.Client] == fsm.SynSent {
			connect = i
			break
		}
	}
	if connect < 0 {
		t.Fatal("the fixture never connects")
	}
	for _, c := range []struct {
		step int
		lit  bool
	}{{connect, true}, {connect + 1, false}} {
		m := New(fsm.Client, st)
		m.SetTimeline(tl, index.New(tl))
		m.SetSize(38, 36)
		m.SetStep(c.step)
		v := m.View()
		if !strings.Contains(ansi.Strip(v), "CLOSED ────╮") && !strings.Contains(ansi.Strip(v), "(CLOSED)────╮") {
			t.Fatalf("step %d: no rail from CLOSED:\n%s", c.step, ansi.Strip(v))
		}
		if got := strings.Contains(v, lit); got != c.lit {
			t.Errorf("step %d: rail lit %v, want %v", c.step, got, c.lit)
		}
	}
}

// TestClosedAtTheEndIsDrawnAtTheBottom checks where CLOSED is lit: at the
// bottom after a connection (Figure 5's LAST-ACK → CLOSED and TIME-WAIT →
// CLOSED), at the top before one or after a connect that failed.
func TestClosedAtTheEndIsDrawnAtTheBottom(t *testing.T) {
	steps := func(states ...fsm.State) *timeline.Timeline {
		tl := &timeline.Timeline{}
		for _, st := range states {
			tl.Steps = append(tl.Steps, timeline.Step{Event: timeline.Timer, States: [2]fsm.State{st, fsm.Listen}})
		}
		return tl
	}
	for _, c := range []struct {
		name   string
		tl     *timeline.Timeline
		bottom bool
	}{
		{"before connecting", steps(fsm.Closed), false},
		{"connection refused", steps(fsm.Closed, fsm.SynSent, fsm.Closed, fsm.Closed), false},
		{"after TIME-WAIT", steps(fsm.Closed, fsm.SynSent, fsm.Established, fsm.FinWait1, fsm.FinWait2, fsm.TimeWait, fsm.Closed, fsm.Closed), true},
		{"after LAST-ACK", steps(fsm.Closed, fsm.SynSent, fsm.Established, fsm.CloseWait, fsm.LastAck, fsm.Closed), true},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := New(fsm.Client, styles.New(true, true))
			m.SetTimeline(c.tl, index.New(c.tl))
			m.SetSize(38, 36)
			m.SetStep(len(c.tl.Steps) - 1)
			lines := strings.Split(ansi.Strip(m.View()), "\n")
			top, bottom := lines[1], lines[13]
			if got := strings.Contains(bottom, "[CLOSED]"); got != c.bottom || strings.Contains(top, "[CLOSED]") == c.bottom {
				t.Errorf("top %q, bottom %q: want the bottom lit %v", top, bottom, c.bottom)
			}
			m.SetSize(28, 22) // the narrow diagram has one CLOSED
			diagram := strings.Join(strings.Split(ansi.Strip(m.View()), "\n")[1:7], "\n")
			if strings.Count(diagram, "CLOSED") != 1 || !strings.Contains(diagram, "[CLOSED]") {
				t.Errorf("narrow: want one lit CLOSED:\n%s", diagram)
			}
		})
	}
}
