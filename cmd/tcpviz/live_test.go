package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/gopacket/pcapgo"

	"github.com/tcpviz/tcpviz/internal/testenv"
)

func needRawSocket(t *testing.T) {
	t.Helper()
	testenv.NeedRawSocket(t)
}

// pcapPackets reads a pcap file and counts its packets.
func pcapPackets(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	if err != nil {
		t.Fatalf("%s is not a complete pcap: %v", path, err)
	}
	n := 0
	for {
		if _, _, err := r.ReadPacketData(); err != nil {
			return n
		}
		n++
	}
}

// talk opens a connection to a fresh listener, exchanges one round trip and
// closes both ends; it returns the listener's port.
func talk(t *testing.T, ln net.Listener) {
	t.Helper()
	c, err := net.Dial("tcp4", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("hello"))
	buf := make([]byte, 5)
	s.Read(buf)
	s.Write([]byte("HELLO"))
	c.Read(buf)
	c.Close()
	s.Close()
}

func TestLiveJSONAndPcapUntilInterrupted(t *testing.T) {
	needRawSocket(t)
	bin := buildSimBinary(t)
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	pcap := filepath.Join(t.TempDir(), "live.pcap")
	cmd := exec.Command(bin, "live", "--filter", "port "+strconv.Itoa(port), "--format", "json", "--write-pcap", pcap)
	stdout, _ := cmd.StdoutPipe()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // the capture opens
	talk(t, ln)
	lines := bufio.NewScanner(stdout)
	var states []string
	for len(states) < 10 && lines.Scan() {
		var l echoLine
		if err := json.Unmarshal(lines.Bytes(), &l); err != nil {
			t.Fatalf("line %q: %v", lines.Text(), err)
		}
		states = append(states, l.Client+"/"+l.Server)
	}
	cmd.Process.Signal(syscall.SIGINT)
	for lines.Scan() {
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("live after SIGINT: %v (%s)", err, stderr.String())
	}
	// SYN, SYN-ACK, ACK, data and ACK both ways, FIN/ACK both ways: at
	// least 9 segments, each exactly once, ending with TIME-WAIT/CLOSED.
	if len(states) < 9 || states[len(states)-1] != "TIME-WAIT/CLOSED" {
		t.Errorf("states %v", states)
	}
	if n := pcapPackets(t, pcap); n != len(states) {
		t.Errorf("pcap holds %d packets, JSON %d segments", n, len(states))
	}
	if !strings.Contains(stderr.String(), "0 dropped") {
		t.Errorf("stderr %q", stderr.String())
	}
}

func TestLiveBadInput(t *testing.T) {
	bin := buildSimBinary(t)
	existing := filepath.Join(t.TempDir(), "exists.pcap")
	os.WriteFile(existing, []byte("x"), 0o644)
	tests := []struct {
		name string
		args []string
		code int
		msg  string
		raw  bool
	}{
		{"unknown interface lists the interfaces", []string{"live", "-i", "nosuch0"}, 2, "(there are: ", false},
		{"a bad filter", []string{"live", "--filter", "port"}, 2, "--filter", false},
		{"an existing pcap without --force", []string{"live", "--write-pcap", existing}, 2, "--force", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.raw {
				needRawSocket(t)
			}
			_, errOut, code := runSimBinary(t, bin, tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.msg) {
				t.Errorf("exit %d, stderr %q; want exit %d with %q", code, errOut, tt.code, tt.msg)
			}
		})
	}
}

func TestLiveWithoutPermissionGivesTheAdvice(t *testing.T) {
	needRawSocket(t)
	testenv.NeedCommand(t, "setpriv", "it is needed to drop CAP_NET_RAW")
	setpriv, _ := exec.LookPath("setpriv")
	bin := buildSimBinary(t)
	out, err := exec.Command(setpriv, "--bounding-set", "-net_raw", "--inh-caps", "-net_raw", bin, "live", "--format", "json").CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(string(out), "setcap cap_net_raw+ep") {
		t.Errorf("without CAP_NET_RAW: %v %q", err, out)
	}
	// echo still runs, with the kernel's states and the prediction.
	out, err = exec.Command(setpriv, "--bounding-set", "-net_raw", "--inh-caps", "-net_raw", bin, "echo", "--auto", "--pause", "1ms", "--format", "json").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "setcap cap_net_raw+ep") || !strings.Contains(string(out), `"kernel":{"client":"TIME-WAIT","server":"CLOSED"}`) {
		t.Errorf("echo without CAP_NET_RAW: %v\n%s", err, out)
	}
}
