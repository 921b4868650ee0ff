package output

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tcpviz/tcpviz/fsm"
	"github.com/tcpviz/tcpviz/fsm/narrate"
	"github.com/tcpviz/tcpviz/fsm/sim"
	"github.com/tcpviz/tcpviz/fsm/timeline"
	"github.com/tcpviz/tcpviz/internal/testenv"
)

// TestTextLadderGolden writes scenarios as text ladders and compares them
// with the golden files: the scenarios that show the handshake and both
// closes, drops and retransmissions, resets. The notes are left out here
// (their sentences belong to package narrate and are tested there);
// TestTextLadderNotes checks where they go.
func TestTextLadderGolden(t *testing.T) {
	for _, tt := range []struct {
		scenario string
		opts     TextOptions
		file     string
	}{
		{"echo", TextOptions{NoNotes: true}, "echo"},
		{"echo", TextOptions{Absolute: true, NoNotes: true}, "echo.absolute"},
		{"lost-fin", TextOptions{NoNotes: true}, "lost-fin"},
		{"simultaneous-close", TextOptions{NoNotes: true}, "simultaneous-close"},
		{"refused", TextOptions{NoNotes: true}, "refused"},
		{"half-open", TextOptions{NoNotes: true}, "half-open"},
	} {
		t.Run(tt.file, func(t *testing.T) {
			s, err := sim.Load(tt.scenario)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := NewTextWriter(&buf, narrate.EN, tt.opts).WriteTimeline(s.Timeline()); err != nil {
				t.Fatal(err)
			}
			testenv.Golden(t, tt.file, buf.Bytes())
		})
	}
}

// TestTextLadderNotes: each step line is followed by its note, in the
// language asked for, indented to the column after the event.
func TestTextLadderNotes(t *testing.T) {
	s, err := sim.Load("echo")
	if err != nil {
		t.Fatal(err)
	}
	tl := s.Timeline()
	for _, lang := range []narrate.Lang{narrate.EN, narrate.ZH} {
		var buf bytes.Buffer
		if err := NewTextWriter(&buf, lang, TextOptions{}).WriteTimeline(tl); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")[2:]
		if len(lines) != 2*tl.Len() {
			t.Fatalf("%d lines for %d steps", len(lines), tl.Len())
		}
		for i := range tl.Steps {
			want := strings.Repeat(" ", colTime+2+colEvent) + narrate.Note(tl, i, lang)
			if lines[2*i+1] != want {
				t.Errorf("step %d: note line %q, want %q", i, lines[2*i+1], want)
			}
		}
	}
}

// TestTextLadderColumns: on every step line the server's state starts in
// the same column, under the SERVER title, whatever the arrow.
func TestTextLadderColumns(t *testing.T) {
	for _, name := range sim.Names() {
		s, err := sim.Load(name)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := NewTextWriter(&buf, narrate.EN, TextOptions{NoNotes: true}).WriteTimeline(s.Timeline()); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
		col := strings.Index(lines[1], "SERVER")
		col = utf8.RuneCountInString(lines[1][:col])
		for i, l := range lines[2:] {
			st := s.Timeline().Steps[i].States[1].String()
			r := []rune(l)
			if len(r) < col || string(r[col:]) != st {
				t.Errorf("%s step %d: server state not at column %d: %q", name, i, col, l)
			}
		}
	}
}

// TestTextKernelLine checks the echo session's extra line: the kernel's
// and the simulator's states, and whether all three agree.
func TestTextKernelLine(t *testing.T) {
	est := [2]fsm.State{fsm.Established, fsm.Established}
	for _, c := range []struct {
		name string
		step timeline.Step
		want string
	}{
		{"agree", timeline.Step{Event: timeline.App, Call: "client.recv()", States: est, Truth: &timeline.Truth{Predicted: est, Kernel: est, HasKernel: true}},
			"kernel ESTABLISHED/ESTABLISHED · predicted ESTABLISHED/ESTABLISHED · all three agree"},
		{"disagree", timeline.Step{Event: timeline.App, Call: "client.close()", States: est, Truth: &timeline.Truth{Predicted: est,
			Kernel: [2]fsm.State{fsm.FinWait1, fsm.Established}, HasKernel: true}},
			"kernel FIN-WAIT-1/ESTABLISHED · predicted ESTABLISHED/ESTABLISHED · DISAGREE"},
		{"no kernel", timeline.Step{Event: timeline.App, Call: "client.recv()", States: est}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			tl := &timeline.Timeline{Steps: []timeline.Step{c.step}}
			var buf bytes.Buffer
			tw := NewTextWriter(&buf, narrate.EN, TextOptions{NoNotes: true})
			tw.WriteStep(tl, 0)
			if err := tw.Flush(); err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
			got := ""
			if len(lines) > 1 {
				got = strings.TrimSpace(lines[1])
			}
			if got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}
