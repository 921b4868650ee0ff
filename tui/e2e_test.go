package tui

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tcpviz/tcpviz/internal/testenv"
)

// tmuxSession runs the real binary in a detached tmux session of w×h on a
// private tmux server, so the test touches no other tmux session.
type tmuxSession struct {
	t      *testing.T
	socket string
	name   string
}

func newTmux(t *testing.T, bin string, w, h int, args ...string) *tmuxSession {
	t.Helper()
	s := &tmuxSession{t: t, socket: fmt.Sprintf("tcpviz-e2e-%d-%d", os.Getpid(), time.Now().UnixNano()), name: "tv"}
	cmd := "NO_COLOR=1 " + bin + " " + strings.Join(args, " ")
	if out, err := s.tmux("new-session", "-d", "-s", s.name, "-x", fmt.Sprint(w), "-y", fmt.Sprint(h), cmd); err != nil {
		t.Fatalf("tmux new-session: %v: %s", err, out)
	}
	t.Cleanup(func() { _, _ = s.tmux("kill-server") })
	return s
}

func (s *tmuxSession) tmux(args ...string) (string, error) {
	out, err := exec.Command("tmux", append([]string{"-L", s.socket}, args...)...).CombinedOutput()
	return string(out), err
}

func (s *tmuxSession) capture() string {
	out, _ := s.tmux("capture-pane", "-p", "-t", s.name)
	return out
}

func (s *tmuxSession) keys(k ...string) {
	s.t.Helper()
	if out, err := s.tmux(append([]string{"send-keys", "-t", s.name}, k...)...); err != nil {
		s.t.Fatalf("send-keys %v: %v: %s", k, err, out)
	}
}

// waitFor polls the pane until ok holds, failing after 10 s.
func (s *tmuxSession) waitFor(what string, ok func(screen string) bool) string {
	s.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		scr := s.capture()
		if ok(scr) {
			return scr
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("timed out waiting for %s; the pane shows:\n%s", what, scr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *tmuxSession) waitExit() {
	s.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := s.tmux("has-session", "-t", s.name); err != nil {
			return // the pane's process exited and took the session with it
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("tcpviz did not exit; the pane shows:\n%s", s.capture())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func buildBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test: skipped with -short")
	}
	testenv.NeedCommand(t, "tmux", "the end-to-end test drives the view on a terminal")
	bin := filepath.Join(t.TempDir(), "tcpviz")
	cmd := exec.Command("go", "build", "-o", bin, "../cmd/tcpviz")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/tcpviz: %v\n%s", err, out)
	}
	return bin
}

// clientPanel returns the left panel's columns of the screen.
func clientPanel(screen string, w int) string {
	var b strings.Builder
	for _, l := range strings.Split(screen, "\n") {
		r := []rune(l)
		b.WriteString(string(r[:min(w, len(r))]) + "\n")
	}
	return b.String()
}

func TestEndToEndInTmux(t *testing.T) {
	bin := buildBinary(t)
	s := newTmux(t, bin, 120, 40, "sim", "echo")
	s.waitFor("the scenario to load", func(scr string) bool { return strings.Contains(scr, "CLIENT") })
	for i := 0; ; i++ {
		if strings.Contains(clientPanel(s.capture(), 30), "[SYN-SENT]") {
			break
		}
		if i == 10 {
			t.Fatalf("ten steps did not bring the client to SYN-SENT:\n%s", s.capture())
		}
		before := s.capture()
		s.keys("Right")
		s.waitFor("the step to change", func(scr string) bool { return scr != before })
	}
	s.keys("?")
	s.waitFor("the full help", func(scr string) bool {
		return strings.Contains(scr, "first step") && strings.Contains(scr, "duplicate segment")
	})
	s.keys("q")
	s.waitExit()
}

func TestEndToEndTooSmallTerminal(t *testing.T) {
	bin := buildBinary(t)
	s := newTmux(t, bin, 80, 20, "sim", "echo")
	s.waitFor("the size message", func(scr string) bool {
		return strings.Contains(scr, "terminal too small: need at least 100x30, have 80x20")
	})
	s.keys("q")
	s.waitExit()
}
