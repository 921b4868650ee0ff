package tui

import (
	"errors"
	"flag"
	"os"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/tcpviz/tcpviz/fsm/narrate"
	"github.com/tcpviz/tcpviz/fsm/timeline"
	"github.com/tcpviz/tcpviz/internal/testenv"
	"github.com/tcpviz/tcpviz/tui/internal/fixture"
	"github.com/tcpviz/tcpviz/tui/picker"
	"github.com/tcpviz/tcpviz/tui/stepview"
)

// updating reports whether -update was given: the flag is x/exp/golden's
// (testenv.Golden and teatest use it), and the README's key table follows it too.
func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

func TestMain(m *testing.M) {
	stepview.BaseInterval = time.Hour // only the ticks a test sends advance play
	os.Exit(m.Run())
}

func simOptions() SimOptions {
	return SimOptions{
		Lang:    narrate.EN,
		Initial: "echo",
		Scenarios: []Scenario{
			{"echo", "connect, send hello, echo HELLO, close"},
			{"refused", "connect to a port nobody listens on"},
		},
		Load: func(name string) (timeline.Player, error) {
			if name != "echo" {
				return nil, errors.New("no such scenario")
			}
			return fixture.NewPlayer(fixture.Echo()), nil
		},
	}
}

// send feeds msg to m and runs the commands it returns that produce our
// own messages (loads, faults, actions), as the program would.
func send(m model, msg tea.Msg) model {
	r, cmd := m.Update(msg)
	m = r.(model)
	return drain(m, cmd)
}

// drain runs cmd and feeds back our own messages. It runs every command,
// so tests must not use it after starting play (a tick waits BaseInterval).
func drain(m model, cmd tea.Cmd) model {
	if cmd == nil {
		return m
	}
	switch msg := cmd().(type) {
	case tea.BatchMsg:
		for _, c := range msg {
			m = drain(m, c)
		}
	case loadedMsg, stepview.InjectedMsg, actionDoneMsg, picker.ChosenMsg, picker.CancelMsg:
		m = send(m, msg)
	}
	return m
}

func keyMsg(k string) tea.KeyPressMsg {
	switch k {
	case "right":
		return tea.KeyPressMsg{Code: tea.KeyRight}
	case "left":
		return tea.KeyPressMsg{Code: tea.KeyLeft}
	case "space":
		return tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	}
	r := []rune(k)[0]
	return tea.KeyPressMsg{Code: r, Text: k}
}

func keys(m model, ks ...string) model {
	for _, k := range ks {
		m = send(m, keyMsg(k))
	}
	return m
}

func sized(m model, w, h int) model {
	m = drain(m, m.Init())
	return send(m, tea.WindowSizeMsg{Width: w, Height: h})
}

func text(m model) string { return ansi.Strip(m.View().Content) }

func repeat(k string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = k
	}
	return out
}

var sizes = []struct {
	name string
	w, h int
}{{"100x30", 100, 30}, {"160x45", 160, 45}}

func TestSimulationViewAtTwoSizes(t *testing.T) {
	for _, sz := range sizes {
		t.Run(sz.name, func(t *testing.T) {
			m := keys(sized(newSimModel(simOptions(), true), sz.w, sz.h), repeat("right", 5)...)
			got := text(m)
			if n := strings.Count(got, "\n") + 1; n != sz.h {
				t.Errorf("view has %d lines, want %d", n, sz.h)
			}
			for i, l := range strings.Split(got, "\n") {
				if w := ansi.StringWidth(l); w > sz.w {
					t.Errorf("line %d is %d wide, more than %d", i, w, sz.w)
				}
			}
			if !strings.Contains(got, "[SYN-SENT]") || !strings.Contains(got, "[SYN-RECEIVED]") {
				t.Errorf("step 6 should show the client in SYN-SENT and the server in SYN-RECEIVED:\n%s", got)
			}
			testenv.Golden(t, "sim-"+sz.name, got)
		})
	}
}

func TestTooSmallTerminalSaysWhatItNeeds(t *testing.T) {
	m := sized(newSimModel(simOptions(), true), 80, 20)
	want := "terminal too small: need at least 100x30, have 80x20"
	if got := text(m); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	m = send(m, tea.WindowSizeMsg{Width: 100, Height: 30})
	if got := text(m); !strings.Contains(got, "step 1/26") {
		t.Errorf("after growing to 100x30 the view should lay out at once, got:\n%s", got)
	}
}

func TestFullHelpListsEveryStepKey(t *testing.T) {
	m := keys(sized(newSimModel(simOptions(), true), 160, 45), "?")
	got := text(m)
	for _, want := range []string{"next step", "prev step", "play/pause", "faster", "slower", "first step", "last step",
		"drop segment", "duplicate segment", "rel/abs numbers", "next panel", "scenarios", "quit"} {
		if !strings.Contains(got, want) {
			t.Errorf("full help lacks %q", want)
		}
	}
	testenv.Golden(t, "sim-help-160x45", got)
}

func TestScenarioPickerOpensTheChosenScenario(t *testing.T) {
	m := keys(sized(newSimModel(simOptions(), true), 100, 30), "right", "right", "s")
	if m.screen != screenPicker {
		t.Fatal("s should open the scenario list")
	}
	got := text(m)
	if !strings.Contains(got, "connect to a port nobody listens on") {
		t.Errorf("the list should show descriptions:\n%s", got)
	}
	testenv.Golden(t, "picker-100x30", got)
	m = keys(m, "enter")
	if m.screen != screenStep || m.step.Step() != 0 {
		t.Errorf("enter should reopen echo at its first step, screen %d step %d", m.screen, m.step.Step())
	}
	m = keys(m, "s", "down", "enter")
	if !strings.Contains(m.status, "no such scenario") {
		t.Errorf("a scenario that fails to load should say why, status %q", m.status)
	}
}

func TestColoursFollowTheBackgroundAndNoColor(t *testing.T) {
	m := sized(newSimModel(simOptions(), false), 100, 30)
	dark := m.View().Content
	m = send(m, tea.BackgroundColorMsg{Color: lightGrey{}})
	if m.isDark {
		t.Fatal("a light background should switch to light styles")
	}
	if light := m.View().Content; light == dark {
		t.Error("light and dark views should differ in colour")
	}
	mono := sized(newSimModel(simOptions(), true), 100, 30)
	if !strings.Contains(mono.View().Content, "[CLOSED]") {
		t.Error("NO_COLOR should still mark the current state")
	}
}

type lightGrey struct{}

func (lightGrey) RGBA() (r, g, b, a uint32) { return 0xeeee, 0xeeee, 0xeeee, 0xffff }
