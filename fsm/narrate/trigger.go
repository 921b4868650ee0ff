package narrate

import (
	"strings"

	"github.com/tcpviz/tcpviz/fsm"
	"github.com/tcpviz/tcpviz/fsm/timeline"
)

// MaxTrigger is the longest label Trigger returns, in characters.
const MaxTrigger = 24

// Trigger returns a short label of what step i did to side, in Figure 5's
// style, for the state diagram's highlighted transition: "rcv SYN,ACK /
// snd ACK", "close / snd FIN", "timeout 2MSL". The "snd" part comes from
// the Send steps by the same side at the same time right after step i.
// It returns "" when the step is not about side (e.g. the peer's call, or
// a segment still on its way).
func Trigger(tl *timeline.Timeline, i int, side fsm.Side) string {
	if i < 0 || i >= len(tl.Steps) {
		return ""
	}
	s := &tl.Steps[i]
	var what string
	switch s.Event {
	case timeline.App:
		if s.Actor != side {
			return ""
		}
		what = callName(s.Call, s.Why[side])
	case timeline.Arrive:
		if s.Dir.To() != side {
			return ""
		}
		what = "rcv " + rcvLabel(s.Seg, s.Why[side])
	case timeline.Timer:
		if s.Actor != side {
			return ""
		}
		what = TimerLabel(s.Why[side])
	case timeline.Send:
		if s.Dir.From() != side {
			return ""
		}
		return cut("snd " + segLabel(s.Seg))
	case timeline.Observe:
		if s.Dir.From() == side {
			return cut("snd " + segLabel(s.Seg))
		}
		return cut("rcv " + rcvLabel(s.Seg, s.Why[side]))
	default:
		return ""
	}
	if snd := sentAfter(tl, i, side); snd != "" {
		if full := what + " / snd " + snd; len([]rune(full)) <= MaxTrigger {
			return full
		}
		if short := what + "/snd " + snd; len([]rune(short)) <= MaxTrigger {
			return short
		}
	}
	return cut(what)
}

// sentAfter names the segments side sends at step i's time in the Send
// steps that follow it, e.g. "ACK" or "data+FIN".
func sentAfter(tl *timeline.Timeline, i int, side fsm.Side) string {
	t := tl.Steps[i].T
	var names []string
	for j := i + 1; j < len(tl.Steps); j++ {
		n := &tl.Steps[j]
		if n.Event != timeline.Send || n.T != t {
			break
		}
		if n.Dir.From() != side {
			continue
		}
		name := segLabel(n.Seg)
		if len(names) == 0 || names[len(names)-1] != name {
			names = append(names, name)
		}
	}
	return strings.Join(names, "+")
}

// segLabel names a segment as Figure 5 does: SYN, SYN,ACK, FIN, RST, ACK,
// or "data" for a segment carrying payload.
func segLabel(seg fsm.Segment) string {
	f := seg.Flags
	switch {
	case f.Has(fsm.RST):
		return "RST"
	case f.Has(fsm.SYN | fsm.ACK):
		return "SYN,ACK"
	case f.Has(fsm.SYN):
		return "SYN"
	case f.Has(fsm.FIN) && seg.Len > 0:
		return "data,FIN"
	case f.Has(fsm.FIN):
		return "FIN"
	case seg.Len > 0:
		return "data"
	case f.Has(fsm.ACK):
		return "ACK"
	}
	return f.String()
}

// rcvLabel names an arriving segment, sharpened by the rule it triggered.
func rcvLabel(seg fsm.Segment, why fsm.Reason) string {
	switch why {
	case fsm.RcvAckOfSyn:
		return "ACK of SYN"
	case fsm.RcvAckOfFin:
		return "ACK of FIN"
	case fsm.RcvFinAckOfFin:
		return "FIN+ACK"
	}
	return segLabel(seg)
}

// callName reduces a socket call such as `client.send("hello")` to its
// name ("send"); without a call, the reason names it.
func callName(call string, why fsm.Reason) string {
	if name, _, ok := strings.Cut(call, "("); ok {
		if dot := strings.LastIndexByte(name, '.'); dot >= 0 {
			name = name[dot+1:]
		}
		if name = strings.TrimSpace(name); name != "" {
			return name
		}
	}
	switch why {
	case fsm.AppPassiveOpen:
		return "listen"
	case fsm.AppActiveOpen:
		return "connect"
	case fsm.AppSend:
		return "send"
	case fsm.AppReceive:
		return "recv"
	case fsm.AppClose, fsm.AppCloseUnread:
		return "close"
	case fsm.AppShutdown:
		return "shutdown"
	case fsm.AppAbort:
		return "abort"
	case fsm.AppRestart:
		return "restart"
	case fsm.AppAccept:
		return "accept"
	}
	if call != "" {
		return call
	}
	return "call"
}

// cut shortens s to MaxTrigger characters.
func cut(s string) string {
	r := []rune(s)
	if len(r) <= MaxTrigger {
		return s
	}
	return string(r[:MaxTrigger-1]) + "…"
}
