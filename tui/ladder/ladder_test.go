package ladder

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/tcpviz/tcpviz/fsm/timeline"
	"github.com/tcpviz/tcpviz/internal/testenv"
	"github.com/tcpviz/tcpviz/tui/index"
	"github.com/tcpviz/tcpviz/tui/internal/fixture"
	"github.com/tcpviz/tcpviz/tui/styles"
)

// The ladder's sizes inside the 100x30 and 160x45 layouts.
var sizes = []struct {
	name string
	w, h int
}{{"38x22", 38, 22}, {"78x36", 78, 36}}

func ladderAt(tl *timeline.Timeline, step, w, h int) Model {
	m := New(styles.New(true, true))
	m.SetTimeline(tl, index.New(tl))
	m.SetSize(w, h)
	m.SetStep(step)
	return m
}

func dropped(t *testing.T) *timeline.Timeline {
	p := fixture.NewPlayer(fixture.Echo())
	tl, err := p.Inject(11, 4, timeline.FaultDrop) // "hello" in flight
	if err != nil {
		t.Fatal(err)
	}
	return tl
}

func TestLadderDrawsSegmentsAsOfTheStep(t *testing.T) {
	cases := []struct {
		name  string
		tl    func(*testing.T) *timeline.Timeline
		step  int
		abs   bool
		wants []string
	}{
		{"in-flight", func(*testing.T) *timeline.Timeline { return fixture.Echo() }, 5, false, []string{"◁╌╌SYN,ACK seq=0 ack=1"}},
		{"absolute", func(*testing.T) *timeline.Timeline { return fixture.Echo() }, 7, true, []string{"SYN seq=1000", "SYN,ACK seq=5000 ack=1001"}},
		{"dropped-then-retransmitted", dropped, 15, false, []string{"✗", "↻ ACK,PSH", "RTO"}},
		{"end", func(*testing.T) *timeline.Timeline { return fixture.Echo() }, 25, false, []string{"2MSL", "ACK,FIN"}},
	}
	for _, c := range cases {
		for _, sz := range sizes {
			t.Run(c.name+"/"+sz.name, func(t *testing.T) {
				m := ladderAt(c.tl(t), c.step, sz.w, sz.h)
				m.SetAbsolute(c.abs)
				got := ansi.Strip(m.View())
				lines := strings.Split(got, "\n")
				if len(lines) != sz.h {
					t.Errorf("%d lines, want %d", len(lines), sz.h)
				}
				for i, l := range lines {
					if ansi.StringWidth(l) > sz.w {
						t.Errorf("line %d wider than %d: %q", i, sz.w, l)
					}
				}
				for _, w := range c.wants {
					if !strings.Contains(got, w) {
						t.Errorf("lacks %q", w)
					}
				}
				testenv.Golden(t, c.name+"-"+sz.name, got)
			})
		}
	}
}

func TestWheelScrollsAndStepReturnsToTheCurrentRow(t *testing.T) {
	tl := fixture.Long(400)
	m := ladderAt(tl, tl.Len()-1, 38, 12)
	follow := m.Top()
	if follow == 0 {
		t.Fatal("at the last step of a long timeline the ladder should be scrolled down")
	}
	m, _ = m.Update(tea.MouseWheelMsg{Button: tea.MouseWheelUp})
	if got := m.Top(); got != follow-3 {
		t.Errorf("one wheel notch up: top %d, want %d", got, follow-3)
	}
	for range 1000 {
		m, _ = m.Update(tea.MouseWheelMsg{Button: tea.MouseWheelUp})
	}
	if m.Top() != 0 {
		t.Errorf("scrolling far up stops at row 0, got %d", m.Top())
	}
	if !strings.Contains(ansi.Strip(m.View()), "start") {
		t.Error("row 0 (start) should be on screen")
	}
	m.SetStep(tl.Len() - 1)
	if m.Top() != follow {
		t.Errorf("stepping returns to the current row: top %d, want %d", m.Top(), follow)
	}
}
