package timeline

import (
	"time"

	"github.com/tcpviz/tcpviz/fsm"
)

// InFlight is a segment that has left its sender and has neither arrived
// nor been dropped yet, as of some step.
type InFlight struct {
	SegID     int
	Dir       fsm.Dir
	Seg       fsm.Segment
	SentAt    time.Duration
	ArrivesAt time.Duration
}

// Fault is what the user can do to a segment in flight.
type Fault uint8

// The faults.
const (
	FaultDrop      Fault = iota // the link loses it
	FaultDuplicate              // the link delivers it twice
	FaultDelay                  // the link holds it back (so later segments overtake it)
)

// String names the fault.
func (f Fault) String() string {
	return [...]string{"drop", "duplicate", "delay"}[f]
}

// Player is a source whose future can be changed: the simulator. Sources
// that only record (captures) do not implement it.
//
// InFlight and Inject take a step index of the current Timeline. Inject
// returns a new Timeline whose steps up to and including step are the same
// and whose later steps are recomputed with the fault applied; the Player
// keeps the new timeline as its current one.
type Player interface {
	Timeline() *Timeline
	InFlight(step int) []InFlight
	Inject(step int, segID int, f Fault) (*Timeline, error)
}
