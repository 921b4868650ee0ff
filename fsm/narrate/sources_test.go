package narrate

import (
	"strings"
	"testing"

	"github.com/tcpviz/tcpviz/fsm"
	"github.com/tcpviz/tcpviz/fsm/observe"
	"github.com/tcpviz/tcpviz/fsm/timeline"
)

// TestSameTransitionSameWords drives two real endpoints (the simulator's
// view) and shows every arriving segment to the observer (a capture's
// view): wherever a segment moves its receiver, both timelines must give
// that side the same reason, the same diagram label and the same sentence.
func TestSameTransitionSameWords(t *testing.T) {
	closeCall := func(r *recorder, side fsm.Side) {
		r.call(side, "close()", func(e *fsm.Endpoint) (fsm.Result, error) { return e.Close(r.now) })
	}
	handshake := func(r *recorder) {
		r.call(fsm.Server, "listen()", func(e *fsm.Endpoint) (fsm.Result, error) { return e.Listen(r.now) })
		r.call(fsm.Client, "connect()", func(e *fsm.Endpoint) (fsm.Result, error) { return e.Connect(r.now) })
		r.deliver()
		r.deliver()
		r.deliver()
	}
	for _, c := range []struct {
		name string
		run  func(r *recorder)
	}{
		{"close, then the peer closes (Figure 12)", func(r *recorder) {
			handshake(r)
			closeCall(r, fsm.Client)
			r.deliver()
			r.deliver()
			closeCall(r, fsm.Server)
			r.deliver()
			r.deliver()
		}},
		{"simultaneous close (Figure 13)", func(r *recorder) {
			handshake(r)
			closeCall(r, fsm.Client)
			closeCall(r, fsm.Server)
			for len(r.wire) > 0 {
				r.deliver()
			}
		}},
		{"FIN and ACK of FIN in one segment", func(r *recorder) {
			handshake(r)
			closeCall(r, fsm.Client)
			r.deliver() // the server's ACK of the FIN
			r.wire = nil
			closeCall(r, fsm.Server) // FIN,ACK: the client is still FIN-WAIT-1 as far as it knows
			r.deliver()
			r.deliver()
		}},
		{"abort", func(r *recorder) {
			handshake(r)
			r.call(fsm.Client, "abort()", func(e *fsm.Endpoint) (fsm.Result, error) { return e.Abort(r.now) })
			r.deliver()
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := newRecorder(t)
			c.run(r)
			sim := &r.tl
			obs := observed(sim)
			compared := 0
			for i, s := range sim.Steps {
				if s.Event != timeline.Arrive {
					continue
				}
				o := obs.Steps[i]
				y := s.Dir.To()
				if sim.Prev(i)[y] == s.States[y] || o.States[y] != s.States[y] || obs.Prev(i)[y] != sim.Prev(i)[y] {
					continue // the observer may see a move earlier or later; compare where both see it
				}
				compared++
				if o.Why[y] != s.Why[y] {
					t.Errorf("step %d %s %s→%s: observer's reason %s, endpoint's %s", i, y, sim.Prev(i)[y], s.States[y], o.Why[y], s.Why[y])
					continue
				}
				if got, want := Trigger(obs, i, y), rcvPart(Trigger(sim, i, y)); got != want {
					t.Errorf("step %d %s: capture's label %q, simulator's %q", i, y, got, want)
				}
				for _, lang := range []Lang{EN, ZH} {
					tpl := pick(templates[s.Why[y]], lang)
					if got, want := fill(tpl, obs, i, y), fill(tpl, sim, i, y); got != want {
						t.Errorf("step %d %s lang %d: capture's note %q, simulator's %q", i, y, lang, got, want)
					}
				}
			}
			if compared == 0 {
				t.Fatal("no transition to compare")
			}
		})
	}
}

// observed is the timeline a capture of sim's arriving segments gives: each
// Arrive step becomes an Observe step, the others keep the states the
// observer has at that point, so indices match.
func observed(sim *timeline.Timeline) *timeline.Timeline {
	o := observe.New(observe.Config{Listening: true}, false)
	init := o.Init()
	out := &timeline.Timeline{ISN: sim.ISN, HasISN: sim.HasISN}
	out.Steps = append(out.Steps, timeline.Step{Event: timeline.Init, States: init.States, Why: init.Why})
	for _, s := range sim.Steps[1:] {
		n := timeline.Step{T: s.T, Event: timeline.App, States: o.States()}
		if s.Event == timeline.Arrive {
			seg := s.Seg
			u := o.Observe(s.T, s.Dir, &seg)
			n = timeline.Step{T: s.T, Event: timeline.Observe, Dir: s.Dir, Seg: seg, States: u.States, Why: u.Why}
		}
		out.Steps = append(out.Steps, n)
	}
	return out
}

// rcvPart is a simulator's label without what the side sent in reply,
// which a capture shows as a step of its own.
func rcvPart(label string) string {
	for _, sep := range []string{" / snd ", "/snd "} {
		label, _, _ = strings.Cut(label, sep)
	}
	return label
}
