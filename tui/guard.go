package tui

import (
	"fmt"
	"os"
	"runtime/debug"

	tea "charm.land/bubbletea/v2"
)

// guard runs a model so that a bug in it ends the program with one line,
// not a Go stack trace over the user's terminal: a panic in Update or View
// is caught, its stack saved to a file for the bug report, and the program
// quits with an error naming that file.
type guard struct {
	inner  tea.Model
	failed *error
}

// run runs m as a guarded program and returns the error that ended it.
func run(m tea.Model, opts ...tea.ProgramOption) error {
	var failed error
	_, err := tea.NewProgram(guard{inner: m, failed: &failed}, opts...).Run()
	if failed != nil {
		return failed
	}
	return err
}

func (g guard) Init() (cmd tea.Cmd) {
	defer g.catch(&cmd)
	return g.inner.Init()
}

func (g guard) Update(msg tea.Msg) (out tea.Model, cmd tea.Cmd) {
	if *g.failed != nil {
		return g, tea.Quit
	}
	out = g // what a panic leaves: the model before this message
	defer g.catch(&cmd)
	g.inner, cmd = g.inner.Update(msg)
	return g, cmd
}

func (g guard) View() (v tea.View) {
	if *g.failed != nil {
		return tea.NewView("")
	}
	defer func() {
		if r := recover(); r != nil {
			g.record(r)
			v = tea.NewView("")
		}
	}()
	return g.inner.View()
}

// catch turns a panic into the recorded error and a quit.
func (g guard) catch(cmd *tea.Cmd) {
	if r := recover(); r != nil {
		g.record(r)
		*cmd = tea.Quit
	}
}

func (g guard) record(r any) {
	where := "(could not save the stack)"
	if f, err := os.CreateTemp("", "tcpviz-crash-*.txt"); err == nil {
		fmt.Fprintf(f, "panic: %v\n\n%s", r, debug.Stack())
		f.Close()
		where = "details in " + f.Name()
	}
	*g.failed = fmt.Errorf("internal error: %v (a bug in tcpviz, please report it; %s)", r, where)
}
