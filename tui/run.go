package tui

import (
	"errors"
	"os"

	tea "charm.land/bubbletea/v2"

	"github.com/tcpviz/tcpviz/fsm/narrate"
	"github.com/tcpviz/tcpviz/fsm/timeline"
	"github.com/tcpviz/tcpviz/tui/connlist"
)

// Scenario names a simulation the user can choose with `s`.
type Scenario struct{ Name, Description string }

// SimOptions start the view on the simulator.
type SimOptions struct {
	Lang      narrate.Lang
	Scenarios []Scenario
	Initial   string                                     // the scenario to open
	Load      func(name string) (timeline.Player, error) // builds a scenario's player
}

// noColor reports whether the user asked for no colours (https://no-color.org).
func noColor() bool { return os.Getenv("NO_COLOR") != "" }

func newSimModel(opts SimOptions, mono bool) model {
	m := newModel(modeSim, opts.Lang, mono)
	m.sim, m.scenario = opts, opts.Initial
	return m
}

// RunSimulation opens the interactive view on a simulated scenario and
// returns when the user quits.
func RunSimulation(opts SimOptions) error {
	if opts.Load == nil {
		return errors.New("no scenario loader")
	}
	return run(newSimModel(opts, noColor()))
}

// CaptureOptions start the view on captured traffic (replay or live).
type CaptureOptions struct {
	Lang   narrate.Lang
	Source string // the file name or interface, for the header
	Live   bool   // live capture: follow the newest step by default
}

func newCaptureModel(updates <-chan timeline.Batch, opts CaptureOptions, mono bool) model {
	m := newModel(modeCapture, opts.Lang, mono)
	m.updates, m.live, m.source = updates, opts.Live, opts.Source
	m.list = connlist.New(m.st, opts.Source)
	m.list.SetLive(opts.Live)
	m.screen = screenList
	return m
}

// RunCapture opens the connection list on the batches a capture sends and
// returns when the user quits. The channel is closed after the batch with Done.
func RunCapture(updates <-chan timeline.Batch, opts CaptureOptions) error {
	return run(newCaptureModel(updates, opts, noColor()))
}

// SessionOptions start the view on a driven session (the echo session).
type SessionOptions struct {
	Lang   narrate.Lang
	Source string
}

func newSessionModel(s timeline.Session, opts SessionOptions, mono bool) model {
	m := newModel(modeSession, opts.Lang, mono)
	m.session, m.updates, m.source = s, s.Updates(), opts.Source
	m.list = connlist.New(m.st, opts.Source)
	m.actions = s.Actions()
	return m
}

// RunSession opens the view on a session the user drives with keys and
// returns when the user quits; it calls s.Close before returning.
func RunSession(s timeline.Session, opts SessionOptions) error {
	return runSession(s, opts, noColor())
}

func runSession(s timeline.Session, opts SessionOptions, mono bool, popts ...tea.ProgramOption) error {
	err := run(newSessionModel(s, opts, mono), popts...)
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	return err
}
