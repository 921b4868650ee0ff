package tui

import (
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/tcpviz/tcpviz/fsm/narrate"
	"github.com/tcpviz/tcpviz/fsm/timeline"
	"github.com/tcpviz/tcpviz/internal/testenv"
	"github.com/tcpviz/tcpviz/tui/internal/fixture"
)

// fakeSession is a timeline.Session whose actions reveal the fixture's
// echo session a few steps at a time.
type fakeSession struct {
	mu      sync.Mutex
	tl      *timeline.Timeline
	sent    int
	done    []string
	updates chan timeline.Batch
	closed  bool
	push    bool // Do sends the next steps through Updates
}

func newFakeSession() *fakeSession {
	return &fakeSession{tl: fixture.Session(), updates: make(chan timeline.Batch, 16)}
}

func (s *fakeSession) Actions() []timeline.Action {
	s.mu.Lock()
	defer s.mu.Unlock()
	connected := s.sent > 3
	return []timeline.Action{
		{ID: "server.listen", Label: "server.listen()", Key: "L", Enabled: s.sent == 0, Why: "the server is already listening"},
		{ID: "client.connect", Label: "client.connect()", Key: "c", Enabled: !connected, Why: "the client is already connected"},
		{ID: "client.send", Label: `client.send("hello")`, Key: "S", Enabled: connected},
		{ID: "client.close", Label: "client.close()", Key: "x", Enabled: false, Why: "nothing to close before connect()"},
	}
}

func (s *fakeSession) Do(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id == "client.send" {
		return errors.New("send: broken pipe")
	}
	s.done = append(s.done, id)
	if s.push {
		s.mu.Unlock()
		s.updates <- s.next(3).b
		s.mu.Lock()
	}
	return nil
}

func (s *fakeSession) Updates() <-chan timeline.Batch { return s.updates }

func (s *fakeSession) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

// next returns the batch of the session's next n steps.
func (s *fakeSession) next(n int) batchMsg {
	s.mu.Lock()
	h := *s.tl
	h.Steps = nil
	from := s.sent
	s.sent = min(s.sent+n, s.tl.Len())
	d := timeline.ConnDelta{ID: 1, Header: h, Steps: s.tl.Steps[from:s.sent], Segments: s.sent}
	s.mu.Unlock()
	return batchMsg{ok: true, b: timeline.Batch{Conns: []timeline.ConnDelta{d}, Progress: -1}, actions: s.Actions()}
}

func TestSessionViewRunsActionsAndShowsDisagreement(t *testing.T) {
	for _, sz := range sizes {
		t.Run(sz.name, func(t *testing.T) {
			s := newFakeSession()
			m := newSessionModel(s, SessionOptions{Lang: narrate.EN, Source: "echo 127.0.0.1:8000"}, true)
			m.updates = nil // the test hands the batches in itself
			m = sized(m, sz.w, sz.h)
			m = send(m, s.next(3))
			m = keys(m, "c") // client.connect(), through a command
			if len(s.done) != 1 || s.done[0] != "client.connect" {
				t.Fatalf("c should call client.connect, session did %v", s.done)
			}
			m = send(m, s.next(3))
			got := text(m)
			for _, want := range []string{"(c) client.connect()", `[S] client.send("hello")`, "kernel", "≠", "step 6/6", "● live"} {
				if !strings.Contains(got, want) {
					t.Errorf("the session view lacks %q:\n%s", want, got)
				}
			}
			testenv.Golden(t, "session-"+sz.name, got)

			m = keys(m, "x")
			if !strings.Contains(text(m), "nothing to close before connect()") {
				t.Errorf("a disabled action should say why:\n%s", text(m))
			}
			m = send(m, s.next(10))
			m = keys(m, "S")
			if !strings.Contains(text(m), "broken pipe") {
				t.Errorf("an action's error should show in the status line:\n%s", text(m))
			}
			m = keys(m, "left", "left")
			if m.step.Step() != m.step.Timeline().Len()-3 {
				t.Errorf("stepping back in a session should work as anywhere, at %d", m.step.Step())
			}
		})
	}
}

func TestEndedSessionSaysSo(t *testing.T) {
	s := newFakeSession()
	m := newSessionModel(s, SessionOptions{}, true)
	m = send(m, batchMsg{ok: false})
	if !strings.Contains(m.status, "ended") {
		t.Errorf("a closed update channel should say the session ended, got %q", m.status)
	}
}

func TestRunSessionClosesTheSessionOnQuit(t *testing.T) {
	s := newFakeSession()
	err := runSession(s, SessionOptions{}, true, tea.WithInput(strings.NewReader("q")), tea.WithOutput(io.Discard),
		tea.WithWindowSize(120, 40), tea.WithoutSignals())
	if err != nil {
		t.Fatal(err)
	}
	if !s.closed {
		t.Error("RunSession must close the session when the user quits")
	}
}

// TestSessionActionRunsOffTheLoopAndItsStepsArrive drives the real program
// loop: the action runs in a command, the steps it causes come back through
// Updates, and the view follows them.
func TestSessionActionRunsOffTheLoopAndItsStepsArrive(t *testing.T) {
	s := newFakeSession()
	s.push = true
	s.updates <- s.next(3).b
	tm := teatest.NewTestModel(t, newSessionModel(s, SessionOptions{Lang: narrate.EN, Source: "echo"}, true),
		teatest.WithInitialTermSize(120, 40))
	waitFor(t, tm, "CLIENT")
	tm.Send(keyMsg("c"))
	waitFor(t, tm, "kernel")
	tm.Send(keyMsg("q"))
	final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(model)
	if got := final.step.Timeline().Len(); got != 6 {
		t.Errorf("after connect the view has %d steps, want 6", got)
	}
	if final.step.Step() != 5 {
		t.Errorf("the session view should follow the newest step, at %d", final.step.Step())
	}
}
