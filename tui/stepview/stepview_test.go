package stepview

import (
	"os"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/tcpviz/tcpviz/fsm/narrate"
	"github.com/tcpviz/tcpviz/fsm/timeline"
	"github.com/tcpviz/tcpviz/internal/testenv"
	"github.com/tcpviz/tcpviz/tui/index"
	"github.com/tcpviz/tcpviz/tui/internal/fixture"
	"github.com/tcpviz/tcpviz/tui/styles"
)

func TestMain(m *testing.M) {
	BaseInterval = time.Hour
	os.Exit(m.Run())
}

func newView(tl *timeline.Timeline, p timeline.Player, w, h int) Model {
	m := New(styles.New(true, false), narrate.EN)
	m.SetTimeline(tl, index.New(tl), p, tl.Source)
	m.SetSize(w, h)
	return m
}

func press(m Model, keys ...string) Model {
	for _, k := range keys {
		var msg tea.KeyPressMsg
		switch k {
		case "right":
			msg = tea.KeyPressMsg{Code: tea.KeyRight}
		case "left":
			msg = tea.KeyPressMsg{Code: tea.KeyLeft}
		case "space":
			msg = tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
		case "tab":
			msg = tea.KeyPressMsg{Code: tea.KeyTab}
		case "esc":
			msg = tea.KeyPressMsg{Code: tea.KeyEscape}
		default:
			r := []rune(k)[0]
			msg = tea.KeyPressMsg{Code: r, Text: k}
		}
		var cmd tea.Cmd
		m, cmd = m.Update(msg)
		// Only faults' commands are run: play's ticks would wait (tests
		// send TickMsg themselves).
		if cmd != nil && strings.ContainsAny(k, "du123456789") && len(k) == 1 {
			if im, ok := cmd().(InjectedMsg); ok {
				m, _ = m.Update(im)
			}
		}
	}
	return m
}

func view(m Model) string { return ansi.Strip(m.View()) }

var sizes = []struct {
	name string
	w, h int
}{{"100x30", 100, 30}, {"160x45", 160, 45}}

func TestViewShowsEachSourceAtTwoSizes(t *testing.T) {
	sources := []struct {
		name  string
		tl    *timeline.Timeline
		steps int
	}{
		{"sim", fixture.Echo(), 11},
		{"capture", fixture.Capture(), 4},
		{"session", fixture.Session(), 5},
	}
	for _, src := range sources {
		for _, sz := range sizes {
			t.Run(src.name+"/"+sz.name, func(t *testing.T) {
				m := newView(src.tl, nil, sz.w, sz.h)
				for range src.steps {
					m = press(m, "right")
				}
				got := view(m)
				checkSize(t, got, sz.w, sz.h)
				testenv.Golden(t, src.name+"-"+sz.name, got)
			})
		}
	}
}

func checkSize(t *testing.T, got string, w, h int) {
	t.Helper()
	lines := strings.Split(got, "\n")
	if len(lines) != h {
		t.Errorf("view has %d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if n := ansi.StringWidth(l); n > w {
			t.Errorf("line %d is %d cells wide, more than %d: %q", i, n, w, l)
		}
	}
}

func TestStepKeys(t *testing.T) {
	tl := fixture.Echo()
	last := tl.Len() - 1
	tests := []struct {
		name string
		keys []string
		step int
	}{
		{"next", []string{"right", "l"}, 2},
		{"prev stops at 0", []string{"left", "h"}, 0},
		{"back after forward", []string{"right", "right", "right", "left"}, 2},
		{"last", []string{"G"}, last},
		{"first after last", []string{"G", "g"}, 0},
		{"next stops at the end", []string{"G", "right"}, last},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := press(newView(tl, nil, 100, 30), tt.keys...)
			if m.Step() != tt.step {
				t.Errorf("after %v at step %d, want %d", tt.keys, m.Step(), tt.step)
			}
		})
	}
}

func TestPlayAdvancesOnItsOwnTicksAndStopsAtTheEnd(t *testing.T) {
	m := press(newView(fixture.Echo(), nil, 100, 30), "G", "left", "left", "space")
	if !m.Playing() {
		t.Fatal("space should play")
	}
	gen := m.Gen()
	m, cmd := m.Update(TickMsg{Gen: gen})
	if m.Step() != m.Timeline().Len()-2 || cmd == nil {
		t.Fatalf("a tick should advance one step and ask for the next: step %d", m.Step())
	}
	m, _ = m.Update(TickMsg{Gen: gen - 1})
	if m.Step() != m.Timeline().Len()-2 {
		t.Error("a stale tick must not advance")
	}
	m, _ = m.Update(TickMsg{Gen: gen})
	m, cmd = m.Update(TickMsg{Gen: gen})
	if m.Playing() || cmd != nil || m.Step() != m.Timeline().Len()-1 {
		t.Errorf("play should stop at the last step: playing %v step %d", m.Playing(), m.Step())
	}
	m = press(m, "+", "+", "-")
	if !strings.Contains(view(m), "speed 2×") {
		t.Errorf("+ + - should make the speed 2×:\n%s", m.Header())
	}
}

func TestRelativeAbsoluteAndFocus(t *testing.T) {
	m := press(newView(fixture.Echo(), nil, 160, 45), "right", "right", "right", "right", "right", "right")
	if !strings.Contains(view(m), "SYN,ACK seq=0 ack=1") {
		t.Fatal("numbers should start relative")
	}
	m = press(m, "r")
	if got := view(m); !strings.Contains(got, "SYN,ACK seq=5000 ack=1001") || !strings.Contains(got, "absolute") {
		t.Errorf("r should show absolute numbers:\n%s", got)
	}
	m = press(m, "tab")
	if m.focus != focusServer {
		t.Errorf("tab from the ladder should focus the server panel, got %d", m.focus)
	}
	m = press(m, "tab", "tab")
	if m.focus != focusLadder {
		t.Errorf("three tabs should come back to the ladder, got %d", m.focus)
	}
}

func TestFaultsNeedAPlayerAndSomethingInFlight(t *testing.T) {
	m := press(newView(fixture.Capture(), nil, 100, 30), "d")
	if !strings.Contains(m.Status(), "only records") {
		t.Errorf("d without a player: status %q", m.Status())
	}
	p := fixture.NewPlayer(fixture.Echo())
	m = press(newView(p.TL, p, 100, 30), "d")
	if !strings.Contains(m.Status(), "no segment is in flight") || p.Injects != 0 {
		t.Errorf("d at the first step: status %q, injects %d", m.Status(), p.Injects)
	}
	m = press(m, "right", "right", "right", "u")
	if p.Injects != 1 || !strings.Contains(m.Status(), "duplicated c2s SYN") {
		t.Errorf("u with the SYN in flight: status %q, injects %d", m.Status(), p.Injects)
	}
	m = press(m, "right")
	if !strings.Contains(view(m), "⧉ SYN") {
		t.Errorf("the duplicate's arrival should be marked:\n%s", view(m))
	}
}
