package endpoint

import (
	"strings"

	"github.com/tcpviz/tcpviz/fsm"
	"github.com/tcpviz/tcpviz/fsm/narrate"
	"github.com/tcpviz/tcpviz/fsm/timeline"
)

// TriggerFunc labels what made side change at step i of tl, as Figure 5
// labels its edges ("rcv SYN,ACK / snd ACK"): narrate.Trigger. Tests set
// it to Trigger so that their golden files do not follow narrate's wording.
var TriggerFunc = narrate.Trigger

// Trigger is the view's own simple trigger label: the call, arrival or
// timer at step i, and the segment side sent at once in answer.
func Trigger(tl *timeline.Timeline, i int, side fsm.Side) string {
	s := &tl.Steps[i]
	var cause string
	switch s.Event {
	case timeline.Init:
		return ""
	case timeline.App:
		if s.Actor != side {
			return ""
		}
		cause = callLabel(s.Call)
	case timeline.Timer:
		if s.Actor != side {
			return ""
		}
		cause = timerName(s.Why[side])
	case timeline.Arrive:
		if s.Dir.To() != side {
			return ""
		}
		cause = "rcv " + s.Seg.Flags.String()
	case timeline.Observe:
		if s.Dir.To() == side {
			return "rcv " + s.Seg.Flags.String()
		}
		return "snd " + s.Seg.Flags.String()
	default:
		return ""
	}
	// The segment sent in answer comes in the very next step.
	if i+1 < len(tl.Steps) {
		n := &tl.Steps[i+1]
		if n.Event == timeline.Send && n.Dir.From() == side && n.T == s.T {
			return cause + " / snd " + n.Seg.Flags.String()
		}
	}
	return cause
}

func callLabel(call string) string {
	if i := strings.IndexByte(call, '.'); i > 0 && i < strings.IndexByte(call+"(", '(') {
		return call[i+1:]
	}
	return call
}

func timerName(r fsm.Reason) string {
	switch r {
	case fsm.TimerRetransmit:
		return "RTO"
	case fsm.TimerGiveUp:
		return "RTO, give up"
	case fsm.TimerTimeWait:
		return "2·MSL timeout"
	case fsm.TimerFinWait2:
		return "FIN-WAIT-2 timeout"
	}
	return "timeout"
}
