package narrate

import (
	"strings"
	"testing"
	"time"

	"github.com/tcpviz/tcpviz/fsm"
	"github.com/tcpviz/tcpviz/fsm/observe"
	"github.com/tcpviz/tcpviz/fsm/timeline"
)

func TestEveryObserverReasonHasBothLanguages(t *testing.T) {
	for i := 1; i < fsm.NumObserverReasons; i++ {
		r := fsm.ObserverReasons + fsm.Reason(i)
		tpl, ok := templates[r]
		if !ok || tpl.en == "" || tpl.zh == "" {
			t.Errorf("reason %d: missing en or zh template", r)
			continue
		}
		tl := &timeline.Timeline{
			ISN: [2]fsm.Seq{1000, 5000}, HasISN: [2]bool{true, true},
			Steps: []timeline.Step{
				{Event: timeline.Init, States: [2]fsm.State{fsm.Closed, fsm.Listen}},
				{Event: timeline.Observe, Dir: fsm.S2C,
					Seg:    fsm.Segment{Seq: 5000, Ack: 1001, Flags: fsm.SYN | fsm.ACK, Window: 65535},
					States: [2]fsm.State{fsm.Established, fsm.SynReceived},
					Why:    [2]fsm.Reason{r, r}},
			},
		}
		for _, lang := range []Lang{EN, ZH} {
			note := Note(tl, 1, lang)
			if strings.ContainsAny(note, "{}") {
				t.Errorf("reason %d lang %d: unfilled placeholder in %q", r, lang, note)
			}
			if lang == ZH && (strings.Contains(note, "client") || strings.Contains(note, "server")) {
				t.Errorf("reason %d: English side name in Chinese note %q", r, note)
			}
		}
	}
}

func TestObserverNoteNamesBothSides(t *testing.T) {
	tl := &timeline.Timeline{
		ISN: [2]fsm.Seq{1000, 5000}, HasISN: [2]bool{true, true},
		Steps: []timeline.Step{
			{Event: timeline.Init, States: [2]fsm.State{fsm.FinWait1, fsm.CloseWait}},
			{Event: timeline.Observe, Dir: fsm.S2C,
				Seg:    fsm.Segment{Seq: 5001, Ack: 1002, Flags: fsm.ACK, Window: 65535},
				States: [2]fsm.State{fsm.FinWait2, fsm.CloseWait},
				Why:    [2]fsm.Reason{fsm.RcvAckOfFin, fsm.ReasonNone}},
		},
	}
	// The endpoint's sentence for the same rule (fsm.RcvAckOfFin): one
	// narration whichever source produced the step.
	want := "The server's ACK covers the client's FIN (ack=2), so the server has received it (a FIN takes one sequence number of its own, so that it can be acknowledged and retransmitted like data): the client moves FIN-WAIT-1 → FIN-WAIT-2 (§3.10.7.4, fifth check)."
	if got := Note(tl, 1, EN); got != want {
		t.Errorf("EN = %q\nwant %q", got, want)
	}
	if got := Note(tl, 1, ZH); !strings.Contains(got, "服务器的 ACK 覆盖了客户端的 FIN") {
		t.Errorf("ZH = %q", got)
	}
}

func TestObservedTimelineNarrates(t *testing.T) {
	// A simultaneous close as a capture sees it, run through the observer:
	// every step's note names what happened in both languages.
	type seg struct {
		dir      fsm.Dir
		flags    fsm.Flags
		seq, ack fsm.Seq
	}
	segs := []seg{
		{fsm.C2S, fsm.SYN, 1000, 0}, {fsm.S2C, fsm.SYN | fsm.ACK, 5000, 1001}, {fsm.C2S, fsm.ACK, 1001, 5001},
		{fsm.C2S, fsm.FIN | fsm.ACK, 1001, 5001}, {fsm.S2C, fsm.FIN | fsm.ACK, 5001, 1001},
		{fsm.C2S, fsm.ACK, 1002, 5002}, {fsm.S2C, fsm.ACK, 5002, 1002},
	}
	o := observe.New(observe.DefaultConfig(), false)
	init := o.Init()
	tl := &timeline.Timeline{Steps: []timeline.Step{{Event: timeline.Init, States: init.States, Why: init.Why}}}
	for i, s := range segs {
		sg := fsm.Segment{Seq: s.seq, Ack: s.ack, Flags: s.flags, Window: 65535}
		u := o.Observe(time.Duration(i)*time.Millisecond, s.dir, &sg)
		tl.ISN, tl.HasISN = o.ISN()
		tl.Steps = append(tl.Steps, timeline.Step{Event: timeline.Observe, Dir: s.dir, Seg: sg, States: u.States, Why: u.Why, Analysis: u.Analysis})
	}
	for i := range tl.Steps {
		for _, lang := range []Lang{EN, ZH} {
			if n := Note(tl, i, lang); n == "" || strings.ContainsAny(n, "{}") {
				t.Errorf("step %d lang %d: note %q", i, lang, n)
			}
		}
	}
	if got := Note(tl, 5, EN); !strings.Contains(got, "simultaneous close") || !strings.Contains(got, "CLOSING") {
		t.Errorf("crossing FIN note = %q", got)
	}
	if got := Note(tl, 5, ZH); !strings.Contains(got, "同时关闭") {
		t.Errorf("crossing FIN note (zh) = %q", got)
	}
}
