package tui

import (
	"errors"

	"github.com/tcpviz/tcpviz/fsm/narrate"
	"github.com/tcpviz/tcpviz/fsm/timeline"
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

// RunSimulation opens the interactive view on a simulated scenario and
// returns when the user quits.
func RunSimulation(opts SimOptions) error { return errors.New("the interactive view is not built yet") }

// CaptureOptions start the view on captured traffic (replay or live).
type CaptureOptions struct {
	Lang   narrate.Lang
	Source string // the file name or interface, for the header
	Live   bool   // live capture: follow the newest step by default
}

// RunCapture opens the connection list on the batches a capture sends and
// returns when the user quits. The channel is closed after the batch with Done.
func RunCapture(updates <-chan timeline.Batch, opts CaptureOptions) error {
	return errors.New("the interactive view is not built yet")
}

// SessionOptions start the view on a driven session (the echo session).
type SessionOptions struct {
	Lang   narrate.Lang
	Source string
}

// RunSession opens the view on a session the user drives with keys and
// returns when the user quits; it calls s.Close before returning.
func RunSession(s timeline.Session, opts SessionOptions) error {
	return errors.New("the interactive view is not built yet")
}
