package tui

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/tcpviz/tcpviz/internal/testenv"
	"github.com/tcpviz/tcpviz/tui/stepview"
)

// TestKeySequenceStepBackPlayDrop drives the real program loop: step
// forward, back, play two ticks, pause, drop the SYN,ACK in flight and
// step through the retransmission that follows.
func TestKeySequenceStepBackPlayDrop(t *testing.T) {
	tm := teatest.NewTestModel(t, newSimModel(simOptions(), true), teatest.WithInitialTermSize(100, 30))
	waitFor(t, tm, "CLIENT")
	for _, k := range []string{"right", "right", "right", "right", "right", "left"} {
		tm.Send(keyMsg(k))
	}
	tm.Send(keyMsg("space"))          // play: generation 2 (the load was 1)
	tm.Send(stepview.TickMsg{Gen: 2}) // → step 6
	tm.Send(stepview.TickMsg{Gen: 2}) // → step 7
	tm.Send(keyMsg("space"))          // pause
	tm.Send(stepview.TickMsg{Gen: 2}) // stale: ignored
	tm.Send(keyMsg("left"))           // step 6: the SYN,ACK is in flight
	tm.Send(keyMsg("d"))
	waitFor(t, tm, "dropped")
	tm.Send(keyMsg("right")) // the RTO
	tm.Send(keyMsg("right")) // the SYN,ACK again, marked ↻
	tm.Send(keyMsg("q"))
	final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(model)

	// Steps are 0-based: the drop lands on the SYN,ACK's arrival (6), then
	// the timer (7) and the retransmission (8).
	if got := final.step.Step(); got != 8 {
		t.Errorf("after the sequence the view is at step %d, want 8", got)
	}
	if final.step.Playing() {
		t.Error("the view should be paused")
	}
	got := ansi.Strip(final.View().Content)
	for _, want := range []string{"✗", "↻ SYN,ACK", "RTO ◷", "step 9/"} {
		if !strings.Contains(got, want) {
			t.Errorf("the final view lacks %q:\n%s", want, got)
		}
	}
	testenv.Golden(t, "keyseq-100x30", got)
}

func waitFor(t *testing.T, tm *teatest.TestModel, s string) {
	t.Helper()
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte(s)) },
		teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
}
