package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

type echoLine struct {
	Step      int    `json:"step"`
	Event     string `json:"event"`
	Call      string `json:"call"`
	Client    string `json:"client"`
	Server    string `json:"server"`
	Note      string `json:"note"`
	Kernel    *struct{ Client, Server string }
	Predicted *struct{ Client, Server string }
	Agree     *bool `json:"agree"`
}

func TestEchoAutoJSON(t *testing.T) {
	bin := buildSimBinary(t)
	out, errOut, code := runSimBinary(t, bin, "echo", "--auto", "--pause", "10ms", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var kernelAfterCall []string
	lastCall := ""
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var l echoLine
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		if l.Step != n {
			t.Fatalf("step %d numbered %d", n, l.Step)
		}
		n++
		if l.Event == "app" {
			lastCall = l.Call
		}
		if l.Kernel != nil {
			if l.Agree == nil || l.Predicted == nil {
				t.Fatalf("step %d has kernel states but no predicted/agree", l.Step)
			}
			if !*l.Agree && l.Note == "" {
				t.Errorf("step %d disagrees without a word why", l.Step)
			}
			kernelAfterCall = append(kernelAfterCall, lastCall+" → "+l.Kernel.Client+"/"+l.Kernel.Server)
		}
	}
	got := strings.Join(kernelAfterCall, "\n")
	for _, want := range []string{
		"server.listen() → CLOSED/LISTEN",
		"client.connect() → ESTABLISHED/ESTABLISHED",
		"client.close() → FIN-WAIT-2/CLOSE-WAIT",
		"server.close() → TIME-WAIT/CLOSED",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("kernel states after the calls:\n%s\nmissing %q", got, want)
		}
	}
}

func TestEchoBadInput(t *testing.T) {
	bin := buildSimBinary(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	tests := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"an address without --serve", []string{"echo", "127.0.0.1:1"}, 2, "--serve"},
		{"a malformed --addr", []string{"echo", "--auto", "--format", "json", "--addr", "nonsense"}, 2, "IP:PORT"},
		{"a busy port is named", []string{"echo", "--auto", "--format", "json", "--addr", ln.Addr().String()}, 1, ln.Addr().String() + " is busy"},
		{"--serve on a busy port", []string{"echo", "--serve", ln.Addr().String()}, 1, "is busy"},
		{"an unknown format", []string{"echo", "--format", "summary"}, 2, "unknown --format"},
		{"a zero idle timeout", []string{"echo", "--serve", "--idle-timeout", "0s"}, 2, "--idle-timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errOut, code := runSimBinary(t, bin, tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.msg) || strings.Count(strings.TrimSpace(errOut), "\n") > 0 {
				t.Errorf("exit %d, stderr %q; want exit %d and one line with %q", code, errOut, tt.code, tt.msg)
			}
		})
	}
}

func TestEchoServeUntilInterrupted(t *testing.T) {
	bin := buildSimBinary(t)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "echo", "--serve", addr, "--idle-timeout", "300ms")
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() || !strings.Contains(lines.Text(), "listening on "+addr) {
		t.Fatalf("first line %q", lines.Text())
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("hello, world"))
	buf := make([]byte, 12)
	io.ReadFull(c, buf)
	if string(buf) != "HELLO, WORLD" {
		t.Errorf("echo %q", buf)
	}
	c.Close()
	expect := func(want ...string) {
		for _, w := range want {
			if !lines.Scan() || !strings.Contains(lines.Text(), w) {
				t.Errorf("line %q, want %q", lines.Text(), w)
			}
		}
	}
	expect("connected", "sent FIN after 12 bytes", "closed")
	idle, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	expect("connected", "sent nothing for 300ms: closing", "closed")
	cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("after SIGINT: %v", err)
		}
	case <-time.After(3 * time.Second):
		cmd.Process.Kill()
		t.Fatal("--serve did not stop on SIGINT")
	}
}
