package track

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/tcpviz/tcpviz/fsm"
	"github.com/tcpviz/tcpviz/internal/testenv"
)

// inNetns runs fn on a thread moved into the named network namespace, so
// the sockets fn creates live there. The thread is never returned to the
// pool (its goroutine exits locked), so no other goroutine runs in the
// namespace.
func inNetns(name string, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // not unlocked: the thread ends with the goroutine
		f, err := os.Open(filepath.Join("/var/run/netns", name))
		if err != nil {
			errc <- err
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("setns %s: %w", name, err)
			return
		}
		errc <- fn()
	}()
	return <-errc
}

// TestReplayVLANCapture captures a real session between two network
// namespaces joined by a veth pair carrying 802.1Q VLAN 100, on the veth
// itself, so every frame is tagged; the tracker must see through the tag
// and agree with tshark.
func TestReplayVLANCapture(t *testing.T) {
	needCapture(t)
	testenv.NeedCommand(t, "ip", "cannot build the VLAN test network (apt-get install iproute2)")
	a, b := fmt.Sprintf("tvz%da", os.Getpid()%100000), fmt.Sprintf("tvz%db", os.Getpid()%100000)
	run := func(args ...string) error {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	for _, ns := range []string{a, b} {
		if err := run("netns", "add", ns); err != nil {
			testenv.Skipf(t, "cannot make network namespaces here: %v", err)
		}
		defer run("netns", "del", ns)
	}
	for _, cmd := range [][]string{
		{"link", "add", "va", "netns", a, "type", "veth", "peer", "name", "vb", "netns", b},
		{"-n", a, "link", "add", "link", "va", "name", "va.100", "type", "vlan", "id", "100"},
		{"-n", b, "link", "add", "link", "vb", "name", "vb.100", "type", "vlan", "id", "100"},
		{"-n", a, "addr", "add", "10.99.0.1/24", "dev", "va.100"},
		{"-n", b, "addr", "add", "10.99.0.2/24", "dev", "vb.100"},
		{"-n", a, "link", "set", "va", "up"}, {"-n", b, "link", "set", "vb", "up"},
		{"-n", a, "link", "set", "va.100", "up"}, {"-n", b, "link", "set", "vb.100", "up"},
	} {
		if err := run(cmd...); err != nil {
			if strings.Contains(err.Error(), "Unknown device type") {
				// A kernel built without CONFIG_VLAN_8021Q: no tool CI
				// could install gives it one, so this stays a skip.
				t.Skipf("this kernel has no 802.1Q VLAN devices: %v", err)
			}
			testenv.Skipf(t, "cannot build the VLAN test network: %v", err)
		}
	}

	var ln net.Listener
	if err := inNetns(b, func() (err error) { ln, err = net.Listen("tcp4", "10.99.0.2:0"); return }); err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	out := filepath.Join(t.TempDir(), "vlan.pcap")
	stop := startTcpdump(t, []string{"ip", "netns", "exec", a, "tcpdump", "-i", "va", "-U", "--immediate-mode", "-n", "-s", "2048", "-w", out, "vlan and tcp port " + fmt.Sprint(port)})
	s := &session{name: "vlan", network: "tcp4", wantClient: fsm.TimeWait, wantServer: fsm.Closed, listenPort: port}
	err := inNetns(a, func() error {
		// The client: dial from namespace a, then the echo exchange.
		return echoClientCloses(t, ln)
	})
	if err != nil {
		t.Fatal(err)
	}
	stop()
	tr, stats := replayFile(t, out)
	checkSessions(t, tr, []*session{s})
	if stats.Malformed != 0 {
		t.Errorf("%d malformed", stats.Malformed)
	}
	if want := tsharkCount(t, out); totalSegments(tr) != want {
		t.Errorf("%d segments, tshark counts %d", totalSegments(tr), want)
	}
	if os.Getenv("TCPVIZ_UPDATE_FIXTURES") != "" {
		data, _ := os.ReadFile(out)
		os.WriteFile(filepath.Join("..", "testdata", "vlan.pcap"), data, 0o644)
	}
}
