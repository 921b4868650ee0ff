package main

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

// TestReplayTUIInTmux runs `tcpviz replay FILE` on a real terminal (tmux):
// the connection list fills in from the batches, enter opens a connection
// in the stepping view, and q quits with exit status 0.
func TestReplayTUIInTmux(t *testing.T) {
	testenv.NeedCommand(t, "tmux", "cannot drive the view on a terminal")
	bin := buildSimBinary(t)
	abs, _ := filepath.Abs(fixture("lo.pcap"))
	session := fmt.Sprintf("tcpviz-replay-%d", os.Getpid())
	status := filepath.Join(t.TempDir(), "status")
	shell := fmt.Sprintf("%s replay %s; echo $? > %s; sleep 30", bin, abs, status)
	if out, err := exec.Command("tmux", "new-session", "-d", "-s", session, "-x", "160", "-y", "45", shell).CombinedOutput(); err != nil {
		testenv.Skipf(t, "tmux cannot start a session here: %v %s", err, out)
	}
	defer exec.Command("tmux", "kill-session", "-t", session).Run()
	screen := func() string {
		out, _ := exec.Command("tmux", "capture-pane", "-p", "-t", session).Output()
		return string(out)
	}
	waitFor := func(what string, ok func(string) bool) string {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			s := screen()
			if ok(s) {
				return s
			}
			if time.Now().After(deadline) {
				t.Fatalf("waiting for %s; the screen shows:\n%s", what, s)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	keys := func(k ...string) {
		exec.Command("tmux", append([]string{"send-keys", "-t", session}, k...)...).Run()
	}
	list := waitFor("the connection list", func(s string) bool { return strings.Contains(s, "6 connections") })
	for _, want := range []string{"TIME-WAIT/CLOSED", "CLOSED/TIME-WAIT", "refused", "[::1]"} {
		if !strings.Contains(list, want) {
			t.Errorf("the list lacks %q:\n%s", want, list)
		}
	}
	keys("Enter")
	waitFor("the stepping view", func(s string) bool { return strings.Contains(s, "step 1/") && strings.Contains(s, "SYN-SENT") })
	keys("q")
	time.Sleep(300 * time.Millisecond)
	if !strings.Contains(screen(), "6 connections") { // q in the stepping view may go back to the list first
		keys("q")
	}
	keys("q")
	deadline := time.Now().Add(10 * time.Second)
	for {
		if b, err := os.ReadFile(status); err == nil {
			if got := strings.TrimSpace(string(b)); got != "0" {
				t.Errorf("exit status %s", got)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("tcpviz did not quit; the screen shows:\n%s", screen())
		}
		time.Sleep(100 * time.Millisecond)
	}
}
