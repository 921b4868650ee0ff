package tui

import (
	"io"
	"os"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
)

type boom struct{}

// panicky panics on boom, in Update or in View.
type panicky struct{ inView bool }

func (p panicky) Init() tea.Cmd { return func() tea.Msg { return boom{} } }

func (p panicky) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if _, ok := msg.(boom); ok && !p.inView {
		var s []int
		_ = s[3]
	}
	return p, nil
}

func (p panicky) View() tea.View {
	if p.inView {
		panic("drawing went wrong")
	}
	return tea.NewView("fine")
}

// TestGuardTurnsAPanicIntoOneLine checks that a bug in the view ends the
// program with an error naming a file that holds the stack, rather than a
// trace over the terminal.
func TestGuardTurnsAPanicIntoOneLine(t *testing.T) {
	for _, c := range []struct {
		name string
		m    panicky
		want string
	}{
		{"update", panicky{}, "index out of range"},
		{"view", panicky{inView: true}, "drawing went wrong"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := run(c.m, tea.WithInput(strings.NewReader("")), tea.WithOutput(io.Discard), tea.WithWindowSize(100, 30))
			if err == nil {
				t.Fatal("no error after a panic")
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") || !strings.Contains(msg, c.want) || !strings.HasPrefix(msg, "internal error: ") {
				t.Errorf("error %q: want one line with %q", msg, c.want)
			}
			i := strings.Index(msg, "details in ")
			if i < 0 {
				t.Fatalf("error %q names no file", msg)
			}
			path := strings.TrimSuffix(msg[i+len("details in "):], ")")
			defer os.Remove(path)
			if b, err := os.ReadFile(path); err != nil || !strings.Contains(string(b), "goroutine") {
				t.Errorf("%s should hold the stack (%v)", path, err)
			}
		})
	}
}
